#include <gtest/gtest.h>

#include "upstream/connect_reply.hpp"

namespace hubcast::upstream {
namespace {

using verdict = core::connect_outcome::verdict;

TEST(ConnectReply, A2xxBodySetsTheIdentityAndTheStateHeaderIsKept) {
    const auto reply = interpret_connect_reply(
        200, R"({"userId":"alice","groups":["g1"],"roles":["r"],"subprotocol":"json.webpubsub.azure.v1"})",
        "state-1");
    EXPECT_EQ(reply.outcome.result, verdict::accepted);
    EXPECT_EQ(reply.outcome.user_id, "alice");
    EXPECT_EQ(reply.outcome.groups, std::vector<std::string>{"g1"});
    EXPECT_EQ(reply.outcome.roles, std::vector<std::string>{"r"});
    EXPECT_EQ(reply.outcome.subprotocol, "json.webpubsub.azure.v1");
    EXPECT_EQ(reply.outcome.connection_state, "state-1");
    EXPECT_TRUE(reply.failure.empty());
}

TEST(ConnectReply, AnEmptyAnswerAcceptsWithNothingSet) {
    const auto reply = interpret_connect_reply(204, "", "");
    EXPECT_EQ(reply.outcome.result, verdict::accepted);
    EXPECT_FALSE(reply.outcome.user_id);
    EXPECT_FALSE(reply.outcome.connection_state);
}

TEST(ConnectReply, A4xxRejectsWithItsStatusAndAPrintableBoundedDetail) {
    const auto reply = interpret_connect_reply(403, "no\r\nX-Injected: yes" + std::string(2000, 'x'), "");
    EXPECT_EQ(reply.outcome.result, verdict::rejected);
    EXPECT_EQ(reply.outcome.status, 403u);
    EXPECT_EQ(reply.outcome.detail.substr(0, 20), "no  X-Injected: yesx");
    EXPECT_EQ(reply.outcome.detail.size(), max_detail_bytes + 3); // cut, and "..." says so
    EXPECT_TRUE(reply.failure.empty());
}

TEST(ConnectReply, AnyOtherStatusOrAnInvalidBodyFailsWith500) {
    for (const unsigned status : {0u, 100u, 302u, 500u, 503u, 65535u}) {
        const auto reply = interpret_connect_reply(status, "body", "state");
        EXPECT_EQ(reply.outcome.result, verdict::failed) << status;
        EXPECT_EQ(reply.outcome.status, 500u) << status;
        EXPECT_EQ(reply.failure, "answered " + std::to_string(status) + ": body");
    }
    const auto invalid = interpret_connect_reply(200, R"({"groups":"g1"})", "state");
    EXPECT_EQ(invalid.outcome.result, verdict::failed);
    EXPECT_EQ(invalid.outcome.status, 500u);
    EXPECT_EQ(invalid.outcome.detail, failed_connect_outcome().detail);
    EXPECT_EQ(invalid.failure.rfind("answered an invalid body: ", 0), 0u);
    EXPECT_FALSE(invalid.outcome.connection_state);
}

} // namespace
} // namespace hubcast::upstream

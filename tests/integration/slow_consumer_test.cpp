// Slow consumers (design 4): outbound queues are bounded, and a member that stops reading is cut
// off without holding up the rest of its group.

#include <chrono>
#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "support/deadline.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

// A member that stops reading must not hold up the others: they get every message, in order,
// while the server bounds what it keeps for the slow one and closes it as a slow consumer
// (--max-outbound-bytes). What the slow one did get is an in-order prefix; if it gets a close
// frame at all, the code is 1008 (spec 5.7: no recovery after a SlowClient close).
TEST(SlowConsumer, DoesNotHoldUpTheRestAndIsClosed) {
    hubcast_process server({.args = {"--max-message-bytes", "65536", "--max-outbound-bytes", "262144"}});
    pubsub_client slow = pubsub_client::connect(server, {.user = "slow", .groups = {"flood"}});
    pubsub_client fast = pubsub_client::connect(server, {.user = "fast", .groups = {"flood"}});
    pubsub_client sender =
        pubsub_client::connect(server, {.user = "sender", .roles = {"webpubsub.sendToGroup"}});

    // 12 MiB in all: more than the kernel buffers on both sides of the slow client (a few MiB on
    // loopback; it never reads, so its receive window stays small) plus the 256 KiB queue bound.
    constexpr int count = 3000;
    const std::string filler(4096, 'f');
    for (int i = 0; i < count; ++i) {
        ASSERT_TRUE(sender.send_text("flood", std::to_string(i) + ":" + filler));
        boost::json::object message = fast.expect_group_message("flood");
        ASSERT_EQ(string_at(message, "data"), std::to_string(i) + ":" + filler)
            << "fast member, message " << i;
    }

    int next = 0;
    const deadline limit(20s);
    while (true) {
        receive_result result = slow.ws().receive_message(limit);
        if (result.status == receive_result::kind::closed) {
            break; // aborted: allowed for a client whose queue is full
        }
        ASSERT_TRUE(result) << "slow member after " << next << " messages: " << result.describe();
        if (result.frame.opcode == ws_op::close) {
            EXPECT_EQ(result.frame.close_code(), 1008) << result.frame.describe();
            slow.ws().send_close(result.frame.close_code());
            EXPECT_TRUE(slow.ws().wait_tcp_closed(limit)) << "no TCP close after the close frame";
            break;
        }
        boost::json::value value = boost::json::parse(result.frame.payload);
        const auto& object = value.as_object();
        if (has_string(object, "type", "system")) {
            EXPECT_TRUE(has_string(object, "event", "disconnected")) << result.frame.describe();
            continue;
        }
        ASSERT_EQ(string_at(object, "data"), std::to_string(next) + ":" + filler)
            << "slow member, message " << next;
        ++next;
    }
    EXPECT_LT(next, count) << "the slow member was never cut off";
}

} // namespace
} // namespace hubcast::test

// Per-hub settings at the client endpoint (server spec 6): anonymous connect and the hub's own
// keep-alive interval. The connect event itself is covered against a real app server by the
// integration and SDK suites.

#include <boost/url/parse.hpp>
#include <gtest/gtest.h>

#include "api/client_endpoint.hpp"
#include "auth/client_token.hpp"
#include "util/clock.hpp"

namespace hubcast::api {
namespace {

constexpr const char* host = "127.0.0.1:8080";

class ClientEndpointHubs : public ::testing::Test {
protected:
    ClientEndpointHubs() : router_(1), endpoint_(router_, auth::access_keys{{"key-one"}}, metrics_) {
        router_.shard_at(0).bind_to_current_thread();
        core::hub_settings_table table;
        table.named["open"].anonymous_connect = true;
        table.named["open"].keepalive_seconds = 7;
        hubs_.replace(std::move(table));
        endpoint_.set_hub_settings(hubs_, nullptr);
    }
    ~ClientEndpointHubs() override { core::shard::unbind_current_thread(); }

    upgrade_decision admit(const std::string& target) {
        protocol::http_request request;
        request.method = "GET";
        request.target = target;
        request.websocket_upgrade = true;
        request.headers.emplace_back("Host", host);
        auto parsed = boost::urls::parse_origin_form(request.target);
        EXPECT_TRUE(parsed);
        return endpoint_.admit(request, *parsed);
    }

    static std::string token(const std::string& hub) {
        return auth::mint_client_token({.endpoint = std::string("http://") + host,
                                        .hub = hub,
                                        .user_id = "alice",
                                        .now = util::unix_seconds()},
                                       auth::access_keys{{"key-one"}});
    }

    static unsigned status_of(const upgrade_decision& decision) {
        const auto* response = std::get_if<protocol::http_response>(&decision);
        return response == nullptr ? 101 : response->status;
    }

    core::router router_;
    metrics metrics_;
    core::live_hub_settings hubs_;
    client_endpoint endpoint_;
};

TEST_F(ClientEndpointHubs, AnonymousConnectAdmitsAClientWithoutATokenAndWithoutAUser) {
    auto decision = admit("/client/hubs/open");
    ASSERT_EQ(status_of(decision), 101u);
    const auto& admission = std::get<client_admission>(decision);
    EXPECT_FALSE(admission.user_id);
    EXPECT_TRUE(admission.roles.empty());
    EXPECT_FALSE(admission.connect_event) << "no event sink: nothing to ask";
}

TEST_F(ClientEndpointHubs, AnonymousConnectIsPerHubAndAPresentTokenMustStillBeValid) {
    EXPECT_EQ(status_of(admit("/client/hubs/closed")), 401u);
    EXPECT_EQ(status_of(admit("/client/hubs/open?access_token=garbage")), 401u);
    auto decision = admit("/client/hubs/OPEN?access_token=" + token("open"));
    ASSERT_EQ(status_of(decision), 101u) << "hub names in settings compare case-insensitively";
    EXPECT_EQ(std::get<client_admission>(decision).user_id, "alice");
}

TEST_F(ClientEndpointHubs, TheHubsKeepAliveIntervalRidesOnTheAdmission) {
    auto open = admit("/client/hubs/open");
    ASSERT_EQ(status_of(open), 101u);
    EXPECT_EQ(std::get<client_admission>(open).keepalive_seconds, 7);
    auto other = admit("/client/hubs/other?access_token=" + token("other"));
    ASSERT_EQ(status_of(other), 101u);
    EXPECT_FALSE(std::get<client_admission>(other).keepalive_seconds) << "the server-wide interval applies";
}

TEST_F(ClientEndpointHubs, CompleteWithoutAConnectHandlerAnswersAtOnceWithTheAdmission) {
    auto decision = admit("/client/hubs/open");
    ASSERT_EQ(status_of(decision), 101u);
    std::optional<upgrade_decision> completed;
    endpoint_.complete(std::get<client_admission>(std::move(decision)), 0,
                       [&](upgrade_decision d) { completed = std::move(d); });
    ASSERT_TRUE(completed) << "inline: nobody to ask";
    EXPECT_EQ(status_of(*completed), 101u);
}

} // namespace
} // namespace hubcast::api

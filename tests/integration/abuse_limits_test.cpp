// Abuse limits (docs/configuration.md, "Abuse limits"): per-user and per-token connection counts
// refused with 429 at the upgrade, a per-address handshake rate refused with 429 and Retry-After,
// a maximum connection lifetime and per-connection inbound limits closing with 1008 after a
// `disconnected` message. Each limit is off unless configured.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/deadline.hpp"
#include "support/hubcast_process.hpp"
#include "support/metrics.hpp"
#include "support/pubsub_client.hpp"
#include "support/tokens.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

std::string token_for(const hubcast_process& server, const std::string& user,
                      std::vector<std::string> roles = {}) {
    return mint_token(server.port(), server.access_key(),
                      token_request{.hub = "chat", .user = user, .roles = std::move(roles), .groups = {}});
}

/// Upgrades with `token` speaking the JSON subprotocol; the answer's status.
http_response upgrade(const hubcast_process& server, ws_client& ws, const std::string& token) {
    return ws.connect(server.port(), client_path("chat", token), {}, {std::string(json_subprotocol)});
}

TEST(AbuseLimits, UserPastItsConnectionLimitIsRefusedWith429) {
    hubcast_process server({.args = {"--max-connections-per-user", "2"}});
    pubsub_client first = pubsub_client::connect(server, {.user = "alice"});
    pubsub_client second = pubsub_client::connect(server, {.user = "alice"});
    ws_client third;
    const auto refused = upgrade(server, third, token_for(server, "alice", {"third"}));
    EXPECT_EQ(refused.status, 429) << refused.describe();
    pubsub_client bob = pubsub_client::connect(server, {.user = "bob"}); // another user is not affected
    EXPECT_EQ(read_metric(server.port(), "hubcast_connections_refused_per_user_total"), 1);

    // A connection that ends returns its slot (the server frees it when it has seen the close,
    // which the client cannot observe directly: polled, with a deadline).
    first.ws().send_close(1000);
    first.ws().expect_close();
    std::vector<ws_client> attempts;
    EXPECT_TRUE(wait_until(
        [&] {
            attempts.emplace_back();
            const int status = upgrade(server, attempts.back(), token_for(server, "alice")).status;
            EXPECT_TRUE(status == 101 || status == 429) << status;
            return status == 101;
        },
        default_wait))
        << "the slot of the closed connection was never returned";
}

TEST(AbuseLimits, TokenPastItsConnectionLimitIsRefusedWith429) {
    hubcast_process server({.args = {"--max-connections-per-token", "1"}});
    const std::string token = token_for(server, "alice");
    ws_client first;
    ASSERT_EQ(upgrade(server, first, token).status, 101);
    ws_client reused;
    const auto refused = upgrade(server, reused, token);
    EXPECT_EQ(refused.status, 429) << refused.describe();
    // The same user with another token (here: another role) is a different token.
    ws_client other;
    EXPECT_EQ(upgrade(server, other, token_for(server, "alice", {"webpubsub.joinLeaveGroup"})).status, 101);
    EXPECT_EQ(read_metric(server.port(), "hubcast_connections_refused_per_token_total"), 1);
}

TEST(AbuseLimits, ConnectionLimitsAreOffByDefault) {
    hubcast_process server;
    const std::string token = token_for(server, "alice");
    std::vector<ws_client> clients(25); // past Azure's default maxCount of 20 for its rules
    for (auto& client : clients) {
        ASSERT_EQ(upgrade(server, client, token).status, 101);
    }
}

TEST(AbuseLimits, HandshakesPastThePerAddressRateGet429WithRetryAfter) {
    hubcast_process server(
        {.args = {"--handshakes-per-ip-per-second", "1", "--handshake-burst-per-ip", "2"}});
    const std::string token = token_for(server, "alice");
    std::vector<ws_client> clients(12);
    ASSERT_EQ(upgrade(server, clients[0], token).status, 101);
    ASSERT_EQ(upgrade(server, clients[1], token).status, 101);
    // The burst is spent; at one token a second, upgrades in a row soon find the bucket empty
    // (at once on an idle machine; the loop only keeps a slow one from failing the test).
    std::optional<http_response> refused;
    for (std::size_t i = 2; i < clients.size() && !refused; ++i) {
        auto response = upgrade(server, clients[i], token);
        ASSERT_TRUE(response.status == 101 || response.status == 429) << response.describe();
        if (response.status == 429) {
            refused = std::move(response);
        }
    }
    ASSERT_TRUE(refused) << "ten upgrades in a row were never refused";
    const auto retry_after = refused->header("Retry-After");
    ASSERT_TRUE(retry_after) << refused->describe();
    EXPECT_EQ(*retry_after, "1") << "a token comes back within a second";
    EXPECT_EQ(read_metric(server.port(), "hubcast_handshakes_throttled_total"), 1);
}

TEST(AbuseLimits, PubSubClientIsToldAndClosedAtItsMaximumLifetime) {
    hubcast_process server({.args = {"--max-connection-lifetime-seconds", "1"}});
    const auto start = test_clock::now();
    pubsub_client client = pubsub_client::connect(server, {.user = "alice"});
    const auto disconnected = client.expect_disconnected_then_close(1008, 10s);
    EXPECT_EQ(string_at(disconnected, "message"), "The connection reached its maximum lifetime.");
    EXPECT_GE(test_clock::now() - start, 1s) << "closed before its lifetime";
    EXPECT_EQ(read_metric(server.port(), "hubcast_lifetime_closes_total"), 1);
}

TEST(AbuseLimits, SimpleClientIsClosedAtItsMaximumLifetime) {
    hubcast_process server({.args = {"--max-connection-lifetime-seconds", "1"}});
    ws_client simple;
    ASSERT_EQ(simple.connect(server.port(), client_path("chat", token_for(server, "alice"))).status, 101);
    const auto closed = simple.expect_close(10s);
    EXPECT_EQ(closed.code, 1008);
    EXPECT_EQ(closed.reason, "The connection reached its maximum lifetime.");
}

TEST(AbuseLimits, MessagePastTheInboundMessageLimitClosesTheConnection) {
    hubcast_process server(
        {.args = {"--max-inbound-messages-per-window", "3", "--inbound-window-seconds", "3600"}});
    pubsub_client client =
        pubsub_client::connect(server, {.user = "alice", .roles = {"webpubsub.joinLeaveGroup"}});
    for (std::uint64_t id = 1; id <= 3; ++id) {
        client.join("g", id);
        client.expect_ack(id);
    }
    client.join("g", 4); // the fourth is not acted on: no ack, the connection ends
    const auto disconnected = client.expect_disconnected_then_close(1008);
    EXPECT_EQ(string_at(disconnected, "message"), "The connection sent too many messages.");
    EXPECT_EQ(read_metric(server.port(), "hubcast_inbound_limit_closes_total"), 1);
}

TEST(AbuseLimits, MessagesPastTheInboundByteLimitCloseTheConnection) {
    hubcast_process server({.args = {"--max-inbound-bytes-per-window", "100"}});
    pubsub_client client = pubsub_client::connect(server, {.user = "alice"});
    client.ws().send_json(ping_message); // 15 bytes
    EXPECT_TRUE(has_string(client.ws().expect_json(), "type", "pong"));
    client.ws().send_json(R"({"type":"ping","padding":")" + std::string(80, 'x') + R"("})");
    const auto disconnected = client.expect_disconnected_then_close(1008);
    EXPECT_EQ(string_at(disconnected, "message"), "The connection sent too many bytes.");
}

TEST(AbuseLimits, PrintConfigShowsTheFirewallTable) {
    const auto result =
        run_hubcast({"--access-key", "k", "--max-connections-per-user", "7", "--print-config"});
    ASSERT_TRUE(result.status.success()) << result.standard_error;
    EXPECT_NE(result.standard_output.find("[firewall]"), std::string::npos) << result.standard_output;
    EXPECT_NE(result.standard_output.find("max_connections_per_user = 7"), std::string::npos)
        << result.standard_output;
    EXPECT_NE(result.standard_output.find("max_connection_lifetime_seconds = 0"), std::string::npos)
        << result.standard_output;
}

TEST(AbuseLimits, OutOfRangeSettingStopsTheServerNamingIt) {
    const auto result =
        run_hubcast({"--access-key", "k", "--listen", "127.0.0.1:0", "--inbound-window-seconds", "0"});
    EXPECT_EQ(result.status.code, 2);
    EXPECT_NE(result.standard_error.find("inbound_window_seconds"), std::string::npos)
        << result.standard_error;
}

} // namespace
} // namespace hubcast::test

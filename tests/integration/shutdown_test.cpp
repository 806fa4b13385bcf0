// Shutdown on SIGTERM: every client is told and closed, then the process exits cleanly.

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/deadline.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

// SIGTERM: every JSON client gets `disconnected` then close 1001 (going away, so reliable clients
// may recover elsewhere), simple clients get close 1001, and the process exits 0 within 5 s.
TEST(Shutdown, SigtermClosesEveryClientWith1001AndExitsZero) {
    hubcast_process server;
    std::vector<pubsub_client> json_clients;
    for (int i = 0; i < 3; ++i) {
        json_clients.push_back(
            pubsub_client::connect(server, {.user = "user" + std::to_string(i), .groups = {"g"}}));
    }
    ws_client simple = open_websocket(server, {.user = "simple", .groups = {"g"}, .subprotocols = {}});

    const deadline exit_limit(5s);
    server.send_signal(SIGTERM);
    for (auto& client : json_clients) {
        client.expect_disconnected_then_close(1001, exit_limit);
    }
    close_info closed = simple.expect_close(exit_limit);
    EXPECT_EQ(closed.code, 1001) << closed.reason;
    std::optional<exit_status> status = server.wait_exit(exit_limit);
    ASSERT_TRUE(status.has_value()) << "still running 5 s after SIGTERM. Output:\n" << server.output();
    EXPECT_TRUE(status->success()) << status->describe() << "\n" << server.output();
}

TEST(Shutdown, SigtermWithoutClientsExitsZero) {
    hubcast_process server;
    std::optional<exit_status> status = server.terminate(5s);
    ASSERT_TRUE(status.has_value()) << "still running 5 s after SIGTERM. Output:\n" << server.output();
    EXPECT_TRUE(status->success()) << status->describe() << "\n" << server.output();
}

} // namespace
} // namespace hubcast::test

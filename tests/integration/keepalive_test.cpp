// Keep-alive (spec 8): with --keepalive-seconds the server pings every interval and closes a client
// it has heard nothing from for about three intervals; a client that answers stays.

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "support/deadline.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

TEST(KeepAlive, SilentClientIsClosedAfterAboutThreeIntervals) {
    hubcast_process server({.args = {"--keepalive-seconds", "1"}});
    const auto start = test_clock::now();
    pubsub_client silent = pubsub_client::connect(server, {.user = "silent", .pings = ping_mode::ignore});
    silent.expect_disconnected_then_close(1008, 10s);
    const auto elapsed = test_clock::now() - start;
    EXPECT_GE(silent.ws().pings_received(), 1u) << "closed without ever pinging";
    EXPECT_GE(elapsed, 2s) << "closed too early: "
                           << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
    EXPECT_LE(elapsed, 6s) << "closed too late: "
                           << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
}

TEST(KeepAlive, ClientAnsweringPingsStays) {
    hubcast_process server({.args = {"--keepalive-seconds", "1"}});
    pubsub_client lively = pubsub_client::connect(server, {.user = "lively", .pings = ping_mode::answer});
    lively.ws().expect_no_message(4500ms); // answers each ping while waiting
    EXPECT_GE(lively.ws().pings_received(), 3u);
    lively.ws().send_json(ping_message);
    EXPECT_TRUE(has_string(lively.ws().expect_json(), "type", "pong"));
}

TEST(KeepAlive, PingsCarryNoMoreThan125Bytes) {
    hubcast_process server({.args = {"--keepalive-seconds", "1"}});
    pubsub_client watcher = pubsub_client::connect(server, {.user = "watcher", .pings = ping_mode::deliver});
    ws_frame ping = watcher.ws().expect_message(3s); // receive() already rejects malformed control frames
    EXPECT_EQ(ping.opcode, ws_op::ping) << ping.describe();
    watcher.ws().send_pong(ping.payload);
}

} // namespace
} // namespace hubcast::test

// The life of connections and of the process: the first and last messages, closes the server
// starts, keep-alive, shutdown on SIGTERM, several workers.

#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "support/deadline.hpp"
#include "support/echo_client.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/server_test.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t one_mib = 1024 * 1024;

constexpr std::string_view request_head = R"({"type":"sendToGroup","group":"big","dataType":"text","data":")";
constexpr std::string_view request_tail = R"("})";

/// The data length of request_of_size(size).
std::size_t data_size(std::size_t size) {
    return size - request_head.size() - request_tail.size();
}

/// A sendToGroup request of exactly `size` bytes.
std::string request_of_size(std::size_t size) {
    return std::string(request_head) + std::string(data_size(size), 'x') + std::string(request_tail);
}

// `connected` is the first message even when the connection joins, by its token, a group that is
// busy at that moment (spec 4.4).
TEST(Lifecycle, ConnectedComesFirstEvenIntoABusyGroup) {
    hubcast_process server;
    pubsub_client sender =
        pubsub_client::connect(server, {.user = "sender", .roles = {"webpubsub.sendToGroup"}, .groups = {}});
    std::vector<pubsub_client> joiners;
    for (int round = 0; round < 10; ++round) {
        for (int i = 0; i < 20; ++i) {
            sender.send_text("busy", "traffic");
        }
        // connect() fails unless the first message is system/connected.
        joiners.push_back(pubsub_client::connect(server, {.user = "joiner", .groups = {"busy"}}));
    }
}

// ---- Closes the server starts: `disconnected` first, then the close (spec 5.7) ----

struct server_close_case {
    std::string name;
    std::uint16_t code;
    /// Sends whatever makes the server close.
    void (*provoke)(ws_client&);
};

void PrintTo(const server_close_case& value, std::ostream* out) {
    *out << value.name;
}

class ServerClose : public server_test, public ::testing::WithParamInterface<server_close_case> {};

TEST_P(ServerClose, SendsDisconnectedBeforeTheClose) {
    pubsub_client client = connect({.user = "closing", .roles = {"webpubsub.sendToGroup"}});
    GetParam().provoke(client.ws());
    client.expect_disconnected_then_close(GetParam().code);
}

INSTANTIATE_TEST_SUITE_P(
    Causes, ServerClose,
    ::testing::Values(server_close_case{"InvalidJson", 1007,
                                        [](ws_client& ws) {
                                            ws.send_json("{not json");
                                        }},
                      server_close_case{"MessageOver1MiB", 1009,
                                        [](ws_client& ws) {
                                            ws.send_json(request_of_size(one_mib + 1));
                                        }},
                      server_close_case{"FragmentsOver1MiB", 1009,
                                        [](ws_client& ws) {
                                            std::string request = request_of_size(one_mib + 1);
                                            ws.send_fragmented(ws_op::text, {request.substr(0, one_mib / 2),
                                                                             request.substr(one_mib / 2)});
                                        }},
                      server_close_case{"UnmaskedFrame", 1002,
                                        [](ws_client& ws) {
                                            frame_spec frame;
                                            frame.payload = R"({"type":"ping"})";
                                            frame.masked = false;
                                            ws.send_frame(frame);
                                        }},
                      server_close_case{"ReservedOpcode", 1002,
                                        [](ws_client& ws) {
                                            ws.send_frame(0x3, "x");
                                        }}),
    [](const auto& info) { return info.param.name; });

// A message of exactly 1 MiB is within the limit (spec 8: larger than 1 MiB is refused).
TEST(Lifecycle, MessageOfExactly1MiBIsAccepted) {
    hubcast_process server;
    pubsub_client client = pubsub_client::connect(
        server, {.user = "big", .roles = {"webpubsub.sendToGroup"}, .groups = {"big"}});
    std::string request = request_of_size(one_mib);
    ASSERT_EQ(request.size(), one_mib);
    ASSERT_TRUE(client.ws().send_json(request));
    boost::json::object message = client.expect_group_message("big");
    EXPECT_EQ(string_at(message, "data"), std::string(data_size(one_mib), 'x'));
}

// --max-message-bytes moves the limit.
TEST(Lifecycle, MaxMessageBytesIsHonoured) {
    hubcast_process server({.args = {"--max-message-bytes", "1024"}});
    pubsub_client client = pubsub_client::connect(
        server, {.user = "small", .roles = {"webpubsub.sendToGroup"}, .groups = {"big"}});
    client.ws().send_json(request_of_size(1024));
    EXPECT_EQ(string_at(client.expect_group_message("big"), "data"), std::string(data_size(1024), 'x'));
    client.ws().send_json(request_of_size(1025));
    expect_closed_with(client.ws(), 1009); // whether `disconnected` comes first is ServerClose's test
}

// ---- Keep-alive (spec 8): pings every interval; a client silent for ~3 intervals is closed ----

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

// ---- Slow consumers (design 4: bounded outbound queues) ----

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

// ---- Shutdown ----

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

// ---- Workers ----

// With two workers, clients spread over both (SO_REUSEPORT hashing; 40 connections all on one
// worker has probability 2^-39): a group send from any client reaches every member exactly once,
// in order.
TEST(Workers, GroupSendReachesEveryMemberOnEveryWorkerExactlyOnce) {
    hubcast_process server({.args = {"--workers", "2"}});
    constexpr int members = 40;
    std::vector<pubsub_client> clients;
    for (int i = 0; i < members; ++i) {
        clients.push_back(pubsub_client::connect(
            server,
            {.user = "member" + std::to_string(i), .roles = {"webpubsub.sendToGroup"}, .groups = {"all"}}));
    }
    // Each sender's messages keep their order, so "end N" closes everything N sent; messages of
    // different senders may interleave in any order.
    const std::vector<int> senders{0, 13, 27, 39};
    for (int sender : senders) {
        clients[sender].send_text("all", "from " + std::to_string(sender));
        clients[sender].send_text("all", "end " + std::to_string(sender));
    }
    for (int i = 0; i < members; ++i) {
        std::map<std::string, int> seen;
        std::size_t ends = 0;
        while (ends < senders.size()) {
            std::string data = string_at(clients[i].expect_group_message("all"), "data");
            ends += data.rfind("end ", 0) == 0 ? 1 : 0;
            ++seen[data];
        }
        for (int sender : senders) {
            EXPECT_EQ(seen["from " + std::to_string(sender)], 1) << "member " << i << ", sender " << sender;
            EXPECT_EQ(seen["end " + std::to_string(sender)], 1) << "member " << i << ", sender " << sender;
        }
        EXPECT_EQ(seen.size(), senders.size() * 2) << "member " << i << " got unexpected messages";
    }
    for (int i = 0; i < members; ++i) {
        clients[i].ws().expect_no_message(50ms);
    }
}

} // namespace
} // namespace hubcast::test

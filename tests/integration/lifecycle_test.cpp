// The life of one connection: its first message, the closes the server starts (each after
// `disconnected`), and the message size limit that is one of their causes.

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

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

// Closes the server starts: `disconnected` first, then the close (spec 5.7).
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

} // namespace
} // namespace hubcast::test

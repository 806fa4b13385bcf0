// Autobahn|Testsuite section 1 (framing): text and binary messages of every length class (7-bit,
// 16-bit and 64-bit length fields, and their boundaries), in both directions, and frames that
// arrive in pieces.

#include <array>
#include <cstddef>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "support/conformance_test.hpp"
#include "support/encoding.hpp"
#include "support/pubsub_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

class Framing : public conformance_test {};

// Client → server: a request frame of exactly `size` bytes, text or binary (spec 4.1 accepts JSON in
// binary frames), comes back intact.
class ClientFrameLength : public conformance_test,
                          public ::testing::WithParamInterface<std::tuple<std::uint8_t, std::size_t>> {};

TEST_P(ClientFrameLength, IsReceivedIntact) {
    const auto [opcode, size] = GetParam();
    echo_client echo = connect_echo();
    ASSERT_TRUE(echo.ws().send_frame(opcode, echo.request_of_size(size)));
    echo.expect_echo(echo.data_of_size(size));
}

INSTANTIATE_TEST_SUITE_P(Sizes, ClientFrameLength,
                         ::testing::Combine(::testing::Values(ws_op::text, ws_op::binary),
                                            ::testing::Values(125, 126, 127, 128, 1000, 65535, 65536, 65537,
                                                              131072)),
                         [](const auto& info) {
                             return opcode_name(std::get<0>(info.param)) +
                                    std::to_string(std::get<1>(info.param));
                         });

// Server → client: a simple client in the group gets the data itself, so the server's frames have
// exactly these payload lengths.
class ServerFrameLength : public conformance_test,
                          public ::testing::WithParamInterface<std::tuple<std::uint8_t, std::size_t>> {};

TEST_P(ServerFrameLength, IsSentIntact) {
    const auto [opcode, size] = GetParam();
    const std::string group = unique_group();
    ws_client simple = open_websocket(server(), {.user = "simple", .groups = {group}, .subprotocols = {}});
    pubsub_client sender = connect({.user = "sender", .roles = {"webpubsub.sendToGroup"}});
    std::string payload;
    for (std::size_t i = 0; i < size; ++i) {
        payload += opcode == ws_op::text ? static_cast<char>('a' + i % 26) : static_cast<char>(i * 7 % 256);
    }
    if (opcode == ws_op::text) {
        sender.send(group, "text", boost::json::string(payload));
    } else {
        sender.send(group, "binary", boost::json::string(base64_encode(payload)));
    }
    ws_frame frame = simple.expect_message();
    EXPECT_EQ(frame.opcode, opcode) << frame.describe();
    EXPECT_EQ(frame.payload.size(), size);
    EXPECT_TRUE(frame.payload == payload) << "payload differs";
}

INSTANTIATE_TEST_SUITE_P(Sizes, ServerFrameLength,
                         ::testing::Combine(::testing::Values(ws_op::text, ws_op::binary),
                                            ::testing::Values(0, 1, 125, 126, 127, 128, 65535, 65536, 65537)),
                         [](const auto& info) {
                             return opcode_name(std::get<0>(info.param)) +
                                    std::to_string(std::get<1>(info.param));
                         });

// A frame written in pieces of `chop` bytes (Autobahn 1.1.7/1.1.8 "payload in chops") is
// assembled.
class ChoppedFrame : public conformance_test, public ::testing::WithParamInterface<std::size_t> {};

TEST_P(ChoppedFrame, IsAssembled) {
    echo_client echo = connect_echo();
    frame_spec frame;
    frame.payload = echo.request_of_size(1000);
    const std::string bytes = encode_client_frame(frame);
    for (std::size_t at = 0; at < bytes.size(); at += GetParam()) {
        ASSERT_TRUE(echo.ws().send_raw(std::string_view(bytes).substr(at, GetParam())));
    }
    echo.expect_echo(echo.data_of_size(1000));
}

INSTANTIATE_TEST_SUITE_P(Chops, ChoppedFrame, ::testing::Values(1, 2, 3, 7, 64, 997));

// Several frames in one TCP write are each handled, in order.
TEST_F(Framing, SeveralFramesInOneWrite) {
    echo_client echo = connect_echo();
    std::string bytes;
    for (int i = 0; i < 5; ++i) {
        frame_spec frame;
        frame.payload = echo.request("message-" + std::to_string(i));
        bytes += encode_client_frame(frame);
    }
    ASSERT_TRUE(echo.ws().send_raw(bytes));
    for (int i = 0; i < 5; ++i) {
        echo.expect_echo("message-" + std::to_string(i));
    }
}

// Empty text and binary messages are valid WebSocket messages (Autobahn 1.1.1, 1.2.1); a simple
// client sends them without harm.
TEST_F(Framing, EmptyMessagesFromASimpleClient) {
    any_client simple = connect_any(client_kind::simple);
    ASSERT_TRUE(simple.ws().send_text(""));
    ASSERT_TRUE(simple.ws().send_binary(""));
    simple.round_trip("");
}

// A frame whose 16-bit or 64-bit length field holds a length the shorter form could carry breaks
// RFC 6455's "minimal number of bytes" rule; either refusing it (1002) or reading it is
// acceptable, but the server must not misread the payload.
TEST_F(Framing, NonMinimalLengthIsRefusedOrReadCorrectly) {
    echo_client echo = connect_echo();
    const std::string payload = echo.request("non-minimal");
    std::string bytes;
    bytes += static_cast<char>(0x81);
    bytes += static_cast<char>(0x80 | 126);
    bytes += static_cast<char>(0);
    bytes += static_cast<char>(payload.size());
    const std::array<std::uint8_t, 4> key{1, 2, 3, 4};
    for (auto k : key) {
        bytes += static_cast<char>(k);
    }
    for (std::size_t i = 0; i < payload.size(); ++i) {
        bytes += static_cast<char>(payload[i] ^ key[i % 4]);
    }
    ASSERT_TRUE(echo.ws().send_raw(bytes));
    receive_result result = echo.ws().receive_message(default_wait);
    ASSERT_TRUE(result) << result.describe();
    const bool refused = result.frame.opcode == ws_op::close ||
                         result.frame.payload.find(R"("disconnected")") != std::string::npos;
    if (refused) {
        if (result.frame.opcode != ws_op::close) {
            result = echo.ws().receive_message(default_wait);
        }
        EXPECT_EQ(result.frame.close_code(), 1002) << result.describe();
        return;
    }
    EXPECT_NE(result.frame.payload.find("non-minimal"), std::string::npos) << result.frame.describe();
}

// RFC 6455 5.1: a server must close the connection on a frame that is not masked, data or
// control, even a valid message otherwise.
struct unmasked_case {
    std::string name;
    std::uint8_t opcode;
};

void PrintTo(const unmasked_case& value, std::ostream* out) {
    *out << value.name;
}

class UnmaskedFrame : public conformance_test,
                      public ::testing::WithParamInterface<std::tuple<client_kind, unmasked_case>> {};

TEST_P(UnmaskedFrame, IsAProtocolError) {
    const auto& [kind, frame_case] = GetParam();
    any_client client = connect_any(kind);
    client.round_trip("masked first");
    frame_spec frame;
    frame.opcode = frame_case.opcode;
    frame.payload = frame_case.opcode == ws_op::close ? close_payload(1000) : client.message("unmasked");
    if (frame_case.opcode == ws_op::ping) {
        frame.payload = "unmasked ping";
    }
    frame.masked = false;
    client.ws().send_frame(frame);
    client.expect_closed_with(1002);
}

INSTANTIATE_TEST_SUITE_P(Frames, UnmaskedFrame,
                         ::testing::Combine(::testing::Values(client_kind::simple, client_kind::json),
                                            ::testing::Values(unmasked_case{"Text", ws_op::text},
                                                              unmasked_case{"Binary", ws_op::binary},
                                                              unmasked_case{"Ping", ws_op::ping},
                                                              unmasked_case{"Close", ws_op::close})),
                         [](const auto& info) {
                             return to_string(std::get<0>(info.param)) + "_" + std::get<1>(info.param).name;
                         });

} // namespace
} // namespace hubcast::test

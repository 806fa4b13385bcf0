// Autobahn|Testsuite section 9 (limits and performance), scaled to hubcast's 1 MiB message limit
// (spec 8): big messages up to the limit arrive intact, single-frame or fragmented; one byte more
// closes with 1009, without the server waiting for data it will refuse; bursts of small messages
// are all delivered in order.

#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/conformance_test.hpp"
#include "support/encoding.hpp"
#include "support/pubsub_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kib = 1024;
constexpr std::size_t mib = 1024 * kib;
constexpr auto big_wait = 20s;

class Limits : public conformance_test {};

using size_param = std::tuple<std::uint8_t /*opcode*/, std::size_t /*message size*/>;

class BigMessage : public conformance_test, public ::testing::WithParamInterface<size_param> {};

TEST_P(BigMessage, IsDeliveredIntact) {
    const auto [opcode, size] = GetParam();
    echo_client echo = connect_echo();
    ASSERT_TRUE(
        echo.ws().send_frame(frame_spec{.opcode = opcode, .payload = echo.request_of_size(size)}, big_wait));
    echo.expect_echo(echo.data_of_size(size), big_wait);
}

INSTANTIATE_TEST_SUITE_P(Sizes, BigMessage,
                         ::testing::Combine(::testing::Values(ws_op::text, ws_op::binary),
                                            ::testing::Values(64 * kib, 256 * kib, mib - 1, mib)),
                         [](const auto& info) {
                             return opcode_name(std::get<0>(info.param)) +
                                    std::to_string(std::get<1>(info.param));
                         });

class BigFragmentedMessage : public conformance_test, public ::testing::WithParamInterface<std::size_t> {};

TEST_P(BigFragmentedMessage, OfExactly1MiBIsDeliveredIntact) {
    echo_client echo = connect_echo();
    const std::string request = echo.request_of_size(mib);
    std::vector<std::string> pieces;
    for (std::size_t at = 0; at < request.size(); at += GetParam()) {
        pieces.push_back(request.substr(at, GetParam()));
    }
    ASSERT_TRUE(echo.ws().send_fragmented(ws_op::text, pieces));
    echo.expect_echo(echo.data_of_size(mib), big_wait);
}

INSTANTIATE_TEST_SUITE_P(FragmentSizes, BigFragmentedMessage,
                         ::testing::Values(256, 4 * kib, 64 * kib, 512 * kib));

// Over the limit: the same answer for both client kinds.
class OverLimit : public each_kind {};

TEST_P(OverLimit, OneFrameClosesWith1009) {
    any_client client = connect_client();
    std::string message = client.message(std::string(mib, 'x'));
    message.resize(mib + 1, 'x'); // for JSON it no longer parses, but the size is judged first
    client.ws().send_text(message);
    client.expect_closed_with(1009, big_wait);
}

TEST_P(OverLimit, FragmentsAddingUpToOneByteTooMuchCloseWith1009) {
    any_client client = connect_client();
    const std::string first(mib / 2, 'x');
    const std::string second(mib / 2, 'y');
    ASSERT_TRUE(client.ws().send_frame(ws_op::text, first, false));
    client.ws().send_frame(ws_op::continuation, second, false);
    client.ws().send_frame(ws_op::continuation, "z", true);
    client.expect_closed_with(1009, big_wait);
}

// The frame header alone announces too much: the server answers without waiting for a payload
// that never comes.
TEST_P(OverLimit, AnnouncedLengthAloneClosesWith1009) {
    any_client client = connect_client();
    std::string header;
    header += static_cast<char>(0x82);
    header += static_cast<char>(0x80 | 127);
    const std::uint64_t length = std::uint64_t{1} << 40;
    for (int shift = 56; shift >= 0; shift -= 8) {
        header += static_cast<char>((length >> shift) & 0xFF);
    }
    header += std::string("\x01\x02\x03\x04", 4);
    ASSERT_TRUE(client.ws().send_raw(header));
    client.expect_closed_with(1009);
}

// RFC 6455 5.2: the most significant bit of a 64-bit length must be 0.
TEST_P(OverLimit, LengthWithTheTopBitSetIsAProtocolError) {
    any_client client = connect_client();
    std::string header;
    header += static_cast<char>(0x82);
    header += static_cast<char>(0x80 | 127);
    header += static_cast<char>(0x80);
    header += std::string(7, '\0');
    header += std::string("\x01\x02\x03\x04", 4);
    ASSERT_TRUE(client.ws().send_raw(header));
    client.expect_closed_with(1002);
}

INSTANTIATE_TEST_SUITE_P(Kinds, OverLimit, ::testing::Values(client_kind::simple, client_kind::json),
                         kind_name);

// Autobahn 9.7/9.8 in spirit: a burst of small messages in one write, all echoed in order.
TEST_F(Limits, BurstOfThousandSmallMessagesInOneWrite) {
    echo_client echo = connect_echo();
    std::string bytes;
    for (int i = 0; i < 1000; ++i) {
        frame_spec frame;
        frame.payload = echo.request(fmt::format("m{}", i));
        bytes += encode_client_frame(frame);
    }
    ASSERT_TRUE(echo.ws().send_raw(bytes, big_wait));
    for (int i = 0; i < 1000; ++i) {
        ASSERT_NO_THROW(echo.expect_echo(fmt::format("m{}", i), big_wait)) << "message " << i;
    }
}

// A big binary message reaches a simple client as one intact binary message.
TEST_F(Limits, BigBinaryMessageToASimpleClient) {
    const std::string group = unique_group();
    ws_client simple = open_websocket(server(), {.user = "simple", .groups = {group}, .subprotocols = {}});
    pubsub_client sender = connect({.user = "sender", .roles = {"webpubsub.sendToGroup"}});
    std::string payload(700 * kib, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<char>((i * 31 + i / 256) & 0xFF);
    }
    ASSERT_TRUE(sender.send(group, "binary", boost::json::string(base64_encode(payload))));
    ws_frame frame = simple.expect_message(big_wait);
    EXPECT_EQ(frame.opcode, ws_op::binary) << frame.describe();
    EXPECT_EQ(frame.payload.size(), payload.size());
    EXPECT_TRUE(frame.payload == payload) << "payload differs";
}

} // namespace
} // namespace hubcast::test

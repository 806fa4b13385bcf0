// Autobahn|Testsuite section 2 (pings and pongs): every ping is answered by a pong carrying the
// same payload, control payloads over 125 bytes are a protocol error, unsolicited pongs are
// ignored. For both client kinds.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/conformance_test.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

class PingPong : public each_kind {
protected:
    static void expect_pong(any_client& client, std::string_view payload) {
        ws_frame pong = client.ws().expect_message();
        EXPECT_EQ(pong.opcode, ws_op::pong) << pong.describe();
        EXPECT_TRUE(pong.payload == payload) << "pong payload differs: " << pong.describe();
    }
};

TEST_P(PingPong, PingWithoutPayload) {
    any_client client = connect_client();
    ASSERT_TRUE(client.ws().send_ping(""));
    expect_pong(client, "");
}

TEST_P(PingPong, PingWithTextPayload) {
    any_client client = connect_client();
    ASSERT_TRUE(client.ws().send_ping("Hello, world!"));
    expect_pong(client, "Hello, world!");
}

TEST_P(PingPong, PingWithBinaryPayload) {
    any_client client = connect_client();
    const std::string payload("\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 8);
    ASSERT_TRUE(client.ws().send_ping(payload));
    expect_pong(client, payload);
}

TEST_P(PingPong, PingWith125BytePayload) {
    any_client client = connect_client();
    const std::string payload(125, '\xfe');
    ASSERT_TRUE(client.ws().send_ping(payload));
    expect_pong(client, payload);
}

TEST_P(PingPong, PingWith126BytePayloadIsAProtocolError) {
    any_client client = connect_client();
    client.ws().send_ping(std::string(126, '\xfe'));
    client.expect_closed_with(1002);
}

TEST_P(PingPong, PongWith126BytePayloadIsAProtocolError) {
    any_client client = connect_client();
    client.ws().send_pong(std::string(126, 'x'));
    client.expect_closed_with(1002);
}

TEST_P(PingPong, PingWrittenOneByteAtATime) {
    any_client client = connect_client();
    frame_spec frame;
    frame.opcode = ws_op::ping;
    frame.payload = std::string(125, 'c');
    const std::string bytes = encode_client_frame(frame);
    for (char byte : bytes) {
        ASSERT_TRUE(client.ws().send_raw(std::string_view(&byte, 1)));
    }
    expect_pong(client, frame.payload);
}

TEST_P(PingPong, UnsolicitedPongsAreIgnored) {
    any_client client = connect_client();
    ASSERT_TRUE(client.ws().send_pong(""));
    ASSERT_TRUE(client.ws().send_pong("unsolicited pong payload"));
    // The round trip comes back with nothing before it: the pongs were taken and not answered.
    client.round_trip("after pongs");
}

TEST_P(PingPong, UnsolicitedPongThenPingGetsOnePong) {
    any_client client = connect_client();
    ASSERT_TRUE(client.ws().send_pong("unsolicited"));
    ASSERT_TRUE(client.ws().send_ping("solicited"));
    expect_pong(client, "solicited");
    client.round_trip("after the pong"); // nothing before it: one pong, not two
}

TEST_P(PingPong, TenPingsGetTenPongsInOrder) {
    any_client client = connect_client();
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(client.ws().send_ping("payload-" + std::to_string(i)));
    }
    for (int i = 0; i < 10; ++i) {
        expect_pong(client, "payload-" + std::to_string(i));
    }
}

TEST_P(PingPong, TenPingsInOneWriteGetTenPongs) {
    any_client client = connect_client();
    std::string bytes;
    for (int i = 0; i < 10; ++i) {
        frame_spec frame;
        frame.opcode = ws_op::ping;
        frame.payload = "burst-" + std::to_string(i);
        bytes += encode_client_frame(frame);
    }
    ASSERT_TRUE(client.ws().send_raw(bytes));
    for (int i = 0; i < 10; ++i) {
        expect_pong(client, "burst-" + std::to_string(i));
    }
}

INSTANTIATE_TEST_SUITE_P(Kinds, PingPong, ::testing::Values(client_kind::simple, client_kind::json),
                         kind_name);

} // namespace
} // namespace hubcast::test

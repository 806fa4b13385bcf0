#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/frame_parser.hpp"
#include "protocol/utf8.hpp"
#include "protocol/websocket_frame.hpp"

namespace hubcast::protocol {
namespace {

std::uint8_t byte_at(const std::string& s, std::size_t i) {
    return static_cast<std::uint8_t>(s.at(i));
}

// Parses a server frame back (server frames are unmasked) to check encode_* against our parser.
struct last_event : frame_handler {
    std::string kind;
    ws_opcode opcode = ws_opcode::continuation;
    std::uint16_t code = 0;
    std::string payload;

    void on_message(ws_opcode op, std::string_view p) override { set("message", p), opcode = op; }
    void on_ping(std::string_view p) override { set("ping", p); }
    void on_pong(std::string_view p) override { set("pong", p); }
    void on_close(std::uint16_t c, std::string_view reason) override { set("close", reason), code = c; }
    void on_protocol_error(std::uint16_t c, std::string_view reason) override {
        set("error", reason), code = c;
    }
    void set(const char* k, std::string_view p) {
        kind = k;
        payload.assign(p);
    }
};

last_event parse_server_frame(const std::string& frame) {
    frame_parser parser(frame_limits{.max_message_bytes = 1 << 20, .require_mask = false});
    last_event event;
    parser.feed(frame, event);
    return event;
}

TEST(EncodeFrame, SmallPayloadUsesTheSevenBitLength) {
    const std::string frame = encode_frame(ws_opcode::text, "hi");
    ASSERT_EQ(frame.size(), 4u);
    EXPECT_EQ(byte_at(frame, 0), 0x81); // FIN + text
    EXPECT_EQ(byte_at(frame, 1), 2);    // no mask bit: server frames are never masked
    EXPECT_EQ(frame.substr(2), "hi");
}

TEST(EncodeFrame, OpcodeIsInTheLowNibbleWithFin) {
    EXPECT_EQ(byte_at(encode_frame(ws_opcode::binary, ""), 0), 0x82);
    EXPECT_EQ(byte_at(encode_frame(ws_opcode::close, ""), 0), 0x88);
    EXPECT_EQ(byte_at(encode_frame(ws_opcode::ping, ""), 0), 0x89);
    EXPECT_EQ(byte_at(encode_frame(ws_opcode::pong, ""), 0), 0x8A);
    EXPECT_EQ(encode_frame(ws_opcode::binary, "").size(), 2u);
}

TEST(EncodeFrame, LengthEncodingSwitchesAtTheRfcBoundaries) {
    struct boundary {
        std::size_t size;
        std::size_t header;
        std::uint8_t marker;
    };
    for (auto [size, header, marker] : {boundary{125, 2, 125}, boundary{126, 4, 126}, boundary{65535, 4, 126},
                                        boundary{65536, 10, 127}, boundary{70000, 10, 127}}) {
        SCOPED_TRACE(size);
        const std::string payload(size, 'p');
        const std::string frame = encode_frame(ws_opcode::binary, payload);
        ASSERT_EQ(frame.size(), header + size);
        EXPECT_EQ(byte_at(frame, 1), marker);
        std::uint64_t declared = size < 126 ? byte_at(frame, 1) : 0;
        for (std::size_t i = 2; i < header; ++i) {
            declared = (declared << 8) | byte_at(frame, i);
        }
        EXPECT_EQ(declared, size);
        EXPECT_EQ(frame.substr(header), payload);
    }
}

TEST(EncodeFrame, RoundTripsThroughTheParser) {
    for (std::size_t size : {0u, 1u, 125u, 126u, 1000u, 65535u, 65536u, 100000u}) {
        std::string payload(size, '\0');
        for (std::size_t i = 0; i < size; ++i) {
            payload[i] = static_cast<char>(i * 131 + 7);
        }
        const auto event = parse_server_frame(encode_frame(ws_opcode::binary, payload));
        EXPECT_EQ(event.kind, "message") << size;
        EXPECT_EQ(event.opcode, ws_opcode::binary);
        EXPECT_EQ(event.payload, payload) << size;
    }
}

// Reliable frames are gathered from a per-connection header and shared pieces: the header alone
// must be exactly what encode_frame puts before the same payload, at every length boundary.
TEST(EncodeFrameHeader, IsThePrefixEncodeFrameWrites) {
    for (const std::size_t size : {0, 1, 125, 126, 127, 65535, 65536, 70000}) {
        const std::string payload(size, 'p');
        const std::string frame = encode_frame(ws_opcode::text, payload);
        const std::string header = encode_frame_header(ws_opcode::text, size);
        EXPECT_EQ(header, frame.substr(0, frame.size() - size)) << size;
        EXPECT_EQ(parse_server_frame(header + payload).payload, payload) << size;
    }
    EXPECT_EQ(byte_at(encode_frame_header(ws_opcode::binary, 3), 0), 0x82);
}

TEST(FramePayload, ReturnsWhatEncodeFrameWrapped) {
    for (const std::size_t size : {0, 5, 125, 126, 65535, 65536}) {
        const std::string payload(size, 'q');
        EXPECT_EQ(frame_payload(encode_frame(ws_opcode::text, payload)), payload) << size;
    }
    EXPECT_EQ(frame_payload(""), "");
    EXPECT_EQ(frame_payload(std::string("\x81\x7e\x01", 3)), "") << "a header cut short";
}

TEST(EncodeCloseFrame, CodeIsBigEndianBeforeTheReason) {
    const std::string frame = encode_close_frame(close_code::going_away, "bye");
    ASSERT_EQ(frame.size(), 2u + 2u + 3u);
    EXPECT_EQ(byte_at(frame, 0), 0x88);
    EXPECT_EQ(byte_at(frame, 1), 5);
    EXPECT_EQ(byte_at(frame, 2), 1001 >> 8);
    EXPECT_EQ(byte_at(frame, 3), 1001 & 0xFF);
    EXPECT_EQ(frame.substr(4), "bye");
    const auto event = parse_server_frame(frame);
    EXPECT_EQ(event.kind, "close");
    EXPECT_EQ(event.code, close_code::going_away);
    EXPECT_EQ(event.payload, "bye");
}

TEST(EncodeCloseFrame, NoStatusBuildsAnEmptyClose) {
    EXPECT_EQ(encode_close_frame(close_code::no_status, "ignored"), std::string("\x88\x00", 2));
}

TEST(EncodeCloseFrame, CodeWithoutReason) {
    EXPECT_EQ(encode_close_frame(close_code::normal, ""), std::string("\x88\x02\x03\xE8", 4));
}

TEST(EncodeCloseFrame, LongAsciiReasonIsCutTo123Bytes) {
    const std::string frame = encode_close_frame(close_code::policy_violation, std::string(300, 'r'));
    ASSERT_EQ(frame.size(), 2u + 125u);
    EXPECT_EQ(byte_at(frame, 1), 125);
    EXPECT_EQ(frame.substr(4), std::string(123, 'r'));
    EXPECT_EQ(encode_close_frame(close_code::normal, std::string(123, 'r')).size(), 2u + 125u);
}

// A multi-byte character straddling byte 123 must be dropped whole, or the client fails the close
// with 1007. Every alignment of 2-, 3- and 4-byte characters against the cut is tried.
TEST(EncodeCloseFrame, ReasonIsCutAtACharacterBoundary) {
    for (const std::string ch : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
        for (std::size_t lead = 0; lead < ch.size(); ++lead) {
            std::string reason(lead, 'a');
            while (reason.size() < 200) {
                reason += ch;
            }
            const std::string frame = encode_close_frame(close_code::normal, reason);
            const std::string sent = frame.substr(4);
            SCOPED_TRACE(testing::Message() << "char size " << ch.size() << " lead " << lead);
            EXPECT_LE(sent.size(), 123u);
            EXPECT_GT(sent.size(), 123u - ch.size());
            EXPECT_TRUE(is_valid_utf8(sent));
            EXPECT_EQ(reason.substr(0, sent.size()), sent);
            EXPECT_EQ(parse_server_frame(frame).kind, "close");
        }
    }
}

TEST(CloseCode, AcceptsCodesAPeerMaySend) {
    for (std::uint16_t code :
         {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
        EXPECT_TRUE(is_valid_close_code(code)) << code;
    }
}

TEST(CloseCode, RejectsReservedUnassignedAndLocalOnlyCodes) {
    for (std::uint16_t code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
        EXPECT_FALSE(is_valid_close_code(code)) << code;
    }
}

TEST(CloseCode, EveryCodeMatchesTheRfcTable) {
    for (std::uint32_t code = 0; code <= 0xFFFF; ++code) {
        const bool expected = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                              (code >= 3000 && code <= 4999);
        ASSERT_EQ(is_valid_close_code(static_cast<std::uint16_t>(code)), expected) << code;
    }
}

} // namespace
} // namespace hubcast::protocol

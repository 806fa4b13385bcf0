// libFuzzer target for the WebSocket frame codec (src/protocol/{frame_parser,websocket_frame,utf8}).
//
// Input layout: byte 0 picks the limits (low 3 bits: max_message_bytes from `limit_choices`,
// bit 3: require_mask off), byte 1 picks where to split the stream for the differential check,
// the rest is the client byte stream. Every input is checked against invariants that must hold
// for any bytes a client may send; a violation aborts, which libFuzzer reports as a crash.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "protocol/frame_parser.hpp"
#include "protocol/utf8.hpp"
#include "protocol/websocket_frame.hpp"
#include "support/utf8_oracle.hpp"

namespace {

using namespace hubcast::protocol;

constexpr std::size_t limit_choices[8] = {0, 1, 16, 125, 126, 1000, 70000, 1024 * 1024};
constexpr std::size_t max_bytewise_input = 4096; // byte-at-a-time feeding costs one call per byte

bool peer_close_code_allowed(std::uint16_t code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

struct event {
    int kind; // 0 message, 1 ping, 2 pong, 3 close, 4 error
    int detail;
    std::string payload;
    bool operator==(const event&) const = default;
};

// Records events and checks each one as it arrives.
class checking_handler : public frame_handler {
public:
    explicit checking_handler(const frame_limits& limits) : limits_(limits) {}

    void on_message(ws_opcode opcode, std::string_view payload) override {
        arrive();
        FUZZ_CHECK(opcode == ws_opcode::text || opcode == ws_opcode::binary);
        FUZZ_CHECK(payload.size() <= limits_.max_message_bytes);
        if (opcode == ws_opcode::text) {
            FUZZ_CHECK(hubcast::test::is_valid_utf8(payload));
        }
        events.push_back({0, static_cast<int>(opcode), std::string(payload)});
    }
    void on_ping(std::string_view payload) override {
        arrive();
        FUZZ_CHECK(payload.size() <= 125);
        events.push_back({1, 0, std::string(payload)});
    }
    void on_pong(std::string_view payload) override {
        arrive();
        FUZZ_CHECK(payload.size() <= 125);
        events.push_back({2, 0, std::string(payload)});
    }
    void on_close(std::uint16_t code, std::string_view reason) override {
        arrive();
        FUZZ_CHECK((code == close_code::no_status && reason.empty()) || peer_close_code_allowed(code));
        FUZZ_CHECK(reason.size() <= 123);
        FUZZ_CHECK(hubcast::test::is_valid_utf8(reason));
        terminal = true;
        events.push_back({3, code, std::string(reason)});
    }
    void on_protocol_error(std::uint16_t code, std::string_view reason) override {
        arrive();
        FUZZ_CHECK(code == close_code::protocol_error || code == close_code::invalid_payload ||
                   code == close_code::message_too_big);
        FUZZ_CHECK(!reason.empty() && reason.size() <= 123);
        terminal = true;
        events.push_back({4, code, std::string(reason)});
    }

    std::vector<event> events;
    bool terminal = false;

private:
    void arrive() const { FUZZ_CHECK(!terminal); } // nothing may follow a close or an error

    frame_limits limits_;
};

std::vector<event> parse_in_pieces(std::string_view stream, const frame_limits& limits,
                                   const std::vector<std::size_t>& cuts) {
    frame_parser parser(limits);
    checking_handler handler(limits);
    std::size_t pos = 0;
    for (std::size_t cut : cuts) {
        parser.feed(stream.substr(pos, cut - pos), handler);
        FUZZ_CHECK(parser.finished() == handler.terminal);
        pos = cut;
    }
    parser.feed(stream.substr(pos), handler);
    FUZZ_CHECK(parser.finished() == handler.terminal);
    // Input after the end is ignored.
    const std::size_t before = handler.events.size();
    if (parser.finished()) {
        parser.feed(stream, handler);
        FUZZ_CHECK(handler.events.size() == before);
    }
    return std::move(handler.events);
}

// Server frames come out of encode_* unmasked; a parser that does not require masks must read them
// back unchanged. This ties the encoder and the parser to each other on arbitrary payloads.
void check_encoder_round_trip(std::string_view data) {
    const frame_limits lenient{.max_message_bytes = 1024 * 1024, .require_mask = false};
    {
        checking_handler handler(lenient);
        frame_parser parser(lenient);
        parser.feed(encode_frame(ws_opcode::binary, data), handler);
        FUZZ_CHECK(handler.events.size() == 1 && handler.events[0].kind == 0 &&
                   handler.events[0].payload == data);
    }
    if (hubcast::test::is_valid_utf8(data)) {
        checking_handler handler(lenient);
        frame_parser parser(lenient);
        parser.feed(encode_close_frame(close_code::normal, data), handler);
        FUZZ_CHECK(handler.events.size() == 1 && handler.events[0].kind == 3);
        const std::string& reason = handler.events[0].payload;
        FUZZ_CHECK(data.substr(0, reason.size()) == reason);
        FUZZ_CHECK(reason.size() == data.size() || reason.size() + 4 > 123);
    }
}

void check_utf8_validator(std::string_view data, std::size_t cut) {
    const bool expected = hubcast::test::is_valid_utf8(data);
    FUZZ_CHECK(is_valid_utf8(data) == expected);
    utf8_validator incremental;
    const bool prefix_ok = incremental.feed(data.substr(0, cut));
    const bool rest_ok = prefix_ok && incremental.feed(data.substr(cut));
    FUZZ_CHECK((rest_ok && incremental.complete()) == expected);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const frame_limits limits{.max_message_bytes = limit_choices[data[0] & 7],
                              .require_mask = (data[0] & 8) == 0};
    const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
    const std::size_t cut = stream.empty() ? 0 : data[1] * stream.size() / 255;

    const auto whole = parse_in_pieces(stream, limits, {});
    FUZZ_CHECK(parse_in_pieces(stream, limits, {cut}) == whole);
    if (stream.size() <= max_bytewise_input) {
        std::vector<std::size_t> every_byte;
        for (std::size_t i = 1; i < stream.size(); ++i) {
            every_byte.push_back(i);
        }
        FUZZ_CHECK(parse_in_pieces(stream, limits, every_byte) == whole);
    }

    check_encoder_round_trip(stream);
    check_utf8_validator(stream, cut);
    return 0;
}

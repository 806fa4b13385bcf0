#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/frame_parser.hpp"

namespace hubcast::protocol {
namespace {

struct event {
    std::string kind; // message, ping, pong, close, error
    ws_opcode opcode = ws_opcode::continuation;
    std::uint16_t code = 0;
    std::string payload;

    bool operator==(const event&) const = default;
};

std::ostream& operator<<(std::ostream& os, const event& e) {
    os << e.kind << '(';
    if (e.kind == "message") {
        os << "opcode " << static_cast<int>(e.opcode) << ", ";
    }
    if (e.kind == "close" || e.kind == "error") {
        os << "code " << e.code << ", ";
    }
    return os << testing::PrintToString(e.payload) << ')';
}

event message(ws_opcode op, std::string payload) {
    return {"message", op, 0, std::move(payload)};
}
event text(std::string payload) {
    return message(ws_opcode::text, std::move(payload));
}
event binary(std::string payload) {
    return message(ws_opcode::binary, std::move(payload));
}
event ping(std::string payload) {
    return {"ping", ws_opcode::continuation, 0, std::move(payload)};
}
event pong(std::string payload) {
    return {"pong", ws_opcode::continuation, 0, std::move(payload)};
}
event close(std::uint16_t code, std::string reason = {}) {
    return {"close", ws_opcode::continuation, code, std::move(reason)};
}

struct recorder : frame_handler {
    std::vector<event> events;

    void on_message(ws_opcode op, std::string_view p) override {
        events.push_back(message(op, std::string(p)));
    }
    void on_ping(std::string_view p) override { events.push_back(ping(std::string(p))); }
    void on_pong(std::string_view p) override { events.push_back(pong(std::string(p))); }
    void on_close(std::uint16_t code, std::string_view reason) override {
        events.push_back(close(code, std::string(reason)));
    }
    void on_protocol_error(std::uint16_t code, std::string_view reason) override {
        events.push_back({"error", ws_opcode::continuation, code, std::string(reason)});
    }
};

std::vector<std::uint16_t> error_codes(const std::vector<event>& events) {
    std::vector<std::uint16_t> codes;
    for (const auto& e : events) {
        if (e.kind == "error") {
            codes.push_back(e.code);
        }
    }
    return codes;
}

constexpr std::uint8_t fin = 0x80;
constexpr std::array<std::uint8_t, 4> default_key = {0x37, 0xFA, 0x21, 0x3D};

enum class length_form { shortest, bits16, bits64 };

// Builds a client frame byte by byte, so tests can also build frames an encoder never would.
struct frame_options {
    bool masked = true;
    std::array<std::uint8_t, 4> key = default_key;
    length_form form = length_form::shortest;
    std::optional<std::uint64_t> declared_length; // lie about the length (the payload is still appended)
};

std::string raw_frame(std::uint8_t first_byte, std::string_view payload, frame_options o = {}) {
    std::string out;
    out.push_back(static_cast<char>(first_byte));
    const std::uint64_t length = o.declared_length.value_or(payload.size());
    const std::uint8_t mask_bit = o.masked ? 0x80 : 0x00;
    length_form form = o.form;
    if (form == length_form::shortest) {
        form = length < 126       ? length_form::shortest
               : length <= 0xFFFF ? length_form::bits16
                                  : length_form::bits64;
    }
    if (form == length_form::shortest) {
        out.push_back(static_cast<char>(mask_bit | length));
    } else {
        const int bytes = form == length_form::bits16 ? 2 : 8;
        out.push_back(static_cast<char>(mask_bit | (bytes == 2 ? 126 : 127)));
        for (int i = bytes - 1; i >= 0; --i) {
            out.push_back(static_cast<char>((length >> (8 * i)) & 0xFF));
        }
    }
    if (o.masked) {
        for (auto k : o.key) {
            out.push_back(static_cast<char>(k));
        }
    }
    for (std::size_t i = 0; i < payload.size(); ++i) {
        const std::uint8_t k = o.masked ? o.key[i % 4] : 0;
        out.push_back(static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ k));
    }
    return out;
}

std::string frame(ws_opcode op, std::string_view payload, bool final = true, frame_options o = {}) {
    return raw_frame(static_cast<std::uint8_t>((final ? fin : 0) | static_cast<std::uint8_t>(op)), payload,
                     o);
}

std::string close_frame(std::uint16_t code, std::string_view reason) {
    std::string body;
    body.push_back(static_cast<char>(code >> 8));
    body.push_back(static_cast<char>(code & 0xFF));
    body.append(reason);
    return frame(ws_opcode::close, body);
}

frame_limits limits_of(std::size_t max_message_bytes) {
    return frame_limits{.max_message_bytes = max_message_bytes, .require_mask = true};
}

std::vector<event> parse(std::string_view input, frame_limits limits = {}) {
    frame_parser parser(limits);
    recorder r;
    parser.feed(input, r);
    return r.events;
}

std::vector<event> parse_in_two(std::string_view input, std::size_t cut, frame_limits limits = {}) {
    frame_parser parser(limits);
    recorder r;
    parser.feed(input.substr(0, cut), r);
    parser.feed(input.substr(cut), r);
    return r.events;
}

std::vector<event> parse_bytewise(std::string_view input, frame_limits limits = {}) {
    frame_parser parser(limits);
    recorder r;
    for (char c : input) {
        parser.feed(std::string_view(&c, 1), r);
    }
    return r.events;
}

// Style rule 15: the same events whatever the split.
void expect_same_events_at_every_split(std::string_view input, const std::vector<event>& expected,
                                       frame_limits limits = {}) {
    ASSERT_EQ(parse(input, limits), expected);
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
        ASSERT_EQ(parse_in_two(input, cut, limits), expected) << "split at " << cut;
    }
    ASSERT_EQ(parse_bytewise(input, limits), expected);
}

std::string bytes_of(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) {
        out.push_back(static_cast<char>(v));
    }
    return out;
}

// --- messages ------------------------------------------------------------------------------

TEST(FrameParser, DeliversAMaskedTextFrame) {
    EXPECT_EQ(parse(frame(ws_opcode::text, "Hello")), std::vector<event>{text("Hello")});
}

TEST(FrameParser, DeliversABinaryFrameWithoutUtf8Checks) {
    const std::string payload = bytes_of({0xFF, 0x00, 0xC0, 0xED, 0xA0, 0x80});
    EXPECT_EQ(parse(frame(ws_opcode::binary, payload)), std::vector<event>{binary(payload)});
}

TEST(FrameParser, DeliversEmptyMessages) {
    EXPECT_EQ(parse(frame(ws_opcode::text, "") + frame(ws_opcode::binary, "")),
              (std::vector<event>{text(""), binary("")}));
    EXPECT_EQ(parse(frame(ws_opcode::text, "", false) + frame(ws_opcode::continuation, "")),
              std::vector<event>{text("")});
}

TEST(FrameParser, ReadsSixteenAndSixtyFourBitLengths) {
    const std::string medium(300, 'm');
    const std::string large(70000, 'L');
    EXPECT_EQ(parse(frame(ws_opcode::binary, medium)), std::vector<event>{binary(medium)});
    EXPECT_EQ(parse(frame(ws_opcode::text, large)), std::vector<event>{text(large)});
}

// RFC 6455 asks senders for the shortest length form but gives receivers no rule; we accept
// the longer forms, as browsers' peers commonly do.
TEST(FrameParser, AcceptsNonMinimalLengthForms) {
    EXPECT_EQ(parse(frame(ws_opcode::text, "ab", true, {.form = length_form::bits16}) +
                    frame(ws_opcode::text, "cd", true, {.form = length_form::bits64})),
              (std::vector<event>{text("ab"), text("cd")}));
}

TEST(FrameParser, UnmasksWithEveryKeyPhaseAndLength) {
    std::mt19937 rng(42);
    for (std::size_t size = 0; size < 80; ++size) {
        std::string payload(size, '\0');
        for (auto& c : payload) {
            c = static_cast<char>(rng());
        }
        const std::array<std::uint8_t, 4> key = {
            static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng()),
            static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng())};
        const std::string input = frame(ws_opcode::binary, payload, true, {.key = key});
        // Chunks of 1..9 bytes start the unmasking at every offset modulo 4 and 8.
        frame_parser parser;
        recorder r;
        for (std::size_t pos = 0; pos < input.size();) {
            const std::size_t n = std::min<std::size_t>(1 + rng() % 9, input.size() - pos);
            parser.feed(std::string_view(input).substr(pos, n), r);
            pos += n;
        }
        ASSERT_EQ(r.events, std::vector<event>{binary(payload)}) << size;
        ASSERT_EQ(parse(input), std::vector<event>{binary(payload)}) << size;
    }
}

TEST(FrameParser, ReassemblesFragments) {
    const std::string input = frame(ws_opcode::text, "Hel", false) +
                              frame(ws_opcode::continuation, "lo, ", false) +
                              frame(ws_opcode::continuation, "world");
    EXPECT_EQ(parse(input), std::vector<event>{text("Hello, world")});
}

TEST(FrameParser, KeepsWorkingAfterALargeMessage) {
    const std::string big(200000, 'b');
    const std::string input =
        frame(ws_opcode::binary, big) + frame(ws_opcode::text, "small") + frame(ws_opcode::binary, big);
    frame_parser parser;
    recorder r;
    for (std::size_t pos = 0; pos < input.size(); pos += 1000) {
        parser.feed(std::string_view(input).substr(pos, 1000), r);
    }
    EXPECT_EQ(r.events, (std::vector<event>{binary(big), text("small"), binary(big)}));
}

// --- control frames --------------------------------------------------------------------------

TEST(FrameParser, DeliversPingAndPong) {
    EXPECT_EQ(parse(frame(ws_opcode::ping, "are you there") + frame(ws_opcode::pong, "")),
              (std::vector<event>{ping("are you there"), pong("")}));
}

TEST(FrameParser, ControlFramesInsideAFragmentedMessageAreDeliveredImmediately) {
    const std::string first =
        frame(ws_opcode::text, "frag", false) + frame(ws_opcode::ping, "p1") + frame(ws_opcode::pong, "p2");
    frame_parser parser;
    recorder r;
    parser.feed(first, r);
    EXPECT_EQ(r.events, (std::vector<event>{ping("p1"), pong("p2")})); // not held back for the message
    parser.feed(frame(ws_opcode::continuation, "ment"), r);
    EXPECT_EQ(r.events, (std::vector<event>{ping("p1"), pong("p2"), text("fragment")}));
}

TEST(FrameParser, ControlFrameOf125BytesIsAccepted) {
    const std::string payload(125, 'c');
    EXPECT_EQ(parse(frame(ws_opcode::ping, payload)), std::vector<event>{ping(payload)});
}

TEST(FrameParser, ControlFrameOver125BytesIsAProtocolError) {
    EXPECT_EQ(error_codes(parse(frame(ws_opcode::ping, std::string(126, 'c')))),
              std::vector<std::uint16_t>{close_code::protocol_error});
    // Refused from the first two bytes; nothing else needs to arrive.
    EXPECT_EQ(error_codes(parse(bytes_of({0x89, 0x80 | 127}))),
              std::vector<std::uint16_t>{close_code::protocol_error});
}

TEST(FrameParser, FragmentedControlFrameIsAProtocolError) {
    for (auto op : {ws_opcode::ping, ws_opcode::pong, ws_opcode::close}) {
        EXPECT_EQ(error_codes(parse(frame(op, "x", false))),
                  std::vector<std::uint16_t>{close_code::protocol_error});
    }
}

// --- close frames ------------------------------------------------------------------------------

TEST(FrameParser, EmptyCloseReportsNoStatus) {
    EXPECT_EQ(parse(frame(ws_opcode::close, "")), std::vector<event>{close(close_code::no_status)});
}

TEST(FrameParser, CloseCarriesCodeAndReason) {
    EXPECT_EQ(parse(close_frame(1000, "")), std::vector<event>{close(1000)});
    EXPECT_EQ(parse(close_frame(1001, "going")), std::vector<event>{close(1001, "going")});
    const std::string longest(123, 'r');
    EXPECT_EQ(parse(close_frame(4999, longest)), std::vector<event>{close(4999, longest)});
    EXPECT_EQ(parse(close_frame(3000, "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5")),
              std::vector<event>{close(3000, "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5")});
}

TEST(FrameParser, CloseWithAOneByteBodyIsAProtocolError) {
    EXPECT_EQ(error_codes(parse(frame(ws_opcode::close, "\x03"))),
              std::vector<std::uint16_t>{close_code::protocol_error});
}

TEST(FrameParser, CloseWithAnInvalidCodeIsAProtocolError) {
    for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
        EXPECT_EQ(error_codes(parse(close_frame(code, ""))),
                  std::vector<std::uint16_t>{close_code::protocol_error})
            << code;
    }
}

TEST(FrameParser, CloseWithAnInvalidUtf8ReasonIsInvalidPayload) {
    EXPECT_EQ(error_codes(parse(close_frame(1000, bytes_of({'o', 'k', 0xED, 0xA0, 0x80})))),
              std::vector<std::uint16_t>{close_code::invalid_payload});
    EXPECT_EQ(error_codes(parse(close_frame(1000, bytes_of({0xE2, 0x82})))), // truncated character
              std::vector<std::uint16_t>{close_code::invalid_payload});
}

TEST(FrameParser, CloseInsideAFragmentedMessageEndsTheConnection) {
    frame_parser parser;
    recorder r;
    parser.feed(frame(ws_opcode::text, "half", false) + close_frame(1000, "") +
                    frame(ws_opcode::continuation, "x"),
                r);
    EXPECT_EQ(r.events, std::vector<event>{close(1000)});
    EXPECT_TRUE(parser.finished());
}

TEST(FrameParser, IgnoresInputAfterClose) {
    frame_parser parser;
    recorder r;
    EXPECT_FALSE(parser.finished());
    parser.feed(close_frame(1000, "bye") + frame(ws_opcode::text, "late"), r);
    EXPECT_TRUE(parser.finished());
    parser.feed(frame(ws_opcode::ping, "later") + bytes_of({0xFF, 0xFF}), r);
    EXPECT_EQ(r.events, std::vector<event>{close(1000, "bye")});
}

TEST(FrameParser, IgnoresInputAfterAProtocolError) {
    frame_parser parser;
    recorder r;
    parser.feed(frame(ws_opcode::continuation, "orphan") + frame(ws_opcode::text, "late"), r);
    EXPECT_TRUE(parser.finished());
    parser.feed(frame(ws_opcode::text, "later"), r);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].kind, "error");
}

// --- framing rules -----------------------------------------------------------------------------

TEST(FrameParser, UnmaskedClientFrameIsAProtocolError) {
    EXPECT_EQ(error_codes(parse(frame(ws_opcode::text, "hi", true, {.masked = false}))),
              std::vector<std::uint16_t>{close_code::protocol_error});
}

TEST(FrameParser, UnmaskedFramesAreAcceptedWhenMaskingIsNotRequired) {
    const frame_limits lenient{.max_message_bytes = 1024, .require_mask = false};
    EXPECT_EQ(
        parse(frame(ws_opcode::text, "plain", true, {.masked = false}) + frame(ws_opcode::text, "masked"),
              lenient),
        (std::vector<event>{text("plain"), text("masked")}));
}

TEST(FrameParser, AnyReservedBitIsAProtocolError) {
    for (std::uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
        EXPECT_EQ(error_codes(parse(raw_frame(fin | rsv | 0x1, "hi"))),
                  std::vector<std::uint16_t>{close_code::protocol_error})
            << int{rsv};
    }
}

TEST(FrameParser, ReservedOpcodesAreAProtocolError) {
    for (std::uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        EXPECT_EQ(error_codes(parse(raw_frame(fin | op, ""))),
                  std::vector<std::uint16_t>{close_code::protocol_error})
            << int{op};
        EXPECT_EQ(error_codes(parse(raw_frame(op, "x"))),
                  std::vector<std::uint16_t>{close_code::protocol_error})
            << int{op};
    }
}

TEST(FrameParser, ContinuationWithoutAMessageIsAProtocolError) {
    EXPECT_EQ(error_codes(parse(frame(ws_opcode::continuation, "x"))),
              std::vector<std::uint16_t>{close_code::protocol_error});
    // A finished message does not leave one open.
    EXPECT_EQ(parse(frame(ws_opcode::text, "a") + frame(ws_opcode::continuation, "b")).back().code,
              close_code::protocol_error);
}

TEST(FrameParser, NewDataFrameInsideAFragmentedMessageIsAProtocolError) {
    for (auto op : {ws_opcode::text, ws_opcode::binary}) {
        const auto events = parse(frame(ws_opcode::binary, "a", false) + frame(op, "b"));
        EXPECT_EQ(error_codes(events), std::vector<std::uint16_t>{close_code::protocol_error});
        EXPECT_EQ(events.size(), 1u);
    }
}

TEST(FrameParser, SixtyFourBitLengthWithTheHighBitSetIsAProtocolError) {
    const auto input = raw_frame(fin | 0x2, "", {.form = length_form::bits64, .declared_length = 1ULL << 63});
    EXPECT_EQ(error_codes(parse(input, limits_of(SIZE_MAX))),
              std::vector<std::uint16_t>{close_code::protocol_error});
}

// --- size limits -------------------------------------------------------------------------------

TEST(FrameParser, MessageAtTheLimitIsAccepted) {
    EXPECT_EQ(parse(frame(ws_opcode::binary, std::string(100, 'x')), limits_of(100)),
              std::vector<event>{binary(std::string(100, 'x'))});
    EXPECT_EQ(parse(frame(ws_opcode::text, std::string(60, 'x'), false) +
                        frame(ws_opcode::continuation, std::string(40, 'y')),
                    limits_of(100)),
              std::vector<event>{text(std::string(60, 'x') + std::string(40, 'y'))});
}

TEST(FrameParser, MessageOverTheLimitIsRefusedFromItsHeader) {
    // Only the header arrives: the declared length alone decides, nothing is buffered first.
    const std::string header_only =
        raw_frame(fin | 0x2, "", {.form = length_form::bits64, .declared_length = 2 * 1024 * 1024});
    EXPECT_EQ(error_codes(parse(header_only)), std::vector<std::uint16_t>{close_code::message_too_big});
    EXPECT_EQ(error_codes(parse(frame(ws_opcode::text, std::string(101, 'x')), limits_of(100))),
              std::vector<std::uint16_t>{close_code::message_too_big});
}

TEST(FrameParser, FragmentsThatAddUpOverTheLimitAreRefusedAtTheOffendingHeader) {
    frame_parser parser(limits_of(100));
    recorder r;
    parser.feed(frame(ws_opcode::binary, std::string(60, 'x'), false), r);
    parser.feed(frame(ws_opcode::continuation, std::string(30, 'x'), false), r);
    EXPECT_TRUE(r.events.empty());
    parser.feed(raw_frame(0x80, "", {.declared_length = 11}), r); // header of a fragment, no payload
    EXPECT_EQ(error_codes(r.events), std::vector<std::uint16_t>{close_code::message_too_big});
}

TEST(FrameParser, ControlFramesDoNotCountTowardsTheMessageLimit) {
    EXPECT_EQ(parse(frame(ws_opcode::text, std::string(10, 'x'), false) +
                        frame(ws_opcode::ping, std::string(50, 'p')) + frame(ws_opcode::continuation, ""),
                    limits_of(10)),
              (std::vector<event>{ping(std::string(50, 'p')), text(std::string(10, 'x'))}));
}

// --- UTF-8 ---------------------------------------------------------------------------------------

TEST(FrameParser, CharacterSplitAcrossFragmentsIsValid) {
    // € is E2 82 AC; each cut point of the character lands on a fragment boundary.
    EXPECT_EQ(parse(frame(ws_opcode::text, "\xE2", false) + frame(ws_opcode::continuation, "\x82", false) +
                    frame(ws_opcode::continuation, "\xAC")),
              std::vector<event>{text("\xE2\x82\xAC")});
}

TEST(FrameParser, InvalidUtf8InTextIsInvalidPayload) {
    for (const std::string& bad : {bytes_of({0xFF}), bytes_of({0xC0, 0xAF}), bytes_of({0xED, 0xA0, 0x80}),
                                   bytes_of({0xF4, 0x90, 0x80, 0x80}), bytes_of({'a', 0x80})}) {
        EXPECT_EQ(error_codes(parse(frame(ws_opcode::text, bad))),
                  std::vector<std::uint16_t>{close_code::invalid_payload});
    }
}

TEST(FrameParser, TextEndingInsideACharacterIsInvalidPayload) {
    EXPECT_EQ(error_codes(parse(frame(ws_opcode::text, "ok\xE2\x82"))),
              std::vector<std::uint16_t>{close_code::invalid_payload});
    EXPECT_EQ(error_codes(parse(frame(ws_opcode::text, "ok\xF0", false) +
                                frame(ws_opcode::continuation, "\x9F\x98"))),
              std::vector<std::uint16_t>{close_code::invalid_payload});
}

// Autobahn 6.x "fail fast": the connection fails at the first bad byte, before the frame ends.
TEST(FrameParser, InvalidUtf8FailsBeforeTheFrameIsComplete) {
    const std::string payload =
        "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80" + std::string(100, 'x');
    const std::string input = frame(ws_opcode::text, payload, false);
    frame_parser parser;
    recorder r;
    const std::size_t header = input.size() - payload.size();
    parser.feed(std::string_view(input).substr(0, header + 13), r); // up to the byte after ED
    EXPECT_EQ(error_codes(r.events), std::vector<std::uint16_t>{close_code::invalid_payload});
}

TEST(FrameParser, InvalidUtf8InALaterFragmentFailsFast) {
    frame_parser parser;
    recorder r;
    parser.feed(frame(ws_opcode::text, "valid \xCE", false), r);
    EXPECT_TRUE(r.events.empty());
    const std::string second = frame(ws_opcode::continuation, "\xBA then \xFF and much more");
    parser.feed(std::string_view(second).substr(0, 6 + 8), r); // header plus "\xBA then \xFF"
    EXPECT_EQ(error_codes(r.events), std::vector<std::uint16_t>{close_code::invalid_payload});
}

TEST(FrameParser, EachTextMessageIsValidatedOnItsOwn) {
    // A binary message's bytes must not leave the validator mid-character for the next text.
    EXPECT_EQ(parse(frame(ws_opcode::binary, "\xE2\x82") + frame(ws_opcode::text, "A")),
              (std::vector<event>{binary("\xE2\x82"), text("A")}));
}

// --- split points (style rule 15) --------------------------------------------------------------

TEST(FrameParser, SameEventsAtEverySplitPoint) {
    const std::string binary_payload(300, '\x9C'); // 16-bit length
    const std::string input =
        frame(ws_opcode::text, "Hello \xE2\x82", false, {.key = {0x01, 0x02, 0x03, 0x04}}) +
        frame(ws_opcode::ping, "keepalive", true, {.key = {0xFF, 0x00, 0xFF, 0x00}}) +
        frame(ws_opcode::continuation, "\xAC world", false, {.key = {0xA5, 0x5A, 0x3C, 0xC3}}) +
        frame(ws_opcode::pong, "") + frame(ws_opcode::continuation, "!") +
        frame(ws_opcode::binary, binary_payload) + frame(ws_opcode::text, "") + close_frame(1000, "done");
    expect_same_events_at_every_split(input, {ping("keepalive"), pong(""), text("Hello \xE2\x82\xAC world!"),
                                              binary(binary_payload), text(""), close(1000, "done")});
}

TEST(FrameParser, SameErrorAtEverySplitPoint) {
    const std::string input = frame(ws_opcode::text, "abc", false) + frame(ws_opcode::ping, "p") +
                              frame(ws_opcode::continuation, "d\xF4\x90 rest") +
                              frame(ws_opcode::text, "never");
    expect_same_events_at_every_split(input, {ping("p"),
                                              {"error", ws_opcode::continuation, close_code::invalid_payload,
                                               "invalid UTF-8 in text message"}});
}

TEST(FrameParser, SameTooBigErrorAtEverySplitPoint) {
    const std::string input = frame(ws_opcode::binary, std::string(30, 'a'), false) +
                              frame(ws_opcode::pong, "q") +
                              frame(ws_opcode::continuation, std::string(40, 'b'));
    expect_same_events_at_every_split(
        input,
        {pong("q"), {"error", ws_opcode::continuation, close_code::message_too_big, "message too big"}},
        limits_of(64));
}

TEST(FrameParser, SameEventsForRandomChunkings) {
    const std::string input = frame(ws_opcode::binary, std::string(70000, 'z'), false) +
                              frame(ws_opcode::ping, "x") + frame(ws_opcode::continuation, "tail") +
                              close_frame(1001, "");
    const std::vector<event> expected = {ping("x"), binary(std::string(70000, 'z') + "tail"), close(1001)};
    std::mt19937 rng(7);
    for (int round = 0; round < 20; ++round) {
        frame_parser parser;
        recorder r;
        for (std::size_t pos = 0; pos < input.size();) {
            const std::size_t n = std::min<std::size_t>(1 + rng() % 5000, input.size() - pos);
            parser.feed(std::string_view(input).substr(pos, n), r);
            pos += n;
        }
        ASSERT_EQ(r.events, expected) << round;
    }
}

} // namespace
} // namespace hubcast::protocol

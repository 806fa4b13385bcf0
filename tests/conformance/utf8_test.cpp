// Autobahn|Testsuite section 6 (UTF-8 handling): valid text of every encoding length and at every
// boundary is accepted (whole and split anywhere across fragments); invalid UTF-8 in a text
// message fails the connection with 1007, as soon as the bad byte arrives (fail fast), whole or
// split across fragments. For both client kinds where the rule is the WebSocket layer's.

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "support/conformance_test.hpp"
#include "support/encoding.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

struct utf8_case {
    std::string name;
    std::string bytes;
};

void PrintTo(const utf8_case& value, std::ostream* out) {
    *out << value.name;
}

const std::vector<utf8_case> valid_cases{
    {"Kosme", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"},
    {"MixedLatin", "Hello-\xC2\xB5@\xC3\x9F\xC3\xB6\xC3\xA4\xC3\xBC\xC3\xA0\xC3\xA1-UTF-8!!"},
    {"FirstTwoByte", "\xC2\x80"},
    {"FirstThreeByte", "\xE0\xA0\x80"},
    {"FirstFourByte", "\xF0\x90\x80\x80"},
    {"LastOneByte", "\x7F"},
    {"LastTwoByte", "\xDF\xBF"},
    {"LastThreeByte", "\xEF\xBF\xBF"},
    {"LastFourByte", "\xF4\x8F\xBF\xBF"},
    {"BeforeSurrogates", "\xED\x9F\xBF"},
    {"AfterSurrogates", "\xEE\x80\x80"},
    {"ReplacementCharacter", "\xEF\xBF\xBD"},
    {"NoncharacterFFFE", "\xEF\xBF\xBE"},
    {"NoncharacterFDD0", "\xEF\xB7\x90"},
    {"Noncharacter1FFFF", "\xF0\x9F\xBF\xBF"},
    {"Emoji", "\xF0\x9F\x98\x80\xF0\x9F\x91\x8D"},
};

const std::vector<utf8_case> invalid_cases{
    {"LoneContinuation80", "\x80"},
    {"LoneContinuationBF", "\xBF"},
    {"ContinuationRun", "\x80\xBF\x80"},
    {"LonelyTwoByteStart", "\xC0 "},
    {"TruncatedTwoByte", "\xCE"},
    {"TruncatedThreeByte", "\xE0\xA0"},
    {"TruncatedFourByte", "\xF0\x90\x80"},
    {"OverlongSlashTwo", "\xC0\xAF"},
    {"OverlongSlashThree", "\xE0\x80\xAF"},
    {"OverlongSlashFour", "\xF0\x80\x80\xAF"},
    {"OverlongMaxTwo", "\xC1\xBF"},
    {"OverlongMaxThree", "\xE0\x9F\xBF"},
    {"OverlongMaxFour", "\xF0\x8F\xBF\xBF"},
    {"SurrogateD800", "\xED\xA0\x80"},
    {"SurrogateDB7F", "\xED\xAD\xBF"},
    {"SurrogateDC00", "\xED\xB0\x80"},
    {"SurrogateDFFF", "\xED\xBF\xBF"},
    {"SurrogatePair", "\xED\xA0\x80\xED\xB0\x80"},
    {"Above10FFFF", "\xF4\x90\x80\x80"},
    {"F7", "\xF7\xBF\xBF\xBF"},
    {"FiveByteForm", "\xF8\x88\x80\x80\x80"},
    {"SixByteForm", "\xFC\x84\x80\x80\x80\x80"},
    {"ByteFE", "\xFE"},
    {"ByteFF", "\xFF"},
    {"KosmeWithSurrogate", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80"
                           "edited"},
};

std::string case_name(const ::testing::TestParamInfo<utf8_case>& info) {
    return info.param.name;
}

// Valid text: the echo proves it was taken byte for byte.
class ValidUtf8 : public conformance_test, public ::testing::WithParamInterface<utf8_case> {};

TEST_P(ValidUtf8, IsAcceptedWhole) {
    ASSERT_TRUE(is_valid_utf8(GetParam().bytes)) << "test data";
    echo_client echo = connect_echo();
    const std::string text = "<" + GetParam().bytes + ">";
    ASSERT_TRUE(echo.ws().send_text(echo.request(text)));
    echo.expect_echo(text);
}

// Rule 15, and Autobahn 6.2-6.4: fragment boundaries may cut a character anywhere.
TEST_P(ValidUtf8, IsAcceptedSplitAtEveryOffset) {
    echo_client echo = connect_echo();
    const std::string text = "<" + GetParam().bytes + ">";
    const std::string request = echo.request(text);
    const std::size_t start = request.find('<');
    for (std::size_t at = start; at <= start + text.size(); ++at) {
        ASSERT_TRUE(echo.ws().send_fragmented(ws_op::text, {request.substr(0, at), request.substr(at)}));
        ASSERT_NO_THROW(echo.expect_echo(text)) << "split at " << at;
    }
}

TEST_P(ValidUtf8, IsAcceptedOneByteFragments) {
    echo_client echo = connect_echo();
    const std::string text = "<" + GetParam().bytes + ">";
    const std::string request = echo.request(text);
    std::vector<std::string> pieces;
    for (char c : request) {
        pieces.emplace_back(1, c);
    }
    ASSERT_TRUE(echo.ws().send_fragmented(ws_op::text, pieces));
    echo.expect_echo(text);
}

TEST_P(ValidUtf8, IsAcceptedFromASimpleClient) {
    any_client simple = connect_any(client_kind::simple);
    simple.round_trip("<" + GetParam().bytes + ">");
}

INSTANTIATE_TEST_SUITE_P(Text, ValidUtf8, ::testing::ValuesIn(valid_cases), case_name);

enum class delivery { whole, split_inside, one_byte_fragments };

std::string delivery_name(delivery how) {
    switch (how) {
    case delivery::whole:
        return "Whole";
    case delivery::split_inside:
        return "SplitInside";
    case delivery::one_byte_fragments:
        return "OneByteFragments";
    }
    return {};
}

using invalid_param = std::tuple<client_kind, utf8_case, delivery>;

class InvalidUtf8 : public conformance_test, public ::testing::WithParamInterface<invalid_param> {};

TEST_P(InvalidUtf8, FailsWith1007) {
    const auto& [kind, sequence, how] = GetParam();
    ASSERT_FALSE(is_valid_utf8(sequence.bytes)) << "test data";
    any_client client = connect_any(kind);
    const std::string message = client.message("abc" + sequence.bytes + "def");
    const std::size_t bad_at = message.find(sequence.bytes);
    switch (how) {
    case delivery::whole:
        client.ws().send_text(message);
        break;
    case delivery::split_inside:
        client.ws().send_fragmented(ws_op::text, {message.substr(0, bad_at + 1), message.substr(bad_at + 1)});
        break;
    case delivery::one_byte_fragments: {
        std::vector<std::string> pieces;
        for (char c : message) {
            pieces.emplace_back(1, c);
        }
        client.ws().send_fragmented(ws_op::text, pieces);
        break;
    }
    }
    client.expect_closed_with(1007);
}

INSTANTIATE_TEST_SUITE_P(Text, InvalidUtf8,
                         ::testing::Combine(::testing::Values(client_kind::simple, client_kind::json),
                                            ::testing::ValuesIn(invalid_cases),
                                            ::testing::Values(delivery::whole, delivery::split_inside,
                                                              delivery::one_byte_fragments)),
                         [](const auto& info) {
                             return to_string(std::get<0>(info.param)) + "_" + std::get<1>(info.param).name +
                                    "_" + delivery_name(std::get<2>(info.param));
                         });

// Fail fast (Autobahn 6.4): the first fragment already holds a byte no valid text can continue
// from; the server closes without waiting for the rest of the message, which never comes.
using fail_fast_param = std::tuple<client_kind, utf8_case>;

class InvalidUtf8FailsFast : public conformance_test,
                             public ::testing::WithParamInterface<fail_fast_param> {};

TEST_P(InvalidUtf8FailsFast, BeforeTheMessageEnds) {
    const auto& [kind, sequence] = GetParam();
    any_client client = connect_any(kind);
    const std::string message = client.message("abc" + sequence.bytes + "def");
    // Up to and including the first byte after the sequence: by then the text is surely invalid.
    const std::size_t end = message.find(sequence.bytes) + sequence.bytes.size() + 1;
    ASSERT_TRUE(client.ws().send_frame(ws_op::text, message.substr(0, end), false));
    client.expect_closed_with(1007);
}

INSTANTIATE_TEST_SUITE_P(Text, InvalidUtf8FailsFast,
                         ::testing::Combine(::testing::Values(client_kind::simple, client_kind::json),
                                            ::testing::ValuesIn(invalid_cases)),
                         [](const auto& info) {
                             return to_string(std::get<0>(info.param)) + "_" + std::get<1>(info.param).name;
                         });

// A text message that ends in the middle of a character is invalid even though every prefix was.
class TruncatedAtTheEnd : public each_kind {};

TEST_P(TruncatedAtTheEnd, FailsWith1007) {
    any_client client = connect_any(GetParam());
    std::string message = GetParam() == client_kind::json ? client.message("x") : "abc";
    client.ws().send_fragmented(ws_op::text, {message, "\xE2\x82"});
    client.expect_closed_with(1007);
}

INSTANTIATE_TEST_SUITE_P(Kinds, TruncatedAtTheEnd, ::testing::Values(client_kind::simple, client_kind::json),
                         kind_name);

} // namespace
} // namespace hubcast::test

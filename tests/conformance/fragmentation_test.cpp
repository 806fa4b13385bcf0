// Autobahn|Testsuite section 5 (fragmentation): fragmented messages are assembled (checked
// through the JSON echo), control frames may come between fragments and are answered at once,
// control frames themselves may not be fragmented, and a continuation must continue something.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/conformance_test.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

class Fragmentation : public conformance_test {};

/// `message` cut at the given offsets into len(cuts)+1 pieces.
std::vector<std::string> cut(const std::string& message, const std::vector<std::size_t>& cuts) {
    std::vector<std::string> pieces;
    std::size_t from = 0;
    for (std::size_t at : cuts) {
        pieces.push_back(message.substr(from, at - from));
        from = at;
    }
    pieces.push_back(message.substr(from));
    return pieces;
}

TEST_F(Fragmentation, TextInTwoFragments) {
    echo_client echo = connect_echo();
    const std::string request = echo.request("fragmented");
    ASSERT_TRUE(echo.ws().send_fragmented(ws_op::text, cut(request, {request.size() / 2})));
    echo.expect_echo("fragmented");
}

TEST_F(Fragmentation, BinaryInThreeFragments) {
    echo_client echo = connect_echo();
    const std::string request = echo.request("binary fragments");
    ASSERT_TRUE(echo.ws().send_fragmented(ws_op::binary, cut(request, {5, 30})));
    echo.expect_echo("binary fragments");
}

// Rule 15: a message cut in two at every offset is the same message.
TEST_F(Fragmentation, TwoFragmentsAtEverySplitPoint) {
    echo_client echo = connect_echo();
    const std::string text = "split \xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5 \xF0\x9F\x98\x80 here";
    const std::string request = echo.request(text);
    for (std::size_t at = 0; at <= request.size(); ++at) {
        ASSERT_TRUE(echo.ws().send_fragmented(ws_op::text, cut(request, {at})));
        ASSERT_NO_THROW(echo.expect_echo(text)) << "split at " << at;
    }
}

TEST_F(Fragmentation, OneByteFragments) {
    echo_client echo = connect_echo();
    const std::string request = echo.request("one byte each \xE2\x82\xAC");
    std::vector<std::size_t> cuts;
    for (std::size_t at = 1; at < request.size(); ++at) {
        cuts.push_back(at);
    }
    ASSERT_TRUE(echo.ws().send_fragmented(ws_op::text, cut(request, cuts)));
    echo.expect_echo("one byte each \xE2\x82\xAC");
}

TEST_F(Fragmentation, EmptyFragmentsAnywhere) {
    echo_client echo = connect_echo();
    const std::string request = echo.request("with empty fragments");
    ASSERT_TRUE(
        echo.ws().send_fragmented(ws_op::text, {"", request.substr(0, 10), "", "", request.substr(10), ""}));
    echo.expect_echo("with empty fragments");
}

// Autobahn 5.6-5.8: a ping between fragments is answered at once, before the message completes.
TEST_F(Fragmentation, PingBetweenFragmentsIsAnsweredFirst) {
    echo_client echo = connect_echo();
    const std::string request = echo.request("around a ping");
    frame_spec first;
    first.payload = request.substr(0, 12);
    first.fin = false;
    frame_spec ping;
    ping.opcode = ws_op::ping;
    ping.payload = "between";
    frame_spec rest;
    rest.opcode = ws_op::continuation;
    rest.payload = request.substr(12);
    ASSERT_TRUE(echo.ws().send_raw(encode_client_frame(first) + encode_client_frame(ping)));
    ws_frame pong = echo.ws().expect_message();
    EXPECT_EQ(pong.opcode, ws_op::pong) << pong.describe();
    EXPECT_EQ(pong.payload, "between");
    ASSERT_TRUE(echo.ws().send_raw(encode_client_frame(rest)));
    echo.expect_echo("around a ping");
}

// Autobahn 5.19/5.20: many fragments, each after a ping, in one write: every pong, then the echo.
TEST_F(Fragmentation, PingsBeforeEveryFragment) {
    echo_client echo = connect_echo();
    const std::string request = echo.request("ten fragments with ten pings");
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < 10; ++i) {
        cuts.push_back(request.size() * i / 10);
    }
    std::vector<std::string> pieces = cut(request, cuts);
    std::string bytes;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        frame_spec ping;
        ping.opcode = ws_op::ping;
        ping.payload = "ping-" + std::to_string(i);
        frame_spec piece;
        piece.opcode = i == 0 ? ws_op::text : ws_op::continuation;
        piece.payload = pieces[i];
        piece.fin = i + 1 == pieces.size();
        bytes += encode_client_frame(ping) + encode_client_frame(piece);
    }
    ASSERT_TRUE(echo.ws().send_raw(bytes));
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        ws_frame pong = echo.ws().expect_message();
        EXPECT_EQ(pong.opcode, ws_op::pong) << pong.describe();
        EXPECT_EQ(pong.payload, "ping-" + std::to_string(i)) << pong.describe();
    }
    echo.expect_echo("ten fragments with ten pings");
}

// Fragmentation errors hold for both client kinds.
class FragmentationError : public each_kind {};

// Autobahn 5.1/5.2: control frames must not be fragmented.
TEST_P(FragmentationError, FragmentedPing) {
    any_client client = connect_client();
    ASSERT_TRUE(client.ws().send_frame(ws_op::ping, "frag", false));
    client.ws().send_frame(ws_op::continuation, "mented");
    client.expect_closed_with(1002);
}

TEST_P(FragmentationError, FragmentedPong) {
    any_client client = connect_client();
    ASSERT_TRUE(client.ws().send_frame(ws_op::pong, "frag", false));
    client.ws().send_frame(ws_op::continuation, "mented");
    client.expect_closed_with(1002);
}

// Autobahn 5.9-5.14: a continuation with nothing to continue.
TEST_P(FragmentationError, ContinuationWithoutStart) {
    any_client client = connect_client();
    client.round_trip("before");
    client.ws().send_frame(ws_op::continuation, client.message("orphan"), true);
    client.expect_closed_with(1002);
}

TEST_P(FragmentationError, UnfinishedContinuationWithoutStart) {
    any_client client = connect_client();
    client.ws().send_frame(ws_op::continuation, "orphan", false);
    client.ws().send_frame(ws_op::continuation, "s", true);
    client.expect_closed_with(1002);
}

// Autobahn 5.15/5.16: a complete message, then a continuation.
TEST_P(FragmentationError, ContinuationAfterAFinishedMessage) {
    any_client client = connect_client();
    const std::string message = client.message("finished");
    ASSERT_TRUE(client.ws().send_fragmented(ws_op::text, {message.substr(0, 3), message.substr(3)}));
    client.expect_taken("finished");
    client.ws().send_frame(ws_op::continuation, "more", true);
    client.expect_closed_with(1002);
}

// Autobahn 5.17/5.18: a new data frame while a message is open.
TEST_P(FragmentationError, NewTextFrameInsideAMessage) {
    any_client client = connect_client();
    ASSERT_TRUE(client.ws().send_frame(ws_op::text, "first", false));
    client.ws().send_frame(ws_op::text, "second", true);
    client.expect_closed_with(1002);
}

TEST_P(FragmentationError, NewBinaryFrameInsideATextMessage) {
    any_client client = connect_client();
    ASSERT_TRUE(client.ws().send_frame(ws_op::text, "first", false));
    client.ws().send_frame(ws_op::binary, "second", false);
    client.expect_closed_with(1002);
}

INSTANTIATE_TEST_SUITE_P(Kinds, FragmentationError, ::testing::Values(client_kind::simple, client_kind::json),
                         kind_name);

} // namespace
} // namespace hubcast::test

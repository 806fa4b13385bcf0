// Autobahn|Testsuite section 7 (close handling): the server answers a close with a close (the
// same code for every valid code), then closes the TCP connection; it processes nothing after a
// close; invalid codes, 1-byte payloads and oversized close frames are protocol errors (1002), a
// reason that is not UTF-8 is invalid data (1007). For both client kinds.

#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include "support/conformance_test.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

class CloseHandling : public each_kind {};

TEST_P(CloseHandling, NormalCloseIsEchoed) {
    any_client client = connect_client();
    client.round_trip("before closing");
    ASSERT_TRUE(client.ws().send_close(1000));
    close_info closed = client.ws().expect_close();
    EXPECT_EQ(closed.code, 1000);
}

TEST_P(CloseHandling, CloseWithReasonIsEchoed) {
    any_client client = connect_client();
    ASSERT_TRUE(client.ws().send_close(1000, "Hello World! \xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"));
    EXPECT_EQ(client.ws().expect_close().code, 1000);
}

TEST_P(CloseHandling, CloseWith123ByteReasonIsEchoed) {
    any_client client = connect_client();
    ASSERT_TRUE(client.ws().send_close(1000, std::string(123, 'r')));
    EXPECT_EQ(client.ws().expect_close().code, 1000);
}

// Autobahn 7.3.1: an empty close is answered (RFC 6455 allows an empty close or 1000); hubcast echoes
// the peer's close, so the answer is empty too.
TEST_P(CloseHandling, EmptyCloseIsAnsweredWithAnEmptyClose) {
    any_client client = connect_client();
    ASSERT_TRUE(client.ws().send_close(std::nullopt));
    close_info closed = client.ws().expect_close();
    EXPECT_FALSE(closed.code.has_value()) << *closed.code;
}

TEST_P(CloseHandling, OneBytePayloadIsAProtocolError) {
    any_client client = connect_client();
    client.ws().send_close_payload("\x03");
    client.expect_closed_with(1002);
}

TEST_P(CloseHandling, CloseOver125BytesIsAProtocolError) {
    any_client client = connect_client();
    client.ws().send_close(1000, std::string(124, 'r'));
    client.expect_closed_with(1002);
}

TEST_P(CloseHandling, ReasonThatIsNotUtf8IsInvalidData) {
    any_client client = connect_client();
    client.ws().send_close(
        1000, "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80\x65\x64\x69\x74\x65\x64");
    client.expect_closed_with(1007);
}

// Autobahn 7.1.2-7.1.4: nothing after a close is processed (no echo, no pong, no second close).
TEST_P(CloseHandling, NothingAfterACloseIsProcessed) {
    any_client client = connect_client();
    frame_spec close;
    close.opcode = ws_op::close;
    close.payload = close_payload(1000);
    frame_spec text;
    text.payload = client.message("after close");
    frame_spec ping;
    ping.opcode = ws_op::ping;
    ping.payload = "after close";
    ASSERT_TRUE(client.ws().send_raw(encode_client_frame(close) + encode_client_frame(text) +
                                     encode_client_frame(ping) + encode_client_frame(close)));
    EXPECT_EQ(client.ws().expect_close().code, 1000);
}

// Autobahn 7.1.5: a close between fragments is a close.
TEST_P(CloseHandling, CloseBetweenFragments) {
    any_client client = connect_client();
    const std::string message = client.message("never finished");
    ASSERT_TRUE(client.ws().send_frame(ws_op::text, message.substr(0, 5), false));
    ASSERT_TRUE(client.ws().send_close(1000));
    EXPECT_EQ(client.ws().expect_close().code, 1000);
}

INSTANTIATE_TEST_SUITE_P(Kinds, CloseHandling, ::testing::Values(client_kind::simple, client_kind::json),
                         kind_name);

using code_param = std::tuple<client_kind, std::uint16_t>;

std::string code_name(const ::testing::TestParamInfo<code_param>& info) {
    return to_string(std::get<0>(info.param)) + "_" + std::to_string(std::get<1>(info.param));
}

// Autobahn 7.7: every code a peer may send is echoed.
class ValidCloseCode : public conformance_test, public ::testing::WithParamInterface<code_param> {};

TEST_P(ValidCloseCode, IsEchoed) {
    const auto [kind, code] = GetParam();
    any_client client = connect_any(kind);
    ASSERT_TRUE(client.ws().send_close(code, "bye"));
    close_info closed = client.ws().expect_close();
    EXPECT_EQ(closed.code, code) << closed.reason;
}

INSTANTIATE_TEST_SUITE_P(Codes, ValidCloseCode,
                         ::testing::Combine(::testing::Values(client_kind::simple, client_kind::json),
                                            ::testing::Values(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                                                              1011, 3000, 3999, 4000, 4999)),
                         code_name);

// Autobahn 7.9: codes no peer may send (0-999, the reserved 1004-1006 and 1015, unassigned
// 1016-2999, and 5000+) are protocol errors.
class InvalidCloseCode : public conformance_test, public ::testing::WithParamInterface<code_param> {};

TEST_P(InvalidCloseCode, IsAProtocolError) {
    const auto [kind, code] = GetParam();
    any_client client = connect_any(kind);
    client.ws().send_close(code, "bad");
    client.expect_closed_with(1002);
}

INSTANTIATE_TEST_SUITE_P(Codes, InvalidCloseCode,
                         ::testing::Combine(::testing::Values(client_kind::simple, client_kind::json),
                                            ::testing::Values(0, 999, 1004, 1005, 1006, 1015, 1016, 1100,
                                                              2000, 2999, 5000, 65535)),
                         code_name);

} // namespace
} // namespace hubcast::test

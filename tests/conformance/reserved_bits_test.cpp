// Autobahn|Testsuite section 3 (reserved bits): with no extension negotiated, a frame with any
// RSV bit set fails the connection with 1002, and nothing sent after it is processed (the ping
// that follows gets no pong). For both client kinds.

#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include "support/conformance_test.hpp"

namespace hubcast::test {
namespace {

using reserved_bits_case = std::tuple<client_kind, std::uint8_t /*rsv*/, std::uint8_t /*opcode*/>;

class ReservedBits : public conformance_test, public ::testing::WithParamInterface<reserved_bits_case> {};

TEST_P(ReservedBits, FailTheConnection) {
    const auto [kind, rsv, opcode] = GetParam();
    any_client client = connect_any(kind);
    client.round_trip("before");

    frame_spec bad;
    bad.opcode = opcode;
    bad.rsv = rsv;
    switch (opcode) {
    case ws_op::text:
    case ws_op::binary:
        bad.payload = client.message("with reserved bits");
        break;
    case ws_op::close:
        bad.payload = close_payload(1000);
        break;
    default:
        bad.payload = "control";
        break;
    }
    frame_spec ping;
    ping.opcode = ws_op::ping;
    ping.payload = "must not be answered";
    client.ws().send_raw(encode_client_frame(bad) + encode_client_frame(ping));
    client.expect_closed_with(1002);
}

INSTANTIATE_TEST_SUITE_P(
    Frames, ReservedBits,
    ::testing::Combine(::testing::Values(client_kind::simple, client_kind::json),
                       ::testing::Values(ws_rsv::rsv1, ws_rsv::rsv2, ws_rsv::rsv3,
                                         std::uint8_t{ws_rsv::rsv1 | ws_rsv::rsv2 | ws_rsv::rsv3}),
                       ::testing::Values(ws_op::text, ws_op::binary, ws_op::ping, ws_op::pong, ws_op::close)),
    [](const auto& info) {
        return to_string(std::get<0>(info.param)) + "_Rsv" + std::to_string(std::get<1>(info.param)) + "_" +
               opcode_name(std::get<2>(info.param));
    });

// RSV bits on a continuation frame fail the connection too.
class ReservedBitsOnContinuation : public each_kind {};

TEST_P(ReservedBitsOnContinuation, FailTheConnection) {
    any_client client = connect_client();
    const std::string message = client.message("split");
    frame_spec first;
    first.payload = message.substr(0, 4);
    first.fin = false;
    frame_spec rest;
    rest.opcode = ws_op::continuation;
    rest.payload = message.substr(4);
    rest.rsv = ws_rsv::rsv1;
    client.ws().send_raw(encode_client_frame(first) + encode_client_frame(rest));
    client.expect_closed_with(1002);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ReservedBitsOnContinuation,
                         ::testing::Values(client_kind::simple, client_kind::json), kind_name);

} // namespace
} // namespace hubcast::test

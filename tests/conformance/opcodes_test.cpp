// Autobahn|Testsuite section 4 (opcodes): the reserved non-control opcodes 3-7 and control
// opcodes 11-15 fail the connection with 1002, with or without payload, and nothing after them is
// processed. For both client kinds.

#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include "support/conformance_test.hpp"

namespace hubcast::test {
namespace {

using opcode_case = std::tuple<client_kind, std::uint8_t /*opcode*/, bool /*with payload*/>;

class ReservedOpcode : public conformance_test, public ::testing::WithParamInterface<opcode_case> {};

TEST_P(ReservedOpcode, FailsTheConnection) {
    const auto [kind, opcode, with_payload] = GetParam();
    any_client client = connect_any(kind);
    client.round_trip("before");
    frame_spec bad;
    bad.opcode = opcode;
    bad.payload = with_payload ? "reserved opcode payload" : "";
    frame_spec ping;
    ping.opcode = ws_op::ping;
    ping.payload = "must not be answered";
    client.ws().send_raw(encode_client_frame(bad) + encode_client_frame(ping));
    client.expect_closed_with(1002);
}

INSTANTIATE_TEST_SUITE_P(Opcodes, ReservedOpcode,
                         ::testing::Combine(::testing::Values(client_kind::simple, client_kind::json),
                                            ::testing::Values(0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE,
                                                              0xF),
                                            ::testing::Bool()),
                         [](const auto& info) {
                             return to_string(std::get<0>(info.param)) + "_Opcode" +
                                    std::to_string(std::get<1>(info.param)) +
                                    (std::get<2>(info.param) ? "_WithPayload" : "_Empty");
                         });

// A reserved opcode in the middle of a fragmented message fails the connection as well.
class ReservedOpcodeBetweenFragments : public each_kind {};

TEST_P(ReservedOpcodeBetweenFragments, FailsTheConnection) {
    any_client client = connect_client();
    const std::string message = client.message("split");
    frame_spec first;
    first.payload = message.substr(0, 4);
    first.fin = false;
    frame_spec bad;
    bad.opcode = 0xB;
    frame_spec rest;
    rest.opcode = ws_op::continuation;
    rest.payload = message.substr(4);
    client.ws().send_raw(encode_client_frame(first) + encode_client_frame(bad) + encode_client_frame(rest));
    client.expect_closed_with(1002);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ReservedOpcodeBetweenFragments,
                         ::testing::Values(client_kind::simple, client_kind::json), kind_name);

} // namespace
} // namespace hubcast::test

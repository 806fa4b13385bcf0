// The protobuf subprotocol codec (spec section 6). Expected bytes are written by hand from the
// field tables of spec 6.2/6.3 (tag = field_number << 3 | wire_type, base-128 varints), so a wrong
// field number or type in proto/webpubsub.proto fails here even though the codec and the generated
// classes would agree with each other. libprotobuf's parser is used as a second, independent reader.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "proto/webpubsub.pb.h"
#include "protocol/json_protocol.hpp"
#include "protocol/protobuf_protocol.hpp"
#include "util/base64.hpp"

namespace {

using namespace hubcast::protocol;
namespace pb = azure::webpubsub;

// Wire types of the protobuf encoding.
constexpr int varint_type = 0;
constexpr int length_type = 2;

std::string varint(std::uint64_t value) {
    std::string out;
    do {
        std::uint8_t byte = value & 0x7f;
        value >>= 7;
        if (value != 0) {
            byte |= 0x80;
        }
        out += static_cast<char>(byte);
    } while (value != 0);
    return out;
}

std::string tag(int field, int wire_type) {
    return varint(static_cast<std::uint64_t>(field) << 3 | static_cast<std::uint64_t>(wire_type));
}

std::string uint_field(int field, std::uint64_t value) {
    return tag(field, varint_type) + varint(value);
}

std::string bytes_field(int field, std::string_view bytes) {
    return tag(field, length_type) + varint(bytes.size()) + std::string(bytes);
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out += digits[b >> 4];
        out += digits[b & 0x0f];
        out += ' ';
    }
    return out;
}

#define EXPECT_BYTES(actual, expected) EXPECT_EQ(hex(actual), hex(expected))

client_request decode_ok(std::string_view bytes) {
    auto decoded = decode_protobuf_request(bytes);
    if (!decoded) {
        ADD_FAILURE() << "[" << hex(bytes) << "] rejected: " << decoded.error().reason;
        return ping_request{};
    }
    return std::move(decoded).value();
}

template <typename T> T decode_as(std::string_view bytes) {
    client_request request = decode_ok(bytes);
    if (!std::holds_alternative<T>(request)) {
        ADD_FAILURE() << "[" << hex(bytes) << "] decoded to alternative " << request.index();
        return T{};
    }
    return std::get<T>(std::move(request));
}

std::optional<std::string> rejection(std::string_view bytes) {
    auto decoded = decode_protobuf_request(bytes);
    if (decoded) {
        return std::nullopt;
    }
    return decoded.error().reason;
}

// UpstreamMessage fields (spec 6.2).
std::string upstream(int field, std::string_view body) {
    return bytes_field(field, body);
}
constexpr int send_to_group_field = 1;
constexpr int event_field = 5;
constexpr int join_group_field = 6;
constexpr int leave_group_field = 7;
constexpr int sequence_ack_field = 8;
constexpr int ping_field = 9;

// MessageData fields.
std::string text_data(std::string_view text) {
    return bytes_field(1, text);
}
std::string binary_data(std::string_view bytes) {
    return bytes_field(2, bytes);
}
std::string json_data(std::string_view json) {
    return bytes_field(4, json);
}

pb::DownstreamMessage parse_downstream(const std::string& bytes) {
    pb::DownstreamMessage message;
    EXPECT_TRUE(message.ParseFromString(bytes)) << hex(bytes);
    return message;
}

// ---------------------------------------------------------------------------------------------
// Decoding: every request type, from hand-written bytes.

TEST(ProtobufDecode, JoinGroupFromLiteralBytes) {
    // UpstreamMessage{join_group_message(6){group(1)="g", ack_id(2)=1}}, every byte by hand.
    const auto join = decode_as<join_group_request>(std::string("\x32\x05\x0a\x01g\x10\x01", 7));
    EXPECT_EQ(join.group, "g");
    EXPECT_EQ(join.ack_id, std::optional<std::uint64_t>(1));
}

TEST(ProtobufDecode, JoinAndLeaveWithAndWithoutAckId) {
    auto join = decode_as<join_group_request>(upstream(join_group_field, bytes_field(1, "room")));
    EXPECT_EQ(join.group, "room");
    EXPECT_FALSE(join.ack_id.has_value()) << "no ack_id on the wire: fire-and-forget";

    // ack_id is `optional`: an explicit 0 is present and must be acked.
    join =
        decode_as<join_group_request>(upstream(join_group_field, bytes_field(1, "room") + uint_field(2, 0)));
    EXPECT_EQ(join.ack_id, std::optional<std::uint64_t>(0));

    auto leave = decode_as<leave_group_request>(
        upstream(leave_group_field, bytes_field(1, "room") + uint_field(2, 7)));
    EXPECT_EQ(leave.group, "room");
    EXPECT_EQ(leave.ack_id, std::optional<std::uint64_t>(7));
    leave = decode_as<leave_group_request>(upstream(leave_group_field, bytes_field(1, "room")));
    EXPECT_FALSE(leave.ack_id.has_value());
}

TEST(ProtobufDecode, SendToGroupWithEveryField) {
    const auto send = decode_as<send_to_group_request>(
        upstream(send_to_group_field, bytes_field(1, "room") + uint_field(2, 42) +
                                          bytes_field(3, text_data("hello")) + uint_field(4, 1)));
    EXPECT_EQ(send.group, "room");
    EXPECT_EQ(send.ack_id, std::optional<std::uint64_t>(42));
    EXPECT_TRUE(send.no_echo);
    EXPECT_EQ(send.data.type, data_type::text);
    EXPECT_EQ(send.data.bytes, "hello");
}

TEST(ProtobufDecode, SendToGroupDefaultsToEchoAndNoAck) {
    const auto send = decode_as<send_to_group_request>(upstream(
        send_to_group_field, bytes_field(1, "room") + bytes_field(3, binary_data(std::string("\0\xff", 2)))));
    EXPECT_FALSE(send.no_echo);
    EXPECT_FALSE(send.ack_id.has_value());
    EXPECT_EQ(send.data.type, data_type::binary);
    EXPECT_EQ(send.data.bytes, std::string("\0\xff", 2));
}

// EventMessage puts ack_id in field 3, after data (field 2): not the order of the other requests.
TEST(ProtobufDecode, EventHasItsAckIdInField3) {
    const auto event = decode_as<event_request>(upstream(
        event_field, bytes_field(1, "greet") + bytes_field(2, json_data(R"({"a":1})")) + uint_field(3, 9)));
    EXPECT_EQ(event.event, "greet");
    EXPECT_EQ(event.ack_id, std::optional<std::uint64_t>(9));
    EXPECT_EQ(event.data.type, data_type::json);
    EXPECT_EQ(event.data.bytes, R"({"a":1})");

    const auto no_ack = decode_as<event_request>(
        upstream(event_field, bytes_field(1, "greet") + bytes_field(2, text_data("x"))));
    EXPECT_FALSE(no_ack.ack_id.has_value());
}

TEST(ProtobufDecode, SequenceAckAndPing) {
    EXPECT_EQ(decode_as<sequence_ack_request>(upstream(sequence_ack_field, uint_field(1, 300))).sequence_id,
              300u);
    // proto3 does not send a zero scalar: an ack of 0 is an empty SequenceAckMessage.
    EXPECT_EQ(decode_as<sequence_ack_request>(upstream(sequence_ack_field, "")).sequence_id, 0u);
    decode_as<ping_request>(upstream(ping_field, ""));
    decode_as<ping_request>(std::string("\x4a\x00", 2));
}

// Spec 6.1: ack_id and sequence_id were int32, int64 or uint64 in different schemas; all are the same
// varints, and a negative int32 (sign-extended to ten bytes) reads as a large uint64.
TEST(ProtobufDecode, IntegersAreReadAsUint64) {
    const std::uint64_t max = UINT64_MAX;
    EXPECT_EQ(varint(max), std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10));
    auto join =
        decode_as<join_group_request>(upstream(join_group_field, bytes_field(1, "g") + uint_field(2, max)));
    EXPECT_EQ(join.ack_id, std::optional<std::uint64_t>(max));
    EXPECT_EQ(decode_as<sequence_ack_request>(upstream(sequence_ack_field, uint_field(1, max))).sequence_id,
              max);
    join = decode_as<join_group_request>(
        upstream(join_group_field, bytes_field(1, "g") + uint_field(2, 1ULL << 53)));
    EXPECT_EQ(join.ack_id, std::optional<std::uint64_t>(1ULL << 53));
}

TEST(ProtobufDecode, FieldOrderIsFreeAndUnknownFieldsAreIgnored) {
    auto join =
        decode_as<join_group_request>(upstream(join_group_field, uint_field(2, 5) + bytes_field(1, "g")));
    EXPECT_EQ(join.group, "g");
    EXPECT_EQ(join.ack_id, std::optional<std::uint64_t>(5));
    // Unknown fields inside the request and beside it (a newer client's additions).
    join = decode_as<join_group_request>(
        upstream(join_group_field, bytes_field(1, "g") + uint_field(99, 1) + bytes_field(100, "future")) +
        uint_field(1000, 3));
    EXPECT_EQ(join.group, "g");
}

TEST(ProtobufDecode, MetadataOfSendToGroupAndEventInKeyOrder) {
    const auto entry = [](std::string_view key, std::string_view value) { // map entry: key 1, value 2
        return bytes_field(1, key) + bytes_field(2, value);
    };
    const auto send = decode_as<send_to_group_request>(upstream(
        send_to_group_field, bytes_field(1, "g") + bytes_field(3, text_data("t")) + uint_field(5, 60) +
                                 bytes_field(6, entry("z", "1")) + bytes_field(6, entry("a", "2"))));
    EXPECT_EQ(send.data.bytes, "t");
    EXPECT_EQ(send.ttl_seconds, 60U);
    EXPECT_EQ(send.data.metadata, (message_metadata{{"a", "2"}, {"z", "1"}}));
    const auto event = decode_as<event_request>(upstream(
        event_field, bytes_field(1, "e") + bytes_field(2, text_data("t")) + bytes_field(4, entry("k", "v"))));
    EXPECT_EQ(event.data.metadata, (message_metadata{{"k", "v"}}));
    EXPECT_EQ(rejection(upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, text_data("t")) +
                                                          bytes_field(6, entry("a b", "v")))),
              "a metadata key is not 1-256 characters of an HTTP header name");
}

TEST(ProtobufEncode, DataMessagesCarryTheirMetadata) {
    const message_data data{data_type::text, "hi", {{"trace", "t-1"}}};
    for (const auto& bytes :
         {encode_protobuf_group_message("g", data), encode_protobuf_server_message(data)}) {
        const auto message = parse_downstream(bytes);
        ASSERT_EQ(message.data_message().metadata().size(), 1U);
        EXPECT_EQ(message.data_message().metadata().at("trace"), "t-1");
        // The reliable form still splits after the sequence id: metadata is part of the shared body.
        const auto body = protobuf_sequenced_body(bytes);
        ASSERT_TRUE(body.has_value());
        const auto sequenced =
            parse_downstream(protobuf_sequence_prefix(7, body->size()) + std::string(*body));
        EXPECT_EQ(sequenced.data_message().sequence_id(), 7U);
        EXPECT_EQ(sequenced.data_message().metadata().at("trace"), "t-1");
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding: MessageData, all four cases (spec 6.4: the server must accept all of them).

TEST(ProtobufDecode, EveryMessageDataCase) {
    struct row {
        std::string message_data;
        data_type type;
        std::string bytes;
    };
    const std::string any =
        bytes_field(1, "type.googleapis.com/x.Y") + bytes_field(2, std::string("\x08\x01", 2));
    const std::vector<row> rows{
        {text_data("héllo"), data_type::text, "héllo"},
        {text_data(""), data_type::text, ""},
        {binary_data(std::string("\x00\x01\x80\xff", 4)), data_type::binary,
         std::string("\x00\x01\x80\xff", 4)},
        {binary_data(""), data_type::binary, ""},
        {json_data(R"({"n":[1,2,{"x":null}]})"), data_type::json, R"({"n":[1,2,{"x":null}]})"},
        {json_data(R"("a string")"), data_type::json, R"("a string")"},
        {json_data("42"), data_type::json, "42"},
        // Surrounding JSON white space is trimmed: message_data holds the value's text.
        {json_data(" \t{\"a\":1}\r\n"), data_type::json, R"({"a":1})"},
        // The serialized Any, as JSON clients receive it (base64) and simple clients (bytes).
        {bytes_field(3, any), data_type::protobuf, any},
        {bytes_field(3, ""), data_type::protobuf, ""},
    };
    for (const auto& r : rows) {
        const auto send = decode_as<send_to_group_request>(
            upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, r.message_data)));
        EXPECT_EQ(send.data.type, r.type) << hex(r.message_data);
        EXPECT_EQ(send.data.bytes, r.bytes) << hex(r.message_data);
        const auto event = decode_as<event_request>(
            upstream(event_field, bytes_field(1, "e") + bytes_field(2, r.message_data)));
        EXPECT_EQ(event.data.type, r.type) << hex(r.message_data);
        EXPECT_EQ(event.data.bytes, r.bytes) << hex(r.message_data);
    }
}

// The .NET protobuf client sends json data as text_data (spec 6.4): it can only arrive as text.
TEST(ProtobufDecode, JsonInTextDataStaysText) {
    const auto send = decode_as<send_to_group_request>(
        upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, text_data(R"({"a":1})"))));
    EXPECT_EQ(send.data.type, data_type::text);
}

// ---------------------------------------------------------------------------------------------
// Decoding: what must be refused (the session closes with 1007 and the reason).

TEST(ProtobufDecode, RejectsWhatIsNotAnUpstreamMessage) {
    EXPECT_EQ(rejection(""), "no known message set");
    EXPECT_EQ(rejection(uint_field(12, 1)), "no known message set") << "unassigned field 12 only";
    EXPECT_EQ(rejection(upstream(2, "")), "no known message set");
    EXPECT_EQ(rejection("\xff"), "not a valid protobuf UpstreamMessage");
    EXPECT_EQ(rejection(R"({"type":"joinGroup","group":"g"})"), "not a valid protobuf UpstreamMessage")
        << "JSON sent to a protobuf connection";
    EXPECT_EQ(rejection(std::string("\x32\x05\x0a\x01g", 5)), "not a valid protobuf UpstreamMessage")
        << "length beyond the end";
    // join_group_message as a varint: a field of the wrong wire type is an unknown field to
    // libprotobuf, so no request is set.
    EXPECT_EQ(rejection(uint_field(join_group_field, 1)), "no known message set");
    // Field number 0 is invalid.
    EXPECT_EQ(rejection(std::string("\x02\x00", 2)), "not a valid protobuf UpstreamMessage");
}

TEST(ProtobufDecode, EveryProperPrefixOfAMessageIsRejected) {
    const std::string whole = upstream(send_to_group_field, bytes_field(1, "room") + uint_field(2, 300) +
                                                                bytes_field(3, json_data(R"({"k":"v"})")));
    decode_as<send_to_group_request>(whole);
    for (std::size_t size = 0; size < whole.size(); ++size) {
        EXPECT_TRUE(rejection(whole.substr(0, size)).has_value()) << "prefix of " << size << " bytes";
    }
}

TEST(ProtobufDecode, RejectsInvalidGroupAndEventNames) {
    for (int field : {join_group_field, leave_group_field}) {
        EXPECT_EQ(rejection(upstream(field, "")), "invalid group name") << "no group at all";
        EXPECT_EQ(rejection(upstream(field, bytes_field(1, " \t"))), "invalid group name");
        EXPECT_EQ(rejection(upstream(field, bytes_field(1, std::string(1025, 'g')))), "invalid group name");
    }
    EXPECT_TRUE(rejection(upstream(join_group_field, bytes_field(1, std::string(1024, 'g')))) ==
                std::nullopt);
    EXPECT_EQ(rejection(upstream(send_to_group_field, bytes_field(3, text_data("x")))), "invalid group name");
    EXPECT_EQ(rejection(upstream(event_field, bytes_field(2, text_data("x")))), "invalid event name");
    EXPECT_EQ(rejection(upstream(event_field, bytes_field(1, "1st") + bytes_field(2, text_data("x")))),
              "invalid event name");
    EXPECT_EQ(rejection(upstream(event_field, bytes_field(1, "a b") + bytes_field(2, text_data("x")))),
              "invalid event name");
}

TEST(ProtobufDecode, RejectsMissingOrEmptyData) {
    EXPECT_EQ(rejection(upstream(send_to_group_field, bytes_field(1, "g"))), "missing 'data'");
    EXPECT_EQ(rejection(upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, ""))),
              "missing 'data'")
        << "MessageData with no case set";
    EXPECT_EQ(rejection(upstream(event_field, bytes_field(1, "e"))), "missing 'data'");
    EXPECT_EQ(rejection(upstream(event_field, bytes_field(1, "e") + bytes_field(2, ""))), "missing 'data'");
}

// JSON clients receive json_data inlined: it must be one JSON value, not null, not too deep.
TEST(ProtobufDecode, RejectsJsonDataThatIsNotOneJsonValue) {
    const std::string deep_ok = std::string(63, '[') + std::string(63, ']');
    const std::string too_deep = std::string(64, '[') + std::string(64, ']');
    EXPECT_FALSE(
        rejection(upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, json_data(deep_ok)))));
    for (const std::string& bad :
         {std::string(""), std::string("  "), std::string("null"), std::string(" null "), std::string("{"),
          std::string("1 2"), std::string("{\"a\":tru}"), std::string("'x'"), std::string("01"), too_deep}) {
        EXPECT_EQ(
            rejection(upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, json_data(bad)))),
            "'json_data' is not valid JSON")
            << bad;
    }
}

// proto3 strings are UTF-8; libprotobuf refuses the message otherwise, so names and text that
// reach JSON clients are always valid UTF-8.
TEST(ProtobufDecode, RejectsStringsThatAreNotUtf8) {
    const std::string bad = "a\xff";
    EXPECT_TRUE(rejection(upstream(join_group_field, bytes_field(1, bad))).has_value());
    EXPECT_TRUE(
        rejection(upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, text_data(bad)))));
    EXPECT_TRUE(rejection(
        upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, json_data("\"\xc3\"")))));
    EXPECT_TRUE(rejection(upstream(event_field, bytes_field(1, "e\xc3") + bytes_field(2, text_data("x")))));
    // Bytes are bytes.
    EXPECT_FALSE(
        rejection(upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, binary_data(bad)))));
}

// libprotobuf logs an error for each string that is not UTF-8; clients must not be able to fill
// the server's log with it.
TEST(ProtobufDecode, InvalidUtf8FromClientsIsNotLogged) {
    ::testing::internal::CaptureStderr();
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(rejection(upstream(join_group_field, bytes_field(1, "bad\xff"))).has_value());
    }
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(ProtobufDecode, RejectsPreviewRequestsAndStreams) {
    for (int field : {13, 14, 15, 16, 17}) {
        EXPECT_EQ(rejection(upstream(field, "")), "unsupported message (preview feature)") << field;
    }
    const std::string stream = bytes_field(1, "stream-1");
    EXPECT_EQ(rejection(upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, text_data("x")) +
                                                          bytes_field(7, stream))),
              "streaming is not supported");
    EXPECT_EQ(rejection(upstream(event_field, bytes_field(1, "e") + bytes_field(2, text_data("x")) +
                                                  bytes_field(5, stream))),
              "streaming is not supported");
}

// ---------------------------------------------------------------------------------------------
// invoke, cancelInvocation and ttl_seconds (docs/protocol.md, invoke).

constexpr int invoke_field = 10;
constexpr int cancel_invocation_field = 11;

TEST(ProtobufDecode, InvokeWithAndWithoutPayload) {
    // InvokeEventMessage: event 1, invocation_id 2, data 3.
    const auto invoke = decode_as<invoke_request>(upstream(
        invoke_field, bytes_field(1, "calc") + bytes_field(2, "id-1") + bytes_field(3, json_data("[1,2]"))));
    EXPECT_EQ(invoke.event, "calc");
    EXPECT_EQ(invoke.invocation_id, "id-1");
    EXPECT_TRUE(invoke.targets_event);
    ASSERT_TRUE(invoke.data.has_value());
    EXPECT_EQ(invoke.data->type, data_type::json);
    EXPECT_EQ(invoke.data->bytes, "[1,2]");
    const auto bare =
        decode_as<invoke_request>(upstream(invoke_field, bytes_field(1, "e") + bytes_field(2, "2")));
    EXPECT_FALSE(bare.data.has_value());
    const auto empty_data = decode_as<invoke_request>(
        upstream(invoke_field, bytes_field(1, "e") + bytes_field(2, "3") + bytes_field(3, "")));
    EXPECT_FALSE(empty_data.data.has_value());
}

TEST(ProtobufDecode, CancelInvocation) {
    EXPECT_EQ(decode_as<cancel_invocation_request>(upstream(cancel_invocation_field, bytes_field(1, "id-9")))
                  .invocation_id,
              "id-9");
}

TEST(ProtobufDecode, RejectsMalformedInvocations) {
    EXPECT_EQ(rejection(upstream(invoke_field, bytes_field(1, "e"))), "'invocation_id' is empty or too long");
    EXPECT_EQ(
        rejection(upstream(invoke_field, bytes_field(1, "e") +
                                             bytes_field(2, std::string(max_invocation_id_bytes + 1, 'i')))),
        "'invocation_id' is empty or too long");
    EXPECT_EQ(rejection(upstream(invoke_field, bytes_field(2, "1"))), "invalid event name");
    EXPECT_EQ(rejection(upstream(invoke_field, bytes_field(1, "e") + bytes_field(2, "1") +
                                                   bytes_field(5, bytes_field(1, "s")))),
              "streaming is not supported");
    EXPECT_EQ(rejection(upstream(invoke_field,
                                 bytes_field(1, "e") + bytes_field(2, "1") + bytes_field(3, json_data("{")))),
              "'json_data' is not valid JSON");
    EXPECT_EQ(rejection(upstream(cancel_invocation_field, "")), "'invocation_id' is empty or too long");
}

TEST(ProtobufDecode, SendToGroupTtlSeconds) {
    const std::string head = bytes_field(1, "g") + bytes_field(3, text_data("t"));
    EXPECT_EQ(decode_as<send_to_group_request>(upstream(send_to_group_field, head)).ttl_seconds, 0U);
    EXPECT_EQ(decode_as<send_to_group_request>(upstream(send_to_group_field, head + uint_field(5, 300)))
                  .ttl_seconds,
              300U);
    EXPECT_EQ(rejection(upstream(send_to_group_field, head + uint_field(5, 301))),
              "'ttl_seconds' is more than 300");
}

TEST(ProtobufEncode, InvokeResponses) {
    auto success =
        parse_downstream(encode_protobuf_invoke_response("1", message_data{data_type::text, "hi"}));
    ASSERT_TRUE(success.has_invoke_response_message());
    EXPECT_EQ(success.invoke_response_message().invocation_id(), "1");
    EXPECT_TRUE(success.invoke_response_message().success());
    EXPECT_EQ(success.invoke_response_message().data().text_data(), "hi");
    EXPECT_FALSE(success.invoke_response_message().has_error());

    auto empty = parse_downstream(encode_protobuf_invoke_response("2", std::nullopt));
    EXPECT_TRUE(empty.invoke_response_message().success());
    EXPECT_FALSE(empty.invoke_response_message().has_data());

    auto failure = parse_downstream(encode_protobuf_invoke_error("3", "Duplicate", "again"));
    EXPECT_FALSE(failure.invoke_response_message().success());
    EXPECT_EQ(failure.invoke_response_message().error().name(), "Duplicate");
    EXPECT_EQ(failure.invoke_response_message().error().message(), "again");
    // DownstreamMessage field 5, InvokeResponseMessage: invocation_id 1, success 2 (spec 6.3).
    EXPECT_BYTES(encode_protobuf_invoke_response("2", std::nullopt),
                 bytes_field(5, bytes_field(1, "2") + uint_field(2, 1)));
}

TEST(ProtobufDecode, RejectionReasonsFitACloseFrame) {
    for (const std::string& bad :
         {std::string(""), std::string("\xff"), upstream(10, ""), upstream(join_group_field, ""),
          upstream(event_field, bytes_field(1, "e")),
          upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, json_data("{")))}) {
        const auto reason = rejection(bad);
        ASSERT_TRUE(reason.has_value());
        EXPECT_FALSE(reason->empty());
        EXPECT_LE(reason->size(), 123u);
    }
}

// The generated classes as an independent writer: what they serialize decodes to the same values.
TEST(ProtobufDecode, AcceptsWhatTheGeneratedClassesWrite) {
    pb::UpstreamMessage message;
    auto& send = *message.mutable_send_to_group_message();
    send.set_group("g.1");
    send.set_ack_id(77);
    send.set_no_echo(true);
    send.mutable_data()->mutable_protobuf_data()->set_type_url("type.googleapis.com/demo.Point");
    send.mutable_data()->mutable_protobuf_data()->set_value(std::string("\x08\x02\x10\x03", 4));
    const auto decoded = decode_as<send_to_group_request>(message.SerializeAsString());
    EXPECT_EQ(decoded.group, "g.1");
    EXPECT_EQ(decoded.ack_id, std::optional<std::uint64_t>(77));
    EXPECT_TRUE(decoded.no_echo);
    ASSERT_EQ(decoded.data.type, data_type::protobuf);
    google::protobuf::Any any;
    ASSERT_TRUE(any.ParseFromString(decoded.data.bytes));
    EXPECT_EQ(any.type_url(), "type.googleapis.com/demo.Point");
    EXPECT_EQ(any.value(), std::string("\x08\x02\x10\x03", 4));
}

// ---------------------------------------------------------------------------------------------
// Encoding: every DownstreamMessage the server sends, against hand-written bytes.

TEST(ProtobufEncode, AckFromLiteralBytes) {
    // DownstreamMessage{ack_message(1){ack_id(1)=5, success(2)=true}}.
    EXPECT_BYTES(encode_protobuf_ack(5), std::string("\x0a\x04\x08\x05\x10\x01", 6));
    EXPECT_BYTES(encode_protobuf_ack(UINT64_MAX),
                 bytes_field(1, uint_field(1, UINT64_MAX) + uint_field(2, 1)));
    // proto3 leaves a zero scalar out: ack_id 0 is just success.
    EXPECT_BYTES(encode_protobuf_ack(0), bytes_field(1, uint_field(2, 1)));
}

TEST(ProtobufEncode, AckErrorCarriesNameAndMessageInField3) {
    // success=false is proto3's default and is not written.
    EXPECT_BYTES(encode_protobuf_ack_error(7, "Forbidden", "no"),
                 bytes_field(1, uint_field(1, 7) +
                                    bytes_field(3, bytes_field(1, "Forbidden") + bytes_field(2, "no"))));
    const auto ack = parse_downstream(
        encode_protobuf_ack_error(7, "Duplicate", "Message with ack-id: 7 has been processed"));
    ASSERT_TRUE(ack.has_ack_message());
    EXPECT_EQ(ack.ack_message().ack_id(), 7u);
    EXPECT_FALSE(ack.ack_message().success());
    ASSERT_TRUE(ack.ack_message().has_error());
    EXPECT_EQ(ack.ack_message().error().name(), "Duplicate");
    EXPECT_EQ(ack.ack_message().error().message(), "Message with ack-id: 7 has been processed");
}

TEST(ProtobufEncode, GroupMessageNamesFromAndGroupAndHasNoPublisher) {
    EXPECT_BYTES(
        encode_protobuf_group_message("room", message_data{data_type::text, "hi"}),
        bytes_field(2, bytes_field(1, "group") + bytes_field(2, "room") + bytes_field(3, text_data("hi"))));
}

TEST(ProtobufEncode, ServerMessageHasNoGroup) {
    EXPECT_BYTES(
        encode_protobuf_server_message(message_data{data_type::binary, std::string("\0\1", 2)}),
        bytes_field(2, bytes_field(1, "server") + bytes_field(3, binary_data(std::string("\0\1", 2)))));
}

TEST(ProtobufEncode, EveryDataTypeGoesToItsMessageDataField) {
    const std::string any = bytes_field(1, "type.googleapis.com/x.Y") + bytes_field(2, "v");
    // One call per data type rather than a table of rows: GCC 12 reports a table of message_data
    // aggregates as "may be used uninitialized" when it is destroyed (a false positive).
    const auto expect_field = [](const message_data& data, const std::string& message_data_bytes) {
        EXPECT_BYTES(encode_protobuf_server_message(data),
                     bytes_field(2, bytes_field(1, "server") + bytes_field(3, message_data_bytes)))
            << to_string(data.type);
    };
    expect_field({data_type::text, "t"}, text_data("t"));
    expect_field({data_type::text, ""}, text_data("")); // a oneof member is written even when empty
    expect_field({data_type::binary, std::string("\0", 1)}, binary_data(std::string("\0", 1)));
    expect_field({data_type::json, R"({"a":[1]})"}, json_data(R"({"a":[1]})"));
    expect_field({data_type::protobuf, any}, bytes_field(3, any));
    expect_field({data_type::protobuf, ""}, bytes_field(3, ""));
}

// message_data of type protobuf is a serialized Any by contract; anything else must still give a
// frame the client can parse.
TEST(ProtobufEncode, ProtobufDataThatIsNotAnAnyGoesAsBinary) {
    const std::string junk("\xff\xff", 2);
    EXPECT_BYTES(encode_protobuf_server_message(message_data{data_type::protobuf, junk}),
                 bytes_field(2, bytes_field(1, "server") + bytes_field(3, binary_data(junk))));
}

TEST(ProtobufEncode, ConnectedCarriesConnectionIdUserIdAndOptionalToken) {
    // DownstreamMessage{system_message(3){connected_message(1){connection_id(1), user_id(2), token(3)}}}.
    EXPECT_BYTES(encode_protobuf_connected(std::string("alice"), "c1"),
                 bytes_field(3, bytes_field(1, bytes_field(1, "c1") + bytes_field(2, "alice"))));
    // Anonymous: user_id is "" (the emulator's choice), which proto3 leaves out.
    EXPECT_BYTES(encode_protobuf_connected(std::nullopt, "c1"),
                 bytes_field(3, bytes_field(1, bytes_field(1, "c1"))));
    EXPECT_BYTES(
        encode_protobuf_connected(std::string("u"), "c1", "tok"),
        bytes_field(3, bytes_field(1, bytes_field(1, "c1") + bytes_field(2, "u") + bytes_field(3, "tok"))));
}

// DisconnectedMessage.reason is field 2; there is no field 1 (spec 6.3).
TEST(ProtobufEncode, DisconnectedReasonIsField2) {
    EXPECT_BYTES(encode_protobuf_disconnected("SlowClient"),
                 std::string("\x1a\x0e\x12\x0c\x12\x0aSlowClient", 16));
    const auto message = parse_downstream(encode_protobuf_disconnected("bye"));
    ASSERT_TRUE(message.system_message().has_disconnected_message());
    EXPECT_EQ(message.system_message().disconnected_message().reason(), "bye");
}

TEST(ProtobufEncode, PongIsAnEmptyField4) {
    EXPECT_BYTES(encode_protobuf_pong(), std::string("\x22\x00", 2));
}

// ---------------------------------------------------------------------------------------------
// Reliable: a per-connection prefix with the sequence id before the shared DataMessage fields.

std::string sequenced(const std::string& message, std::uint64_t id) {
    const auto body = protobuf_sequenced_body(message);
    EXPECT_TRUE(body.has_value()) << hex(message);
    return body ? protobuf_sequence_prefix(id, body->size()) + std::string(*body) : std::string();
}

TEST(ProtobufSequence, PrefixPutsField4FirstInsideTheDataMessage) {
    const std::string shared = encode_protobuf_group_message("g", message_data{data_type::text, "x"});
    const std::string fields = bytes_field(1, "group") + bytes_field(2, "g") + bytes_field(3, text_data("x"));
    EXPECT_BYTES(std::string(protobuf_sequenced_body(shared).value_or("")), fields);
    const std::string frame = sequenced(shared, 300);
    EXPECT_BYTES(frame, bytes_field(2, uint_field(4, 300) + fields));
    const auto message = parse_downstream(frame);
    ASSERT_TRUE(message.data_message().has_sequence_id());
    EXPECT_EQ(message.data_message().sequence_id(), 300u);
    EXPECT_EQ(message.data_message().from(), "group");
    EXPECT_EQ(message.data_message().group(), "g");
    EXPECT_EQ(message.data_message().data().text_data(), "x");
}

// The outer length is a varint: when the sequence id pushes it past 127 it grows a byte.
TEST(ProtobufSequence, LengthPrefixMayGrowAcrossAVarintBoundary) {
    for (std::size_t text_size = 100; text_size < 140; ++text_size) {
        for (const std::uint64_t id :
             {std::uint64_t{1}, std::uint64_t{128}, std::uint64_t{1} << 35, std::uint64_t{UINT64_MAX}}) {
            const message_data data{data_type::text, std::string(text_size, 'x')};
            EXPECT_BYTES(sequenced(encode_protobuf_server_message(data), id),
                         bytes_field(2, uint_field(4, id) + bytes_field(1, "server") +
                                            bytes_field(3, text_data(data.bytes))));
        }
    }
}

TEST(ProtobufSequence, BodyRefusesWhatIsNotADataMessage) {
    EXPECT_FALSE(protobuf_sequenced_body("").has_value());
    EXPECT_FALSE(protobuf_sequenced_body(encode_protobuf_ack(1)).has_value());
    EXPECT_FALSE(protobuf_sequenced_body(encode_protobuf_pong()).has_value());
    const std::string shared = encode_protobuf_server_message(message_data{data_type::text, "x"});
    EXPECT_FALSE(protobuf_sequenced_body(shared.substr(0, shared.size() - 1)).has_value());
    EXPECT_FALSE(protobuf_sequenced_body(shared + "x").has_value());
}

// ---------------------------------------------------------------------------------------------
// Spec 6.4: the data-type mapping across protocols, both ways.

/// What a JSON client sees of `data`: the dataType and data members of its message.
std::string json_view(const message_data& data) {
    const std::string json = encode_server_message(data);
    const std::string prefix = R"({"type":"message","from":"server",)";
    EXPECT_EQ(json.substr(0, prefix.size()), prefix);
    return json.substr(prefix.size(), json.size() - prefix.size() - 1);
}

TEST(ProtobufMapping, JsonClientDataReachesProtobufClientsAsTheSameKind) {
    struct row {
        std::string json_frame;
        std::string message_data_bytes;
    };
    for (const row& r : {
             row{R"({"type":"sendToGroup","group":"g","dataType":"text","data":"héllo"})",
                 text_data("héllo")},
             row{R"({"type":"sendToGroup","group":"g","dataType":"json","data":{"a":[1,"x"]}})",
                 json_data(R"({"a":[1,"x"]})")},
             row{R"({"type":"sendToGroup","group":"g","data":"just a string"})",
                 json_data(R"("just a string")")},
             row{R"({"type":"sendToGroup","group":"g","dataType":"binary","data":"AAH/"})",
                 binary_data(std::string("\x00\x01\xff", 3))},
         }) {
        auto decoded = decode_json_request(r.json_frame);
        ASSERT_TRUE(decoded) << r.json_frame;
        const auto& send = std::get<send_to_group_request>(*decoded);
        EXPECT_BYTES(encode_protobuf_group_message(send.group, send.data),
                     bytes_field(2, bytes_field(1, "group") + bytes_field(2, "g") +
                                        bytes_field(3, r.message_data_bytes)))
            << r.json_frame;
    }
}

TEST(ProtobufMapping, ProtobufClientDataReachesJsonClientsAsTheSameKind) {
    const std::string any = bytes_field(1, "type.googleapis.com/x.Y") + bytes_field(2, "\x08\x01");
    struct row {
        std::string message_data_bytes;
        std::string json;
    };
    for (const row& r : {
             row{text_data("a \"q\""), R"("dataType":"text","data":"a \"q\"")"},
             row{json_data(R"({"a":1})"), R"("dataType":"json","data":{"a":1})"},
             row{json_data("7"), R"("dataType":"json","data":7)"},
             row{binary_data(std::string("\x00\x01\xff", 3)), R"("dataType":"binary","data":"AAH/")"},
             row{bytes_field(3, any),
                 R"("dataType":"protobuf","data":")" + hubcast::util::base64_encode(any) + "\""},
         }) {
        const auto send = decode_as<send_to_group_request>(
            upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, r.message_data_bytes)));
        EXPECT_EQ(json_view(send.data), r.json) << hex(r.message_data_bytes);
    }
}

// A round trip protobuf → message_data → protobuf gives the client's MessageData back unchanged,
// the Any included.
TEST(ProtobufMapping, ProtobufToProtobufIsLossless) {
    const std::string any = bytes_field(1, "type.googleapis.com/x.Y") + bytes_field(2, "\x08\x01");
    for (const std::string& message_data_bytes :
         {text_data("t"), binary_data("b"), json_data("[true]"), bytes_field(3, any)}) {
        const auto send = decode_as<send_to_group_request>(
            upstream(send_to_group_field, bytes_field(1, "g") + bytes_field(3, message_data_bytes)));
        EXPECT_BYTES(encode_protobuf_group_message("g", send.data),
                     bytes_field(2, bytes_field(1, "group") + bytes_field(2, "g") +
                                        bytes_field(3, message_data_bytes)));
    }
}

} // namespace

// libFuzzer target for decode_protobuf_request (src/protocol/protobuf_protocol.cpp).
//
// The input is one client message. Whatever the bytes, decoding must not crash and must either
// reject with a usable close reason or return a request whose fields hold the promises of
// protobuf_protocol.hpp. An accepted request is then checked with independent means:
// - written again with the generated classes and decoded: the same request comes back;
// - its data offered to the JSON decoder in a JSON frame: a protobuf client's payload is one a JSON
//   client could have sent (so JSON clients can receive it), with the same canonical bytes;
// - encoded as a DownstreamMessage (plain and with a reliable sequence prefix) and parsed by
//   libprotobuf: the same group and data come back.
// A violation aborts, which libFuzzer reports.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <simdjson.h>

#include "fuzz_check.hpp"
#include "proto/webpubsub.pb.h"
#include "protocol/json_protocol.hpp"
#include "protocol/names.hpp"
#include "protocol/protobuf_protocol.hpp"
#include "util/base64.hpp"

namespace {

using namespace hubcast::protocol;
namespace pb = azure::webpubsub;

constexpr std::size_t max_close_reason = 123; // RFC 6455 section 5.5: 125-byte control payload

bool is_utf8(std::string_view text) {
    return simdjson::validate_utf8(text.data(), text.size());
}

void set_data(pb::MessageData& out, const message_data& data) {
    switch (data.type) {
    case data_type::text:
        out.set_text_data(data.bytes);
        return;
    case data_type::binary:
        out.set_binary_data(data.bytes);
        return;
    case data_type::json:
        out.set_json_data(data.bytes);
        return;
    case data_type::protobuf:
        FUZZ_CHECK(out.mutable_protobuf_data()->ParseFromString(data.bytes));
        return;
    }
}

template <typename T> T redecode(const pb::UpstreamMessage& message) {
    auto again = decode_protobuf_request(message.SerializeAsString());
    if (!again) {
        std::fprintf(stderr, "rewritten message rejected: %s\n", again.error().reason.c_str());
    }
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(std::holds_alternative<T>(*again));
    return std::get<T>(std::move(again).value());
}

/// The payload's promises, and agreement with what a JSON client could send.
void check_data(const message_data& data) {
    std::string frame = R"({"type":"sendToGroup","group":"g","dataType":")";
    frame += to_string(data.type);
    frame += R"(","data":)";
    switch (data.type) {
    case data_type::text:
        FUZZ_CHECK(is_utf8(data.bytes));
        append_json_string(frame, data.bytes);
        break;
    case data_type::json: {
        FUZZ_CHECK(is_utf8(data.bytes));
        const auto canonical = json_data_text(data.bytes);
        FUZZ_CHECK(canonical.has_value() && *canonical == data.bytes);
        frame += data.bytes;
        break;
    }
    case data_type::binary:
        frame += '"' + hubcast::util::base64_encode(data.bytes) + '"';
        break;
    case data_type::protobuf: {
        google::protobuf::Any any;
        FUZZ_CHECK(any.ParseFromString(data.bytes));
        FUZZ_CHECK(hubcast::util::base64_decode(hubcast::util::base64_encode(data.bytes)) == data.bytes);
        return; // JSON clients may not send protobuf data (spec 4.3), so there is no frame to compare.
    }
    }
    frame += '}';
    auto decoded = decode_json_request(frame);
    if (!decoded) {
        std::fprintf(stderr, "JSON decoder refused (%s): %s\n", decoded.error().reason.c_str(),
                     frame.c_str());
    }
    FUZZ_CHECK(decoded.has_value());
    const auto& send = std::get<send_to_group_request>(*decoded);
    FUZZ_CHECK(send.data.type == data.type && send.data.bytes == data.bytes);
}

bool same_data(const pb::MessageData& a, const pb::MessageData& b) {
    return a.SerializeAsString() == b.SerializeAsString();
}

/// What a protobuf recipient gets back: plain and sequenced, the same group and data.
void check_downstream(std::optional<std::string_view> group, const message_data& data) {
    const std::string plain =
        group ? encode_protobuf_group_message(*group, data) : encode_protobuf_server_message(data);
    pb::MessageData expected;
    set_data(expected, data);
    const auto body = protobuf_sequenced_body(plain);
    FUZZ_CHECK(body.has_value());
    for (const std::optional<std::uint64_t> sequence_id :
         {std::optional<std::uint64_t>(), std::optional<std::uint64_t>(data.bytes.size() * 131 + 1)}) {
        const std::string bytes =
            sequence_id ? protobuf_sequence_prefix(*sequence_id, body->size()) + std::string(*body) : plain;
        pb::DownstreamMessage message;
        FUZZ_CHECK(message.ParseFromString(bytes));
        FUZZ_CHECK(message.has_data_message());
        const auto& data_message = message.data_message();
        FUZZ_CHECK(data_message.from() == (group ? "group" : "server"));
        FUZZ_CHECK(data_message.has_group() == group.has_value());
        FUZZ_CHECK(!group || data_message.group() == *group);
        FUZZ_CHECK(data_message.has_sequence_id() == sequence_id.has_value());
        FUZZ_CHECK(!sequence_id || data_message.sequence_id() == *sequence_id);
        FUZZ_CHECK(same_data(data_message.data(), expected));
    }
}

struct request_checker {
    void operator()(const join_group_request& request) {
        FUZZ_CHECK(is_valid_group_name(request.group));
        pb::UpstreamMessage message;
        auto& join = *message.mutable_join_group_message();
        join.set_group(request.group);
        if (request.ack_id) {
            join.set_ack_id(*request.ack_id);
        }
        const auto again = redecode<join_group_request>(message);
        FUZZ_CHECK(again.group == request.group && again.ack_id == request.ack_id);
        pb::DownstreamMessage ack;
        FUZZ_CHECK(ack.ParseFromString(
            encode_protobuf_ack_error(request.ack_id.value_or(0), "Forbidden", request.group)));
        FUZZ_CHECK(ack.ack_message().error().message() == request.group);
    }

    void operator()(const leave_group_request& request) {
        FUZZ_CHECK(is_valid_group_name(request.group));
        pb::UpstreamMessage message;
        auto& leave = *message.mutable_leave_group_message();
        leave.set_group(request.group);
        if (request.ack_id) {
            leave.set_ack_id(*request.ack_id);
        }
        const auto again = redecode<leave_group_request>(message);
        FUZZ_CHECK(again.group == request.group && again.ack_id == request.ack_id);
    }

    void operator()(const send_to_group_request& request) {
        FUZZ_CHECK(is_valid_group_name(request.group));
        check_data(request.data);
        check_downstream(request.group, request.data);
        check_downstream(std::nullopt, request.data);
        pb::UpstreamMessage message;
        auto& send = *message.mutable_send_to_group_message();
        send.set_group(request.group);
        if (request.ack_id) {
            send.set_ack_id(*request.ack_id);
        }
        send.set_no_echo(request.no_echo);
        FUZZ_CHECK(request.ttl_seconds <= max_ttl_seconds);
        send.set_ttl_seconds(request.ttl_seconds);
        set_data(*send.mutable_data(), request.data);
        FUZZ_CHECK(metadata_error(request.data.metadata).empty());
        FUZZ_CHECK(std::is_sorted(request.data.metadata.begin(), request.data.metadata.end()));
        for (const auto& [key, value] : request.data.metadata) {
            (*send.mutable_metadata())[key] = value;
        }
        const auto again = redecode<send_to_group_request>(message);
        FUZZ_CHECK(again.data.metadata == request.data.metadata);
        FUZZ_CHECK(again.group == request.group && again.ack_id == request.ack_id);
        FUZZ_CHECK(again.no_echo == request.no_echo && again.ttl_seconds == request.ttl_seconds);
        FUZZ_CHECK(again.data.type == request.data.type && again.data.bytes == request.data.bytes);
    }

    void operator()(const event_request& request) {
        FUZZ_CHECK(is_valid_event_name(request.event));
        check_data(request.data);
        pb::UpstreamMessage message;
        auto& event = *message.mutable_event_message();
        event.set_event(request.event);
        if (request.ack_id) {
            event.set_ack_id(*request.ack_id);
        }
        set_data(*event.mutable_data(), request.data);
        const auto again = redecode<event_request>(message);
        FUZZ_CHECK(again.event == request.event && again.ack_id == request.ack_id);
        FUZZ_CHECK(again.data.type == request.data.type && again.data.bytes == request.data.bytes);
    }

    void operator()(const sequence_ack_request& request) {
        pb::UpstreamMessage message;
        message.mutable_sequence_ack_message()->set_sequence_id(request.sequence_id);
        FUZZ_CHECK(redecode<sequence_ack_request>(message).sequence_id == request.sequence_id);
    }

    void operator()(const ping_request&) {}

    void operator()(const invoke_request& request) {
        FUZZ_CHECK(request.targets_event && is_valid_event_name(request.event));
        FUZZ_CHECK(!request.invocation_id.empty() && request.invocation_id.size() <= max_invocation_id_bytes);
        pb::UpstreamMessage message;
        auto& invoke = *message.mutable_invoke_event_message();
        invoke.set_event(request.event);
        invoke.set_invocation_id(request.invocation_id);
        if (request.data) {
            check_data(*request.data);
            set_data(*invoke.mutable_data(), *request.data);
        }
        const auto again = redecode<invoke_request>(message);
        FUZZ_CHECK(again.event == request.event && again.invocation_id == request.invocation_id);
        FUZZ_CHECK(again.data.has_value() == request.data.has_value());
        FUZZ_CHECK(!request.data ||
                   (again.data->type == request.data->type && again.data->bytes == request.data->bytes));
        // The answer carries the id and the payload back as the same MessageData.
        pb::DownstreamMessage answer;
        FUZZ_CHECK(
            answer.ParseFromString(encode_protobuf_invoke_response(request.invocation_id, request.data)));
        FUZZ_CHECK(answer.has_invoke_response_message());
        FUZZ_CHECK(answer.invoke_response_message().invocation_id() == request.invocation_id);
        FUZZ_CHECK(answer.invoke_response_message().has_data() == request.data.has_value());
        if (request.data) {
            pb::MessageData expected;
            set_data(expected, *request.data);
            FUZZ_CHECK(same_data(answer.invoke_response_message().data(), expected));
        }
    }

    void operator()(const cancel_invocation_request& request) {
        FUZZ_CHECK(!request.invocation_id.empty() && request.invocation_id.size() <= max_invocation_id_bytes);
        pb::UpstreamMessage message;
        message.mutable_cancel_invocation_message()->set_invocation_id(request.invocation_id);
        FUZZ_CHECK(redecode<cancel_invocation_request>(message).invocation_id == request.invocation_id);
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    const std::string_view message(reinterpret_cast<const char*>(bytes), size);
    auto decoded = decode_protobuf_request(message);
    if (!decoded) {
        const std::string& reason = decoded.error().reason;
        FUZZ_CHECK(!reason.empty() && reason.size() <= max_close_reason);
        FUZZ_CHECK(is_utf8(reason));
        return 0;
    }
    std::visit(request_checker{}, decoded.value());
    return 0;
}

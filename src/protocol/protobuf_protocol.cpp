#include "protocol/protobuf_protocol.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <utility>

#include <google/protobuf/stubs/logging.h>

#include "proto/webpubsub.pb.h"
#include "protocol/names.hpp"

namespace hubcast::protocol {

namespace {

namespace pb = azure::webpubsub;

using decode_result = util::result<client_request, decode_error>;

/// libprotobuf logs an ERROR line for every string field that is not UTF-8 when parsing fails on
/// it. Such input comes from clients, so one misbehaving client could fill the server's log; the
/// failure itself reaches the caller as a decode_error. A FATAL message is still printed (libprotobuf
/// aborts after it).
void drop_parse_logs(google::protobuf::LogLevel level, const char* filename, int line,
                     const std::string& message) {
    if (level == google::protobuf::LOGLEVEL_FATAL) {
        std::fprintf(stderr, "libprotobuf FATAL %s:%d: %s\n", filename, line, message.c_str());
    }
}

void quiet_parse_logs_once() {
    static const bool installed = [] {
        google::protobuf::SetLogHandler(&drop_parse_logs);
        return true;
    }();
    static_cast<void>(installed);
}

decode_result reject(const char* reason) {
    return util::fail(decode_error{reason});
}

/// Moves the payload out of `data` (the parsed message is discarded afterwards): a large payload
/// is not copied again.
util::result<message_data, decode_error> read_data(bool present, pb::MessageData& data) {
    if (!present) {
        return util::fail(decode_error{"missing 'data'"});
    }
    switch (data.data_case()) {
    case pb::MessageData::kTextData:
        return message_data{data_type::text, std::move(*data.mutable_text_data())};
    case pb::MessageData::kBinaryData:
        return message_data{data_type::binary, std::move(*data.mutable_binary_data())};
    case pb::MessageData::kProtobufData:
        // The Any itself, not its value: JSON clients get it as base64 and must be able to unpack it.
        return message_data{data_type::protobuf, data.protobuf_data().SerializeAsString()};
    case pb::MessageData::kJsonData: {
        const auto json = json_data_text(data.json_data());
        if (!json) {
            return util::fail(decode_error{"'json_data' is not valid JSON"});
        }
        return message_data{data_type::json, std::string(*json)};
    }
    case pb::MessageData::DATA_NOT_SET:
        break;
    }
    return util::fail(decode_error{"missing 'data'"});
}

/// A map's entries in key order (a map's wire order is not defined), checked as JSON metadata is.
util::result<message_metadata, decode_error>
read_metadata(const google::protobuf::Map<std::string, std::string>& map) {
    message_metadata metadata(map.begin(), map.end());
    std::sort(metadata.begin(), metadata.end());
    if (const auto error = metadata_error(metadata); !error.empty()) {
        return util::fail(decode_error{std::string(error)});
    }
    return metadata;
}

std::optional<std::uint64_t> ack_id_of(bool has_ack_id, std::uint64_t ack_id) {
    return has_ack_id ? std::optional<std::uint64_t>(ack_id) : std::nullopt;
}

bool is_valid_invocation_id(std::string_view id) noexcept {
    return !id.empty() && id.size() <= max_invocation_id_bytes;
}

/// The message names no target: an InvokeEventMessage always targets an event. A MessageData with
/// nothing set counts as no payload, as an absent one does.
decode_result decode_invoke(pb::UpstreamMessage::InvokeEventMessage& invoke) {
    if (!is_valid_invocation_id(invoke.invocation_id())) {
        return reject("'invocation_id' is empty or too long");
    }
    if (!is_valid_event_name(invoke.event())) {
        return reject("invalid event name");
    }
    if (invoke.has_stream()) {
        return reject("streaming is not supported");
    }
    invoke_request request{.invocation_id = std::move(*invoke.mutable_invocation_id()),
                           .event = std::move(*invoke.mutable_event()),
                           .targets_event = true,
                           .data = std::nullopt};
    if (invoke.has_data() && invoke.data().data_case() != pb::MessageData::DATA_NOT_SET) {
        auto data = read_data(true, *invoke.mutable_data());
        if (!data) {
            return util::fail(data.error());
        }
        request.data = std::move(*data);
    }
    return client_request{std::move(request)};
}

decode_result decode(std::string_view bytes) {
    if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
        return reject("message too large");
    }
    quiet_parse_logs_once();
    pb::UpstreamMessage message;
    if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return reject("not a valid protobuf UpstreamMessage");
    }
    switch (message.message_case()) {
    case pb::UpstreamMessage::kJoinGroupMessage: {
        auto& join = *message.mutable_join_group_message();
        if (!is_valid_group_name(join.group())) {
            return reject("invalid group name");
        }
        return client_request{join_group_request{std::move(*join.mutable_group()),
                                                 ack_id_of(join.has_ack_id(), join.ack_id())}};
    }
    case pb::UpstreamMessage::kLeaveGroupMessage: {
        auto& leave = *message.mutable_leave_group_message();
        if (!is_valid_group_name(leave.group())) {
            return reject("invalid group name");
        }
        return client_request{leave_group_request{std::move(*leave.mutable_group()),
                                                  ack_id_of(leave.has_ack_id(), leave.ack_id())}};
    }
    case pb::UpstreamMessage::kSendToGroupMessage: {
        auto& send = *message.mutable_send_to_group_message();
        if (!is_valid_group_name(send.group())) {
            return reject("invalid group name");
        }
        // A stream start changes what the message means; serving it as a plain publish would not.
        if (send.has_stream()) {
            return reject("streaming is not supported");
        }
        if (send.ttl_seconds() > max_ttl_seconds) {
            return reject("'ttl_seconds' is more than 300");
        }
        auto data = read_data(send.has_data(), *send.mutable_data());
        if (!data) {
            return util::fail(data.error());
        }
        auto metadata = read_metadata(send.metadata());
        if (!metadata) {
            return util::fail(metadata.error());
        }
        data->metadata = std::move(*metadata);
        return client_request{send_to_group_request{std::move(*send.mutable_group()),
                                                    ack_id_of(send.has_ack_id(), send.ack_id()),
                                                    send.no_echo(), std::move(*data), send.ttl_seconds()}};
    }
    case pb::UpstreamMessage::kEventMessage: {
        auto& event = *message.mutable_event_message();
        if (!is_valid_event_name(event.event())) {
            return reject("invalid event name");
        }
        if (event.has_stream()) {
            return reject("streaming is not supported");
        }
        auto data = read_data(event.has_data(), *event.mutable_data());
        if (!data) {
            return util::fail(data.error());
        }
        auto metadata = read_metadata(event.metadata());
        if (!metadata) {
            return util::fail(metadata.error());
        }
        data->metadata = std::move(*metadata);
        return client_request{event_request{std::move(*event.mutable_event()),
                                            ack_id_of(event.has_ack_id(), event.ack_id()), std::move(*data)}};
    }
    case pb::UpstreamMessage::kSequenceAckMessage:
        // proto3 cannot tell 0 from absent; an ack of 0 releases nothing (spec 5.2), so both are fine.
        return client_request{sequence_ack_request{message.sequence_ack_message().sequence_id()}};
    case pb::UpstreamMessage::kPingMessage:
        return client_request{ping_request{}};
    case pb::UpstreamMessage::kInvokeEventMessage:
        return decode_invoke(*message.mutable_invoke_event_message());
    case pb::UpstreamMessage::kCancelInvocationMessage: {
        auto& cancel = *message.mutable_cancel_invocation_message();
        if (!is_valid_invocation_id(cancel.invocation_id())) {
            return reject("'invocation_id' is empty or too long");
        }
        return client_request{cancel_invocation_request{std::move(*cancel.mutable_invocation_id())}};
    }
    case pb::UpstreamMessage::kStreamDataMessage:
    case pb::UpstreamMessage::kStreamEndMessage:
    case pb::UpstreamMessage::kSetGroupStateMessage:
    case pb::UpstreamMessage::kSubscribeGroupStateMessage:
    case pb::UpstreamMessage::kUnsubscribeGroupStateMessage:
        return reject("unsupported message (preview feature)");
    case pb::UpstreamMessage::MESSAGE_NOT_SET:
        break;
    }
    return reject("no known message set");
}

std::string serialize(const pb::DownstreamMessage& message) {
    std::string out;
    message.SerializeToString(&out);
    return out;
}

void fill_data(pb::MessageData& out, const message_data& data) {
    switch (data.type) {
    case data_type::text:
        out.set_text_data(data.bytes);
        return;
    case data_type::binary:
        out.set_binary_data(data.bytes);
        return;
    case data_type::json:
        // The current clients read json_data as json; the 2021 docs put JSON in text_data, which
        // those clients would hand out as text (docs/protocol.md, protobuf section).
        out.set_json_data(data.bytes);
        return;
    case data_type::protobuf:
        if (!out.mutable_protobuf_data()->ParseFromString(data.bytes)) {
            out.set_binary_data(data.bytes);
        }
        return;
    }
}

std::string encode_data_message(const std::string_view* group, const message_data& data) {
    pb::DownstreamMessage message;
    auto& data_message = *message.mutable_data_message();
    if (group != nullptr) {
        data_message.set_from("group");
        data_message.set_group(std::string(*group));
    } else {
        data_message.set_from("server");
    }
    fill_data(*data_message.mutable_data(), data);
    for (const auto& [key, value] : data.metadata) {
        (*data_message.mutable_metadata())[key] = value;
    }
    return serialize(message);
}

// Wire-format pieces for the reliable sequence prefix (protobuf encoding guide: tags are
// field_number << 3 | wire_type; lengths and integers are base-128 varints, low group first).
constexpr std::uint8_t data_message_tag = (2 << 3) | 2; // DownstreamMessage.data_message, length-delimited
constexpr std::uint8_t sequence_id_tag = (4 << 3) | 0;  // DataMessage.sequence_id, varint

char* write_varint(char* out, std::uint64_t value) noexcept {
    while (value >= 0x80) {
        *out++ = static_cast<char>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    *out++ = static_cast<char>(value);
    return out;
}

std::size_t varint_size(std::uint64_t value) noexcept {
    std::size_t size = 1;
    while (value >= 0x80) {
        value >>= 7;
        ++size;
    }
    return size;
}

/// Reads a varint from the front of `bytes`, consuming it.
std::optional<std::uint64_t> take_varint(std::string_view& bytes) noexcept {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64 && !bytes.empty(); shift += 7) {
        const auto byte = static_cast<std::uint8_t>(bytes.front());
        bytes.remove_prefix(1);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            return value;
        }
    }
    return std::nullopt;
}

} // namespace

util::result<client_request, decode_error> decode_protobuf_request(std::string_view message) {
    try {
        return decode(message);
    } catch (...) {
        // Only allocation can throw here; the caller still gets a value to close the connection with.
        return util::fail(decode_error{"internal error"});
    }
}

std::string encode_protobuf_ack(std::uint64_t ack_id) {
    pb::DownstreamMessage message;
    auto& ack = *message.mutable_ack_message();
    ack.set_ack_id(ack_id);
    ack.set_success(true);
    return serialize(message);
}

std::string encode_protobuf_ack_error(std::uint64_t ack_id, std::string_view name, std::string_view message) {
    pb::DownstreamMessage downstream;
    auto& ack = *downstream.mutable_ack_message();
    ack.set_ack_id(ack_id);
    ack.set_success(false);
    auto& error = *ack.mutable_error();
    error.set_name(std::string(name));
    error.set_message(std::string(message));
    return serialize(downstream);
}

std::string encode_protobuf_group_message(std::string_view group, const message_data& data) {
    return encode_data_message(&group, data);
}

std::string encode_protobuf_server_message(const message_data& data) {
    return encode_data_message(nullptr, data);
}

std::string encode_protobuf_connected(const std::optional<std::string>& user_id,
                                      std::string_view connection_id,
                                      std::optional<std::string_view> reconnection_token) {
    pb::DownstreamMessage message;
    auto& connected = *message.mutable_system_message()->mutable_connected_message();
    connected.set_connection_id(std::string(connection_id));
    if (user_id) {
        connected.set_user_id(*user_id);
    }
    if (reconnection_token) {
        connected.set_reconnection_token(std::string(*reconnection_token));
    }
    return serialize(message);
}

std::string encode_protobuf_disconnected(std::string_view reason) {
    pb::DownstreamMessage message;
    message.mutable_system_message()->mutable_disconnected_message()->set_reason(std::string(reason));
    return serialize(message);
}

std::string encode_protobuf_pong() {
    pb::DownstreamMessage message;
    message.mutable_pong_message();
    return serialize(message);
}

std::string encode_protobuf_invoke_response(std::string_view invocation_id,
                                            const std::optional<message_data>& data) {
    pb::DownstreamMessage message;
    auto& response = *message.mutable_invoke_response_message();
    response.set_invocation_id(std::string(invocation_id));
    response.set_success(true);
    if (data) {
        fill_data(*response.mutable_data(), *data);
    }
    return serialize(message);
}

std::string encode_protobuf_invoke_error(std::string_view invocation_id, std::string_view name,
                                         std::string_view message) {
    pb::DownstreamMessage downstream;
    auto& response = *downstream.mutable_invoke_response_message();
    response.set_invocation_id(std::string(invocation_id));
    response.set_success(false);
    auto& error = *response.mutable_error();
    error.set_name(std::string(name));
    error.set_message(std::string(message));
    return serialize(downstream);
}

std::optional<std::string_view> protobuf_sequenced_body(std::string_view message) noexcept {
    if (message.empty() || static_cast<std::uint8_t>(message.front()) != data_message_tag) {
        return std::nullopt;
    }
    message.remove_prefix(1);
    const auto length = take_varint(message);
    if (!length || *length != message.size()) {
        return std::nullopt;
    }
    return message;
}

std::string protobuf_sequence_prefix(std::uint64_t sequence_id, std::size_t body_size) {
    std::string out(protobuf_sequence_prefix_size(sequence_id, body_size), '\0');
    write_protobuf_sequence_prefix(out.data(), sequence_id, body_size);
    return out;
}

std::size_t protobuf_sequence_prefix_size(std::uint64_t sequence_id, std::size_t body_size) noexcept {
    const std::size_t sequence_size = 1 + varint_size(sequence_id);
    return 1 + varint_size(body_size + sequence_size) + sequence_size;
}

char* write_protobuf_sequence_prefix(char* out, std::uint64_t sequence_id, std::size_t body_size) noexcept {
    *out++ = static_cast<char>(data_message_tag);
    out = write_varint(out, body_size + 1 + varint_size(sequence_id));
    *out++ = static_cast<char>(sequence_id_tag);
    return write_varint(out, sequence_id);
}

} // namespace hubcast::protocol

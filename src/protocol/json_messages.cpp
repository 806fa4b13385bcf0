#include "protocol/json_messages.hpp"

#include <cassert>

#include "protocol/json_text.hpp"
#include "util/base64.hpp"

namespace hubcast::protocol {

namespace {

void append_nullable_string(std::string& out, const std::optional<std::string>& text) {
    if (text) {
        append_json_string(out, *text);
    } else {
        out += "null";
    }
}

std::size_t encoded_data_size(const message_data& data) {
    switch (data.type) {
    case data_type::json:
        return data.bytes.size();
    case data_type::text:
        return data.bytes.size() + 2;
    case data_type::binary:
    case data_type::protobuf:
        break;
    }
    return (data.bytes.size() + 2) / 3 * 4 + 2;
}

void append_data(std::string& out, const message_data& data) {
    out += R"("dataType":")";
    out += to_string(data.type);
    out += R"(","data":)";
    switch (data.type) {
    case data_type::json:
        // The contract of message_data: the raw text of one JSON value, never empty.
        assert(!data.bytes.empty());
        out += data.bytes;
        return;
    case data_type::text:
        append_json_string(out, data.bytes);
        return;
    case data_type::binary:
    case data_type::protobuf:
        // The base64 alphabet needs no escaping.
        out += '"';
        out += util::base64_encode(data.bytes);
        out += '"';
        return;
    }
}

/// `,"metadata":{...}` when there is any: clients read members in any order, and older ones ignore
/// members they do not know.
void append_metadata(std::string& out, const message_metadata& metadata) {
    if (metadata.empty()) {
        return;
    }
    out += R"(,"metadata":{)";
    bool first = true;
    for (const auto& [key, value] : metadata) {
        if (!first) {
            out += ',';
        }
        first = false;
        append_json_string(out, key);
        out += ':';
        append_json_string(out, value);
    }
    out += '}';
}

std::size_t metadata_size(const message_metadata& metadata) {
    std::size_t size = metadata.empty() ? 0 : 16;
    for (const auto& [key, value] : metadata) {
        size += key.size() + value.size() + 6;
    }
    return size;
}

/// `,"success":false,"error":{"name":…,"message":…}}`: how an ack and an invokeResponse end when
/// they report an error.
void append_failure(std::string& out, std::string_view name, std::string_view message) {
    out += R"(,"success":false,"error":{"name":)";
    append_json_string(out, name);
    out += R"(,"message":)";
    append_json_string(out, message);
    out += "}}";
}

} // namespace

std::string encode_ack(std::uint64_t ack_id) {
    std::string out;
    out.reserve(64);
    out += R"({"type":"ack","ackId":)";
    append_json_uint(out, ack_id);
    out += R"(,"success":true})";
    return out;
}

std::string encode_ack_error(std::uint64_t ack_id, std::string_view name, std::string_view message) {
    std::string out;
    out.reserve(96 + name.size() + message.size());
    out += R"({"type":"ack","ackId":)";
    append_json_uint(out, ack_id);
    append_failure(out, name, message);
    return out;
}

std::string encode_group_message(std::string_view group, const std::optional<std::string>& from_user_id,
                                 const message_data& data) {
    std::string out;
    out.reserve(96 + group.size() + (from_user_id ? from_user_id->size() : 0) + encoded_data_size(data) +
                metadata_size(data.metadata));
    out += R"({"type":"message","from":"group","group":)";
    append_json_string(out, group);
    out += R"(,"fromUserId":)";
    append_nullable_string(out, from_user_id);
    out += ',';
    append_data(out, data);
    append_metadata(out, data.metadata);
    out += '}';
    return out;
}

std::string encode_server_message(const message_data& data) {
    std::string out;
    out.reserve(64 + encoded_data_size(data) + metadata_size(data.metadata));
    out += R"({"type":"message","from":"server",)";
    append_data(out, data);
    append_metadata(out, data.metadata);
    out += '}';
    return out;
}

std::string encode_connected(const std::optional<std::string>& user_id, std::string_view connection_id) {
    std::string out;
    out.reserve(80 + (user_id ? user_id->size() : 0) + connection_id.size());
    out += R"({"type":"system","event":"connected","userId":)";
    append_nullable_string(out, user_id);
    out += R"(,"connectionId":)";
    append_json_string(out, connection_id);
    out += '}';
    return out;
}

std::string encode_connected(const std::optional<std::string>& user_id, std::string_view connection_id,
                             std::string_view reconnection_token) {
    std::string out = encode_connected(user_id, connection_id);
    out.pop_back(); // the closing brace
    out += R"(,"reconnectionToken":)";
    append_json_string(out, reconnection_token);
    out += '}';
    return out;
}

std::string encode_disconnected(std::string_view reason) {
    std::string out;
    out.reserve(64 + reason.size());
    out += R"({"type":"system","event":"disconnected","message":)";
    append_json_string(out, reason);
    out += '}';
    return out;
}

std::string encode_pong() {
    return R"({"type":"pong"})";
}

std::string encode_invoke_response(std::string_view invocation_id, const std::optional<message_data>& data) {
    std::string out;
    out.reserve(80 + invocation_id.size() + (data ? encoded_data_size(*data) : 0));
    out += R"({"type":"invokeResponse","invocationId":)";
    append_json_string(out, invocation_id);
    out += R"(,"success":true)";
    if (data) {
        out += ',';
        append_data(out, *data);
    }
    out += '}';
    return out;
}

std::string encode_invoke_error(std::string_view invocation_id, std::string_view name,
                                std::string_view message) {
    std::string out;
    out.reserve(112 + invocation_id.size() + name.size() + message.size());
    out += R"({"type":"invokeResponse","invocationId":)";
    append_json_string(out, invocation_id);
    append_failure(out, name, message);
    return out;
}

} // namespace hubcast::protocol

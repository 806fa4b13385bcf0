#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/message_data.hpp"

namespace hubcast::protocol {

// Server-to-client messages (spec 4.4). Each returns the JSON text (the WebSocket payload).
// Values the clients compare case-sensitively are written lowercase. A data message carries
// `"metadata":{...}` when its data has metadata.

std::string encode_ack(std::uint64_t ack_id);
/// `name` is one of Forbidden, InternalServerError, Duplicate, BadRequest.
std::string encode_ack_error(std::uint64_t ack_id, std::string_view name, std::string_view message);
/// `from_user_id` empty optional → `"fromUserId":null`.
std::string encode_group_message(std::string_view group, const std::optional<std::string>& from_user_id,
                                 const message_data& data);
std::string encode_server_message(const message_data& data);
std::string encode_connected(const std::optional<std::string>& user_id, std::string_view connection_id);
/// The reliable protocols' `connected` (spec 4.4, 5.4): the same with `"reconnectionToken"`.
std::string encode_connected(const std::optional<std::string>& user_id, std::string_view connection_id,
                             std::string_view reconnection_token);
std::string encode_disconnected(std::string_view reason);
std::string encode_pong();
/// `{"type":"invokeResponse","invocationId":...,"success":true}` with `dataType` and `data` when
/// the handler answered with a payload; only ever sent in reply to an `invoke`.
std::string encode_invoke_response(std::string_view invocation_id, const std::optional<message_data>& data);
/// `{"type":"invokeResponse","invocationId":...,"success":false,"error":{"name":...,"message":...}}`.
std::string encode_invoke_error(std::string_view invocation_id, std::string_view name,
                                std::string_view message);

} // namespace hubcast::protocol

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/json_protocol.hpp"
#include "protocol/message_data.hpp"
#include "util/result.hpp"

namespace hubcast::protocol {

// The protobuf subprotocols (client-protocol spec section 6; schema in proto/webpubsub.proto).
// Requests decode to the same client_request values as JSON frames, validated the same way, so
// the session layer handles both alike. Payloads cross protocols as message_data (spec 6.4):
//   text_data     <-> data_type::text
//   binary_data   <-> data_type::binary
//   json_data     <-> data_type::json (validated as JSON, so JSON clients can inline it)
//   protobuf_data <-> data_type::protobuf, holding the serialized google.protobuf.Any

/// Decodes one protobuf-subprotocol message (a serialized UpstreamMessage: the whole payload of one
/// WebSocket message). Accepts join, leave, sendToGroup, event, sequenceAck, ping, invoke and
/// cancelInvocation; anything else (no message set, the preview stream/group-state requests, a
/// `stream` on a publish, event or invoke) is an error. Group and event names, invocation ids, JSON
/// data and `ttl_seconds` are checked as decode_json_request checks them; strings are valid UTF-8
/// (proto3). `ack_id` is present exactly when the client set it. Unknown fields and `metadata` are
/// ignored, as the JSON decoder ignores unknown properties. Pure; never throws.
util::result<client_request, decode_error> decode_protobuf_request(std::string_view message);

// Server-to-client messages (spec 6.3). Each returns a serialized DownstreamMessage: the payload of
// one binary frame.

std::string encode_protobuf_ack(std::uint64_t ack_id);
/// `name` is one of Forbidden, InternalServerError, Duplicate, BadRequest.
std::string encode_protobuf_ack_error(std::uint64_t ack_id, std::string_view name, std::string_view message);
/// A DataMessage from `group`. Protobuf messages carry no publisher (spec 6.4: no fromUserId).
/// `data` of type protobuf must be a serialized google.protobuf.Any, as decode_protobuf_request
/// produces; other bytes are sent as binary_data so that the message stays parseable.
std::string encode_protobuf_group_message(std::string_view group, const message_data& data);
/// A DataMessage from the server; `data` as for encode_protobuf_group_message.
std::string encode_protobuf_server_message(const message_data& data);
/// `user_id` empty optional → "" (the field is a plain string). The reconnection token is for the
/// reliable subprotocol only.
std::string encode_protobuf_connected(const std::optional<std::string>& user_id,
                                      std::string_view connection_id,
                                      std::optional<std::string_view> reconnection_token = std::nullopt);
std::string encode_protobuf_disconnected(std::string_view reason);
std::string encode_protobuf_pong();
/// An InvokeResponseMessage with success set, and `data` when the handler answered with a payload.
std::string encode_protobuf_invoke_response(std::string_view invocation_id,
                                            const std::optional<message_data>& data);
/// An InvokeResponseMessage with success false and its error.
std::string encode_protobuf_invoke_error(std::string_view invocation_id, std::string_view name,
                                         std::string_view message);

// Reliable data messages (spec 5.1) are the plain DataMessage with sequence_id (field 4) added.
// Protobuf fields may come in any order, so the sequence id is written first: what follows it
// (protobuf_sequenced_body) is the same for every recipient of a send, and only
// protobuf_sequence_prefix is per connection. prefix + body is one serialized DownstreamMessage.

/// The DataMessage fields of `message` (an encode_protobuf_group_message /
/// encode_protobuf_server_message result) without the outer tag and length; nullopt when `message`
/// is not such a message.
std::optional<std::string_view> protobuf_sequenced_body(std::string_view message) noexcept;
/// The outer tag and length of a DataMessage of `body_size` bytes plus the sequence id, then
/// sequence_id itself.
std::string protobuf_sequence_prefix(std::uint64_t sequence_id, std::size_t body_size);
/// Its length, and the same written at `out` (which has room for it), returning the end.
std::size_t protobuf_sequence_prefix_size(std::uint64_t sequence_id, std::size_t body_size) noexcept;
char* write_protobuf_sequence_prefix(char* out, std::uint64_t sequence_id, std::size_t body_size) noexcept;

} // namespace hubcast::protocol

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/message_data.hpp"
#include "util/result.hpp"

namespace hubcast::protocol {

// Requests a PubSub client sends (client-protocol spec section 4.2). Field values are already
// validated: group names are 1..1024 chars and not whitespace-only, event names match
// ^[a-z][a-z0-9_.-]{0,127}$ (case-insensitively), data is in canonical form (message_data).

struct join_group_request {
    std::string group;
    std::optional<std::uint64_t> ack_id;
};

struct leave_group_request {
    std::string group;
    std::optional<std::uint64_t> ack_id;
};

struct send_to_group_request {
    std::string group;
    std::optional<std::uint64_t> ack_id;
    bool no_echo = false;
    message_data data;
};

struct event_request {
    std::string event;
    std::optional<std::uint64_t> ack_id;
    message_data data;
};

struct sequence_ack_request {
    std::uint64_t sequence_id = 0;
};

struct ping_request {};

using client_request = std::variant<join_group_request, leave_group_request, send_to_group_request,
                                    event_request, sequence_ack_request, ping_request>;

/// Why a frame is not a valid request. The connection is closed with 1007 and `reason`.
struct decode_error {
    std::string reason;
};

/// Decodes one JSON-subprotocol frame (text, or UTF-8 JSON in a binary frame). Lenient as spec
/// 4.1 says: any property order, unknown properties ignored, `type` and `dataType` matched
/// case-insensitively, `dataType` defaults to json. Pure; never throws.
util::result<client_request, decode_error> decode_json_request(std::string_view frame);

// Server-to-client messages (spec 4.4). Each returns the JSON text (the WebSocket payload).
// Values the clients compare case-sensitively are written lowercase.

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

// Reliable JSON data messages (spec 5.1) are the plain `message` with `"sequenceId":N` as their
// first member. What follows the opening brace (json_sequenced_body) is the same for every
// recipient of a send; only json_sequence_prefix(N) is per connection, and prefix + body is one
// JSON object. Clients read members in any order (spec 4.1), so the position is free.

/// `{"sequenceId":N,` (N is never 0: ids start at 1).
std::string json_sequence_prefix(std::uint64_t sequence_id);
/// The same appended to `out`, and its length: a per-recipient head is built in one allocation.
void append_json_sequence_prefix(std::string& out, std::uint64_t sequence_id);
std::size_t json_sequence_prefix_size(std::uint64_t sequence_id) noexcept;
/// `message` (an encode_group_message / encode_server_message result) without its opening brace.
std::string_view json_sequenced_body(std::string_view message) noexcept;

/// Writes `text` as a JSON string literal (with quotes), escaping as RFC 8259 requires.
void append_json_string(std::string& out, std::string_view text);

/// For JSON payloads that arrive by another route (protobuf `json_data`): `text` without its
/// surrounding JSON white space when it is exactly one JSON value other than `null`, nested no
/// deeper than the `data` of a JSON frame may be; nullopt otherwise. JSON clients receive such a
/// payload inlined into their messages, so it must hold the same promises as decoded JSON data.
/// `text` must be valid UTF-8 (not checked here).
std::optional<std::string_view> json_data_text(std::string_view text) noexcept;

} // namespace hubcast::protocol

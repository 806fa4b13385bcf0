#pragma once

#include <cstddef>
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
    /// `ttlSeconds` (0-300): an undelivered message is dropped once it is this old; 0 or absent:
    /// never.
    std::uint32_t ttl_seconds = 0;
};

struct event_request {
    std::string event;
    std::optional<std::uint64_t> ack_id;
    message_data data;
};

/// The longest invocationId accepted, in bytes: longer is a malformed request (docs/protocol.md).
inline constexpr std::size_t max_invocation_id_bytes = 128;
/// The most `ttlSeconds` may be, as for REST `messageTtlSeconds`.
inline constexpr std::uint32_t max_ttl_seconds = 300;

/// `invoke` (JSON) / InvokeEventMessage (protobuf): a user event whose handler's answer comes back
/// as `invokeResponse`. `invocation_id` is 1..max_invocation_id_bytes bytes.
struct invoke_request {
    std::string invocation_id;
    std::string event;
    /// JSON `target`: "event" (the only target the service defines) unless the client named
    /// another; the session answers any other with an error response. Protobuf has no target.
    bool targets_event = true;
    /// Absent when the client sent no payload (the JS client leaves dataType and data out).
    std::optional<message_data> data;
};

struct cancel_invocation_request {
    std::string invocation_id;
};

struct sequence_ack_request {
    std::uint64_t sequence_id = 0;
};

struct ping_request {};

using client_request =
    std::variant<join_group_request, leave_group_request, send_to_group_request, event_request,
                 sequence_ack_request, ping_request, invoke_request, cancel_invocation_request>;

/// Why a frame is not a valid request. The connection is closed with 1007 and `reason`.
struct decode_error {
    std::string reason;
};

/// Decodes one JSON-subprotocol frame (text, or UTF-8 JSON in a binary frame). Lenient as spec
/// 4.1 says: any property order, unknown properties ignored, `type` and `dataType` matched
/// case-insensitively, `dataType` defaults to json. Pure; never throws.
util::result<client_request, decode_error> decode_json_request(std::string_view frame);

} // namespace hubcast::protocol

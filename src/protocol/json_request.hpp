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

} // namespace hubcast::protocol

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/message_data.hpp"
#include "util/result.hpp"

namespace hubcast::protocol {

// The bodies of the CloudEvents (HTTP binary mode) hubcast posts to event handlers, and the
// answers it reads back (server spec 4.3-4.6). Pure; never throws.

/// Name → values in order, written as a JSON object of string arrays.
using string_lists = std::vector<std::pair<std::string, std::vector<std::string>>>;

/// The `connect` body: `{"claims":{..},"query":{..},"headers":{..},"subprotocols":[..]}`, every map
/// `string → string[]`. `clientCertificates` is left out: hubcast does not ask for certificates.
std::string encode_connect_body(const string_lists& claims, const string_lists& query,
                                const string_lists& headers, const std::vector<std::string>& subprotocols);

/// The `disconnected` body: `{"reason":"..."}`.
std::string encode_disconnected_body(std::string_view reason);

/// What a connect handler's JSON answer may set; absent members stay empty.
struct connect_response {
    std::optional<std::string> user_id;
    std::optional<std::vector<std::string>> groups;
    std::optional<std::vector<std::string>> roles;
    std::optional<std::string> subprotocol;
};

/// Reads a connect handler's 200 body. An empty (or all-whitespace) body sets nothing. The error
/// says what is wrong: not a JSON object, a member of the wrong type, an invalid user id or group
/// name, an empty subprotocol. `null` members count as absent; unknown members are ignored (MQTT).
util::result<connect_response, std::string> decode_connect_response(std::string_view body);

/// Content-Type of a user event's body (spec 4.6): text/plain, application/json, or
/// application/octet-stream for binary (and protobuf) data.
std::string_view content_type_of(data_type type) noexcept;

/// How a handler's reply body is passed on, by the media type of its Content-Type (case-insensitive,
/// parameters ignored): application/json → json, text/plain → text, anything else → binary. A json
/// body that is not one JSON value, or a text body that is not UTF-8, is an error naming the
/// problem.
util::result<message_data, std::string> decode_reply(std::string_view content_type, std::string body);

} // namespace hubcast::protocol

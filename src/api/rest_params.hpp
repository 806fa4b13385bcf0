#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/rest_errors.hpp"
#include "auth/access_keys.hpp"
#include "core/connection_filter.hpp"
#include "protocol/message_data.hpp"
#include "util/result.hpp"

namespace hubcast::api {

/// The decoded query parameters of a REST call, in the order sent. Names match ASCII
/// case-insensitively: SDKs spell them as the swagger does, hand-written calls may not.
class query_parameters {
public:
    query_parameters() = default;
    explicit query_parameters(std::vector<std::pair<std::string, std::string>> pairs)
        : pairs_(std::move(pairs)) {}

    /// The first value of `name`, if present (possibly empty).
    std::optional<std::string_view> first(std::string_view name) const;
    /// Every value of `name`, in order (a `collectionFormat: multi` array).
    std::vector<std::string> all(std::string_view name) const;
    /// Every parameter, decoded, in order.
    const std::vector<std::pair<std::string, std::string>>& pairs() const noexcept { return pairs_; }

private:
    std::vector<std::pair<std::string, std::string>> pairs_;
};

/// Every api-version of the data plane (spec 2.1): the stable ones and the older previews, all of
/// which describe a subset of the operations hubcast serves.
bool is_known_api_version(std::string_view version) noexcept;
/// A known version, or a well-formed one (`YYYY-MM-DD`, optionally `-preview`) later than the
/// newest known: a newer server SDK sends its own version for the operations hubcast serves, and a
/// newer version only adds operations (which are still 404 here).
bool is_accepted_api_version(std::string_view version) noexcept;
/// `api-version` must be present and accepted: 400 otherwise.
std::optional<rest_error> check_api_version(const query_parameters& query);

/// `excluded`, both as `excluded=a&excluded=b` (the swagger's `multi`, what the released SDKs send)
/// and as `excluded=a,b` (an RFC 6570 expansion without explode): hubcast ids never hold a comma.
/// Empty items are ignored.
std::vector<std::string> excluded_connections(const query_parameters& query);

/// `messageTtlSeconds`: an integer 0-300, 0 or absent meaning "never expires" (spec 2.3).
util::result<std::chrono::seconds, rest_error> message_ttl(const query_parameters& query);

/// `reason` of the close operations: free text, UTF-8, empty when absent.
util::result<std::string, rest_error> close_reason(const query_parameters& query);

/// `targetName` of the permission operations: a group name, or nullopt for "every group".
util::result<std::optional<std::string>, rest_error> permission_target(const query_parameters& query);

/// `filter` (spec 2.4), parsed once per request: null when absent or blank; a 400 whose message
/// names the problem and its position otherwise.
util::result<core::filter_ptr, rest_error> parse_filter(std::optional<std::string_view> text);

/// The body of a send (spec 2.1) by its media type: `application/json` must be one JSON value, not
/// empty and not `null`; `text/plain` must be UTF-8; `application/octet-stream` is any bytes.
/// The Content-Type is required (the swagger makes it a required parameter of every send) and must
/// be a media type as RFC 9110 8.3.1 spells it; a `charset` of the two text types must name UTF-8
/// (or US-ASCII), other parameters are ignored. A missing, empty or malformed Content-Type, and any
/// other type, is a 415.
util::result<protocol::message_data, rest_error> message_body(std::string_view content_type,
                                                              std::string body);

/// The metadata of a send: each `X-WebPubSub-Metadata-<key>` request header (matched
/// case-insensitively) is the entry `<key>` (lowercased, as HTTP names are case-insensitive) with
/// the header's value, trimmed; a header without a key is ignored and a repeated one keeps its
/// last value, as Microsoft's emulator does. Metadata that breaks the rules of metadata_error is a
/// 400 (docs/rest-api.md).
util::result<protocol::message_metadata, rest_error>
message_metadata_of(const std::vector<std::pair<std::string, std::string>>& headers);

/// The body of addToGroups / removeFromGroups: `{"groups":["g1",...],"filter":"..."}`; `groups`
/// is required (each a valid group name, at most max_groups_per_request of them), `filter`
/// optional (null or absent: every connection).
inline constexpr std::size_t max_groups_per_request = 1000;
struct groups_request {
    std::vector<std::string> groups;
    std::optional<std::string> filter;
};
util::result<groups_request, rest_error> parse_groups_request(std::string_view body);

/// ListConnectionsInGroup's paging (spec 2.3 #14).
struct page_request {
    static constexpr std::size_t max_page_size = 200;
    std::size_t page_size = max_page_size; ///< `maxpagesize`, 1-200
    std::optional<std::int64_t> top;       ///< at most this many in all (1-2147483647); absent: all
    std::string after;                     ///< from `continuationToken`: the last id already listed
};
/// Which group a continuation token belongs to: `hub` as routed (lowercase), and the group.
struct group_scope {
    std::string_view hub;
    std::string_view group;
};

/// The longest connection id a continuation token carries back (see continuation_token()).
inline constexpr std::size_t max_continuation_id_bytes = 256;

/// `continuationToken` must be one continuation_token() issued for this hub and group (400
/// otherwise).
util::result<page_request, rest_error> parse_page_request(const query_parameters& query,
                                                          const auth::access_keys& keys, group_scope scope);

/// The opaque continuation token for a page of `scope` that ended at `last_connection_id`: base64url
/// of a version byte, a MAC with the first access key over the version, hub, group and id, and the
/// id. connection_after() gives the id back only for a token of this format and scope whose MAC
/// verifies with one of `keys`, so that a token hubcast did not issue is recognised as such.
/// Ids longer than max_continuation_id_bytes (hubcast's own are far shorter) do not round-trip:
/// connection_after() refuses every token longer than such an id would make, before decoding it.
std::string continuation_token(const auth::access_keys& keys, group_scope scope,
                               std::string_view last_connection_id);
std::optional<std::string> connection_after(const auth::access_keys& keys, group_scope scope,
                                            std::string_view token);

/// `:generateToken`'s parameters (spec 2.3 #4).
enum class client_type : std::uint8_t { default_client, mqtt, socketio };
struct token_parameters {
    std::optional<std::string> user_id; ///< absent or empty: an anonymous token
    std::vector<std::string> roles;
    std::vector<std::string> groups;
    std::chrono::minutes lifetime{60};
    client_type type = client_type::default_client;
};
util::result<token_parameters, rest_error> parse_token_parameters(const query_parameters& query);

/// The media type of a Content-Type value: before any ';', trimmed, lowercased.
std::string media_type(std::string_view content_type);

/// Percent-encodes everything but RFC 3986 unreserved characters (for nextLink).
std::string percent_encode(std::string_view text);

} // namespace hubcast::api

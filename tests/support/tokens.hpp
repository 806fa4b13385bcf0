#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace hubcast::test {

/// Who a client token says the client is, and where it may connect.
struct token_request {
    std::string hub = "chat";
    std::optional<std::string> user;
    std::vector<std::string> roles;
    std::vector<std::string> groups; ///< `webpubsub.group`
    std::chrono::minutes lifetime{60};
};

/// A token exactly as Azure's server SDKs (and `hubcast token`) mint it, for a server listening on
/// 127.0.0.1:port: audience http://127.0.0.1:PORT/client/hubs/<hub>, signed with `key`.
std::string mint_token(std::uint16_t port, std::string_view key, const token_request& request);

/// "http://127.0.0.1:PORT/client/hubs/<hub>".
std::string audience(std::uint16_t port, std::string_view hub);

/// Seconds since the epoch, the clock tokens are minted with.
std::int64_t unix_now();

/// A JWT with any header and claims, signed HS256 or HS384 by the tests' own signer (so a header
/// hubcast's signer would never write can still carry a valid signature).
enum class jwt_algorithm { hs256, hs384, none };
std::string sign_jwt(const boost::json::object& header, const boost::json::object& claims,
                     std::string_view key, jwt_algorithm algorithm = jwt_algorithm::hs256);
/// The same over raw segment text (for segments that are not valid base64url).
std::string sign_raw_jwt(std::string_view header_segment, std::string_view payload_segment,
                         std::string_view key);

/// Ways a client token can be wrong (spec 2.2, 2.3, 2.5).
enum class bad_token {
    alg_none,            ///< {"alg":"none"}, empty signature
    hs384_header,        ///< HS384, correctly signed with the access key
    tampered_payload,    ///< a role added after signing
    tampered_signature,  ///< one signature character changed
    wrong_key,           ///< HS256 with another key
    expired,             ///< exp 10 minutes ago (beyond the 5-minute skew)
    not_yet_valid,       ///< nbf 10 minutes ahead
    wrong_audience,      ///< aud names another hub
    missing_exp,         ///< no exp claim
    oversized,           ///< just over 8 KiB, correctly signed
    bad_base64url,       ///< payload segment with characters outside base64url, correctly signed
    two_segments,        ///< header.payload only
    payload_not_json,    ///< payload segment decodes to something that is not a JSON object
    invalid_group_claim, ///< webpubsub.group holds a whitespace-only group name (400, not 401)
    empty_group_claim,   ///< webpubsub.group holds "" (400)
    long_group_claim,    ///< webpubsub.group holds a 1025-character name (400)
};

std::string_view to_string(bad_token kind);

/// A token for `hub` on 127.0.0.1:port that is wrong in exactly the way `kind` says and right in
/// every other way.
std::string craft_bad_token(bad_token kind, std::uint16_t port, std::string_view key, std::string_view hub);

} // namespace hubcast::test

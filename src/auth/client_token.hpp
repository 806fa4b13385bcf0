#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "auth/access_keys.hpp"
#include "util/result.hpp"

namespace hubcast::auth {

enum class token_error : std::uint8_t {
    missing,
    too_large,
    malformed,
    unsupported_algorithm,
    bad_signature,
    missing_expiry,
    expired,
    not_yet_valid,
    wrong_audience,
    bad_claim, ///< role / group / sub of the wrong JSON type
};

std::string_view describe(token_error error) noexcept;

/// Who a verified client token says the client is.
struct client_identity {
    std::optional<std::string> user_id; ///< `sub`
    std::vector<std::string> roles;     ///< `role`, string or array
    std::vector<std::string> groups;    ///< `webpubsub.group`, string or array (names not validated here)
    boost::json::object claims;         ///< every claim, for the connect event
};

/// Checks what client and REST tokens share: the HS256 signature with any key, `exp` required and
/// `nbf` honoured, both with `clock_skew`. Returns the claims for the caller's own checks.
util::result<boost::json::object, token_error> verify_signed_lifetime(std::string_view token,
                                                                      const access_keys& keys,
                                                                      std::int64_t now,
                                                                      std::chrono::seconds clock_skew);

/// What the token is checked against.
struct client_token_context {
    std::string_view hub; ///< as requested (compared case-insensitively)
    /// The public endpoint's lowercase "host:port" (auth::public_endpoint) the audience must name;
    /// empty: any host, since the key's signature, not the host, proves the token is ours.
    std::string_view required_authority;
    std::int64_t now = 0; ///< seconds since the epoch
    std::chrono::seconds clock_skew{300};
};

/// Verifies a client access token (spec 2): HS256 with any key, `exp` required and checked, `nbf`
/// honoured, both with the skew; `aud` (string or array, any element) must name this hub: an
/// http/https/ws/wss URL (the schemes are equal) with path `/client/hubs/<hub>` (the hub compared
/// case-insensitively, one trailing `/` ignored), on any host unless `required_authority` is set,
/// then on that host and port (case-insensitive; a missing port is the aud scheme's default, 80
/// for http/ws and 443 for https/wss).
/// Details: `exp` and `nbf` are JSON numbers (integer or not); the token is expired once
/// `now >= exp + skew` and not yet valid while `now < nbf - skew`. The audience path is
/// percent-decoded; an audience with a query, fragment or user info never matches. `sub` must be
/// a non-empty string. The signature is checked before any claim. Thread-safe.
util::result<client_identity, token_error>
verify_client_token(std::string_view token, const access_keys& keys, const client_token_context& context);

/// The claims Azure's server SDKs write (aud, iat, exp, sub when given, role array when non-empty,
/// webpubsub.group array when non-empty), signed with the first key. Same claim order as the JS
/// SDK, so equal inputs give the same token as `getClientAccessToken`. `keys` must not be empty.
/// The caller checks the values: a user id (protocol::is_valid_user_id) and UTF-8 roles and groups,
/// or the token is one verify_client_token refuses (a claim that is not UTF-8 is not JSON text).
struct client_token_request {
    std::string endpoint; ///< e.g. "http://127.0.0.1:8080" (no trailing slash needed)
    std::string hub;
    std::optional<std::string> user_id;
    std::vector<std::string> roles;
    std::vector<std::string> groups;
    std::chrono::minutes lifetime{60};
    std::int64_t now = 0; ///< seconds since the epoch
};

std::string mint_client_token(const client_token_request& request, const access_keys& keys);

/// The longest lifetime hubcast gives a client token (`:generateToken`'s minutesToExpire,
/// `hubcast token --minutes`): 365 days. Azure documents no maximum; an unbounded one made tokens
/// valid for millennia.
inline constexpr std::chrono::minutes max_client_token_lifetime{365 * 24 * 60};

/// `now` + `lifetime` as the `exp` of a minted token: the lifetime clamped to
/// 0..max_client_token_lifetime and the sum saturated, so no input overflows.
std::int64_t client_token_expiry(std::int64_t now, std::chrono::minutes lifetime) noexcept;

/// "ws://host:port/client/hubs/<hub>?access_token=<token>" (wss for an https endpoint).
std::string client_access_url(std::string_view endpoint, std::string_view hub, std::string_view token);

} // namespace hubcast::auth

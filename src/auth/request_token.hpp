#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include "auth/access_keys.hpp"
#include "auth/client_token.hpp"
#include "util/result.hpp"

namespace hubcast::auth {

/// What a REST bearer token is checked against.
struct request_token_context {
    /// Whether an audience's path and query (from audience_path_and_query) name the request being
    /// made: the routing layer answers, on the bytes it routes by.
    std::function<bool(std::string_view path_and_query)> names_this_request;
    /// The public endpoint's lowercase "host:port" (auth::public_endpoint) the audience must name;
    /// empty: any host.
    std::string_view required_authority;
    std::int64_t now = 0; ///< seconds since the epoch
    std::chrono::seconds clock_skew{300};
};

/// Verifies the bearer token of a REST call (server-protocol spec 3): HS256 with any configured
/// key, `exp` required (a JSON number), `nbf` honoured when present, both with the clock skew;
/// `aud` (a string, or an array of which any element may match) must be an absolute URL whose
/// path and query `names_this_request`, on the `required_authority` when one is set. `typ` is not required
/// (Java's SDK writes none); `iat` is not checked. The signature is checked before any claim. Returns the
/// claims. Thread-safe.
util::result<boost::json::object, token_error>
verify_request_token(std::string_view token, const access_keys& keys, const request_token_context& context);

/// The lenient half of spec 3.2's audience rule: the SDKs sign the absolute URL they send (JS: with
/// the query; .NET: `AbsoluteUri`; Python and Java: the request URL), but a reverse proxy,
/// `localhost` versus `127.0.0.1`, or TLS termination change the scheme, host and port we see. So
/// the audience must be `scheme://authority[/path][?query]` (any scheme, no fragment), and only its
/// path and query (from the first `/` or `?` after the authority; "/" when there is none) count.
std::optional<std::string_view> audience_path_and_query(std::string_view audience) noexcept;

} // namespace hubcast::auth

#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include <boost/json/object.hpp>

#include "auth/access_keys.hpp"
#include "auth/client_token.hpp"
#include "util/result.hpp"

namespace hubcast::auth {

/// What a REST bearer token is checked against.
struct request_token_context {
    std::string_view target; ///< the request target as received: path and query, percent-encoded
    std::int64_t now = 0;    ///< seconds since the epoch
    std::chrono::seconds clock_skew{300};
};

/// Verifies the bearer token of a REST call (server-protocol spec 3): HS256 with any configured
/// key, `exp` required (a JSON number), `nbf` honoured when present, both with the clock skew;
/// `aud` (a string, or an array of which any element may match) must name the request's URL as
/// audience_matches_target() says. `typ` is not required (Java's SDK writes none); `iat` is not
/// checked. The signature is checked before any claim. Returns the claims. Thread-safe.
util::result<boost::json::object, token_error>
verify_request_token(std::string_view token, const access_keys& keys, const request_token_context& context);

/// The lenient audience rule of spec 3.2: the SDKs sign the absolute URL they send (JS: with the
/// query; .NET: `AbsoluteUri`; Python and Java: the request URL), but a reverse proxy, `localhost`
/// versus `127.0.0.1`, or TLS termination change the scheme, host and port we see, and each HTTP
/// stack escapes a little differently. So: the audience must be `scheme://authority/path[?query]`
/// (any scheme); its percent-decoded path must equal the target's, ASCII case-insensitively and
/// ignoring one trailing `/`; and both queries must hold the same parameters with the same
/// values, in any order (names and values percent-decoded, `+` read as a space). A fragment or a
/// malformed escape never matches.
bool audience_matches_target(std::string_view audience, std::string_view target);

} // namespace hubcast::auth

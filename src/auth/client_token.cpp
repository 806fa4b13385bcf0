#include "auth/client_token.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "auth/jwt.hpp"
#include "auth/public_endpoint.hpp"
#include "util/ascii.hpp"
#include "util/query_string.hpp"

namespace hubcast::auth {
namespace {

using util::iequals;
using util::istarts_with;

/// One audience against `<any of http/https/ws/wss>://<host>/client/hubs/<hub>[/]`, the host
/// the public endpoint's when one is required.
bool audience_matches(std::string_view audience, const client_token_context& context) {
    const auto authority = explicit_authority_of(audience);
    if (!authority) {
        return false; // not http/https/ws/wss, user info, or no host
    }
    const std::string_view rest = audience.substr(audience.find("://") + 3);
    // A query or a fragment means the token was made for some other URL.
    if (rest.find_first_of("?#") != std::string_view::npos) {
        return false;
    }
    const auto path_start = rest.find('/');
    if (path_start == std::string_view::npos) {
        return false;
    }
    if (!context.required_authority.empty() && *authority != context.required_authority) {
        return false;
    }
    // .NET's Uri escapes some characters the hub pattern allows (backtick, brackets). Most
    // audiences hold no escape: those are compared in place, without a decoded copy.
    std::string_view path = rest.substr(path_start);
    std::optional<std::string> decoded;
    if (path.find('%') != std::string_view::npos) {
        decoded = util::percent_decode(path, false);
        if (!decoded) {
            return false;
        }
        path = *decoded;
    }
    if (path.size() > 1 && path.back() == '/') {
        path.remove_suffix(1);
    }
    constexpr std::string_view prefix = "/client/hubs/";
    return path.size() == prefix.size() + context.hub.size() && istarts_with(path, prefix) &&
           iequals(path.substr(prefix.size()), context.hub);
}

bool audience_matches(const boost::json::value& audience, const client_token_context& context) {
    if (audience.is_string()) {
        return audience_matches(std::string_view(audience.get_string()), context);
    }
    if (audience.is_array()) {
        for (const auto& element : audience.get_array()) {
            if (element.is_string() && audience_matches(std::string_view(element.get_string()), context)) {
                return true;
            }
        }
    }
    return false;
}

std::optional<double> seconds_of(const boost::json::value& value) {
    if (value.is_int64()) {
        return static_cast<double>(value.get_int64());
    }
    if (value.is_uint64()) {
        return static_cast<double>(value.get_uint64());
    }
    if (value.is_double()) {
        return value.get_double();
    }
    return std::nullopt;
}

/// A string or an array of strings, appended to `out`; false for any other shape.
bool read_strings(const boost::json::value& value, std::vector<std::string>& out) {
    if (value.is_string()) {
        out.emplace_back(value.get_string());
        return true;
    }
    if (!value.is_array()) {
        return false;
    }
    out.reserve(value.get_array().size());
    for (const auto& element : value.get_array()) {
        if (!element.is_string()) {
            return false;
        }
        out.emplace_back(element.get_string());
    }
    return true;
}

token_error from_jwt_error(jwt_error error) noexcept {
    switch (error) {
    case jwt_error::too_large:
        return token_error::too_large;
    case jwt_error::malformed:
        return token_error::malformed;
    case jwt_error::unsupported_algorithm:
        return token_error::unsupported_algorithm;
    case jwt_error::bad_signature:
        return token_error::bad_signature;
    }
    return token_error::malformed;
}

std::string_view trim_trailing_slashes(std::string_view text) noexcept {
    while (!text.empty() && text.back() == '/') {
        text.remove_suffix(1);
    }
    return text;
}

boost::json::array to_json_array(const std::vector<std::string>& strings) {
    boost::json::array array;
    array.reserve(strings.size());
    for (const auto& s : strings) {
        array.emplace_back(s);
    }
    return array;
}

} // namespace

std::string_view describe(token_error error) noexcept {
    switch (error) {
    case token_error::missing:
        return "The access token is missing.";
    case token_error::too_large:
        return "The access token is too large.";
    case token_error::malformed:
        return "The access token is malformed.";
    case token_error::unsupported_algorithm:
        return "The access token is not signed with HS256.";
    case token_error::bad_signature:
        return "The access token signature is invalid.";
    case token_error::missing_expiry:
        return "The access token has no numeric exp claim.";
    case token_error::expired:
        return "The access token has expired.";
    case token_error::not_yet_valid:
        return "The access token is not valid yet.";
    case token_error::wrong_audience:
        return "The access token audience does not match this hub.";
    case token_error::bad_claim:
        return "The access token has a claim of the wrong type.";
    }
    return "The access token is invalid.";
}

util::result<boost::json::object, token_error> verify_signed_lifetime(std::string_view token,
                                                                      const access_keys& keys,
                                                                      std::int64_t now_seconds,
                                                                      std::chrono::seconds clock_skew) {
    if (token.empty()) {
        return util::fail(token_error::missing);
    }
    auto verified = verify_hs256(token, keys);
    if (!verified) {
        return util::fail(from_jwt_error(verified.error()));
    }
    const boost::json::object& claims = verified.value();
    const auto now = static_cast<double>(now_seconds);
    const auto skew = static_cast<double>(clock_skew.count());

    const auto* exp = claims.if_contains("exp");
    const auto expires = exp == nullptr ? std::nullopt : seconds_of(*exp);
    if (!expires) {
        return util::fail(token_error::missing_expiry);
    }
    // RFC 7519 4.1.4: the token is unusable from the moment `exp` is reached.
    if (now >= *expires + skew) {
        return util::fail(token_error::expired);
    }
    if (const auto* nbf = claims.if_contains("nbf")) {
        const auto not_before = seconds_of(*nbf);
        if (!not_before) {
            return util::fail(token_error::bad_claim);
        }
        if (now < *not_before - skew) {
            return util::fail(token_error::not_yet_valid);
        }
    }
    return std::move(verified).value();
}

util::result<client_identity, token_error>
verify_client_token(std::string_view token, const access_keys& keys, const client_token_context& context) {
    auto verified = verify_signed_lifetime(token, keys, context.now, context.clock_skew);
    if (!verified) {
        return util::fail(verified.error());
    }
    boost::json::object& claims = verified.value();
    const auto* aud = claims.if_contains("aud");
    if (aud == nullptr || !audience_matches(*aud, context)) {
        return util::fail(token_error::wrong_audience);
    }

    client_identity identity;
    if (const auto* sub = claims.if_contains("sub")) {
        if (!sub->is_string()) {
            return util::fail(token_error::bad_claim);
        }
        // "" names no user (a user id has at least one character): .NET's
        // GenerateClientAccessUri(userId: "") writes it where the JS and Python SDKs leave `sub`
        // out, and all three mean an anonymous connection (docs/sdk-compatibility.md).
        if (!sub->get_string().empty()) {
            identity.user_id.emplace(sub->get_string());
        }
    }
    if (const auto* role = claims.if_contains("role");
        role != nullptr && !read_strings(*role, identity.roles)) {
        return util::fail(token_error::bad_claim);
    }
    if (const auto* groups = claims.if_contains("webpubsub.group");
        groups != nullptr && !read_strings(*groups, identity.groups)) {
        return util::fail(token_error::bad_claim);
    }
    identity.claims = std::move(claims);
    return identity;
}

std::int64_t client_token_expiry(std::int64_t now, std::chrono::minutes lifetime) noexcept {
    // Clamped in minutes first: converting minutes::max() to seconds would itself overflow.
    const auto minutes = std::clamp(lifetime, std::chrono::minutes::zero(), max_client_token_lifetime);
    const std::int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(minutes).count();
    return now > std::numeric_limits<std::int64_t>::max() - seconds ? std::numeric_limits<std::int64_t>::max()
                                                                    : now + seconds;
}

std::string mint_client_token(const client_token_request& request, const access_keys& keys) {
    // The order @azure/web-pubsub (jsonwebtoken) writes, so that for equal inputs the token is
    // byte-identical to the JS SDK's; a test holds us to that.
    boost::json::object claims;
    if (!request.roles.empty()) {
        claims["role"] = to_json_array(request.roles);
    }
    if (!request.groups.empty()) {
        claims["webpubsub.group"] = to_json_array(request.groups);
    }
    claims["iat"] = request.now;
    claims["exp"] = client_token_expiry(request.now, request.lifetime);
    std::string audience(trim_trailing_slashes(request.endpoint));
    audience += "/client/hubs/";
    audience += request.hub;
    claims["aud"] = audience;
    if (request.user_id) {
        claims["sub"] = *request.user_id;
    }
    return sign_hs256(claims, keys.signing_key());
}

std::string client_access_url(std::string_view endpoint, std::string_view hub, std::string_view token) {
    endpoint = trim_trailing_slashes(endpoint);
    std::string url;
    if (istarts_with(endpoint, "https://")) {
        url = "wss://";
        url += endpoint.substr(8);
    } else if (istarts_with(endpoint, "http://")) {
        url = "ws://";
        url += endpoint.substr(7);
    } else {
        url = endpoint;
    }
    url += "/client/hubs/";
    url += hub;
    url += "?access_token=";
    url += token;
    return url;
}

} // namespace hubcast::auth

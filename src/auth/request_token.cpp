#include "auth/request_token.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include <boost/json/value.hpp>

#include "auth/jwt.hpp"
#include "auth/public_endpoint.hpp"

namespace hubcast::auth {
namespace {

bool audience_claim_matches(const boost::json::value& audience, const request_token_context& context) {
    const auto names_request = [&context](std::string_view text) {
        if (!context.required_authority.empty() &&
            explicit_authority_of(text) != context.required_authority) {
            return false;
        }
        const auto path_and_query = audience_path_and_query(text);
        return path_and_query && context.names_this_request(*path_and_query);
    };
    if (audience.is_string()) {
        return names_request(std::string_view(audience.get_string()));
    }
    if (audience.is_array()) {
        return std::any_of(
            audience.get_array().begin(), audience.get_array().end(), [&](const auto& element) {
                return element.is_string() && names_request(std::string_view(element.get_string()));
            });
    }
    return false;
}

} // namespace

std::optional<std::string_view> audience_path_and_query(std::string_view audience) noexcept {
    const auto scheme_end = audience.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0 ||
        audience.find('#') != std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view after_scheme = audience.substr(scheme_end + 3);
    const auto path_start = after_scheme.find_first_of("/?");
    if (path_start == std::string_view::npos) {
        return std::string_view("/");
    }
    return after_scheme.substr(path_start);
}

util::result<boost::json::object, token_error>
verify_request_token(std::string_view token, const access_keys& keys, const request_token_context& context) {
    auto verified = verify_signed_lifetime(token, keys, context.now, context.clock_skew);
    if (!verified) {
        return util::fail(verified.error());
    }
    boost::json::object& claims = verified.value();
    const auto* aud = claims.if_contains("aud");
    if (aud == nullptr || !context.names_this_request || !audience_claim_matches(*aud, context)) {
        return util::fail(token_error::wrong_audience);
    }
    return std::move(claims);
}

} // namespace hubcast::auth

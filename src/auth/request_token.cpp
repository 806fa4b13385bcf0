#include "auth/request_token.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "auth/jwt.hpp"
#include "util/ascii.hpp"
#include "util/query_string.hpp"

namespace hubcast::auth {
namespace {

using util::iequals;

struct split_target {
    std::string_view path;
    std::string_view query; ///< without the '?'
};

split_target split(std::string_view path_and_query) {
    const auto question = path_and_query.find('?');
    if (question == std::string_view::npos) {
        return {path_and_query, {}};
    }
    return {path_and_query.substr(0, question), path_and_query.substr(question + 1)};
}

std::optional<std::string> normalized_path(std::string_view path) {
    auto decoded = util::percent_decode(path, false);
    if (!decoded) {
        return std::nullopt;
    }
    if (decoded->empty()) {
        decoded->push_back('/');
    }
    if (decoded->size() > 1 && decoded->back() == '/') {
        decoded->pop_back();
    }
    return decoded;
}

using parameter_list = std::vector<std::pair<std::string, std::string>>;

/// The query's parameters, decoded and sorted so that order does not matter. Empty pieces (`a=1&&b=2`,
/// a trailing `&`) carry nothing and are skipped.
std::optional<parameter_list> normalized_query(std::string_view query) {
    parameter_list parameters;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view piece = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (piece.empty()) {
            continue;
        }
        const auto equals = piece.find('=');
        auto name = util::percent_decode(piece.substr(0, equals), true);
        auto value = util::percent_decode(
            equals == std::string_view::npos ? std::string_view{} : piece.substr(equals + 1), true);
        if (!name || !value) {
            return std::nullopt;
        }
        parameters.emplace_back(std::move(*name), std::move(*value));
    }
    std::sort(parameters.begin(), parameters.end());
    return parameters;
}

bool audience_claim_matches(const boost::json::value& audience, std::string_view target) {
    if (audience.is_string()) {
        return audience_matches_target(std::string_view(audience.get_string()), target);
    }
    if (audience.is_array()) {
        return std::any_of(audience.get_array().begin(), audience.get_array().end(),
                           [target](const auto& element) {
                               return element.is_string() &&
                                      audience_matches_target(std::string_view(element.get_string()), target);
                           });
    }
    return false;
}

} // namespace

bool audience_matches_target(std::string_view audience, std::string_view target) {
    const auto scheme_end = audience.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0 ||
        audience.find('#') != std::string_view::npos) {
        return false;
    }
    const std::string_view after_scheme = audience.substr(scheme_end + 3);
    const auto path_start = after_scheme.find_first_of("/?");
    const std::string_view audience_path_and_query =
        path_start == std::string_view::npos ? std::string_view{} : after_scheme.substr(path_start);

    const split_target expected = split(audience_path_and_query);
    const split_target actual = split(target);
    const auto expected_path = normalized_path(expected.path);
    const auto actual_path = normalized_path(actual.path);
    if (!expected_path || !actual_path || !iequals(*expected_path, *actual_path)) {
        return false;
    }
    const auto expected_query = normalized_query(expected.query);
    const auto actual_query = normalized_query(actual.query);
    return expected_query && actual_query && *expected_query == *actual_query;
}

util::result<boost::json::object, token_error>
verify_request_token(std::string_view token, const access_keys& keys, const request_token_context& context) {
    auto verified = verify_signed_lifetime(token, keys, context.now, context.clock_skew);
    if (!verified) {
        return util::fail(verified.error());
    }
    boost::json::object& claims = verified.value();
    const auto* aud = claims.if_contains("aud");
    if (aud == nullptr || !audience_claim_matches(*aud, context.target)) {
        return util::fail(token_error::wrong_audience);
    }
    return std::move(claims);
}

} // namespace hubcast::auth

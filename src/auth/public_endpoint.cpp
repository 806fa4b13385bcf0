#include "auth/public_endpoint.hpp"

#include "util/ascii.hpp"

namespace hubcast::auth {
namespace {

std::optional<std::string_view> default_port(std::string_view scheme) {
    if (util::iequals(scheme, "http") || util::iequals(scheme, "ws")) {
        return "80";
    }
    if (util::iequals(scheme, "https") || util::iequals(scheme, "wss")) {
        return "443";
    }
    return std::nullopt;
}

bool is_digits(std::string_view text) {
    return !text.empty() && text.size() <= 5 &&
           text.find_first_not_of("0123456789") == std::string_view::npos;
}

} // namespace

std::optional<std::string> explicit_authority_of(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return std::nullopt;
    }
    const auto port_by_scheme = default_port(url.substr(0, scheme_end));
    if (!port_by_scheme) {
        return std::nullopt;
    }
    std::string_view authority = url.substr(scheme_end + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (authority.empty() || authority.find('@') != std::string_view::npos) {
        return std::nullopt;
    }
    std::string out = util::to_lower_ascii(authority);
    const auto colon = out.rfind(':');
    const auto bracket = out.rfind(']');
    const bool has_port = colon != std::string::npos && (bracket == std::string::npos || bracket < colon);
    if (!has_port) {
        out += ':';
        out += *port_by_scheme;
    } else if (colon + 1 == out.size()) {
        out += *port_by_scheme; // "host:" names the default port
    } else if (!is_digits(std::string_view(out).substr(colon + 1))) {
        return std::nullopt;
    }
    if (out.front() == ':') {
        return std::nullopt; // no host
    }
    return out;
}

util::result<public_endpoint, std::string> parse_public_endpoint(std::string_view text) {
    std::string_view url = text;
    if (!url.empty() && url.back() == '/') {
        url.remove_suffix(1);
    }
    const auto scheme_end = url.find("://");
    const std::string_view scheme = scheme_end == std::string_view::npos ? "" : url.substr(0, scheme_end);
    if (!util::iequals(scheme, "http") && !util::iequals(scheme, "https")) {
        return util::fail(std::string("must start with http:// or https://"));
    }
    if (url.find_first_of("/?#", scheme_end + 3) != std::string_view::npos) {
        return util::fail(std::string("must name no path, query or fragment: scheme, host and port only"));
    }
    auto authority = explicit_authority_of(url);
    if (!authority) {
        return util::fail(std::string("must name a host (and a port of digits, if any), without user info"));
    }
    return public_endpoint{.url = util::to_lower_ascii(scheme) + std::string(url.substr(scheme_end)),
                           .authority = std::move(*authority)};
}

} // namespace hubcast::auth

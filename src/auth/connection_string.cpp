#include "auth/connection_string.hpp"

#include <array>

#include "util/ascii.hpp"
#include "util/decimal.hpp"

namespace hubcast::auth {
namespace {

std::string_view trim(std::string_view text) noexcept {
    constexpr std::string_view blanks = " \t\r\n";
    const auto first = text.find_first_not_of(blanks);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

/// 1..65535 in plain decimal digits (what .NET's parser accepts), else nullopt.
std::optional<std::uint16_t> parse_port(std::string_view text) noexcept {
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    const auto value = util::parse_decimal<unsigned>(text);
    if (!value || *value == 0 || *value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(*value);
}

enum key_index : std::size_t { endpoint_key, access_key_key, port_key, version_key, key_count };
constexpr std::array<std::string_view, key_count> key_names = {"Endpoint", "AccessKey", "Port", "Version"};

struct parsed_endpoint {
    std::string endpoint;
    std::optional<std::uint16_t> port;
};

util::result<parsed_endpoint, std::string> parse_endpoint(std::string_view text) {
    const auto invalid = [&](std::string_view why) {
        return util::fail("invalid Endpoint '" + std::string(text) + "': " + std::string(why));
    };
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        return invalid("expected http://host or https://host");
    }
    std::string scheme = util::to_lower_ascii(text.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") {
        return invalid("the scheme must be http or https");
    }
    std::string_view rest = text.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    if (authority_end != std::string_view::npos && rest.substr(authority_end) != "/") {
        // The SDKs would prefix every REST and client path with it; hubcast serves at the root.
        return invalid("a path, query or fragment is not supported");
    }
    if (authority.find('@') != std::string_view::npos) {
        return invalid("user information is not supported");
    }
    parsed_endpoint parsed;
    const auto colon = authority.rfind(':');
    const auto bracket = authority.rfind(']');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        parsed.port = parse_port(authority.substr(colon + 1));
        if (!parsed.port) {
            return invalid("bad port");
        }
        authority = authority.substr(0, colon);
    }
    if (authority.empty()) {
        return invalid("no host");
    }
    parsed.endpoint = std::move(scheme);
    parsed.endpoint += "://";
    parsed.endpoint += authority;
    return parsed;
}

} // namespace

std::string connection_string::base_url() const {
    if (!port) {
        return endpoint;
    }
    return endpoint + ':' + std::to_string(*port);
}

std::string connection_string::to_string() const {
    // One of the two forms, never both: Python appends `Port=` to Endpoint, so a port already
    // inside Endpoint would be doubled (docs/sdk-compatibility.md).
    return "Endpoint=" + base_url() + ";AccessKey=" + access_key + ";Version=" + version + ";";
}

util::result<connection_string, std::string> parse_connection_string(std::string_view text) {
    std::array<std::optional<std::string_view>, key_count> values;
    while (!text.empty()) {
        const auto end = text.find(';');
        const std::string_view segment = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        const auto equals = segment.find('=');
        // Like the JS and .NET parsers, a segment without '=' is skipped rather than fatal.
        if (equals == std::string_view::npos) {
            continue;
        }
        const std::string key = util::to_lower_ascii(trim(segment.substr(0, equals)));
        for (std::size_t i = 0; i < key_count; ++i) {
            if (key == util::to_lower_ascii(key_names[i])) {
                if (values[i]) {
                    return util::fail("duplicate " + std::string(key_names[i]));
                }
                values[i] = trim(segment.substr(equals + 1));
            }
        }
    }

    connection_string result;
    if (!values[endpoint_key] || values[endpoint_key]->empty()) {
        return util::fail(std::string("missing Endpoint"));
    }
    auto endpoint = parse_endpoint(*values[endpoint_key]);
    if (!endpoint) {
        return util::fail(endpoint.error());
    }
    result.endpoint = std::move(endpoint->endpoint);
    result.port = endpoint->port;
    if (values[port_key]) {
        // As in the JS and Java SDKs, an explicit Port overrides one inside Endpoint.
        result.port = parse_port(*values[port_key]);
        if (!result.port) {
            return util::fail("invalid Port '" + std::string(*values[port_key]) + "'");
        }
    }
    if (!values[access_key_key] || values[access_key_key]->empty()) {
        return util::fail(std::string("missing AccessKey"));
    }
    result.access_key = *values[access_key_key];
    if (values[version_key] && !values[version_key]->empty()) {
        result.version = *values[version_key];
    }
    return result;
}

} // namespace hubcast::auth

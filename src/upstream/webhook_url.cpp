#include "upstream/webhook_url.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "protocol/ascii.hpp"
#include "util/decimal.hpp"

namespace hubcast::upstream {

namespace {

constexpr std::string_view hub_placeholder = "{hub}";
constexpr std::string_view event_placeholder = "{event}";

bool is_unreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

void append_encoded(std::string& out, std::string_view value) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char c : value) {
        if (is_unreserved(c)) {
            out.push_back(c);
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out.push_back('%');
            out.push_back(hex[byte >> 4]);
            out.push_back(hex[byte & 0x0F]);
        }
    }
}

bool placeholder_at(std::string_view text, std::size_t at, std::string_view placeholder) {
    return text.size() - at >= placeholder.size() &&
           protocol::iequals(text.substr(at, placeholder.size()), placeholder);
}

} // namespace

std::string webhook_url::authority() const {
    return host + ":" + std::to_string(port);
}

std::string expand_url_template(std::string_view url_template, std::string_view hub, std::string_view event) {
    std::string out;
    out.reserve(url_template.size() + hub.size() + event.size());
    for (std::size_t i = 0; i < url_template.size();) {
        if (placeholder_at(url_template, i, hub_placeholder)) {
            append_encoded(out, hub);
            i += hub_placeholder.size();
        } else if (placeholder_at(url_template, i, event_placeholder)) {
            append_encoded(out, event);
            i += event_placeholder.size();
        } else {
            out.push_back(url_template[i++]);
        }
    }
    return out;
}

util::result<webhook_url, std::string> parse_webhook_url(std::string_view url) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) {
        return util::fail(fmt::format("'{}' is not an absolute URL", url));
    }
    const auto& view = *parsed;
    if (!protocol::iequals(view.scheme(), "http")) {
        return util::fail(fmt::format("'{}': only http:// event handlers are supported", url));
    }
    webhook_url result;
    if (view.host_type() == boost::urls::host_type::ipv6) {
        result.host = view.host_ipv6_address().to_string();
    } else {
        result.host = std::string(view.encoded_host());
    }
    if (result.host.empty()) {
        return util::fail(fmt::format("'{}' has no host", url));
    }
    if (view.has_userinfo()) {
        return util::fail(fmt::format("'{}': user information in the URL is not supported", url));
    }
    if (view.has_port()) {
        const auto port = view.port();
        const auto value = util::parse_decimal<unsigned>(port);
        if (!value || *value == 0 || *value > 65535) {
            return util::fail(fmt::format("'{}' has an invalid port", url));
        }
        result.port = static_cast<std::uint16_t>(*value);
    }
    result.target = std::string(view.encoded_path());
    if (result.target.empty()) {
        // push_back, not = "/": GCC 12 reports a false -Wrestrict for assigning a literal here.
        result.target.push_back('/');
    }
    if (view.has_query()) {
        result.target += "?";
        result.target += std::string(view.encoded_query());
    }
    result.text = std::string(url);
    return result;
}

util::result<bool, std::string> check_url_template(std::string_view url_template) {
    // Placeholders may not name the host: the host is where hubcast's requests go, so it must be
    // known from the configuration alone (Azure's rule too).
    const auto scheme_end = url_template.find("://");
    if (scheme_end != std::string_view::npos) {
        const auto authority = url_template.substr(
            scheme_end + 3, url_template.find_first_of("/?#", scheme_end + 3) - (scheme_end + 3));
        if (authority.find('{') != std::string_view::npos) {
            return util::fail(fmt::format("'{}': placeholders are not allowed in the host", url_template));
        }
    }
    const auto expanded = expand_url_template(url_template, "hub", "event");
    if (expanded.find_first_of("{}") != std::string::npos) {
        return util::fail(fmt::format(
            "'{}': only the placeholders {{hub}} and {{event}} are supported (encode other braces)",
            url_template));
    }
    if (auto parsed = parse_webhook_url(expanded); !parsed) {
        return util::fail(parsed.error());
    }
    return true;
}

} // namespace hubcast::upstream

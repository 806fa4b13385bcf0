#include "api/trusted_proxies.hpp"

#include <algorithm>
#include <charconv>

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>

#include "util/ascii.hpp"

namespace hubcast::api {
namespace {

constexpr unsigned ipv4_mapped_prefix = 96; // ::ffff:0:0/96

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

/// "ip:port" as http_session writes it (IPv6 without brackets): the address part.
std::string_view address_of_peer(std::string_view remote_address) {
    const auto colon = remote_address.rfind(':');
    return colon == std::string_view::npos ? remote_address : remote_address.substr(0, colon);
}

/// A forwarded value: "ip", "ip:port", "[ipv6]" or "[ipv6]:port"; the address part.
std::string_view address_of_forwarded(std::string_view value) {
    if (!value.empty() && value.front() == '[') {
        const auto close = value.find(']');
        return close == std::string_view::npos ? std::string_view{} : value.substr(1, close - 1);
    }
    const auto colon = value.find(':');
    if (colon != std::string_view::npos && value.find(':', colon + 1) == std::string_view::npos) {
        return value.substr(0, colon); // one colon: IPv4 with a port
    }
    return value;
}

/// Every value of the header `name`, over all its fields, in order.
std::vector<std::string_view> header_values(const protocol::http_request& request, std::string_view name) {
    std::vector<std::string_view> values;
    for (const auto& [field, value] : request.headers) {
        if (!util::iequals(field, name)) {
            continue;
        }
        std::string_view rest = value;
        while (true) {
            const auto comma = rest.find(',');
            values.push_back(trim(rest.substr(0, comma)));
            if (comma == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(comma + 1);
        }
    }
    return values;
}

bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                 unsigned bits) {
    const unsigned whole = bits / 8;
    if (!std::equal(a.begin(), a.begin() + whole, b.begin())) {
        return false;
    }
    const unsigned rest = bits % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

} // namespace

std::optional<trusted_proxies::bytes> trusted_proxies::parse_address(std::string_view text) {
    if (auto v4 = boost::urls::parse_ipv4_address(text)) {
        bytes out{};
        out[10] = 0xFF;
        out[11] = 0xFF;
        const auto four = v4->to_bytes();
        std::copy(four.begin(), four.end(), out.begin() + 12);
        return out;
    }
    if (auto v6 = boost::urls::parse_ipv6_address(text)) {
        const auto sixteen = v6->to_bytes();
        bytes out{};
        std::copy(sixteen.begin(), sixteen.end(), out.begin());
        return out;
    }
    return std::nullopt;
}

util::result<trusted_proxies, std::string> trusted_proxies::parse(const std::vector<std::string>& entries) {
    trusted_proxies proxies;
    for (const auto& entry : entries) {
        const std::string_view text = trim(entry);
        const auto slash = text.find('/');
        const auto address = parse_address(text.substr(0, slash));
        if (!address) {
            return util::fail("'" + entry + "' is not an IPv4 or IPv6 address or range (e.g. 10.0.0.0/8)");
        }
        // It parsed, so it is IPv4 exactly when it has no colon (every IPv6 form has one).
        const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
        const unsigned family_bits = v4 ? 32 : 128;
        unsigned bits = family_bits;
        if (slash != std::string_view::npos) {
            const std::string_view digits = text.substr(slash + 1);
            const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
            if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
                bits > family_bits) {
                return util::fail("'" + entry + "': the prefix length must be 0 to " +
                                  std::to_string(family_bits));
            }
        }
        proxies.ranges_.push_back(range{*address, v4 ? ipv4_mapped_prefix + bits : bits});
    }
    return proxies;
}

bool trusted_proxies::contains(const bytes& address) const {
    return std::any_of(ranges_.begin(), ranges_.end(),
                       [&](const range& r) { return same_prefix(address, r.network, r.prefix_bits); });
}

bool trusted_proxies::trusts(std::string_view address) const {
    const auto parsed = parse_address(address);
    return parsed && contains(*parsed);
}

void trusted_proxies::apply(protocol::http_request& request) const {
    if (ranges_.empty() || !trusts(address_of_peer(request.remote_address))) {
        return;
    }
    // From the nearest hop back towards the client.
    const auto forwarded = header_values(request, "X-Forwarded-For");
    for (std::size_t hop = forwarded.size(); hop-- > 0;) {
        const std::string_view address = address_of_forwarded(forwarded[hop]);
        const auto parsed = parse_address(address);
        if (!parsed) {
            break; // not an address ("unknown", garbage): the hop that wrote it is the client we know
        }
        request.remote_address = std::string(address) + ":0";
        if (!contains(*parsed)) {
            break;
        }
    }
    const auto proto = header_values(request, "X-Forwarded-Proto");
    request.secure = !proto.empty() && util::iequals(proto.front(), "https");
}

} // namespace hubcast::api

#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/http_types.hpp"
#include "util/result.hpp"

namespace hubcast::api {

/// The proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` hubcast believes
/// (`--trusted-proxy`, docs/configuration.md "Behind a proxy"): addresses and CIDR ranges, IPv4 and
/// IPv6. From any other peer those headers are ignored, so that a client can neither choose the
/// address the per-address limits count nor make nextLink say https.
class trusted_proxies {
public:
    /// Each entry an address ("10.0.0.5", "::1") or a range ("10.0.0.0/8", "fd00::/8"); says which
    /// entry is wrong otherwise.
    static util::result<trusted_proxies, std::string> parse(const std::vector<std::string>& entries);

    bool empty() const noexcept { return ranges_.empty(); }
    /// Whether `address` (an IP literal, IPv6 without brackets) is one of the trusted proxies.
    bool trusts(std::string_view address) const;

    /// When the request's peer is trusted: its `remote_address` becomes the client's, the last
    /// address of `X-Forwarded-For` (all of its fields, in order) that is not a trusted proxy
    /// itself, as "ip:0" (the client's port is not forwarded); walking stops at a value that is not
    /// an address, keeping the hop that sent it. `secure` becomes whether the first value of
    /// `X-Forwarded-Proto` is https. Any other request is left as it is.
    void apply(protocol::http_request& request) const;

private:
    /// IPv4 as its IPv4-mapped IPv6 form, so one comparison serves both families.
    using bytes = std::array<std::uint8_t, 16>;
    struct range {
        bytes network;
        unsigned prefix_bits;
    };
    static std::optional<bytes> parse_address(std::string_view text);
    bool contains(const bytes& address) const;

    std::vector<range> ranges_;
};

} // namespace hubcast::api

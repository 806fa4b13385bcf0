#include "api/firewall.hpp"

#include <array>

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>

namespace hubcast::api {

firewall::firewall(firewall_options options, std::size_t shard_count)
    : options_(options), handshakes_(options.handshakes_per_ip_per_second, options.handshake_burst_per_ip),
      per_user_(options.max_connections_per_user), per_token_(options.max_connections_per_token),
      lifetimes_(shard_count) {}

core::keyed_rate_limiter::verdict firewall::take_handshake(std::string_view remote_address,
                                                           core::limit_clock::time_point now) {
    if (options_.handshakes_per_ip_per_second == 0) {
        return {};
    }
    return handshakes_.take(address_key(remote_address), now);
}

void firewall::opened(std::size_t shard, std::string connection_id, core::limit_clock::time_point now) {
    if (!options_.limits_lifetime() || shard >= lifetimes_.size()) {
        return;
    }
    lifetimes_[shard].emplace_back(now + options_.max_connection_lifetime, std::move(connection_id));
}

void firewall::expire(std::size_t shard, core::limit_clock::time_point now,
                      const std::function<void(const std::string&)>& expire) {
    if (shard >= lifetimes_.size()) {
        return;
    }
    auto& queue = lifetimes_[shard];
    while (!queue.empty() && queue.front().first <= now) {
        const auto entry = std::move(queue.front());
        queue.pop_front();
        expire(entry.second);
    }
}

std::string address_key(std::string_view remote_address) {
    const auto colon = remote_address.rfind(':');
    std::string_view host =
        colon == std::string_view::npos ? remote_address : remote_address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (const auto v4 = boost::urls::parse_ipv4_address(host)) {
        return v4->to_string();
    }
    const auto v6 = boost::urls::parse_ipv6_address(host);
    if (!v6) {
        return std::string(host); // not an address we know how to group: limit it as written
    }
    auto bytes = v6->to_bytes();
    if (v6->is_v4_mapped()) {
        return boost::urls::ipv4_address(
                   boost::urls::ipv4_address::bytes_type{bytes[12], bytes[13], bytes[14], bytes[15]})
            .to_string();
    }
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return boost::urls::ipv6_address(bytes).to_string() + "/64";
}

std::string token_key(std::string_view token, const boost::json::object& claims) {
    if (const auto* jti = claims.if_contains("jti"); jti != nullptr && jti->is_string()) {
        return "jti:" + std::string(jti->get_string());
    }
    const auto dot = token.rfind('.');
    return "sig:" + std::string(dot == std::string_view::npos ? token : token.substr(dot + 1));
}

} // namespace hubcast::api

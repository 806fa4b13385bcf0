#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "core/connection_quota.hpp"
#include "core/rate_limit.hpp"

namespace hubcast::api {

/// The abuse limits (the `[firewall]` table, docs/configuration.md): Azure's application firewall
/// rules plus a per-address handshake rate. Every limit is off by default, as Azure's are.
struct firewall_options {
    std::size_t max_connections_per_user = 0;        // Azure's ThrottleByUserIdRule, off until configured
    std::size_t max_connections_per_token = 0;       // Azure's ThrottleByJwtSignatureRule, likewise
    std::chrono::seconds max_connection_lifetime{0}; // Azure's maxClientConnectionLifetimeInSeconds (0: off)
    std::chrono::seconds inbound_window{60};         // the aggregation window of Azure's own example
    std::uint64_t max_inbound_messages = 0;          // per connection and window (0: off)
    std::uint64_t max_inbound_bytes = 0; // per connection and window, Azure's maxInboundMessageBytes
    std::uint32_t handshakes_per_ip_per_second = 0; // 0: off (Azure has no per-address rule)
    std::uint32_t handshake_burst_per_ip = 20;      // handshakes an address may make back to back

    bool limits_inbound() const noexcept { return max_inbound_messages != 0 || max_inbound_bytes != 0; }
    bool limits_lifetime() const noexcept { return max_connection_lifetime.count() > 0; }
};

/// What a connection sent within the current window, against the inbound limits. Lives in the
/// connection's session, on its worker.
class inbound_meter {
public:
    enum class verdict : std::uint8_t { allowed, too_many_messages, too_many_bytes };

    explicit inbound_meter(const firewall_options& options) noexcept
        : messages_(options.inbound_window, options.max_inbound_messages),
          bytes_(options.inbound_window, options.max_inbound_bytes) {}

    /// One message of `bytes` (the payload) arrived at `now`.
    verdict add(core::limit_clock::time_point now, std::size_t bytes) noexcept {
        const bool messages_ok = messages_.add(now, 1);
        const bool bytes_ok = bytes_.add(now, bytes);
        return !messages_ok ? verdict::too_many_messages
               : !bytes_ok  ? verdict::too_many_bytes
                            : verdict::allowed;
    }

private:
    core::window_counter messages_;
    core::window_counter bytes_;
};

/// The node's abuse-limit state. Handshake rates and connection counts are per node (not across a
/// cluster) and thread-safe; the lifetime queues are per shard, each touched only on its shard's
/// thread. Must outlive every connection (they hold its leases).
class firewall {
public:
    firewall(firewall_options options, std::size_t shard_count);
    firewall(const firewall&) = delete;
    firewall& operator=(const firewall&) = delete;

    const firewall_options& options() const noexcept { return options_; }

    /// One handshake from `remote_address` ("ip:port") at `now`.
    core::keyed_rate_limiter::verdict take_handshake(std::string_view remote_address,
                                                     core::limit_clock::time_point now);
    core::connection_quota& per_user() noexcept { return per_user_; }
    core::connection_quota& per_token() noexcept { return per_token_; }

    /// Runs on `shard`'s thread: the connection opened at `now` ends at now + the lifetime.
    void opened(std::size_t shard, std::string connection_id, core::limit_clock::time_point now);
    /// Runs on `shard`'s thread: calls `expire` with each connection whose lifetime ended by `now`,
    /// oldest first, and forgets it. Ids of connections already gone are passed too (the caller
    /// finds nothing); each id is passed once.
    void expire(std::size_t shard, core::limit_clock::time_point now,
                const std::function<void(const std::string&)>& expire);

private:
    using deadline_queue = std::deque<std::pair<core::limit_clock::time_point, std::string>>;

    firewall_options options_;
    core::keyed_rate_limiter handshakes_;
    core::connection_quota per_user_;
    core::connection_quota per_token_;
    // One lifetime is the same for every connection, so each queue is in deadline order already.
    std::vector<deadline_queue> lifetimes_;
};

/// The key a client address is limited under: the IPv4 address, or the /64 prefix of an IPv6 one
/// (one subscriber typically holds a whole /64, so a per-address key would be no limit at all).
/// `remote_address` is "ip:port" as the transport writes it (IPv6 without brackets).
std::string address_key(std::string_view remote_address);

/// The key connections "sharing one access token" are counted under: the token's `jti` claim when
/// it has a string one, else its signature (what Azure's ThrottleByJwtSignatureRule keys on).
std::string token_key(std::string_view token, const boost::json::object& claims);

} // namespace hubcast::api

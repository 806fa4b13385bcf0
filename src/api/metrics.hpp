#pragma once

#include <atomic>
#include <cstdint>

#include "util/metrics_registry.hpp"

namespace hubcast::api {

/// The client endpoint's and sessions' counters. Relaxed atomics: they are statistics, never used
/// for synchronisation. register_into() names them for GET /metrics.
struct metrics {
    std::atomic<std::uint64_t> connections_opened{0};
    std::atomic<std::uint64_t> connections_closed{0};
    std::atomic<std::uint64_t> upgrades_rejected{0};
    std::atomic<std::uint64_t> messages_received{0};
    std::atomic<std::uint64_t> simple_client_messages_dropped{0};
    std::atomic<std::uint64_t> events_without_handler{0};
    std::atomic<std::uint64_t> invalid_messages{0};
    std::atomic<std::uint64_t> forbidden_requests{0};
    std::atomic<std::uint64_t> duplicate_requests{0};
    std::atomic<std::uint64_t> group_messages_published{0};
    std::atomic<std::uint64_t> slow_consumer_closes{0};
    std::atomic<std::uint64_t> idle_timeout_closes{0};

    // Abuse limits (api/firewall.hpp): one counter per refusal or close.
    std::atomic<std::uint64_t> handshakes_throttled{0};
    std::atomic<std::uint64_t> handshake_addresses_untracked{0};
    std::atomic<std::uint64_t> connections_refused_per_user{0};
    std::atomic<std::uint64_t> connections_refused_per_token{0};
    std::atomic<std::uint64_t> lifetime_closes{0};
    std::atomic<std::uint64_t> inbound_limit_closes{0};

    /// Registers every counter above; `registry` may render them for as long as this lives.
    void register_into(util::metrics_registry& registry) const;
};

inline void count(std::atomic<std::uint64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
}

} // namespace hubcast::api

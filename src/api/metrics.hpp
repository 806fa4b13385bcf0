#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "core/mailbox.hpp"
#include "core/reliable_sessions.hpp"

namespace hubcast::api {

/// Process-wide counters, exposed in Prometheus text format at GET /metrics. Relaxed atomics: they
/// are statistics, never used for synchronisation.
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

    /// The node's reliable-session counters (overflows, expiries, recoveries), when wired.
    const core::reliable_counters* reliable = nullptr;

    /// The shards' mailboxes together (cross-worker fan-out backlog and drops), when wired.
    std::function<core::mailbox_totals()> mailboxes;

    /// Lines appended by outer layers (transport session counts), already in exposition format.
    std::function<std::string()> extra;

    std::string render() const;
};

inline void count(std::atomic<std::uint64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
}

} // namespace hubcast::api

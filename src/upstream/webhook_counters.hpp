#pragma once

#include <atomic>
#include <cstdint>

#include "util/metrics_registry.hpp"

namespace hubcast::upstream {

/// Statistics for /metrics (relaxed atomics, never used for synchronisation).
struct webhook_counters {
    std::atomic<std::uint64_t> requests{0};            // POSTs sent, retries included
    std::atomic<std::uint64_t> failures{0};            // events that ended without a 2xx answer
    std::atomic<std::uint64_t> retries{0};             // connected/disconnected attempts after the first
    std::atomic<std::uint64_t> connects_rejected{0};   // a 4xx from the connect handler
    std::atomic<std::uint64_t> preflight_refusals{0};  // a host whose preflight did not allow us
    std::atomic<std::uint64_t> user_events_refused{0}; // too many already queued for one connection

    /// Registers every counter above; `registry` may render them for as long as this lives.
    void register_into(util::metrics_registry& registry) const;
};

} // namespace hubcast::upstream

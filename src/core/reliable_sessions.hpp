#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "core/reliable_buffer.hpp"

namespace hubcast::core {

/// How a node keeps the sessions of reliable clients (spec 5.2-5.3).
struct reliable_options {
    reliable_limits limits;
    /// How long a session whose transport was lost waits for its client to recover it.
    std::chrono::milliseconds recovery_window{std::chrono::seconds(30)}; // spec 5.3: at least 30 s
};

/// What happened to reliable sessions, for metrics. Relaxed atomics: statistics only.
struct reliable_counters {
    std::atomic<std::uint64_t> overflows{0};          ///< sessions ended by a full unacked buffer
    std::atomic<std::uint64_t> expired{0};            ///< sessions ended by their recovery window
    std::atomic<std::uint64_t> recovered{0};          ///< recoveries that resumed a session
    std::atomic<std::uint64_t> taken_over{0};         ///< of those, sessions taken over from another node
    std::atomic<std::uint64_t> recoveries_refused{0}; ///< recovery requests closed with 1008
};

} // namespace hubcast::core

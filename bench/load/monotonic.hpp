#pragma once

#include <chrono>
#include <cstdint>

namespace hubcast::bench {

/// The clock every load-tool timestamp is taken with; latencies are differences of two of them,
/// possibly taken on different threads of one process.
using clock_type = std::chrono::steady_clock;

/// Now on clock_type, in nanoseconds: the form timestamps travel in inside payloads.
inline std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count());
}

} // namespace hubcast::bench

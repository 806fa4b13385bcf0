#pragma once

#include <chrono>
#include <cstdint>

namespace hubcast::util {

/// Seconds since the Unix epoch (JWT `exp`, `nbf`, `iat`).
inline std::int64_t unix_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace hubcast::util

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "util/string_map.hpp"

namespace hubcast::core {

/// The clock every limit reads; callers pass `now` in, so the counting is tested without waiting.
using limit_clock = std::chrono::steady_clock;

/// Counts what arrives in fixed aggregation windows, as Azure's client traffic control rules do:
/// the totals restart when a window ends, and an amount that takes the total of its window past
/// the limit is refused. Not thread-safe (one per connection, on its worker).
class window_counter {
public:
    /// `limit` 0: never refuses (and counts nothing).
    window_counter(limit_clock::duration window, std::uint64_t limit) noexcept
        : window_(window), limit_(limit) {}

    /// Adds `amount` at `now`; false when the window's total is now over the limit. A refused amount
    /// is still counted: every later call in the same window is refused too.
    bool add(limit_clock::time_point now, std::uint64_t amount) noexcept;
    std::uint64_t total() const noexcept { return total_; }

private:
    limit_clock::duration window_;
    std::uint64_t limit_;
    limit_clock::time_point window_end_{};
    std::uint64_t total_ = 0;
};

/// A token bucket: `rate` tokens a second, holding at most `burst`; full when first used.
/// Not thread-safe on its own (keyed_rate_limiter guards its buckets).
class token_bucket {
public:
    /// Takes one token at `now`. Returns zero when taken, else how long until one is available.
    limit_clock::duration take(limit_clock::time_point now, double rate, double burst) noexcept;
    /// Whether the bucket is full at `now` (so forgetting it changes nothing).
    bool full(limit_clock::time_point now, double rate, double burst) const noexcept;

private:
    double tokens_ = -1; // negative: never used, full
    limit_clock::time_point last_{};
};

/// One token bucket per key (a client address), thread-safe. The table is bounded: at `capacity`
/// keys, full buckets are forgotten (they hold no information); if every bucket is still in use,
/// a new key is let through uncounted and reported, since refusing it would let a flood from many
/// addresses lock out everyone else.
class keyed_rate_limiter {
public:
    struct verdict {
        bool allowed = true;
        limit_clock::duration retry_after{}; ///< when refused: until a token is available
        bool untracked = false;              ///< allowed because the table was full
    };

    /// `rate` per second per key (0: every call is allowed), `burst` at least 1.
    keyed_rate_limiter(double rate, double burst, std::size_t capacity = 65536);

    verdict take(std::string_view key, limit_clock::time_point now);
    std::size_t size() const;

private:
    /// Requires mutex_. At most once per refill time (burst / rate): a sweep finds nothing new
    /// sooner, and sweeping for every new key of a flood would cost O(capacity) each.
    void forget_full_buckets(limit_clock::time_point now);

    double rate_;
    double burst_;
    std::size_t capacity_;
    limit_clock::duration refill_time_;
    limit_clock::time_point next_sweep_{};
    mutable std::mutex mutex_; // a leaf lock: nothing is called while it is held
    util::string_map<token_bucket> buckets_;
};

} // namespace hubcast::core

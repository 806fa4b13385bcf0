#include "core/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace hubcast::core {

bool window_counter::add(limit_clock::time_point now, std::uint64_t amount) noexcept {
    if (limit_ == 0) {
        return true;
    }
    if (now >= window_end_) {
        // Windows are aligned to the first arrival after the last one ended, so an idle connection
        // starts a fresh window with its next message.
        window_end_ = now + window_;
        total_ = 0;
    }
    total_ = amount > UINT64_MAX - total_ ? UINT64_MAX : total_ + amount;
    return total_ <= limit_;
}

limit_clock::duration token_bucket::take(limit_clock::time_point now, double rate, double burst) noexcept {
    if (tokens_ < 0) {
        tokens_ = burst;
    } else if (now > last_) {
        const double elapsed = std::chrono::duration<double>(now - last_).count();
        tokens_ = std::min(burst, tokens_ + elapsed * rate);
    }
    last_ = std::max(last_, now);
    if (tokens_ >= 1) {
        tokens_ -= 1;
        return limit_clock::duration::zero();
    }
    const double wait_seconds = (1 - tokens_) / rate;
    return std::max(limit_clock::duration(1), std::chrono::duration_cast<limit_clock::duration>(
                                                  std::chrono::duration<double>(wait_seconds)));
}

bool token_bucket::full(limit_clock::time_point now, double rate, double burst) const noexcept {
    if (tokens_ < 0) {
        return true;
    }
    const double elapsed = now > last_ ? std::chrono::duration<double>(now - last_).count() : 0.0;
    return tokens_ + elapsed * rate >= burst;
}

keyed_rate_limiter::keyed_rate_limiter(double rate, double burst, std::size_t capacity)
    : rate_(rate), burst_(std::max(1.0, burst)), capacity_(std::max<std::size_t>(1, capacity)),
      refill_time_(rate > 0 ? std::chrono::duration_cast<limit_clock::duration>(
                                  std::chrono::duration<double>(burst_ / rate))
                            : limit_clock::duration::zero()) {}

keyed_rate_limiter::verdict keyed_rate_limiter::take(std::string_view key, limit_clock::time_point now) {
    if (rate_ <= 0) {
        return {};
    }
    const std::lock_guard lock(mutex_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= capacity_) {
            forget_full_buckets(now);
        }
        if (buckets_.size() >= capacity_) {
            return verdict{.allowed = true, .retry_after = {}, .untracked = true};
        }
        it = buckets_.emplace(std::string(key), token_bucket{}).first;
    }
    const auto wait = it->second.take(now, rate_, burst_);
    if (wait == limit_clock::duration::zero()) {
        return {};
    }
    return verdict{.allowed = false, .retry_after = wait, .untracked = false};
}

std::size_t keyed_rate_limiter::size() const {
    const std::lock_guard lock(mutex_);
    return buckets_.size();
}

void keyed_rate_limiter::forget_full_buckets(limit_clock::time_point now) {
    if (now < next_sweep_) {
        return;
    }
    next_sweep_ = now + refill_time_;
    std::erase_if(buckets_, [&](const auto& entry) { return entry.second.full(now, rate_, burst_); });
}

} // namespace hubcast::core

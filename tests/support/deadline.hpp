#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

namespace hubcast::test {

using test_clock = std::chrono::steady_clock;

/// How long a test waits for something that should happen promptly (a frame, an ack, a close).
/// Generous on purpose: it bounds a stuck server, it is never spent by a passing test.
inline constexpr std::chrono::seconds default_wait{5};

/// A point in time every blocking test helper gives up at (style rule 16: every wait has a
/// deadline). Built from a duration ("within 2 s from now") or from an absolute time point, so a
/// loop over several waits can share one deadline.
class deadline {
public:
    template <typename Rep, typename Period>
    deadline(std::chrono::duration<Rep, Period> within) // NOLINT(google-explicit-constructor)
        : at_(test_clock::now() + std::chrono::duration_cast<test_clock::duration>(within)) {}
    deadline(test_clock::time_point at) : at_(at) {} // NOLINT(google-explicit-constructor)

    test_clock::time_point at() const noexcept { return at_; }
    bool expired() const noexcept { return test_clock::now() >= at_; }

    std::chrono::milliseconds remaining() const noexcept {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(at_ - test_clock::now());
        return std::max(left, std::chrono::milliseconds{0});
    }

    /// For poll(2): the remaining milliseconds, rounded up, never negative.
    int poll_timeout() const noexcept { return static_cast<int>(remaining().count()); }

private:
    test_clock::time_point at_;
};

/// Re-checks `condition` every `interval` until it holds or `limit` passes (nats-server's
/// `checkFor`). For state only observable by polling, such as a metrics counter; never a
/// substitute for waiting on an event the test can see directly.
inline bool wait_until(const std::function<bool()>& condition, deadline limit,
                       std::chrono::milliseconds interval = std::chrono::milliseconds{20}) {
    while (true) {
        if (condition()) {
            return true;
        }
        if (limit.expired()) {
            return false;
        }
        std::this_thread::sleep_for(std::min(interval, limit.remaining()));
    }
}

} // namespace hubcast::test

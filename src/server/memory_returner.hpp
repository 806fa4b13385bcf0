#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace hubcast::server {

/// Gives memory back to the system after a burst (docs/architecture.md, "Memory after a burst").
/// glibc keeps freed chunks inside its arenas: after a backlog of queued messages is freed (a
/// mailbox drained, slow consumers closed) the process would keep its peak RSS for good. Every
/// `period` this reads the resident set and the process's CPU time (both from the kernel, without
/// touching the allocator) and calls malloc_trim(0), which returns the free pages of every arena,
/// when RSS grew by `threshold` since the last trim and the process was quiet over the period.
///
/// Why only when quiet: a trim walks and locks each arena for milliseconds, stalling the worker
/// that allocates from it, and under steady load the pages it returns are faulted back at once (a
/// reliable fan-out freed and refilled tens of MiB a second and trimmed every second, with the
/// check itself, mallinfo2(), locking the worker's arena for ~50 ms each time). A burst's memory
/// is returned once the burst is over.
///
/// Threading: runs on the io_context given to start() (the main thread, never a worker).
/// trims() is thread-safe.
class memory_returner {
public:
    /// 8 MiB: the burst bench left 30 MiB held with a 32 MiB threshold (docs/benchmarks.md).
    static constexpr std::size_t default_threshold = std::size_t{8} << 20;
    /// Once a second: a burst's memory is back within seconds of its end.
    static constexpr std::chrono::milliseconds default_period{1000};
    /// Quiet: the whole process used less than a quarter of a core per worker over the period.
    static constexpr double quiet_cpu_share_per_worker = 0.25;

    memory_returner(boost::asio::io_context& context, std::size_t workers,
                    std::size_t threshold = default_threshold,
                    std::chrono::milliseconds period = default_period);

    void start();
    /// Cancels the timer, so that the io_context can run out of work.
    void stop();
    /// malloc_trim(0) calls made so far.
    std::uint64_t trims() const noexcept { return trims_.load(std::memory_order_relaxed); }
    /// Checks that found RSS grown by the threshold but the process busy, so did not trim.
    std::uint64_t deferred() const noexcept { return deferred_.load(std::memory_order_relaxed); }

private:
    void arm();
    void check();

    boost::asio::steady_timer timer_;
    std::size_t threshold_;
    std::chrono::milliseconds period_;
    std::chrono::nanoseconds quiet_cpu_;
    bool stopped_ = false;
    std::size_t rss_floor_;                 // RSS after the last trim, lowered as RSS falls
    std::chrono::nanoseconds cpu_at_check_; // process CPU time at the previous check
    std::atomic<std::uint64_t> trims_{0};
    std::atomic<std::uint64_t> deferred_{0};
};

} // namespace hubcast::server

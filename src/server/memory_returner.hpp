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
/// `period` this looks at how much the allocator holds free and, when that grew by `threshold`
/// since the last trim, calls malloc_trim(0), which returns the free pages of every arena.
///
/// Threading: runs on the io_context given to start() (the main thread, never a worker: a trim
/// takes each arena's lock for a few milliseconds). trims() is thread-safe.
class memory_returner {
public:
    /// 8 MiB: the burst bench left 30 MiB held with a 32 MiB threshold (docs/benchmarks.md); a
    /// trim costs milliseconds, and grows of 8 MiB are rare outside bursts.
    static constexpr std::size_t default_threshold = std::size_t{8} << 20;
    /// Once a second: a burst's memory is back within seconds, and the check (mallinfo2) costs
    /// microseconds.
    static constexpr std::chrono::milliseconds default_period{1000};

    explicit memory_returner(boost::asio::io_context& context, std::size_t threshold = default_threshold,
                             std::chrono::milliseconds period = default_period);

    void start();
    /// Cancels the timer, so that the io_context can run out of work.
    void stop();
    /// malloc_trim(0) calls made so far.
    std::uint64_t trims() const noexcept { return trims_.load(std::memory_order_relaxed); }

private:
    void arm();
    void check();

    boost::asio::steady_timer timer_;
    std::size_t threshold_;
    std::chrono::milliseconds period_;
    bool stopped_ = false;
    std::size_t free_at_last_trim_ = 0;
    std::atomic<std::uint64_t> trims_{0};
};

} // namespace hubcast::server

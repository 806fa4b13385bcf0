#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace hubcast::transport {

/// N worker threads, each running its own io_context (one shard per core, design section 3).
/// Everything a connection does runs on the worker that accepted it.
class worker_pool {
public:
    explicit worker_pool(std::size_t count);
    ~worker_pool();
    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;

    std::size_t size() const noexcept { return workers_.size(); }
    boost::asio::io_context& context(std::size_t index) { return workers_.at(index)->context; }

    /// Starts the threads; each calls `on_start(index)` on itself before running its loop.
    void start(const std::function<void(std::size_t)>& on_start);
    /// Lets the loops end once they run out of work (or stops them at once with `force`).
    void stop(bool force);
    void join();

private:
    struct worker {
        boost::asio::io_context context{1};
        std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
        std::thread thread;
    };
    std::vector<std::unique_ptr<worker>> workers_;
};

/// Live session counts, for shutdown ("wait until every client is gone") and metrics.
struct session_counters {
    std::atomic<std::size_t> http{0};
    std::atomic<std::size_t> websocket{0};
    std::atomic<std::uint64_t> accept_failures{0};
    std::atomic<std::uint64_t> refused_at_descriptor_limit{0};
    /// Pongs not queued because the session's outbound queue was past its hard bound.
    std::atomic<std::uint64_t> pongs_skipped{0};
};

} // namespace hubcast::transport

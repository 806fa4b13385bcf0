#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "transport/worker_pool.hpp"

namespace hubcast::transport {

/// Calls `on_tick(worker)` every `tick` on each worker of a pool, on that worker's own thread:
/// one timer per worker for periodic work over what the worker owns (expired sessions, connections
/// at their lifetime), not one timer per item. A tick is late by however long the loop is busy.
class worker_ticker {
public:
    worker_ticker(worker_pool& workers, std::chrono::milliseconds tick,
                  std::function<void(std::size_t)> on_tick);
    worker_ticker(const worker_ticker&) = delete;
    worker_ticker& operator=(const worker_ticker&) = delete;
    ~worker_ticker();

    /// Arms every worker's timer. Call once the workers run or before; thread-safe.
    void start();
    /// Cancels the timers (each on its own worker) and waits for nothing; thread-safe. No tick
    /// runs on a worker after its cancellation has run there.
    void stop();

private:
    struct worker_timer;
    static void arm(const std::shared_ptr<worker_timer>& state);

    std::vector<std::shared_ptr<worker_timer>> timers_;
};

} // namespace hubcast::transport

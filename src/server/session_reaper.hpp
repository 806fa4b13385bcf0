#pragma once

#include <chrono>

#include "core/router.hpp"
#include "transport/worker_pool.hpp"
#include "transport/worker_ticker.hpp"

namespace hubcast::server {

/// Ends reliable sessions whose recovery window has passed (spec 5.6). The core keeps no clock or
/// timer of its own: a timer on each worker tells that worker's shard the time, and the shard
/// ends its due sessions there, on their own thread. A session therefore lives for the window
/// plus at most one tick.
class session_reaper {
public:
    /// `tick`: how often each shard is asked (tick_for() picks one for a window).
    session_reaper(core::router& router, transport::worker_pool& workers, std::chrono::milliseconds tick);
    session_reaper(const session_reaper&) = delete;
    session_reaper& operator=(const session_reaper&) = delete;
    ~session_reaper();

    /// A tick short against `window` (an eighth, so sessions outlive it by little) but at least
    /// 50 ms and at most 1 s, so idle workers wake rarely.
    static std::chrono::milliseconds tick_for(std::chrono::milliseconds window);

    /// Arms every worker's timer. Call once the workers run or before; thread-safe.
    void start();
    /// Cancels the timers (each on its own worker) and waits for nothing; thread-safe.
    void stop();

private:
    transport::worker_ticker ticker_;
};

} // namespace hubcast::server

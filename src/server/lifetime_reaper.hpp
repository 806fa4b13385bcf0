#pragma once

#include <chrono>
#include <optional>

#include "api/client_endpoint.hpp"
#include "transport/worker_pool.hpp"
#include "transport/worker_ticker.hpp"

namespace hubcast::server {

/// Closes connections at their maximum lifetime (`[firewall] max_connection_lifetime_seconds`).
/// One timer per worker, not one per connection: each tick asks the endpoint to close that
/// worker's due connections on their own thread. A connection therefore lives for the lifetime
/// plus at most one tick. Does nothing when no lifetime is configured.
class lifetime_reaper {
public:
    lifetime_reaper(api::client_endpoint& endpoint, transport::worker_pool& workers,
                    std::chrono::seconds lifetime);
    lifetime_reaper(const lifetime_reaper&) = delete;
    lifetime_reaper& operator=(const lifetime_reaper&) = delete;
    ~lifetime_reaper();

    /// An eighth of the lifetime, at least 50 ms and at most 1 s.
    static std::chrono::milliseconds tick_for(std::chrono::seconds lifetime);

    /// Arms every worker's timer; thread-safe.
    void start();
    /// Cancels the timers (each on its own worker) and waits for nothing; thread-safe.
    void stop();

private:
    std::optional<transport::worker_ticker> ticker_; // none without a lifetime
};

} // namespace hubcast::server

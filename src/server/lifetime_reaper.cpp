#include "server/lifetime_reaper.hpp"

#include <algorithm>

namespace hubcast::server {

lifetime_reaper::lifetime_reaper(api::client_endpoint& endpoint, transport::worker_pool& workers,
                                 std::chrono::seconds lifetime) {
    if (lifetime.count() <= 0) {
        return;
    }
    ticker_.emplace(workers, tick_for(lifetime), [&endpoint](std::size_t worker) {
        endpoint.expire_lifetimes(worker, core::limit_clock::now());
    });
}

lifetime_reaper::~lifetime_reaper() = default;

std::chrono::milliseconds lifetime_reaper::tick_for(std::chrono::seconds lifetime) {
    return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(lifetime) / 8,
                      std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
}

void lifetime_reaper::start() {
    if (ticker_) {
        ticker_->start();
    }
}

void lifetime_reaper::stop() {
    if (ticker_) {
        ticker_->stop();
    }
}

} // namespace hubcast::server

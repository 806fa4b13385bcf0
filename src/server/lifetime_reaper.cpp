#include "server/lifetime_reaper.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

namespace hubcast::server {

namespace asio = boost::asio;

lifetime_reaper::lifetime_reaper(api::client_endpoint& endpoint, transport::worker_pool& workers,
                                 std::chrono::seconds lifetime) {
    if (lifetime.count() <= 0) {
        return;
    }
    timers_.reserve(workers.size());
    for (std::size_t i = 0; i < workers.size(); ++i) {
        timers_.push_back(std::make_shared<worker_timer>(
            worker_timer{&endpoint, i, asio::steady_timer(workers.context(i)), tick_for(lifetime)}));
    }
}

lifetime_reaper::~lifetime_reaper() = default;

std::chrono::milliseconds lifetime_reaper::tick_for(std::chrono::seconds lifetime) {
    return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(lifetime) / 8,
                      std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
}

void lifetime_reaper::start() {
    for (const auto& state : timers_) {
        asio::post(state->timer.get_executor(), [state] { arm(state); });
    }
}

void lifetime_reaper::stop() {
    for (const auto& state : timers_) {
        asio::post(state->timer.get_executor(), [state] {
            state->stopped = true;
            state->timer.cancel();
        });
    }
}

void lifetime_reaper::arm(const std::shared_ptr<worker_timer>& state) {
    if (state->stopped) {
        return;
    }
    state->timer.expires_after(state->tick);
    state->timer.async_wait([state](boost::system::error_code ec) {
        if (ec || state->stopped) {
            return;
        }
        state->endpoint->expire_lifetimes(state->worker, core::limit_clock::now());
        arm(state);
    });
}

} // namespace hubcast::server

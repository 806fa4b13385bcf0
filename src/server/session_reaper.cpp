#include "server/session_reaper.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

namespace hubcast::server {

namespace asio = boost::asio;

session_reaper::session_reaper(core::node& node, transport::worker_pool& workers,
                               std::chrono::milliseconds tick) {
    timers_.reserve(workers.size());
    for (std::size_t i = 0; i < workers.size(); ++i) {
        timers_.push_back(std::make_shared<worker_timer>(
            worker_timer{&node.shard_at(i), asio::steady_timer(workers.context(i)), tick}));
    }
}

session_reaper::~session_reaper() = default;

std::chrono::milliseconds session_reaper::tick_for(std::chrono::milliseconds window) {
    return std::clamp(window / 8, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
}

void session_reaper::start() {
    for (const auto& state : timers_) {
        asio::post(state->timer.get_executor(), [state] { arm(state); });
    }
}

void session_reaper::stop() {
    for (const auto& state : timers_) {
        asio::post(state->timer.get_executor(), [state] {
            state->stopped = true;
            state->timer.cancel();
        });
    }
}

void session_reaper::arm(const std::shared_ptr<worker_timer>& state) {
    if (state->stopped) {
        return;
    }
    state->timer.expires_after(state->tick);
    state->timer.async_wait([state](boost::system::error_code ec) {
        if (ec || state->stopped) {
            return;
        }
        state->shard->expire_parked(std::chrono::steady_clock::now());
        arm(state);
    });
}

} // namespace hubcast::server

#include "transport/worker_ticker.hpp"

#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace hubcast::transport {

namespace asio = boost::asio;

// Shared with the timer's handlers, so that a handler still queued when the ticker is destroyed
// finds its state alive (and stopped).
struct worker_ticker::worker_timer {
    std::size_t worker;
    asio::steady_timer timer;
    std::chrono::milliseconds tick;
    std::shared_ptr<const std::function<void(std::size_t)>> on_tick;
    bool stopped = false;
};

worker_ticker::worker_ticker(worker_pool& workers, std::chrono::milliseconds tick,
                             std::function<void(std::size_t)> on_tick) {
    const auto shared = std::make_shared<const std::function<void(std::size_t)>>(std::move(on_tick));
    timers_.reserve(workers.size());
    for (std::size_t i = 0; i < workers.size(); ++i) {
        timers_.push_back(std::make_shared<worker_timer>(
            worker_timer{i, asio::steady_timer(workers.context(i)), tick, shared}));
    }
}

worker_ticker::~worker_ticker() = default;

void worker_ticker::start() {
    for (const auto& state : timers_) {
        asio::post(state->timer.get_executor(), [state] { arm(state); });
    }
}

void worker_ticker::stop() {
    for (const auto& state : timers_) {
        asio::post(state->timer.get_executor(), [state] {
            state->stopped = true;
            state->timer.cancel();
        });
    }
}

void worker_ticker::arm(const std::shared_ptr<worker_timer>& state) {
    if (state->stopped) {
        return;
    }
    state->timer.expires_after(state->tick);
    state->timer.async_wait([state](boost::system::error_code ec) {
        if (ec || state->stopped) {
            return;
        }
        (*state->on_tick)(state->worker);
        arm(state);
    });
}

} // namespace hubcast::transport

#include "transport/worker_pool.hpp"

namespace hubcast::transport {

worker_pool::worker_pool(std::size_t count) {
    workers_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        auto w = std::make_unique<worker>();
        w->guard = std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
            w->context.get_executor());
        workers_.push_back(std::move(w));
    }
}

worker_pool::~worker_pool() {
    stop(true);
    join();
}

void worker_pool::start(const std::function<void(std::size_t)>& on_start) {
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        auto* w = workers_[i].get();
        w->thread = std::thread([w, i, on_start] {
            on_start(i);
            w->context.run();
        });
    }
}

void worker_pool::stop(bool force) {
    for (auto& w : workers_) {
        w->guard.reset();
        if (force) {
            w->context.stop();
        }
    }
}

void worker_pool::join() {
    for (auto& w : workers_) {
        if (w->thread.joinable()) {
            w->thread.join();
        }
    }
}

} // namespace hubcast::transport

#include "server/session_reaper.hpp"

#include <algorithm>

namespace hubcast::server {

session_reaper::session_reaper(core::router& router, transport::worker_pool& workers,
                               std::chrono::milliseconds tick)
    : ticker_(workers, tick, [&router](std::size_t worker) {
          router.shard_at(worker).expire_parked(std::chrono::steady_clock::now());
      }) {}

session_reaper::~session_reaper() = default;

std::chrono::milliseconds session_reaper::tick_for(std::chrono::milliseconds window) {
    return std::clamp(window / 8, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
}

void session_reaper::start() {
    ticker_.start();
}

void session_reaper::stop() {
    ticker_.stop();
}

} // namespace hubcast::server

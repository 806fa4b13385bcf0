#include "server/memory_returner.hpp"

#include <algorithm>

#include <malloc.h>
#include <spdlog/spdlog.h>

namespace hubcast::server {

memory_returner::memory_returner(boost::asio::io_context& context, std::size_t threshold,
                                 std::chrono::milliseconds period)
    : timer_(context), threshold_(threshold), period_(period) {}

void memory_returner::start() {
    stopped_ = false;
    arm();
}

void memory_returner::stop() {
    stopped_ = true;
    timer_.cancel();
}

void memory_returner::arm() {
    timer_.expires_after(period_);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) {
            return;
        }
        check();
        arm();
    });
}

void memory_returner::check() {
    const struct mallinfo2 info = mallinfo2();
    // fordblks: bytes in free chunks, all arenas. A trim returns their pages but leaves them free
    // chunks, so fordblks does not fall after one: compare with what was free at the last trim
    // (lowered as memory is reused), or a quiet process would trim every second for nothing.
    free_at_last_trim_ = std::min(free_at_last_trim_, info.fordblks);
    if (info.fordblks < free_at_last_trim_ + threshold_) {
        return;
    }
    malloc_trim(0);
    free_at_last_trim_ = info.fordblks;
    trims_.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("returned free memory to the system ({} MiB were free in the allocator)",
                  info.fordblks >> 20);
}

} // namespace hubcast::server

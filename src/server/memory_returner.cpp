#include "server/memory_returner.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <fcntl.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace hubcast::server {

namespace {

/// The resident set in bytes, from /proc/self/statm (0 if unreadable): the kernel's count, read
/// without any allocator lock.
std::size_t resident_bytes() {
    const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    char text[128];
    const ssize_t length = ::read(fd, text, sizeof(text) - 1);
    ::close(fd);
    if (length <= 0) {
        return 0;
    }
    text[length] = '\0';
    unsigned long long size_pages = 0;
    unsigned long long resident_pages = 0;
    if (std::sscanf(text, "%llu %llu", &size_pages, &resident_pages) != 2) {
        return 0;
    }
    return static_cast<std::size_t>(resident_pages) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

std::chrono::nanoseconds process_cpu_time() {
    timespec now{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

} // namespace

memory_returner::memory_returner(boost::asio::io_context& context, std::size_t workers, std::size_t threshold,
                                 std::chrono::milliseconds period)
    : timer_(context), threshold_(threshold), period_(period),
      quiet_cpu_(std::chrono::duration_cast<std::chrono::nanoseconds>(
          period * (quiet_cpu_share_per_worker * static_cast<double>(std::max<std::size_t>(workers, 1))))),
      rss_floor_(resident_bytes()), cpu_at_check_(process_cpu_time()) {}

void memory_returner::start() {
    stopped_ = false;
    cpu_at_check_ = process_cpu_time();
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
    const std::size_t rss = resident_bytes();
    const std::chrono::nanoseconds cpu = process_cpu_time();
    const std::chrono::nanoseconds used = cpu - cpu_at_check_;
    cpu_at_check_ = cpu;
    rss_floor_ = std::min(rss_floor_, rss);
    if (rss < rss_floor_ + threshold_) {
        return;
    }
    if (used > quiet_cpu_) {
        deferred_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    malloc_trim(0);
    rss_floor_ = resident_bytes();
    trims_.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("returned free memory to the system: RSS {} MiB -> {} MiB", rss >> 20, rss_floor_ >> 20);
}

} // namespace hubcast::server

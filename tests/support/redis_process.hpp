#pragma once

#include <string>
#include <string_view>

#include <sys/types.h>

#include "support/deadline.hpp"

namespace hubcast::test {

/// A real Debian redis-server for scale-out tests, on a unix socket in a fresh temporary folder
/// (no TCP port, no persistence), started by the constructor and stopped by the destructor. It can
/// be stopped and started again on the same socket (a Redis restart), or paused (SIGSTOP).
/// Not movable; hold it by value or in a unique_ptr.
class redis_process {
public:
    redis_process();
    ~redis_process();
    redis_process(const redis_process&) = delete;
    redis_process& operator=(const redis_process&) = delete;

    /// `unix://<folder>/redis.sock`, for hubcast's --redis.
    std::string url() const { return "unix://" + socket_path_; }
    const std::string& socket_path() const noexcept { return socket_path_; }

    /// Starts redis-server and waits until it accepts connections; throws test_failure (with its
    /// log) if it does not within `limit`.
    void start(deadline limit = default_wait);
    /// SIGTERM and wait for the exit (SIGKILL past `limit`).
    void stop(deadline limit = default_wait);
    bool running() const noexcept { return pid_ > 0; }
    /// SIGSTOP / SIGCONT: a Redis that accepts bytes into its socket buffers and answers nothing.
    void pause();
    void resume();

    /// How many clients are subscribed to `channel` (PUBSUB NUMSUB); -1 when Redis cannot be asked.
    long long subscribers(std::string_view channel) const;
    /// Waits until `channel` has exactly `count` subscribers; false if not by `limit`.
    bool wait_for_subscribers(std::string_view channel, long long count, deadline limit = default_wait) const;

    /// Everything redis-server logged.
    std::string log() const;

private:
    std::string folder_;
    std::string socket_path_;
    pid_t pid_ = -1;
};

} // namespace hubcast::test

#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

namespace hubcast::core {

/// Bounded multi-producer, single-consumer task queue of one shard. A push onto an empty queue
/// calls the wake-up once; the owning worker then drains everything queued in one go, so a burst
/// of cross-worker sends costs one wake-up, not one per task (design section 3).
class mailbox {
public:
    using task = std::function<void()>;

    explicit mailbox(std::size_t capacity = 1u << 20) : capacity_(capacity) {}

    /// Installs the wake-up (e.g. "post a drain onto this worker's event loop"). Call before use.
    void set_wake(std::function<void()> wake);
    /// Thread-safe. Returns false (and drops the task) when the queue is full.
    bool push(task t);
    /// Runs every queued task on the calling (owning) thread. Returns how many ran.
    std::size_t drain();
    std::size_t dropped() const;

private:
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::vector<task> queue_;
    std::vector<task> draining_; // touched only by the owner
    std::function<void()> wake_;
    std::size_t dropped_ = 0;
};

} // namespace hubcast::core

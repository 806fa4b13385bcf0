#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

namespace hubcast::core {

/// Bounded multi-producer, single-consumer task queue of one shard. A push onto an empty queue
/// calls the wake-up once; the owning worker then drains everything queued in one go, so a burst
/// of cross-worker sends costs one wake-up, not one per task (design section 3).
///
/// Threading: push(), dropped() and accepted() are thread-safe; set_wake() must happen before the
/// first push; drain() runs on the owning thread only and is not re-entrant (a task must not call
/// drain()). Tasks must not throw. The wake-up is called outside the lock, on the pushing thread.
class mailbox {
public:
    using task = std::function<void()>;

    /// Room for a million pending tasks: far past any healthy backlog, small enough that a stuck
    /// worker shows up as drops instead of exhausting memory.
    static constexpr std::size_t default_capacity = std::size_t{1} << 20;

    explicit mailbox(std::size_t capacity = default_capacity) : capacity_(capacity) {}

    /// Installs the wake-up (e.g. "post a drain onto this worker's event loop"). Call before use.
    void set_wake(std::function<void()> wake);
    /// Thread-safe. Returns false (and drops the task) when the queue is full.
    bool push(task t);
    /// Runs every queued task on the calling (owning) thread. Returns how many ran. Tasks pushed
    /// while it runs wait for the next drain (and their push wakes the owner again).
    std::size_t drain();
    /// Tasks refused because the queue was full.
    std::size_t dropped() const;
    /// Tasks accepted since construction (a metric, and how tests see where work was posted).
    std::size_t accepted() const;

private:
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::vector<task> queue_;    // guarded by mutex_
    std::vector<task> draining_; // touched only by the owner, outside the lock
    std::function<void()> wake_; // written before the first push, then only read
    std::size_t dropped_ = 0;    // guarded by mutex_
    std::size_t accepted_ = 0;   // guarded by mutex_
};

} // namespace hubcast::core

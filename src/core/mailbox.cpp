#include "core/mailbox.hpp"

#include <utility>

namespace hubcast::core {

void mailbox::set_wake(std::function<void()> wake) {
    wake_ = std::move(wake);
}

bool mailbox::push(task t) {
    bool was_empty = false;
    {
        const std::lock_guard lock(mutex_);
        if (queue_.size() >= capacity_) {
            ++dropped_;
            return false;
        }
        was_empty = queue_.empty();
        queue_.push_back(std::move(t));
        ++accepted_;
    }
    // Only the push that makes the queue non-empty wakes the owner: the drain that wake-up leads
    // to takes every task queued until then. Called outside the lock so a wake-up that posts to an
    // event loop (or drains inline) never runs under our mutex.
    if (was_empty && wake_) {
        wake_();
    }
    return true;
}

std::size_t mailbox::drain() {
    {
        const std::lock_guard lock(mutex_);
        // draining_ is empty here and keeps the capacity of the previous batch, so swapping hands
        // producers a pre-sized vector: no allocation in steady state, and producers never wait
        // for the tasks to run.
        draining_.swap(queue_);
    }
    struct clear_on_exit {
        std::vector<task>& tasks;
        ~clear_on_exit() { tasks.clear(); }
    } guard{draining_};
    for (auto& t : draining_) {
        t();
    }
    return draining_.size();
}

std::size_t mailbox::dropped() const {
    const std::lock_guard lock(mutex_);
    return dropped_;
}

std::size_t mailbox::accepted() const {
    const std::lock_guard lock(mutex_);
    return accepted_;
}

} // namespace hubcast::core

#include "core/mailbox.hpp"

#include <algorithm>
#include <utility>

namespace hubcast::core {

void mailbox::set_wake(std::function<void()> wake) {
    wake_ = std::move(wake);
}

void mailbox::admit(entry e) {
    queued_bytes_ += e.weight;
    peak_bytes_ = std::max(peak_bytes_, queued_bytes_);
    queue_.push_back(std::move(e));
    ++accepted_;
}

bool mailbox::offer(task t, std::size_t bytes) {
    const std::size_t weight = bytes + task_overhead;
    bool was_empty = false;
    {
        const std::lock_guard lock(mutex_);
        // A task heavier than the whole budget still passes an empty mailbox, so that a budget
        // smaller than the largest message delays such messages instead of losing every one.
        if (queued_bytes_ != 0 && weight > max_bytes_ - std::min(queued_bytes_, max_bytes_)) {
            ++dropped_;
            dropped_bytes_ += weight;
            return false;
        }
        was_empty = queue_.empty();
        admit(entry{std::move(t), weight});
    }
    // Only the push that makes the queue non-empty wakes the owner: the drain that wake-up leads
    // to takes every task queued until then. Called outside the lock so a wake-up that posts to an
    // event loop (or drains inline) never runs under our mutex.
    if (was_empty && wake_) {
        wake_();
    }
    return true;
}

void mailbox::post(task t, std::size_t bytes) {
    bool was_empty = false;
    {
        const std::lock_guard lock(mutex_);
        was_empty = queue_.empty();
        admit(entry{std::move(t), bytes + task_overhead});
    }
    if (was_empty && wake_) {
        wake_();
    }
}

std::size_t mailbox::drain() {
    {
        const std::lock_guard lock(mutex_);
        // draining_ is empty here and keeps the capacity of the previous batch, so swapping hands
        // producers a pre-sized vector: no allocation in steady state, and producers never wait
        // for the tasks to run.
        draining_.swap(queue_);
    }
    std::size_t batch_bytes = 0;
    for (const auto& e : draining_) {
        batch_bytes += e.weight;
    }
    // The batch's bytes are released once its tasks are destroyed (with the messages they hold),
    // also when a task throws despite the contract.
    struct release_on_exit {
        mailbox& box;
        std::size_t bytes;
        ~release_on_exit() {
            box.draining_.clear();
            const std::lock_guard lock(box.mutex_);
            box.queued_bytes_ -= bytes;
        }
    } guard{*this, batch_bytes};
    for (auto& e : draining_) {
        e.run();
    }
    last_drain_bytes_ = batch_bytes;
    return draining_.size();
}

std::size_t mailbox::dropped() const {
    const std::lock_guard lock(mutex_);
    return dropped_;
}

std::size_t mailbox::dropped_bytes() const {
    const std::lock_guard lock(mutex_);
    return dropped_bytes_;
}

std::size_t mailbox::accepted() const {
    const std::lock_guard lock(mutex_);
    return accepted_;
}

std::size_t mailbox::queued_bytes() const {
    const std::lock_guard lock(mutex_);
    return queued_bytes_;
}

std::size_t mailbox::peak_queued_bytes() const {
    const std::lock_guard lock(mutex_);
    return peak_bytes_;
}

} // namespace hubcast::core

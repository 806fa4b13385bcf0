#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <utility>

namespace hubcast::upstream {

/// Work started and not yet finished, counted across threads: a shutdown waits for it to drain.
/// Each piece of work holds a token from begin() for as long as it lives, so no path that ends the
/// work (an answer, a give-up, a cancelled retry, a stop) can forget to count it down.
///
/// The count is shared with the tokens: a token may outlive this object (a callback still held by
/// an event loop that is destroyed later) and still count down safely.
class pending_work {
public:
    class token {
    public:
        token() = default;
        token(const token&) = delete;
        token& operator=(const token&) = delete;
        token(token&& other) noexcept : count_(std::move(other.count_)) {}
        token& operator=(token&& other) noexcept {
            if (this != &other) {
                release();
                count_ = std::move(other.count_);
            }
            return *this;
        }
        ~token() { release(); }

    private:
        friend class pending_work;
        explicit token(std::shared_ptr<std::atomic<std::size_t>> count) : count_(std::move(count)) {
            count_->fetch_add(1, std::memory_order_acq_rel);
        }
        void release() noexcept {
            if (count_) {
                count_->fetch_sub(1, std::memory_order_acq_rel);
                count_.reset();
            }
        }

        std::shared_ptr<std::atomic<std::size_t>> count_;
    };

    /// Counts one more piece of work until the returned token is destroyed.
    token begin() { return token(count_); }
    /// How many tokens are alive now, on any thread.
    std::size_t count() const noexcept { return count_->load(std::memory_order_acquire); }

private:
    std::shared_ptr<std::atomic<std::size_t>> count_ = std::make_shared<std::atomic<std::size_t>>(0);
};

} // namespace hubcast::upstream

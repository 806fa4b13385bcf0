#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "protocol/subprotocol.hpp"
#include "transport/handlers.hpp"
#include "util/shared_bytes.hpp"

namespace hubcast::transport {

/// One outbound frame of a WebSocket session: shared bytes, never copied per recipient. Either a
/// whole frame in `bytes` (sequence_id 0), or a reliable message: the protocol::sequence_head of
/// `family`, `sequence_id` and the body's size, built when written, followed by the shared body
/// in `bytes`. 40 bytes, as small as a plain frame's entry was before reliable ones shared it:
/// every queued delivery writes one.
struct queued_frame {
    util::shared_bytes bytes;
    send_deadline deadline = no_deadline;
    std::uint64_t sequence_id = 0; ///< non-zero: a reliable message, `bytes` its body
    std::uint8_t head_size = 0;    ///< the sequence head's size (0 for a whole frame)
    protocol::frame_family family = protocol::frame_family::raw;

    std::size_t size() const noexcept { return head_size + bytes->size(); }
};
static_assert(sizeof(queued_frame) <= 40, "one queue entry per delivery: keep it small");

/// The outbound queue of one session: a ring in one vector. Unlike std::deque it allocates nothing
/// until the first push (an idle connection holds no node) and keeps its capacity once grown, so
/// a busy connection's queue stops allocating (design section 4: nothing per frame on the hot path).
class frame_queue {
public:
    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }

    queued_frame& operator[](std::size_t index) noexcept { return slots_[(head_ + index) & mask()]; }
    const queued_frame& operator[](std::size_t index) const noexcept {
        return slots_[(head_ + index) & mask()];
    }
    queued_frame& front() noexcept { return slots_[head_]; }

    void push_back(queued_frame frame) {
        if (size_ == slots_.size()) {
            grow();
        }
        slots_[(head_ + size_) & mask()] = std::move(frame);
        ++size_;
    }

    void pop_front() noexcept {
        slots_[head_] = queued_frame{}; // drop the references now, not when the slot is reused
        head_ = (head_ + 1) & mask();
        --size_;
    }

    void clear() noexcept {
        while (!empty()) {
            pop_front();
        }
        head_ = 0;
    }

    /// Removes the frames from index `first` on for which `remove` is true, keeping the order of
    /// the others.
    template <typename Predicate> void erase_if_from(std::size_t first, Predicate remove) {
        std::size_t kept = first;
        for (std::size_t i = first; i < size_; ++i) {
            if (remove((*this)[i])) {
                continue;
            }
            if (kept != i) {
                (*this)[kept] = std::move((*this)[i]);
            }
            ++kept;
        }
        for (std::size_t i = kept; i < size_; ++i) {
            (*this)[i] = queued_frame{};
        }
        size_ = kept;
    }

    /// What drop_expired() removed.
    struct dropped {
        std::size_t frames = 0;
        std::size_t bytes = 0;
    };
    /// Removes the frames from index `first` on whose deadline is `now` or earlier, keeping the
    /// order of the others; frames without a deadline always stay.
    dropped drop_expired(std::size_t first, send_deadline now) {
        dropped out;
        erase_if_from(first, [&out, now](const queued_frame& f) {
            if (f.deadline == no_deadline || now < f.deadline) {
                return false;
            }
            ++out.frames;
            out.bytes += f.size();
            return true;
        });
        return out;
    }

private:
    static constexpr std::size_t first_capacity = 2;

    std::size_t mask() const noexcept { return slots_.size() - 1; }

    void grow() {
        std::vector<queued_frame> larger(slots_.empty() ? first_capacity : slots_.size() * 2);
        for (std::size_t i = 0; i < size_; ++i) {
            larger[i] = std::move((*this)[i]);
        }
        slots_ = std::move(larger);
        head_ = 0;
    }

    std::vector<queued_frame> slots_; // capacity is zero or a power of two
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

} // namespace hubcast::transport

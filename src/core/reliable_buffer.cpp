#include "core/reliable_buffer.hpp"

#include <stdexcept>
#include <utility>

namespace hubcast::core {

bool reliable_buffer::push(util::shared_bytes body, std::size_t head_size, send_deadline deadline) {
    const std::size_t size = head_size + body->size();
    if (this->size() >= limits_.max_messages || size > limits_.max_bytes - bytes_) {
        return false;
    }
    if (!entries_) {
        entries_.emplace();
    }
    entries_->push_back(entry{next_id_, std::move(body), deadline, static_cast<std::uint32_t>(head_size)});
    bytes_ += size;
    ++next_id_;
    return true;
}

std::size_t reliable_buffer::acknowledge(std::uint64_t sequence_id) {
    std::size_t released = 0;
    if (!entries_) {
        return released;
    }
    while (!entries_->empty() && entries_->front().sequence_id <= sequence_id) {
        bytes_ -= entries_->front().size();
        entries_->pop_front();
        ++released;
    }
    return released;
}

const std::deque<reliable_buffer::entry>& reliable_buffer::unacked() const noexcept {
    static const std::deque<entry> none;
    return entries_ ? *entries_ : none;
}

void reliable_buffer::start_at(std::uint64_t next_id) {
    if (size() != 0 || next_id == 0) {
        throw std::logic_error(
            "hubcast: a reliable buffer restarts its numbering only while empty, from 1 up");
    }
    next_id_ = next_id;
}

void reliable_buffer::clear() noexcept {
    entries_.reset();
    bytes_ = 0;
}

} // namespace hubcast::core

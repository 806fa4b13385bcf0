#include "core/reliable_buffer.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace hubcast::core {

bool reliable_buffer::keep(const std::string& body, std::size_t head_size, send_deadline deadline) {
    const std::size_t size = head_size + body.size();
    if (this->size() >= limits_.max_messages || size > limits_.max_bytes - bytes_) {
        return false;
    }
    if (!held_) {
        held_ = std::make_unique<held>();
    }
    held_->entries.push_back(entry{next_id_, &body, deadline, static_cast<std::uint32_t>(head_size)});
    bytes_ += size;
    ++next_id_;
    return true;
}

bool reliable_buffer::push(util::shared_bytes body, std::size_t head_size, send_deadline deadline) {
    if (!keep(*body, head_size, deadline)) {
        return false;
    }
    held_->owners.push_back(owner_run{next_id_ - 1, std::move(body)});
    return true;
}

bool reliable_buffer::push_owned(const std::string& body, std::size_t head_size,
                                 const std::shared_ptr<const void>& owner) {
    if (!keep(body, head_size, no_deadline)) {
        return false;
    }
    auto& owners = held_->owners;
    if (!owners.empty() && owners.back().owner == owner) {
        owners.back().last_id = next_id_ - 1; // the same owner as the message before: no new reference
    } else {
        owners.push_back(owner_run{next_id_ - 1, owner});
    }
    return true;
}

util::shared_bytes reliable_buffer::body_of(const entry& e) const {
    const auto& owners = held_->owners;
    const auto covering =
        std::lower_bound(owners.begin(), owners.end(), e.sequence_id,
                         [](const owner_run& run, std::uint64_t id) { return run.last_id < id; });
    return {covering->owner, e.body}; // shares the owner, points at the body
}

std::size_t reliable_buffer::acknowledge(std::uint64_t sequence_id) {
    std::size_t released = 0;
    if (!held_) {
        return released;
    }
    auto& entries = held_->entries;
    while (!entries.empty() && entries.front().sequence_id <= sequence_id) {
        bytes_ -= entries.front().size();
        entries.pop_front();
        ++released;
    }
    auto& owners = held_->owners;
    while (!owners.empty() && owners.front().last_id <= sequence_id) {
        owners.pop_front();
    }
    return released;
}

const std::deque<reliable_buffer::entry>& reliable_buffer::unacked() const noexcept {
    static const std::deque<entry> none;
    return held_ ? held_->entries : none;
}

void reliable_buffer::start_at(std::uint64_t next_id) {
    if (size() != 0 || next_id == 0) {
        throw std::logic_error(
            "hubcast: a reliable buffer restarts its numbering only while empty, from 1 up");
    }
    next_id_ = next_id;
}

void reliable_buffer::clear() noexcept {
    held_.reset();
    bytes_ = 0;
}

} // namespace hubcast::core

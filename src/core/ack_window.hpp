#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_set>

namespace hubcast::core {

/// The ackIds a connection processed successfully, most recent `capacity` of them (spec 4.5:
/// a repeated id is answered `Duplicate`; only successes are remembered, so a Forbidden request
/// may be retried under the same id). Owned by one connection; not thread-safe.
class ack_window {
public:
    explicit ack_window(std::size_t capacity = 1000) : capacity_(capacity) {}

    bool contains(std::uint64_t ack_id) const { return ids_.contains(ack_id); }
    /// Remembers a successful id, forgetting the oldest past the capacity.
    void remember(std::uint64_t ack_id);
    std::size_t size() const noexcept { return order_.size(); }

private:
    std::size_t capacity_;
    std::deque<std::uint64_t> order_;
    std::unordered_set<std::uint64_t> ids_;
};

} // namespace hubcast::core

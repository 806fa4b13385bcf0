#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_set>
#include <vector>

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
    /// The remembered ids, oldest first: remembering them in this order into an empty window of
    /// the same capacity rebuilds this one (a reliable session moving to another node).
    std::vector<std::uint64_t> remembered() const;

private:
    std::size_t capacity_;
    // The remembered ids in arrival order, as a ring: it grows (allocating nothing until the first
    // remember(), since most connections never send an ackId) up to capacity_, then the slot at
    // oldest_ is overwritten. Not a std::deque: libstdc++ allocates a 512-byte node per deque at
    // construction, i.e. per idle connection.
    std::vector<std::uint64_t> order_;
    std::size_t oldest_ = 0; // index of the oldest id once order_ is full; 0 before
    std::unordered_set<std::uint64_t> ids_;
};

} // namespace hubcast::core

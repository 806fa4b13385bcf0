#include "core/ack_window.hpp"

#include <algorithm>
#include <cstddef>

namespace hubcast::core {

void ack_window::remember(std::uint64_t ack_id) {
    if (capacity_ == 0 || !ids_.insert(ack_id).second) {
        return;
    }
    if (order_.size() < capacity_) {
        // Growing: never reserve past the capacity, which vector's own doubling would.
        if (order_.size() == order_.capacity()) {
            order_.reserve(std::min(capacity_, std::max<std::size_t>(8, 2 * order_.size())));
        }
        order_.push_back(ack_id);
        return;
    }
    // Full: order_ and ids_ hold the same ids, so evicting the oldest from both keeps them equal.
    ids_.erase(order_[oldest_]);
    order_[oldest_] = ack_id;
    oldest_ = oldest_ + 1 == capacity_ ? 0 : oldest_ + 1;
}

std::vector<std::uint64_t> ack_window::remembered() const {
    // Before the ring is full oldest_ is 0, so one rotation covers both states.
    std::vector<std::uint64_t> ids(order_.begin() + static_cast<std::ptrdiff_t>(oldest_), order_.end());
    ids.insert(ids.end(), order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(oldest_));
    return ids;
}

} // namespace hubcast::core

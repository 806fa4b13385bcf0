#include "core/ack_window.hpp"

namespace hubcast::core {

void ack_window::remember(std::uint64_t ack_id) {
    if (capacity_ == 0 || !ids_.insert(ack_id).second) {
        return;
    }
    order_.push_back(ack_id);
    // order_ and ids_ hold the same ids, so evicting the oldest from both keeps them equal.
    if (order_.size() > capacity_) {
        ids_.erase(order_.front());
        order_.pop_front();
    }
}

} // namespace hubcast::core

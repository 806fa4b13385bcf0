#include "core/connection_quota.hpp"

namespace hubcast::core {

connection_quota::acquisition connection_quota::acquire(std::string_view key) {
    if (limit_ == 0) {
        return {};
    }
    {
        const std::lock_guard lock(mutex_);
        auto it = counts_.find(key);
        if (it == counts_.end()) {
            it = counts_.emplace(std::string(key), 0).first;
        } else if (it->second >= limit_) {
            return acquisition{.allowed = false, .held = nullptr};
        }
        ++it->second;
    }
    return acquisition{.allowed = true, .held = std::make_shared<lease>(*this, std::string(key))};
}

std::size_t connection_quota::count(std::string_view key) const {
    const std::lock_guard lock(mutex_);
    const auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
}

std::size_t connection_quota::keys() const {
    const std::lock_guard lock(mutex_);
    return counts_.size();
}

void connection_quota::release(const std::string& key) noexcept {
    const std::lock_guard lock(mutex_);
    const auto it = counts_.find(key);
    if (it != counts_.end() && --it->second == 0) {
        counts_.erase(it); // user ids and tokens come and go: leave nothing behind
    }
}

} // namespace hubcast::core

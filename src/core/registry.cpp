#include "core/registry.hpp"

#include <algorithm>
#include <cassert>
#include <mutex>

#include "core/backplane.hpp"

namespace hubcast::core {

void registry::add_connection(std::string_view hub, std::string_view connection_id,
                              const std::optional<std::string>& user_id, std::size_t shard) {
    assert(shard < shard_count_);
    bool first_of_hub = false;
    bool first_of_user = false;
    {
        const std::unique_lock lock(mutex_);
        auto h = hubs_.find(hub);
        if (h == hubs_.end()) {
            h = hubs_.emplace(std::string(hub), hub_index{}).first;
        }
        if (!h->second.connections.emplace(std::string(connection_id), shard).second) {
            return; // already known: counting it twice would keep its user alive after it leaves
        }
        ++connection_count_;
        first_of_hub = h->second.connections.size() == 1;
        if (user_id) {
            first_of_user = increment(h->second.users, *user_id, shard);
        }
    }
    if (backplane_ != nullptr) {
        backplane_->connection_changed(hub, connection_id, true);
        if (first_of_hub) {
            backplane_->interest_changed(send_scope::hub, hub, {});
        }
        if (first_of_user) {
            backplane_->interest_changed(send_scope::user, hub, *user_id);
        }
    }
}

void registry::remove_connection(std::string_view hub, std::string_view connection_id,
                                 const std::optional<std::string>& user_id, std::size_t shard) {
    assert(shard < shard_count_);
    bool last_of_hub = false;
    bool last_of_user = false;
    {
        const std::unique_lock lock(mutex_);
        const auto h = hubs_.find(hub);
        if (h == hubs_.end()) {
            return;
        }
        const auto c = h->second.connections.find(connection_id);
        if (c == h->second.connections.end()) {
            return;
        }
        h->second.connections.erase(c);
        --connection_count_;
        last_of_hub = h->second.connections.empty();
        if (user_id) {
            last_of_user = decrement(h->second.users, *user_id, shard);
        }
        erase_if_empty(h);
    }
    if (backplane_ != nullptr) {
        backplane_->connection_changed(hub, connection_id, false);
        if (last_of_hub) {
            backplane_->interest_changed(send_scope::hub, hub, {});
        }
        if (last_of_user) {
            backplane_->interest_changed(send_scope::user, hub, *user_id);
        }
    }
}

void registry::add_group_member(std::string_view hub, std::string_view group, std::size_t shard) {
    assert(shard < shard_count_);
    bool first = false;
    {
        const std::unique_lock lock(mutex_);
        auto h = hubs_.find(hub);
        if (h == hubs_.end()) {
            h = hubs_.emplace(std::string(hub), hub_index{}).first;
        }
        first = increment(h->second.groups, group, shard);
    }
    if (first && backplane_ != nullptr) {
        backplane_->interest_changed(send_scope::group, hub, group);
    }
}

void registry::remove_group_member(std::string_view hub, std::string_view group, std::size_t shard) {
    assert(shard < shard_count_);
    bool last = false;
    {
        const std::unique_lock lock(mutex_);
        const auto h = hubs_.find(hub);
        if (h == hubs_.end()) {
            return;
        }
        last = decrement(h->second.groups, group, shard);
        erase_if_empty(h);
    }
    if (last && backplane_ != nullptr) {
        backplane_->interest_changed(send_scope::group, hub, group);
    }
}

bool registry::connection_exists(std::string_view hub, std::string_view connection_id) const {
    const std::shared_lock lock(mutex_);
    const auto h = hubs_.find(hub);
    return h != hubs_.end() && h->second.connections.contains(connection_id);
}

bool registry::user_exists(std::string_view hub, std::string_view user_id) const {
    const std::shared_lock lock(mutex_);
    const auto h = hubs_.find(hub);
    return h != hubs_.end() && h->second.users.contains(user_id);
}

bool registry::group_exists(std::string_view hub, std::string_view group) const {
    const std::shared_lock lock(mutex_);
    const auto h = hubs_.find(hub);
    return h != hubs_.end() && h->second.groups.contains(group);
}

bool registry::hub_has_connections(std::string_view hub) const {
    const std::shared_lock lock(mutex_);
    const auto h = hubs_.find(hub);
    return h != hubs_.end() && !h->second.connections.empty();
}

std::vector<std::size_t> registry::shards_with_group(std::string_view hub, std::string_view group) const {
    const std::shared_lock lock(mutex_);
    const auto h = hubs_.find(hub);
    if (h == hubs_.end()) {
        return {};
    }
    const auto g = h->second.groups.find(group);
    return g == h->second.groups.end() ? std::vector<std::size_t>{} : nonzero(g->second);
}

std::vector<std::size_t> registry::shards_with_user(std::string_view hub, std::string_view user_id) const {
    const std::shared_lock lock(mutex_);
    const auto h = hubs_.find(hub);
    if (h == hubs_.end()) {
        return {};
    }
    const auto u = h->second.users.find(user_id);
    return u == h->second.users.end() ? std::vector<std::size_t>{} : nonzero(u->second);
}

std::size_t registry::connection_count() const {
    const std::shared_lock lock(mutex_);
    return connection_count_;
}

std::vector<std::size_t> registry::nonzero(const std::vector<std::uint32_t>& counts) {
    std::vector<std::size_t> shards;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (counts[i] != 0) {
            shards.push_back(i);
        }
    }
    return shards;
}

bool registry::increment(string_map<std::vector<std::uint32_t>>& counts, std::string_view key,
                         std::size_t shard) {
    auto entry = counts.find(key);
    const bool created = entry == counts.end();
    if (created) {
        entry = counts.emplace(std::string(key), std::vector<std::uint32_t>(shard_count_, 0)).first;
    }
    ++entry->second[shard];
    return created;
}

bool registry::decrement(string_map<std::vector<std::uint32_t>>& counts, std::string_view key,
                         std::size_t shard) {
    const auto entry = counts.find(key);
    if (entry == counts.end() || entry->second[shard] == 0) {
        return false; // a remove without its add changes nothing rather than wrapping the count
    }
    --entry->second[shard];
    if (std::all_of(entry->second.begin(), entry->second.end(), [](std::uint32_t n) { return n == 0; })) {
        counts.erase(entry);
        return true;
    }
    return false;
}

void registry::erase_if_empty(string_map<hub_index>::iterator hub) {
    if (hub->second.empty()) {
        hubs_.erase(hub);
    }
}

} // namespace hubcast::core

#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "util/string_map.hpp"

namespace hubcast::core {

class backplane;

/// The node-wide answers to global questions (does connection X exist in hub H, does user U have a
/// connection, does group G have members, which shards hold members of G), kept off the per-message
/// hot path: shards update it when connections attach/detach and join/leave groups.
/// Thread-safe (one shared_mutex; readers never block each other). Lock order: registry is a leaf
/// lock; never call out while holding it.
class registry {
public:
    explicit registry(std::size_t shard_count) : shard_count_(shard_count) {}

    /// Told, after the lock is released, of every connection added or removed
    /// (backplane::connection_changed) and whenever a hub gains its first or loses its last
    /// connection, and a group or user its first or last member here (backplane::interest_changed).
    /// Set before any connection attaches, cleared after the last worker stopped; null: nobody.
    void set_backplane(backplane* listener) noexcept { backplane_ = listener; }

    void add_connection(std::string_view hub, std::string_view connection_id,
                        const std::optional<std::string>& user_id, std::size_t shard);
    void remove_connection(std::string_view hub, std::string_view connection_id,
                           const std::optional<std::string>& user_id, std::size_t shard);
    void add_group_member(std::string_view hub, std::string_view group, std::size_t shard);
    void remove_group_member(std::string_view hub, std::string_view group, std::size_t shard);

    bool connection_exists(std::string_view hub, std::string_view connection_id) const;
    bool user_exists(std::string_view hub, std::string_view user_id) const;
    bool group_exists(std::string_view hub, std::string_view group) const;
    /// Whether the hub has at least one connection on this node.
    bool hub_has_connections(std::string_view hub) const;
    /// Shards with at least one member of the group (empty when none).
    std::vector<std::size_t> shards_with_group(std::string_view hub, std::string_view group) const;
    /// Shards with at least one connection of the user.
    std::vector<std::size_t> shards_with_user(std::string_view hub, std::string_view user_id) const;
    std::size_t connection_count() const;

private:
    template <typename T> using string_map = util::string_map<T>;

    // An entry exists only while some count in it is non-zero, and a hub only while it holds
    // something: names that come and go (users, groups, hubs) leave nothing behind.
    struct hub_index {
        string_map<std::size_t> connections;           // id -> owning shard
        string_map<std::vector<std::uint32_t>> users;  // per-shard connection counts
        string_map<std::vector<std::uint32_t>> groups; // per-shard member counts
        bool empty() const noexcept { return connections.empty() && users.empty() && groups.empty(); }
    };
    static std::vector<std::size_t> nonzero(const std::vector<std::uint32_t>& counts);
    /// Decrements counts[shard] of `key`, erasing the entry when every count is zero; true when it
    /// erased it.
    static bool decrement(string_map<std::vector<std::uint32_t>>& counts, std::string_view key,
                          std::size_t shard);
    /// True when it created the entry.
    bool increment(string_map<std::vector<std::uint32_t>>& counts, std::string_view key, std::size_t shard);
    /// Erases `hub` when it holds nothing any more. Requires the exclusive lock.
    void erase_if_empty(string_map<hub_index>::iterator hub);

    std::size_t shard_count_;
    backplane* backplane_ = nullptr;
    mutable std::shared_mutex mutex_;
    string_map<hub_index> hubs_;       // guarded by mutex_
    std::size_t connection_count_ = 0; // guarded by mutex_
};

} // namespace hubcast::core

#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hubcast::core {

/// The node-wide answers to global questions (does connection X exist in hub H, does user U have a
/// connection, does group G have members, which shards hold members of G), kept off the per-message
/// hot path: shards update it when connections attach/detach and join/leave groups.
/// Thread-safe (one shared_mutex; readers never block each other). Lock order: registry is a leaf
/// lock; never call out while holding it.
class registry {
public:
    explicit registry(std::size_t shard_count) : shard_count_(shard_count) {}

    void add_connection(std::string_view hub, std::string_view connection_id,
                        const std::optional<std::string>& user_id, std::size_t shard);
    void remove_connection(std::string_view hub, std::string_view connection_id,
                           const std::optional<std::string>& user_id, std::size_t shard);
    void add_group_member(std::string_view hub, std::string_view group, std::size_t shard);
    void remove_group_member(std::string_view hub, std::string_view group, std::size_t shard);

    bool connection_exists(std::string_view hub, std::string_view connection_id) const;
    bool user_exists(std::string_view hub, std::string_view user_id) const;
    bool group_exists(std::string_view hub, std::string_view group) const;
    /// Shards with at least one member of the group (empty when none).
    std::vector<std::size_t> shards_with_group(std::string_view hub, std::string_view group) const;
    /// Shards with at least one connection of the user.
    std::vector<std::size_t> shards_with_user(std::string_view hub, std::string_view user_id) const;
    std::size_t connection_count() const;

private:
    struct hub_index {
        std::unordered_map<std::string, std::size_t> connections; // id -> shard
        std::unordered_map<std::string, std::vector<std::uint32_t>> users;  // per-shard counts
        std::unordered_map<std::string, std::vector<std::uint32_t>> groups; // per-shard counts
    };
    static std::vector<std::size_t> nonzero(const std::vector<std::uint32_t>& counts);

    std::size_t shard_count_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, hub_index, std::hash<std::string>, std::equal_to<>> hubs_;
    std::size_t connection_count_ = 0;
};

} // namespace hubcast::core

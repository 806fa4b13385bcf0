#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/connection.hpp"
#include "core/mailbox.hpp"
#include "core/prepared_message.hpp"

namespace hubcast::core {

class node;

/// Which connections of a fan-out are skipped.
struct exclusions {
    std::vector<std::string> connection_ids; ///< REST `excluded`
    std::string no_echo_connection;          ///< the publisher of a noEcho sendToGroup, or empty
    bool contains(std::string_view id) const;
};

/// The part of the node owned by one worker thread: its connections and the local indexes
/// (hub → group → members, hub → user → connections). Every method except mailbox() runs on the
/// owning worker thread only (no locks); other threads reach a shard through node::post().
class shard {
public:
    shard(node& owner, std::size_t index);
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;

    std::size_t index() const noexcept { return index_; }
    mailbox& inbox() noexcept { return inbox_; }

    /// Marks the calling thread as this shard's worker (node::current_shard() then returns it).
    void bind_to_current_thread();

    /// Registers a new connection on this shard (indexes and node registry). The sink must outlive
    /// the connection (until detach). Returns the core connection object.
    connection& attach(connection_info info, auth::permission_set permissions, connection_sink& sink);
    /// Leaves all groups and forgets the connection. Safe to call for unknown ids.
    void detach(std::string_view connection_id);
    connection* find(std::string_view connection_id);

    /// Membership changes for local connections. Return false when nothing changed.
    bool join(connection& c, std::string_view group);
    bool leave(connection& c, std::string_view group);
    void leave_all(connection& c);

    // Local fan-out: queue `message` on every matching local connection of `hub`.
    void deliver_to_all(std::string_view hub, const prepared_message& message, const exclusions& skip);
    void deliver_to_group(std::string_view hub, std::string_view group, const prepared_message& message,
                          const exclusions& skip);
    void deliver_to_user(std::string_view hub, std::string_view user_id, const prepared_message& message,
                         const exclusions& skip);

    /// Local connections of `hub` (all, of a user, of a group) for membership and close commands.
    std::vector<connection*> connections_of_hub(std::string_view hub);
    std::vector<connection*> connections_of_user(std::string_view hub, std::string_view user_id);
    std::vector<connection*> connections_of_group(std::string_view hub, std::string_view group);

    std::size_t connection_count() const noexcept { return connections_.size(); }

private:
    struct hub_members {
        std::unordered_set<connection*> all;
        std::unordered_map<std::string, std::unordered_set<connection*>> groups;
        std::unordered_map<std::string, std::unordered_set<connection*>> users;
    };

    node& owner_;
    std::size_t index_;
    mailbox inbox_;
    std::unordered_map<std::string, std::unique_ptr<connection>> connections_;
    std::unordered_map<std::string, hub_members> hubs_;
};

} // namespace hubcast::core

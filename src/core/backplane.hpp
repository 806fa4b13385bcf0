#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/connection_filter.hpp"
#include "core/prepared_message.hpp"
#include "core/shard.hpp"
#include "protocol/message_data.hpp"

namespace hubcast::core {

/// Whom a send that crosses nodes is for: every connection of a hub, a group's members, a user's
/// connections, or one connection (whose owning node its id names, router::node_key_of).
enum class send_scope : std::uint8_t { hub, group, user, connection };

/// A send leaving this node, as the router hands it to the backplane: views of what the local
/// fan-out already built (the prepared message and its exclusions), valid only during the call.
struct outgoing_send {
    send_scope scope = send_scope::hub;
    std::string_view hub;
    std::string_view target; ///< group, user id or connection id; empty for send_scope::hub
    const prepared_message& message;
    const exclusions& skip;
    const connection_filter* filter = nullptr; ///< its text crosses, and is parsed again there
    send_deadline deadline = no_deadline;
};

/// A send that came from another node, decoded, for router::deliver_from_node.
struct incoming_send {
    send_scope scope = send_scope::hub;
    std::string hub;
    std::string target;
    std::optional<std::string> from_user_id; ///< group sends by a client
    std::vector<std::string> excluded;
    std::string no_echo_connection;
    std::string filter; ///< OData text; empty: no filter
    /// What was left of messageTtlSeconds when the sender published it; none: no TTL.
    std::optional<std::chrono::milliseconds> time_to_live;
    protocol::message_data data;
};

/// What a cluster-wide existence check asks about.
enum class presence_kind : std::uint8_t { connection, user, group };

/// The answer to a cluster-wide existence check: nullopt when other nodes cannot be asked now
/// (Redis unreachable or not answering in time).
using presence_answer = std::function<void(std::optional<bool>)>;

/// The only way a node talks to other nodes (design section 6). The router calls it for every
/// send and for every change of what this node has members for; without one (the default, a
/// single node) the router does neither and pays nothing.
///
/// Threading: both methods are called from any worker thread, must be thread-safe, and must never
/// block on the network: an implementation queues and returns.
class backplane {
public:
    virtual ~backplane() = default;

    /// Hands `send` to the other nodes that may hold recipients. The local recipients are the
    /// router's; whatever this node gets back of its own publishes is the implementation's to
    /// ignore. At most once: a send that cannot leave now is dropped (and counted there).
    virtual void publish(const outgoing_send& send) = 0;

    /// This node's interest in (scope, hub, name) may have changed: the hub gained its first local
    /// connection or lost its last (send_scope::hub, name empty), a group its first or last local
    /// member, a user its first or last local connection. Called after the registry changed,
    /// outside its lock; the implementation asks the registry for the state it should follow.
    virtual void interest_changed(send_scope scope, std::string_view hub, std::string_view name) = 0;

    /// A connection of this node appeared in (`present`) or left the registry: what other nodes'
    /// existence checks read. Called after the registry changed, outside its lock.
    virtual void connection_changed(std::string_view hub, std::string_view connection_id, bool present) = 0;

    /// Whether a connection, user or group of `hub` exists on any other node. `done` is called
    /// exactly once, on the backplane's thread or inline, never while a lock of the caller's is
    /// needed. For presence_kind::connection, `name` is a connection id of another node.
    virtual void ask_exists(presence_kind kind, std::string_view hub, std::string_view name,
                            presence_answer done) = 0;
};

} // namespace hubcast::core

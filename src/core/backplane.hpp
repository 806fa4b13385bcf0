#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/permissions.hpp"
#include "core/connection_filter.hpp"
#include "core/prepared_message.hpp"
#include "core/send_origin.hpp"
#include "core/session_snapshot.hpp"
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
    send_origin origin; ///< crosses as it is: a send passed on keeps the stream it started in
    /// send_scope::connection: the node to carry it to when it is not the one the id names (a
    /// session that moved); empty otherwise.
    std::string_view to_node;
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
    send_origin origin;
};

/// What a cluster-wide existence check asks about.
enum class presence_kind : std::uint8_t { connection, user, group };

/// The answer to a cluster-wide existence check: nullopt when other nodes cannot be asked now
/// (Redis unreachable or not answering in time).
using presence_answer = std::function<void(std::optional<bool>)>;

/// A REST command that may concern connections of other nodes (docs/scale-out.md, "Commands
/// across nodes"). The first group goes to the node that owns `connection_id`; the others to every
/// node, each applying it to its own connections.
enum class command_kind : std::uint8_t {
    add_connection_to_group,
    remove_connection_from_group,
    remove_connection_from_all_groups,
    close_connection,
    grant_permission,
    revoke_permission,
    check_permission,
    take_session,    ///< a reliable session's move, step one: may `node` take it? (docs/architecture.md)
    release_session, ///< step two: let it go to `node`, answering with all of it
    session_moved,   ///< to the node that made the id: the session is now on `node` (empty: it ended)
    add_user_to_group,
    remove_user_from_group,
    remove_user_from_all_groups,
    add_to_groups,
    remove_from_groups,
    close_all,
    close_user,
    close_group,
    list_group_members,
};
inline constexpr command_kind last_command_kind = command_kind::list_group_members;

/// Whether a command of `kind` goes to one node, the owner of its connection id.
constexpr bool addressed_to_owner(command_kind kind) noexcept {
    return kind <= command_kind::session_moved;
}

/// A command as it crosses nodes: every field a kind may use; the others stay empty.
struct cluster_command {
    command_kind kind = command_kind::close_all;
    std::string hub;
    std::string connection_id;
    std::string user_id;
    std::string group;                 ///< the group of group and membership commands
    std::vector<std::string> groups;   ///< add_to_groups / remove_from_groups
    std::string filter;                ///< their OData filter's text; empty: every connection
    std::vector<std::string> excluded; ///< close_all / close_user / close_group
    std::uint16_t code = 0;            ///< close code
    std::string reason;                ///< close reason
    auth::permission_kind permission = auth::permission_kind::join_leave_group;
    std::optional<std::string> permission_target; ///< none: every group
    std::string after;                            ///< list_group_members: the page starts after this id
    std::uint64_t limit = 0;                      ///< list_group_members: at most this many
    std::string node;                             ///< the session commands: the node taking it over
    std::string recovery_digest; ///< take_session, release_session: what the client presented
    protocol::subprotocol_kind subprotocol = protocol::subprotocol_kind::none; ///< take_session
    bool operator==(const cluster_command&) const = default;
};

/// One node's answer to a cluster_command, once the command is in force there (its presence in
/// Redis included). `value` by kind: add_connection_to_group a router::add_result; grant,
/// revoke, remove and close of one connection 1 when the node had it, else 0; check_permission 1
/// granted, 0 denied, -1 no such connection; add_user_to_group and add_to_groups the joins the
/// group limit refused; -2 when the node could not carry the command out (a filter that does not
/// parse there). `members`: list_group_members only.
/// take_session and release_session: 1 with `session` when granted (step one: without its
/// messages), else 0.
struct command_answer {
    std::int64_t value = 0;
    std::vector<group_member> members;
    std::optional<session_snapshot> session;
    bool operator==(const command_answer&) const = default;
};
inline constexpr std::int64_t command_not_carried_out = -2;

/// The answers of the nodes a command went to, and whether every one of them answered: false
/// when Redis could not be reached or a node did not answer within the backplane's deadline.
using command_answers = std::function<void(std::vector<command_answer> answers, bool complete)>;

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

    /// Carries `command` to the node whose key is `node_key` (addressed_to_owner kinds) and calls
    /// `done` with its answer, or with none (complete) when no such node is listening: a node that
    /// is gone has no connections. Called from any thread; `done` runs on the backplane's thread.
    virtual void command_node(std::string_view node_key, cluster_command command, command_answers done) = 0;

    /// Carries `command` to every other node and calls `done` with their answers, on the
    /// backplane's thread (inline when other nodes cannot be reached: no answers, not complete).
    virtual void command_others(cluster_command command, command_answers done) = 0;

    /// Calls `done` once every change of this node's subscriptions and presence made before the
    /// call is in force in Redis, so that what this node answers next is what any other node sees
    /// (read-your-writes across nodes). Runs `done` on the backplane's thread; without Redis, or
    /// when it does not answer within its deadline, it runs `done` anyway: local service never
    /// waits for Redis for long.
    virtual void settle(std::function<void()> done) = 0;

    /// Which of the backplane's ordered paths a send of (scope, hub, target) takes between nodes:
    /// sends on one lane reach each node in the order they were published, sends on different
    /// lanes need not (a Redis Cluster carries each master's channels on connections of their
    /// own). Each lane of each thread is a stream of its own (send_origin). At most max_lanes.
    virtual std::uint16_t lane_of(send_scope /*scope*/, std::string_view /*hub*/,
                                  std::string_view /*target*/) const {
        return 0;
    }
    static constexpr std::uint16_t max_lanes = 1U << 14;
};

} // namespace hubcast::core

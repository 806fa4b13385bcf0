#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/permissions.hpp"
#include "core/backplane.hpp"
#include "core/connection_filter.hpp"
#include "core/invocation_table.hpp"
#include "core/mailbox.hpp"
#include "core/prepared_message.hpp"
#include "core/registry.hpp"
#include "core/reliable_sessions.hpp"
#include "core/shard.hpp"
#include "util/string_map.hpp"

namespace hubcast::core {

/// What a REST send adds to a plain fan-out (spec 2.3 #6, #13, #22).
struct send_options {
    exclusions skip;
    filter_ptr filter;                    ///< only connections it matches receive the message; null: all
    send_deadline deadline = no_deadline; ///< messageTtlSeconds: dropped wherever it still waits then
};

/// Azure documents no per-connection group limit; hubcast has one so that a connection cannot
/// grow without bound (each membership costs about 650 bytes). docs/configuration.md.
inline constexpr std::size_t default_max_groups_per_connection = 1000;

/// The message router of one hubcast process (a node): its shards (one per worker) and the
/// registry. Every send, membership change, close and query enters the core here and is routed to
/// the shards that hold its connections; this is the internal API
/// that the client endpoint and the REST data plane drive.
///
/// Threading: every public method is thread-safe and non-blocking. Work on connections runs on
/// their owning shard: when the caller is that shard's thread it runs inline, otherwise it is
/// posted to the shard's mailbox. A send is encoded once (prepared_message) and posted once per
/// shard that may hold recipients, never once per recipient. Hub names passed in must already be
/// lowercase (the endpoint and REST layers normalise them).
///
/// Cross-shard sends are fan-out tasks: a shard whose mailbox budget (in bytes) is full refuses
/// them, counted in its mailbox, and its recipients miss that message (delivery is at most once).
/// Commands (close, membership, permissions, listings) are control tasks and are never refused.
///
/// Ordering: what one thread posts to one shard runs there in posting order (the mailbox is FIFO),
/// so one publisher's messages reach each recipient in the order sent. Work for the caller's own
/// shard runs before the call returns; other shards run theirs when they next drain. Group and user
/// sends and commands go to the shards the registry lists when they start (a member that joins on
/// another shard after that misses the message, as with Azure).
class router {
public:
    /// `shard_count` in [1, 65536] (std::invalid_argument otherwise); each shard's mailbox keeps
    /// at most `mailbox_max_bytes` of fan-out tasks alive (mailbox).
    explicit router(std::size_t shard_count, std::size_t mailbox_max_bytes = mailbox::default_max_bytes,
                    reliable_options reliable = {});
    router(const router&) = delete;
    router& operator=(const router&) = delete;

    std::size_t shard_count() const noexcept { return shards_.size(); }
    shard& shard_at(std::size_t index) { return *shards_.at(index); }
    registry& index() noexcept { return registry_; }
    /// How reliable sessions are kept, and what happened to them (spec 5).
    const reliable_options& reliable() const noexcept { return reliable_; }
    reliable_counters& reliable_stats() noexcept { return reliable_stats_; }

    /// How many groups one connection may be in (joins past it are refused, see shard::try_join).
    /// Set before the workers start; read by every shard.
    std::size_t max_groups_per_connection() const noexcept { return max_groups_per_connection_; }
    void set_max_groups_per_connection(std::size_t limit) noexcept { max_groups_per_connection_ = limit; }
    /// Invocations one connection may have waiting for their handler; one more is answered with
    /// an error response (docs/protocol.md).
    std::size_t max_invocations_per_connection() const noexcept { return max_invocations_per_connection_; }
    void set_max_invocations_per_connection(std::size_t limit) noexcept {
        max_invocations_per_connection_ = limit;
    }

    /// The shard whose worker is the calling thread, or null on any other thread.
    static shard* current_shard() noexcept;

    /// A new, unique connection id owned by `shard_index`: the owning shard is recoverable from the
    /// id alone (shard_of), so commands go straight to the right worker. 22 base64url characters:
    /// a random per-node prefix (8), the shard index (3), a per-shard counter (11).
    /// shard_of() returns nullopt for ids this node did not make (another node's, or garbage),
    /// unless the connection is a session this node took over from another node (adopted below).
    std::string new_connection_id(std::size_t shard_index);
    std::optional<std::size_t> shard_of(std::string_view connection_id) const;

    /// A session taken over from another node (shard::arrive) keeps its id, which names the node
    /// that made it; these record on which shard it lives here, for shard_of(). Any thread.
    /// `ended`: the session is over (not moving on to yet another node), which the node that made
    /// its id is told, so that it stops passing the session's sends on.
    void note_adopted(std::string_view connection_id, std::size_t shard_index);
    void forget_adopted(std::string_view connection_id, bool ended);

    // Reliable sessions across nodes (docs/architecture.md, "Reliable sessions across nodes").

    /// How long a node that granted take_session waits for release_session before another node
    /// may ask (a taker that died halfway).
    static constexpr std::chrono::seconds handover_window{10};
    /// Takes over the reliable session `connection_id` of `hub` from the node that holds it, for a
    /// client that reconnected here with `kind` and a reconnection token whose digest is
    /// `recovery_digest`, onto shard `shard_index`. `done` runs on that shard's thread, exactly
    /// once: with the session, settled and parked (resume() binds the client), and the state its
    /// event handler had set; or with null when it cannot be taken over (no such session, its
    /// window passed, another hub or subprotocol, another token, its node gone or unreachable).
    void
    take_over_session(std::string_view hub, std::string_view connection_id, protocol::subprotocol_kind kind,
                      std::string recovery_digest, std::size_t shard_index,
                      std::function<void(connection*, std::optional<std::string> connection_state)> done);

    /// This node's key: the prefix of every connection id it makes (random per process), which
    /// names it to other nodes (its backplane channel).
    const std::string& node_key() const noexcept { return id_prefix_; }
    /// The key of the node that made `connection_id`, or nullopt when it is not shaped like a
    /// connection id (22 base64url characters). Pure: says nothing of whether that node exists.
    static std::optional<std::string_view> node_key_of(std::string_view connection_id);

    /// The node a session of this node moved to, if it did (its sends and commands go there).
    std::optional<std::string> moved_to(std::string_view connection_id) const;
    /// Whether other nodes share this node's hubs (a backplane is set).
    bool clustered() const noexcept { return backplane_ != nullptr; }
    /// Runs `done` once this node has read every message other nodes had published before the
    /// call, and Redis has taken everything this node published before it (backplane::settle),
    /// on the backplane's thread; inline on a single node.
    void after_settling(std::function<void()> done) { settle_then(std::move(done)); }
    /// Connects this node to others (scale-out); null, the default, keeps every send local at no
    /// cost. Set before the workers start and cleared only after they and the backplane stopped:
    /// the pointer itself is not synchronised. The backplane must outlive its use here.
    void set_backplane(backplane* other_nodes) noexcept {
        backplane_ = other_nodes;
        registry_.set_backplane(other_nodes);
    }

    /// A send published by another node: fanned out to this node's recipients exactly as a local
    /// send is, and never published again. False (nothing delivered) when its filter does not
    /// parse. Thread-safe; called from the backplane's thread.
    bool deliver_from_node(incoming_send send);

    /// Runs `task` on shard `index`: inline when already there, otherwise through its mailbox as
    /// a control task, which a full mailbox still accepts (mailbox::post). Returns true.
    bool run_on(std::size_t index, std::function<void(shard&)> task);

    /// Whether this node has others (a backplane is set).
    bool has_other_nodes() const noexcept { return backplane_ != nullptr; }
    /// Runs `task` on shard `index` once what this node changed so far (connections attached,
    /// groups joined) is visible to every other node (backplane::settle): the fence of a join's
    /// ack and of a `connected` frame in a cluster (docs/scale-out.md, "Read your writes"). As
    /// run_on() without a backplane.
    void when_visible(std::size_t index, std::function<void(shard&)> task);

    /// The mailboxes of every shard together, for metrics.
    mailbox_totals mailbox_stats() const;

    // Sends. Encoded once; delivered to every matching connection of `hub`.
    void send_to_all(std::string_view hub, protocol::message_data data, exclusions skip = {});
    void send_to_user(std::string_view hub, std::string_view user_id, protocol::message_data data,
                      exclusions skip = {});
    void send_to_connection(std::string_view hub, std::string_view connection_id,
                            protocol::message_data data);
    /// `from_user_id` is the publishing client's user (null for REST); a noEcho publish names its
    /// connection in `skip.no_echo_connection`.
    /// `deadline` is the client's `ttlSeconds`, as send_options::deadline.
    void send_to_group(std::string_view hub, std::string_view group, protocol::message_data data,
                       exclusions skip = {}, std::optional<std::string> from_user_id = std::nullopt,
                       send_deadline deadline = no_deadline);

    /// REST sends. The filter is evaluated on each connection's own shard; a shard that drains the
    /// task after `deadline` drops it (counted in shard::expired_sends()), and each recipient's
    /// transport drops the frame if it is still unwritten then.
    void send_to_all(std::string_view hub, protocol::message_data data, send_options options);
    void send_to_user(std::string_view hub, std::string_view user_id, protocol::message_data data,
                      send_options options);
    void send_to_group(std::string_view hub, std::string_view group, protocol::message_data data,
                       send_options options);
    void send_to_connection(std::string_view hub, std::string_view connection_id, protocol::message_data data,
                            send_deadline deadline);

    // Commands (membership, closes, permissions, listings). With other nodes (a backplane), each
    // also reaches the connections of other nodes: one owner's when it names a connection, every
    // node's otherwise (docs/scale-out.md, "Commands across nodes"). Each callback is called exactly
    // once, when the command is in force everywhere it went (on this node: on every shard
    // concerned, and the node's presence in Redis), so that the caller's next request, on any
    // node, sees it. It runs on the thread of the last shard concerned, on the backplane's thread,
    // or inline when there is nothing to do.

    /// Whether a command's answer covers every node: `not_every_node` when some other node could
    /// not be asked (Redis unreachable, or a node not answering within the backplane's deadline);
    /// the command is then in force where it arrived, and REST answers 503.
    enum class reach : std::uint8_t { every_node, not_every_node };
    /// Called once a change is in force (see above).
    using applied_callback = std::function<void(reach)>;
    /// As applied_callback, for the changes that add connections to groups: with how many joins
    /// were refused because the connection already was in max_groups_per_connection() groups.
    using joins_applied_callback = std::function<void(std::size_t refused, reach)>;
    /// What add_connection_to_group did.
    enum class add_result : std::uint8_t { added, no_connection, group_limit, unreachable };
    /// Whether a command for one connection found it.
    enum class lookup : std::uint8_t { found, not_found, unreachable };
    /// What check_permission found.
    enum class permission_check : std::uint8_t { granted, denied, no_connection, unreachable };

    // Membership (applies to the connections that exist now).
    void remove_connection_from_group(std::string_view hub, std::string_view group,
                                      std::string_view connection_id, applied_callback applied = {});
    void remove_connection_from_all_groups(std::string_view hub, std::string_view connection_id,
                                           applied_callback applied = {});
    void add_user_to_group(std::string_view hub, std::string_view group, std::string_view user_id,
                           joins_applied_callback applied = {});
    void remove_user_from_group(std::string_view hub, std::string_view group, std::string_view user_id,
                                applied_callback applied = {});
    void remove_user_from_all_groups(std::string_view hub, std::string_view user_id,
                                     applied_callback applied = {});
    /// This node's members of `group` but those `skip` names leave it (no cluster form: no REST
    /// operation asks for it).
    void remove_group_members(std::string_view hub, std::string_view group, exclusions skip = {});
    /// addToGroups / removeFromGroups: every connection of `hub` that `filter` matches (all when
    /// null) joins / leaves each of `groups`, evaluated on each connection's own shard.
    void add_to_groups(std::string_view hub, std::vector<std::string> groups, const filter_ptr& filter,
                       joins_applied_callback applied = {});
    void remove_from_groups(std::string_view hub, std::vector<std::string> groups, const filter_ptr& filter,
                            applied_callback applied = {});
    /// Adds the connection to `group`, reporting whether it exists in `hub` and whether the group
    /// limit refused the join.
    void add_connection_to_group(std::string_view hub, std::string_view group, std::string_view connection_id,
                                 std::function<void(add_result)> done = {});

    /// One page of a group's members (ListConnectionsInGroup), over every node: the members whose
    /// connection id sorts after `after` (from the start when empty), in ascending id order, at most
    /// `limit`. On this node it asks only the shards with members. Ordering by id keeps pages
    /// stable: a member that stays is listed exactly once across pages.
    void list_group_members(std::string_view hub, std::string_view group, std::string after,
                            std::size_t limit, std::function<void(std::vector<group_member>, reach)> done);

    // Closing: PubSub clients get `system/disconnected` with the reason first. Each closed
    // connection is forgotten at once (shard::close): `applied` is called once every connection
    // concerned is forgotten, so an existence check made after it finds none of them although
    // their transports may still be closing.
    void close_connection(std::string_view hub, std::string_view connection_id, std::uint16_t code,
                          std::string reason, applied_callback applied = {});
    void close_all(std::string_view hub, exclusions skip, std::uint16_t code, std::string reason,
                   applied_callback applied = {});
    void close_user(std::string_view hub, std::string_view user_id, exclusions skip, std::uint16_t code,
                    std::string reason, applied_callback applied = {});
    void close_group(std::string_view hub, std::string_view group, exclusions skip, std::uint16_t code,
                     std::string reason, applied_callback applied = {});
    /// Every connection of every hub (shutdown).
    void close_everything(std::uint16_t code, std::string reason);

    // Existence, answered synchronously from the registry.
    bool connection_exists(std::string_view hub, std::string_view connection_id) const;
    bool user_exists(std::string_view hub, std::string_view user_id) const;
    bool group_exists(std::string_view hub, std::string_view group) const;

    /// Existence over the whole cluster (REST HEAD): this node's registry first; when it does not
    /// know the name and other nodes exist, the backplane asks them. `done` is called exactly
    /// once, inline when this node can answer alone, else from the backplane's thread; nullopt
    /// when other nodes could not be asked.
    void ask_exists(presence_kind kind, std::string_view hub, std::string_view name,
                    presence_answer done) const;

    /// Permission commands, run on the connection's owning shard (of this node or another).
    /// grant and revoke report whether the connection exists in `hub`; a grant of a new literal
    /// group past auth::permission_set::max_literals_per_kind changes nothing and still reports
    /// found. A null target means "every group".
    void grant_permission(std::string_view hub, std::string_view connection_id, auth::permission_kind kind,
                          std::optional<std::string> target, std::function<void(lookup)> done);
    void revoke_permission(std::string_view hub, std::string_view connection_id, auth::permission_kind kind,
                           std::optional<std::string> target, std::function<void(lookup)> done);
    void check_permission(std::string_view hub, std::string_view connection_id, auth::permission_kind kind,
                          std::optional<std::string> target, std::function<void(permission_check)> done);

    /// Carries `command` out on this node's connections only, never passing it on: what a command
    /// from another node runs here. `done` gets this node's answer (command_answer) once every
    /// shard concerned has applied it, exactly once, on the last one's thread or inline. The
    /// caller makes the change visible to other nodes (backplane::settle) before answering.
    void run_command(const cluster_command& command, const std::function<void(command_answer)>& done);

private:
    /// The single-node forms of the commands above (router.cpp); the public ones
    /// (router_cluster.cpp) add the other nodes.
    using done_callback = std::function<void()>;
    using joins_done = std::function<void(std::size_t refused)>;
    /// Runs `command` here and on every other node; `done` gets every answer, this node's among
    /// them, once each is in force where it ran.
    void on_every_node(const cluster_command& command, command_answers done);
    /// Runs `command` on the node that owns its connection id; `done` gets that node's answer, or
    /// none when no node has the connection.
    void on_owner(cluster_command command, command_answers done);
    /// Calls `done` once what this node changed is visible to other nodes (backplane::settle),
    /// inline without a backplane.
    void settle_then(std::function<void()> done);
    /// run_command's switch, for a command that is this node's to run.
    void run_here(const cluster_command& command, const std::function<void(command_answer)>& done);
    /// The session commands, on the session's shard.
    void take_session(shard& s, connection* c, const cluster_command& command,
                      const std::function<void(command_answer)>& done);
    void release_session(shard& s, connection* c, const cluster_command& command,
                         const std::function<void(command_answer)>& done);
    /// Step two of take_over_session, once this node's interest in the arriving session is in force.
    void settle_session(const std::string& owner, cluster_command ask, std::size_t shard_index,
                        std::function<void(connection*, std::optional<std::string>)> done);
    void note_moved(std::string_view connection_id, std::string node);
    /// Tells the node that made `connection_id` where its session is now: on `node`, or nowhere
    /// (empty: it ended). Nothing waits for the answer.
    void report_session(std::string_view connection_id, std::string node);
    void forget_moved(std::string_view connection_id);
    void local_remove_connection_from_group(std::string_view hub, std::string_view group,
                                            std::string_view connection_id, done_callback applied);
    void local_remove_connection_from_all_groups(std::string_view hub, std::string_view connection_id,
                                                 done_callback applied);
    void local_add_user_to_group(std::string_view hub, std::string_view group, std::string_view user_id,
                                 joins_done applied);
    void local_remove_user_from_group(std::string_view hub, std::string_view group, std::string_view user_id,
                                      done_callback applied);
    void local_remove_user_from_all_groups(std::string_view hub, std::string_view user_id,
                                           done_callback applied);
    void local_add_connection_to_group(std::string_view hub, std::string_view group,
                                       std::string_view connection_id, std::function<void(add_result)> done);
    /// Calls `done` exactly once, when every shard with members has answered, on the thread of
    /// the last one (inline when every one of them is the caller's shard).
    void local_list_group_members(std::string_view hub, std::string_view group, std::string after,
                                  std::size_t limit, std::function<void(std::vector<group_member>)> done);
    void local_close_connection(std::string_view hub, std::string_view connection_id, std::uint16_t code,
                                std::string reason, done_callback applied);
    void local_close_all(std::string_view hub, exclusions skip, std::uint16_t code, std::string reason,
                         done_callback applied);
    void local_close_user(std::string_view hub, std::string_view user_id, exclusions skip, std::uint16_t code,
                          std::string reason, done_callback applied);
    void local_close_group(std::string_view hub, std::string_view group, exclusions skip, std::uint16_t code,
                           std::string reason, done_callback applied);
    /// `done` is called on the owning shard, or inline when the id names no shard of this node
    /// (then as "not found").
    void local_grant_permission(std::string_view hub, std::string_view connection_id,
                                auth::permission_kind kind, std::optional<std::string> target,
                                std::function<void(bool found)> done);
    void local_revoke_permission(std::string_view hub, std::string_view connection_id,
                                 auth::permission_kind kind, std::optional<std::string> target,
                                 std::function<void(bool found)> done);
    void local_check_permission(std::string_view hub, std::string_view connection_id,
                                auth::permission_kind kind, std::optional<std::string> target,
                                std::function<void(std::optional<bool>)> done);

    /// Offers the fan-out `task`, keeping `bytes` alive, to every shard in `targets` but the
    /// calling thread's own (a full shard drops it); true when that one is among the targets, for
    /// the caller to run `task` on it inline.
    bool post_to_others(const std::vector<std::size_t>& targets, const std::function<void(shard&)>& task,
                        std::size_t bytes);
    /// The next position in the calling thread's stream of sends on `lane` (send_origin,
    /// backplane::lane_of). Only with a backplane.
    send_origin next_origin(std::uint16_t lane) const;
    /// As run_on() for a fan-out task: false when the shard's mailbox refused it.
    bool offer_to(std::size_t index, std::function<void(shard&)> task, std::size_t bytes);
    /// Posts the control `task` to every shard in `targets` (running inline on the current one,
    /// last, so the other shards start first).
    void run_on_each(const std::vector<std::size_t>& targets, const std::function<void(shard&)>& task);
    /// As above, then `applied` once every target ran `task`.
    void run_on_each(const std::vector<std::size_t>& targets, const std::function<void(shard&)>& task,
                     done_callback applied);
    /// A send to the shards in `targets`: builds its record with `make_job()` (only when there is
    /// a target) and runs `run(shard, record)` on each, unless the send's deadline has passed
    /// by the time that shard gets to it. Defined in router.cpp, its only user.
    /// Also publishes it to `publish_to` (when not null) as a send of `scope`, even when no
    /// local shard is a target.
    template <typename MakeJob, typename RunOnShard>
    void fan_out_send(backplane* publish_to, send_scope scope, const std::vector<std::size_t>& targets,
                      MakeJob make_job, RunOnShard run);
    /// A send for a session that moved from this node: carried to its node, keeping its origin.
    void pass_on_moved(std::string_view hub, std::string_view connection_id, const prepared_message& message,
                       send_deadline deadline, send_origin origin);
    /// Queues `message` for `connection_id` on its owning shard of this node, if any.
    void deliver_to_connection(std::string_view hub, std::string_view connection_id,
                               prepared_message_ptr message, send_deadline deadline, send_origin origin);
    std::vector<std::size_t> all_shards() const;
    /// close_all / close_user / close_group: on each shard in `targets`, closes the `members` it
    /// lists that `skip` does not name.
    void close_where(const std::vector<std::size_t>& targets,
                     std::function<std::vector<connection*>(shard&)> members, exclusions skip,
                     std::uint16_t code, std::string reason, done_callback applied);
    /// addToGroups / removeFromGroups: one walk, joining or leaving.
    void change_groups(std::string_view hub, std::vector<std::string> groups, filter_ptr filter, bool join,
                       joins_done applied);
    /// Runs `task` on the shard owning `connection_id` with the connection, or null when it is not
    /// there or belongs to another hub. Returns false, without running `task`, when the id names no
    /// shard of this node.
    bool with_connection(std::string_view hub, std::string_view connection_id,
                         std::function<void(shard&, connection*)> task);
    /// with_connection for a command that answers: `done` gets what `question` returns on the
    /// owning shard (given the connection or null), or `when_not_posted` when the id names no shard
    /// of this node. Exactly once either way. Defined in router.cpp, its only user.
    template <typename Answer>
    void ask_connection(std::string_view hub, std::string_view connection_id,
                        std::function<Answer(shard&, connection*)> question, Answer when_not_posted,
                        std::function<void(Answer)> done);
    /// with_connection, then `applied` (also when the task could not be posted).
    void with_connection_then(std::string_view hub, std::string_view connection_id,
                              std::function<void(shard&, connection*)> task, done_callback applied);

    std::vector<std::unique_ptr<shard>> shards_;
    registry registry_;
    backplane* backplane_ = nullptr; // other nodes; null: this node is the whole service
    reliable_options reliable_;
    reliable_counters reliable_stats_;
    std::size_t max_groups_per_connection_ = default_max_groups_per_connection;
    std::size_t max_invocations_per_connection_ = default_max_invocations_per_connection;
    std::string id_prefix_;     // random per process: ids never repeat across restarts
    std::uint64_t stream_base_; // the node key's 34 bits, shifted past lane and thread (send_origin)
    std::unique_ptr<std::atomic<std::uint64_t>[]> id_counters_; // one per shard, any thread may draw
    // Sessions adopted from other nodes: connection id -> shard. The count lets shard_of() skip the
    // lock for the ids of other nodes while there are none (the usual case).
    mutable std::mutex adopted_mutex_;
    util::string_map<std::size_t> adopted_;
    std::atomic<std::size_t> adopted_count_{0};
    // Sessions that moved from this node to another: connection id -> that node's key. Sends and
    // commands that still come here for them are passed on. Same lock-skipping count as above.
    mutable std::mutex moved_mutex_;
    util::string_map<std::string> moved_;
    std::atomic<std::size_t> moved_count_{0};
};

} // namespace hubcast::core

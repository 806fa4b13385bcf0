#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/connection.hpp"
#include "core/connection_filter.hpp"
#include "core/mailbox.hpp"
#include "core/prepared_message.hpp"
#include "core/session_snapshot.hpp"
#include "util/string_map.hpp"

namespace hubcast::core {

class router;

/// Which connections of a fan-out are skipped.
struct exclusions {
    std::vector<std::string> connection_ids; ///< REST `excluded`
    std::string no_echo_connection;          ///< the publisher of a noEcho sendToGroup, or empty
    bool contains(std::string_view id) const;
    /// The bytes of the excluded ids (what a queued fan-out keeps alive for them).
    std::size_t bytes() const noexcept;
    /// True when nobody is excluded (then contains() is false for every id).
    bool empty() const noexcept { return connection_ids.empty() && no_echo_connection.empty(); }
};

/// What a REST send adds to a fan-out: only connections matching `filter` (when set) receive it,
/// and their transports drop it unwritten once `deadline` passes (messageTtlSeconds).
struct delivery_options {
    const connection_filter* filter = nullptr;
    send_deadline deadline = no_deadline;
    send_origin origin; ///< none on a single node
    /// Keeps the message and the exclusions alive after the call returns. With it, a send with no
    /// filter and no deadline may be held until the end of the worker's loop turn and delivered
    /// together with the sends after it to the same members (shard::set_turn_end); without it, the
    /// send is delivered before the call returns.
    std::shared_ptr<const void> owner;
};

/// One member of a group, as ListConnectionsInGroup reports it.
struct group_member {
    std::string connection_id;
    std::optional<std::string> user_id;
    bool operator==(const group_member&) const = default;
};

/// What a join did. A connection is in at most router::max_groups_per_connection() groups: a join
/// past that changes nothing.
/// What a join did: `closing` when the connection is being closed (it has been forgotten).
enum class join_result : std::uint8_t { joined, already_member, group_limit, closing };

/// The part of the node owned by one worker thread: its connections and the local indexes
/// (hub → group → members, hub → user → connections). Every method except inbox() runs on the
/// owning worker thread only (no locks); other threads reach a shard through router::run_on().
/// Membership changes (attach, detach, join, leave) also update the node's registry before they
/// return, so a send that starts after them sees them.
class shard {
public:
    shard(router& owner, std::size_t index, std::size_t mailbox_max_bytes = mailbox::default_max_bytes);
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;
    ~shard();

    std::size_t index() const noexcept { return index_; }
    mailbox& inbox() noexcept { return inbox_; }
    const mailbox& inbox() const noexcept { return inbox_; }

    /// Marks the calling thread as this shard's worker (router::current_shard() then returns it).
    /// A thread serves at most one shard: binding again replaces the previous binding.
    void bind_to_current_thread();

    /// Runs a task once the handler running now on this shard's worker has returned, before the
    /// worker writes to its sockets; false when it cannot (not called on the worker's thread).
    using turn_end_hook = std::function<bool(std::function<void()>)>;
    /// Lets this shard hold sends to one member list during a loop turn and deliver them together
    /// at its end (docs/architecture.md section 4, "Sends per turn"). Unset, every send is
    /// delivered at once.
    void set_turn_end(turn_end_hook hook) { turn_end_ = std::move(hook); }
    /// Delivers now whatever a shard of the calling thread holds for the end of the turn. Called
    /// before anything that must come after those sends: a frame or a close for one of their
    /// recipients, a membership change, a session's state read or handed over.
    static void deliver_held_sends();
    /// A frame for `c` sent while sends that reach `c` are held: queued behind them, in order,
    /// and true; false when nothing held reaches `c` (the caller writes it at once).
    static bool hold_frame_for(connection& c, const util::shared_bytes& frame, send_deadline deadline);
    /// Undoes bind_to_current_thread() for the calling thread (a worker leaving its loop, a test
    /// driving several shards from one thread).
    static void unbind_current_thread() noexcept;

    /// Registers a new connection on this shard (indexes and node registry). The sink must outlive
    /// the connection (until detach). Returns the core connection object, valid until detach.
    /// The id must be new (router::new_connection_id); a duplicate throws std::logic_error.
    connection& attach(connection_info info, auth::permission_set permissions, connection_sink& sink);
    /// Leaves all groups and forgets the connection. Safe to call for unknown ids.
    void detach(std::string_view connection_id);
    /// Closes `c` (connection::close) and forgets it at once: it leaves its groups and the registry
    /// stops listing it, so existence checks answer no from here on although its transport is still
    /// closing. The object itself lives until detach(). Runs on the connection's own shard.
    void close(connection& c, std::uint16_t code, std::string_view reason);
    connection* find(std::string_view connection_id);

    // Reliable sessions (spec 5.3). A parked connection keeps its groups, permissions, ack history
    // and registry entries; data messages for it are numbered and kept, not sent.

    /// The transport of reliable connection `c` is gone without ending the session: parks it until
    /// `now` + the node's recovery window. The sink is no longer used.
    void park(connection& c, std::chrono::steady_clock::time_point now);
    /// Binds `c` (parked, or still bound to a half-open transport, which is abandoned) to `sink`
    /// and queues its unacknowledged messages there first (spec 5.5). `sink` must outlive `c`'s
    /// use of it (until detach, the next park, or the next resume).
    void resume(connection& c, connection_sink& sink);
    /// Ends (detaches) every parked session whose window has passed at `now`, and those closed or
    /// overflowed while parked. Returns how many ended. Call periodically on the shard's thread.
    std::size_t expire_parked(std::chrono::steady_clock::time_point now);
    std::size_t parked_count() const noexcept { return parked_.size(); }

    // Reliable sessions across nodes (docs/architecture.md, "Reliable sessions across nodes").

    /// What reliable connection `c` is, for another node taking it over: with its messages and
    /// this shard's watermarks (`whole`), or only who it is (identity, groups, permissions).
    session_snapshot describe(const connection& c, bool whole) const;
    /// Lets reliable connection `c` go to another node: returns all of it (describe), then forgets
    /// it without a trace on this node (no `disconnected` to its client or its event handler; a
    /// transport still bound is abandoned). `c` is destroyed.
    session_snapshot hand_over(connection& c);
    /// Taking over a session from another node, step one: the session `announced` describes (its
    /// identity, groups and permissions as the holding node reported them) is registered here,
    /// keeping its id (which names the node that made it), parked as of `now`: if step two never
    /// comes, it ends with the recovery window as any parked session. Until it settles it keeps
    /// what is sent to it, unnumbered, with each send's origin (connection::arriving). Null, with
    /// nothing changed, when it is not a reliable session with a connection id, is already here,
    /// or its permissions do not parse.
    connection* arrive(const session_snapshot& announced, std::chrono::steady_clock::time_point now);
    /// Step two: the holding node let the session go as `moved`. Its numbering goes on from there;
    /// of what `c` kept meanwhile, the sends the holding node had processed (moved.processed) are
    /// dropped and the rest numbered after moved's unacknowledged messages; its groups, permissions
    /// and remembered ackIds become moved's. It stays parked: resume() binds its client and queues
    /// everything unacknowledged, oldest first. False when `moved` is malformed or does not fit
    /// this node's limits: then `c` is detached, and its client must be refused. The session may
    /// also end overflowed (1008), as any session whose unacknowledged messages pass the bound.
    bool settle_arrival(connection& c, const session_snapshot& moved);

    /// Membership changes for local connections. Return false when nothing changed; a closing
    /// connection joins nothing (it has been forgotten).
    bool join(connection& c, std::string_view group) { return try_join(c, group) == join_result::joined; }
    join_result try_join(connection& c, std::string_view group);
    bool leave(connection& c, std::string_view group);
    void leave_all(connection& c);

    // Local fan-out: queue `message` on every matching local connection of `hub`. Lock-free and
    // allocation-free: each family's frame is fetched once per call and shared by every recipient.
    // `options` narrows the recipients by a filter, evaluated here on each connection's own worker.
    void deliver_to_all(std::string_view hub, const prepared_message& message, const exclusions& skip,
                        const delivery_options& options = {});
    void deliver_to_group(std::string_view hub, std::string_view group, const prepared_message& message,
                          const exclusions& skip, const delivery_options& options = {});
    void deliver_to_user(std::string_view hub, std::string_view user_id, const prepared_message& message,
                         const exclusions& skip, const delivery_options& options = {});

    /// Whether a send with this deadline must be dropped: true once `deadline` has passed, and then
    /// counted in expired_sends() (a send that waited in the mailbox past its TTL is dropped, never
    /// delivered late).
    bool drop_if_expired(send_deadline deadline);
    std::size_t expired_sends() const noexcept { return expired_sends_; }

    /// Records that this shard has processed the send at `origin` (delivered, filtered out or
    /// expired alike); a send with no origin changes nothing. Call once per send task.
    void note_processed(send_origin origin) {
        if (origin.stream != 0) {
            auto& last = watermarks_[origin.stream];
            last = std::max(last, origin.position);
        }
    }
    const stream_watermarks& watermarks() const noexcept { return watermarks_; }

    /// Local members of `group` whose connection id sorts after `after` (all when empty), in
    /// ascending id order, at most `limit` of them: one shard's part of a paged group listing.
    std::vector<group_member> group_members_after(std::string_view hub, std::string_view group,
                                                  std::string_view after, std::size_t limit);

    /// Local connections of `hub` (all, of a user, of a group) for membership and close commands.
    /// Snapshots: joining, leaving or closing while walking them is safe; detaching is not.
    std::vector<connection*> connections_of_hub(std::string_view hub);
    std::vector<connection*> connections_of_user(std::string_view hub, std::string_view user_id);
    std::vector<connection*> connections_of_group(std::string_view hub, std::string_view group);
    /// Every local connection of every hub (shutdown).
    std::vector<connection*> all_connections();

    std::size_t connection_count() const noexcept { return connections_.size(); }

private:
    friend class router; // router::current_shard() reads bound()

    template <typename T> using string_map = util::string_map<T>;

    /// What the fan-out walk needs of one member, copied from its connection (fixed for the
    /// connection's life) so that the walk reads the connection only to hand it the frame.
    struct member {
        connection* conn;
        protocol::frame_family family;
        bool reliable;
    };

    /// The local members of a hub, group or user, without duplicates, in no particular order.
    /// Contiguous, because the fan-out walks it for every send: at 10,000 members the walk of an
    /// unordered_set (one node per member, then the connection, then the sink) cost 14 ns per
    /// member against 5 ns at 1,000 (bench/analysis.md, "Contiguous member lists"). Insert and
    /// erase are O(1) on average: erase moves the last member into the hole, and `slots_` (touched
    /// only by insert and erase, never by the walk) says where each member is.
    class member_list {
    public:
        /// False when `c` is already a member.
        bool insert(connection& c);
        /// False when `c` is not a member.
        bool erase(connection& c);
        bool empty() const noexcept { return members_.empty(); }
        std::size_t size() const noexcept { return members_.size(); }
        bool contains(const connection& c) const { return slots_.contains(&c); }
        auto begin() const noexcept { return members_.begin(); }
        auto end() const noexcept { return members_.end(); }

    private:
        std::vector<member> members_;
        std::unordered_map<const connection*, std::size_t> slots_; // index of each member in members_
    };

    // A group or user entry exists only while it has members, a hub only while it has connections.
    struct hub_members {
        member_list all;
        string_map<member_list> groups;
        string_map<member_list> users;
    };

    void deliver_to_members(const member_list& members, const prepared_message& message,
                            const exclusions& skip, const delivery_options& options);
    void deliver_now(const member_list& members, const prepared_message& message, const exclusions& skip,
                     const delivery_options& options);

    // Sends per turn: consecutive sends to one member list within a turn of the worker's loop are
    // held and then given to each member that receives all of them as one buffer, so that a
    // member costs one queued frame per turn instead of one per message (design section 4).

    /// One held send.
    struct held_send {
        std::shared_ptr<const void> owner; // keeps `message` and `skip` alive
        const prepared_message* message;
        const exclusions* skip;
        send_origin origin;
    };
    /// A frame sent to a member while sends were held (an ack, a system message): it goes out
    /// after the first `after` held sends, as it would have without holding.
    struct held_frame {
        connection* conn;
        std::size_t after;
        util::shared_bytes frame;
        send_deadline deadline;
    };
    struct held_run {
        const member_list* members = nullptr; // null: nothing held
        std::vector<held_send> sends;
        std::vector<held_frame> frames;
        std::size_t bytes = 0;
        bool excluding = false; // some held send excludes connections
    };
    /// Whether this send may wait for the end of the turn.
    bool may_hold(const member_list& members, const delivery_options& options) const;
    /// Adds the send to the held run (starting one); false when the turn's end cannot be reached.
    bool hold(const member_list& members, const prepared_message& message, const exclusions& skip,
              const delivery_options& options);
    void deliver_held();
    /// The held sends for one member that cannot take them as one buffer, one by one, with the
    /// frames held for it in between.
    void deliver_held_one_by_one(const member& m, const held_run& run);
    /// The sequenced bodies of every held send for `family`, in order (null where none).
    static std::shared_ptr<const std::vector<util::shared_bytes>>
    sequenced_bodies(protocol::frame_family family, const held_run& run);
    /// The frames of every held send for `family`, one after the other (null when none has one).
    util::shared_bytes joined_frames(protocol::frame_family family, const held_run& run) const;
    /// The shard of the calling thread that holds sends, if any.
    static shard*& holding() noexcept;
    /// Makes `c`'s groups exactly `groups` (sorted): an arriving session's final memberships.
    void adopt_groups(connection& c, const std::vector<std::string>& groups);
    /// Removes `c` from the local index of `group` and from the registry; c.groups_ is the caller's.
    void unindex_member(connection& c, std::string_view group);
    hub_members* members_of(std::string_view hub);
    static std::vector<connection*> snapshot(const member_list& members);

    /// The calling thread's shard (what bind_to_current_thread set), as a thread_local slot.
    static shard*& bound() noexcept;

    router& owner_;
    std::size_t index_;
    mailbox inbox_;
    string_map<std::unique_ptr<connection>> connections_;
    string_map<hub_members> hubs_;
    // True while deliver_to_members() walks a member list. connection_sink forbids re-entering the shard from
    // send(); attach/detach/join/leave assert this so a transport that does is caught by the
    // assertion build (make test's sanitizer run; the Release build defines NDEBUG) instead of
    // invalidating the walk.
    bool walking_ = false;
    std::unordered_set<connection*> parked_; // reliable sessions without a transport
    std::size_t expired_sends_ = 0;
    stream_watermarks watermarks_; // empty on a single node
    bool handing_over_ = false;    // hand_over() is detaching: the session moves on, it does not end
    turn_end_hook turn_end_;
    bool turn_end_pending_ = false; // a task to deliver the held run waits for the turn's end
    held_run held_;
};

} // namespace hubcast::core

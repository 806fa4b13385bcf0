#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "backplane/channels.hpp"
#include "backplane/cluster_slots.hpp"
#include "backplane/redis_link.hpp"
#include "backplane/redis_url.hpp"
#include "core/backplane.hpp"
#include "core/router.hpp"
#include "util/metrics_registry.hpp"

namespace hubcast::backplane {

/// core::backplane over one Redis (docs/scale-out.md): sends cross as PUBLISH of an envelope
/// (envelope.hpp) to the channel of their scope (channels.hpp), and this node SUBSCRIBEs to the
/// channels of the hubs, groups and users it has connections for, plus its own node channel.
///
/// It runs its own thread and event loop with two Redis connections, a publisher and a subscriber
/// (a subscribed connection takes no other command). Workers only encode and queue: publish() and
/// interest_changed() take one short lock and, for the first item of a batch, post one wake-up, so
/// no worker waits on Redis. Everything queued before the loop runs goes out in one write.
///
/// Delivery between nodes is at most once, as Redis pub/sub is: while the publisher is not
/// connected, or when the queue is past its byte bound, sends to other nodes are dropped and
/// counted (hubcast_backplane_publish_dropped_total); the local recipients still get them.
/// Messages from other nodes are fanned out through router::deliver_from_node on this thread.
///
/// On a Redis Cluster (redis+cluster://) the same runs over every master: the node learns the
/// layout from CLUSTER SLOTS, keeps a publisher and a subscriber connection to each master, and
/// sends each channel's SPUBLISH and SSUBSCRIBE to the master of its slot (sharded pub/sub), while
/// presence, whose keys share one hash tag, lives on the master of that slot. A MOVED answer, a
/// channel Redis unsubscribed (a slot that moved) or a lost master makes it read the layout again.
///
/// Presence: every heartbeat (2 s unless configured) the node sets its alive key to expire after three
/// heartbeats, and keeps in Redis the set of its connections (expiring with it) and its membership of the
/// user-nodes / group-nodes sets of the users and groups it has. An existence check this node
/// cannot answer alone runs one Lua script that reads them and ignores (and removes) nodes whose
/// alive key has expired, so a node that stops heartbeating is forgotten within three heartbeats.
class redis_backplane final : public core::backplane {
public:
    static constexpr std::chrono::seconds default_heartbeat{2};
    /// How long an existence check waits for Redis before it answers "cannot ask" (REST 503).
    static constexpr std::chrono::seconds query_deadline{1};
    /// How long stop() waits for Redis to forget this node before it closes anyway.
    static constexpr std::chrono::milliseconds leave_deadline{500};
    /// How long settle() waits for Redis to confirm before it lets the caller answer anyway.
    static constexpr std::chrono::seconds settle_deadline{1};
    /// How long a command waits for the other nodes' answers before it answers "not every node"
    /// (REST 503). Each node settles before it answers, so this covers two Redis round trips
    /// and a settle deadline.
    static constexpr std::chrono::seconds command_deadline{3};

    /// What may wait to be published, in bytes, before sends are dropped: a Redis that stalls
    /// must cost drops, not the host's memory.
    static constexpr std::size_t max_queued_bytes = 64UL * 1024 * 1024;

    redis_backplane(core::router& router, redis_endpoint endpoint, std::string node_id,
                    std::chrono::seconds heartbeat = default_heartbeat);
    ~redis_backplane() override;
    redis_backplane(const redis_backplane&) = delete;
    redis_backplane& operator=(const redis_backplane&) = delete;

    /// Starts the thread and connects (asynchronously: the node serves while Redis is away).
    void start();
    /// Removes this node's alive key (waiting up to leave_deadline for Redis), closes both
    /// connections and joins the thread. Call after the workers stopped; publish() and the other
    /// calls are then no-ops.
    void stop();

    void publish(const core::outgoing_send& send) override;
    void interest_changed(core::send_scope scope, std::string_view hub, std::string_view name) override;
    void connection_changed(std::string_view hub, std::string_view connection_id, bool present) override;
    void ask_exists(core::presence_kind kind, std::string_view hub, std::string_view name,
                    core::presence_answer done) override;
    void command_node(std::string_view node_key, core::cluster_command command,
                      core::command_answers done) override;
    void command_others(core::cluster_command command, core::command_answers done) override;
    void settle(std::function<void()> done) override;

    const std::string& node_id() const noexcept { return node_id_; }
    /// Every connection is up (subscriptions sent), to the Redis or to each master of the cluster.
    bool connected() const noexcept { return connected_.load(std::memory_order_relaxed); }

    /// On a Redis Cluster, the master that carries the send's channel (in the layout known now);
    /// else 0.
    std::uint16_t lane_of(core::send_scope scope, std::string_view hub,
                          std::string_view target) const override;

    /// hubcast_backplane_* on /metrics.
    void register_metrics(util::metrics_registry& registry) const;

private:
    struct interest {
        core::send_scope scope;
        std::string hub;
        std::string name;
    };
    /// One Redis server (the Redis, or one master of a cluster) and this node's two connections to
    /// it, with what waits for their answers.
    struct redis_server {
        redis_endpoint endpoint;
        std::unique_ptr<redis_link> publisher;
        std::unique_ptr<redis_link> subscriber;
        std::deque<std::function<void(const redisReply*)>> waiting; // one per publisher command
        std::deque<std::function<void()>> pings;                    // one per subscriber PING
    };

    redis_server& add_server(redis_endpoint endpoint);
    /// The server that carries `name` (a channel or a key): its slot's master on a cluster, else
    /// the one Redis. Null while a cluster's layout is unknown.
    redis_server* server_for(std::string_view name) const;
    /// Where the presence keys live (one hash tag on a cluster).
    redis_server* presence_server() const { return server_for(alive_key_); }
    void update_connected();
    void stop_server(redis_server& server);

    // Redis Cluster: the layout, read from any seed or known master.
    void discover();
    void on_layout(const redisReply& reply, const redis_endpoint::address& asked);
    void apply_layout(cluster_layout layout);
    /// Reads the layout again soon (at most once a second): it may have changed.
    void rediscover(std::string_view why);

    void flush_publishes();
    void reconcile_interests();
    bool wanted(const interest& what) const;
    void subscribe_everything(redis_server& server);
    void on_subscriber_reply(redis_server& server, const redisReply& reply);
    void on_publisher_reply(redis_server& server, const redisReply& reply);
    /// A command on the publisher connection of `server`, whose reply goes to `on_reply` (null:
    /// ignored); on_reply gets null if the connection is lost first. False when it is not
    /// connected (or `server` is null).
    bool send_publisher(redis_server* server, const std::vector<std::string_view>& arguments,
                        std::function<void(const redisReply*)> on_reply = {});
    /// The same, on the server that carries `name` (the channel or key in `arguments`).
    bool send_for(std::string_view name, const std::vector<std::string_view>& arguments,
                  std::function<void(const redisReply*)> on_reply = {}) {
        return send_publisher(server_for(name), arguments, std::move(on_reply));
    }
    void on_publisher_ready(redis_server& server);
    void on_publisher_lost(redis_server& server);
    /// Calls every reply handler waiting on `server` with null (the connection is gone).
    static void answer_waiting_with_nothing(redis_server& server);
    /// Calls every settle() waiting for a PONG from `server`'s subscriber (the connection is gone).
    static void release_subscriber_pings(redis_server& server);
    void beat();
    void write_presence();
    void leave();
    void schedule_heartbeat();
    /// For a session taken over from another node ("<hub>:<id>"), where the moved hash says it is.
    void publish_relocation(std::string_view member, bool present);
    /// SADD / SREM of this node in the user-nodes or group-nodes set of `what`.
    void publish_membership(const interest& what, bool present);
    void run_query(core::presence_kind kind, const std::string& hub, const std::string& name,
                   core::presence_answer done);
    /// A command of this node, waiting for its answers: `expected` is what PUBLISH reported
    /// (the nodes listening, this one included on the commands channel), `received` counts the
    /// answers and this node's own copy of a command to every node.
    struct pending_command {
        core::command_answers done;
        std::vector<core::command_answer> answers;
        std::optional<std::uint64_t> expected;
        std::uint64_t received = 0;
        boost::asio::steady_timer deadline;
    };
    void send_command(const std::string& channel, core::cluster_command command, core::command_answers done);
    /// PUBLISH of `bytes` to `channel`. `connection_id` set: when no node listens there (the node
    /// the id names is gone), `bytes` go again to the node the moved hash names for that
    /// connection, if any (docs/scale-out.md, "Reliable sessions across nodes"). `listeners` gets
    /// how many nodes received them (null: the connection was lost).
    void publish_to(std::string channel, std::string bytes, std::string connection_id,
                    std::function<void(const redisReply*)> listeners = {});
    void finish_command(std::uint64_t request, bool complete);
    void finish_if_answered(std::uint64_t request);
    /// A message on this node's channel or the commands channel: a send, a command or an answer.
    void on_node_message(std::string_view channel, std::string_view bytes);
    void on_send(std::string_view channel, std::string_view bytes);
    void on_command(std::string_view bytes);
    void on_answer(std::string_view bytes);
    void settle_now(std::function<void()> done);

    core::router& router_;
    redis_endpoint endpoint_;
    std::string node_id_;
    channel_names channels_;
    std::string node_channel_;
    std::string commands_channel_;
    // PUBLISH, SUBSCRIBE, UNSUBSCRIBE; on a cluster their sharded forms.
    std::string_view publish_verb_;
    std::string_view subscribe_verb_;
    std::string_view unsubscribe_verb_;

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::thread thread_;

    std::mutex mutex_; // guards the queues below
    /// A send waiting to be published; `connection_id` is set for a send to one connection by the
    /// node its id names, which may have moved on (a reliable session taken over).
    struct outgoing {
        std::string channel;
        std::string envelope;
        std::string connection_id;
    };
    std::vector<outgoing> outbox_;
    std::size_t outbox_bytes_ = 0;
    bool flush_posted_ = false;
    std::vector<interest> changed_;
    std::vector<std::pair<std::string, bool>> connection_changes_; // "<hub>:<id>", present
    bool reconcile_posted_ = false;
    bool stopped_ = false;

    // This thread only.
    std::vector<std::unique_ptr<redis_server>> servers_; // one, or one per master of the cluster
    /// Servers of the layout before, and the probe before, stopped: their connections' last
    /// handlers may still be queued, so they are freed at the next layout change or probe.
    std::vector<std::unique_ptr<redis_server>> retired_servers_;
    std::vector<std::unique_ptr<redis_link>> retired_probes_;
    std::optional<cluster_layout> layout_;
    std::unique_ptr<redis_link> probe_; // the connection that asks CLUSTER SLOTS
    std::size_t next_seed_ = 0;         // which seed (then known master) the next probe asks
    boost::asio::steady_timer rediscover_timer_;
    bool rediscover_pending_ = false;
    static constexpr std::chrono::milliseconds first_rediscover_delay{500};
    static constexpr std::chrono::milliseconds max_rediscover_delay{5000};
    std::chrono::milliseconds rediscover_delay_ = first_rediscover_delay;
    /// How many more times to read a layout that has not changed, after Redis said a slot moved.
    static constexpr int max_layout_retries = 10;
    int layout_retries_ = 0;
    /// Every channel this node should be subscribed to (its node channel aside).
    std::unordered_map<std::string, interest> subscribed_;
    std::unordered_set<std::string> local_connections_; // "<hub>:<id>", what the presence set holds
    std::unordered_map<std::uint64_t, std::shared_ptr<pending_command>> commands_waiting_;
    std::uint64_t next_request_ = 1;
    std::chrono::seconds heartbeat_;
    boost::asio::steady_timer heartbeat_timer_; // the heartbeat, then leave()'s deadline
    bool leaving_ = false;
    bool presence_refused_ = false; // a heartbeat was refused: presence is written again when one is taken
    std::string alive_key_;
    std::string connections_key_;
    std::string moved_key_;
    std::string alive_ttl_; // three heartbeats, in milliseconds, as PX takes it

    /// Read by workers (lane_of): each slot's master in the current layout.
    std::array<std::atomic<std::uint16_t>, cluster_slot_count> lane_of_slot_{};
    std::atomic<bool> connected_{false};
    std::atomic<std::uint64_t> published_{0};
    std::atomic<std::uint64_t> publish_dropped_{0};
    std::atomic<std::uint64_t> publish_errors_{0};
    std::atomic<std::uint64_t> received_{0};
    std::atomic<std::uint64_t> malformed_{0};
    std::atomic<std::uint64_t> reconnects_{0};
    std::atomic<std::uint64_t> subscriptions_{0};
    std::atomic<std::uint64_t> queries_{0};
    std::atomic<std::uint64_t> queries_unanswered_{0};
    std::atomic<std::uint64_t> commands_sent_{0};
    std::atomic<std::uint64_t> commands_incomplete_{0};
    std::atomic<std::uint64_t> commands_run_{0};
    std::atomic<std::uint64_t> relocated_{0};
    std::atomic<std::uint64_t> layout_changes_{0};
    std::atomic<std::uint64_t> cluster_masters_{0};
};

} // namespace hubcast::backplane

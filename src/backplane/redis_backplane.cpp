#include "backplane/redis_backplane.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <boost/asio/post.hpp>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include "backplane/command_wire.hpp"
#include "backplane/envelope.hpp"

namespace hubcast::backplane {

namespace asio = boost::asio;

namespace {

bool is_text(const redisReply& reply, std::string_view text) {
    return reply.type == REDIS_REPLY_STRING && std::string_view(reply.str, reply.len) == text;
}

std::string_view text_of(const redisReply& reply) {
    return {reply.str, reply.len};
}

} // namespace

redis_backplane::redis_backplane(core::router& router, redis_endpoint endpoint, std::string node_id,
                                 std::chrono::seconds heartbeat)
    : router_(router), endpoint_(std::move(endpoint)), node_id_(std::move(node_id)),
      channels_(endpoint_.database, endpoint_.is_cluster()), node_channel_(channels_.node(router.node_key())),
      commands_channel_(channels_.commands()), publish_verb_(endpoint_.is_cluster() ? "SPUBLISH" : "PUBLISH"),
      subscribe_verb_(endpoint_.is_cluster() ? "SSUBSCRIBE" : "SUBSCRIBE"),
      unsubscribe_verb_(endpoint_.is_cluster() ? "SUNSUBSCRIBE" : "UNSUBSCRIBE"),
      work_(asio::make_work_guard(io_)), rediscover_timer_(io_), heartbeat_(heartbeat), heartbeat_timer_(io_),
      alive_key_(channels_.alive(router.node_key())),
      connections_key_(channels_.connections(router.node_key())), moved_key_(channels_.moved()),
      alive_ttl_(std::to_string(std::chrono::milliseconds(3 * heartbeat).count())) {
    if (!endpoint_.is_cluster()) {
        add_server(endpoint_);
    }
}

redis_backplane::~redis_backplane() {
    stop();
}

redis_backplane::redis_server& redis_backplane::add_server(redis_endpoint endpoint) {
    auto owned = std::make_unique<redis_server>();
    redis_server* server = owned.get();
    server->endpoint = std::move(endpoint);
    server->publisher = std::make_unique<redis_link>(
        io_, server->endpoint, "publisher",
        redis_link::callbacks{
            .ready = [this, server] { on_publisher_ready(*server); },
            .reply = [this, server](const redisReply& reply) { on_publisher_reply(*server, reply); },
            .lost =
                [this, server](const std::string&) {
                    on_publisher_lost(*server);
                }});
    server->subscriber = std::make_unique<redis_link>(
        io_, server->endpoint, "subscriber",
        redis_link::callbacks{
            .ready = [this, server] { subscribe_everything(*server); },
            .reply = [this, server](const redisReply& reply) { on_subscriber_reply(*server, reply); },
            .lost =
                [this, server](const std::string&) {
                    reconnects_.fetch_add(1, std::memory_order_relaxed);
                    release_subscriber_pings(*server);
                    update_connected();
                    rediscover("a connection to a master was lost");
                }});
    servers_.push_back(std::move(owned));
    return *server;
}

redis_backplane::redis_server* redis_backplane::server_for(std::string_view name) const {
    if (!endpoint_.is_cluster()) {
        return servers_.empty() ? nullptr : servers_.front().get();
    }
    if (!layout_) {
        return nullptr;
    }
    return servers_.at(layout_->master_of_slot.at(key_slot(name))).get();
}

std::uint16_t redis_backplane::lane_of(core::send_scope scope, std::string_view hub,
                                       std::string_view target) const {
    if (!endpoint_.is_cluster()) {
        return 0;
    }
    return lane_of_slot_.at(key_slot(channels_.for_send(scope, hub, target))).load(std::memory_order_relaxed);
}

void redis_backplane::update_connected() {
    bool up = !servers_.empty();
    for (const auto& server : servers_) {
        up = up && server->publisher->ready() && server->subscriber->ready();
    }
    connected_.store(up, std::memory_order_relaxed);
}

void redis_backplane::stop_server(redis_server& server) {
    server.publisher->stop();
    server.subscriber->stop();
    answer_waiting_with_nothing(server);
    release_subscriber_pings(server);
}

void redis_backplane::start() {
    asio::post(io_, [this] {
        if (endpoint_.is_cluster()) {
            discover();
        } else {
            servers_.front()->publisher->start();
            servers_.front()->subscriber->start();
        }
        schedule_heartbeat();
    });
    thread_ = std::thread([this] { io_.run(); });
}

void redis_backplane::stop() {
    {
        const std::lock_guard lock(mutex_);
        if (stopped_) {
            return;
        }
        stopped_ = true;
    }
    asio::post(io_, [this] { leave(); });
    if (thread_.joinable()) {
        thread_.join();
    }
}

void redis_backplane::discover() {
    if (leaving_) {
        return;
    }
    // The seeds first, then the masters last seen: any node of the cluster knows its layout.
    std::vector<redis_endpoint::address> candidates = endpoint_.cluster_seeds;
    if (layout_) {
        for (const auto& master : layout_->masters) {
            if (std::find(candidates.begin(), candidates.end(), master) == candidates.end()) {
                candidates.push_back(master);
            }
        }
    }
    if (probe_ && probe_->ready()) {
        probe_->command({"CLUSTER", "SLOTS"});
        return;
    }
    const redis_endpoint::address asked = candidates.at(next_seed_++ % candidates.size());
    // Probes retired on an earlier call stopped at least one rediscover delay ago: their last
    // handlers have run, so they can go (while the cluster stays unreachable, one stays).
    retired_probes_.clear();
    if (probe_) {
        probe_->stop();
        retired_probes_.push_back(std::move(probe_));
    }
    probe_ = std::make_unique<redis_link>(
        io_, endpoint_.at(asked), "cluster layout",
        redis_link::callbacks{.ready =
                                  [this] {
                                      probe_->command({"CLUSTER", "SLOTS"});
                                  },
                              .reply = [this, asked](const redisReply& reply) { on_layout(reply, asked); },
                              .lost =
                                  [this](const std::string&) {
                                      reconnects_.fetch_add(1, std::memory_order_relaxed);
                                      rediscover("a seed did not answer");
                                  }});
    probe_->set_reconnect(false); // the next attempt may ask another node, after rediscover's wait
    probe_->start();
}

void redis_backplane::on_layout(const redisReply& reply, const redis_endpoint::address& asked) {
    auto layout = parse_cluster_slots(reply, asked);
    if (!layout) {
        const std::string why =
            reply.type == REDIS_REPLY_ERROR ? std::string(text_of(reply)) : std::string(layout.error());
        spdlog::warn("backplane: no Redis Cluster layout from {}:{}: {}", asked.host, asked.port, why);
        probe_->stop(); // the next attempt asks another node
        rediscover("no layout yet");
        return;
    }
    rediscover_delay_ = first_rediscover_delay;
    apply_layout(std::move(layout).value());
}

void redis_backplane::apply_layout(cluster_layout layout) {
    if (layout_ && *layout_ == layout) {
        // Nothing moved: a lost connection reconnects by itself. But Redis said a slot moved, and
        // the master asked may not know yet (the news spreads between masters): ask again.
        if (layout_retries_ > 0) {
            --layout_retries_;
            rediscover("the layout read is the one in use, while a slot moved");
        }
        return;
    }
    layout_retries_ = 0;
    layout_changes_.fetch_add(1, std::memory_order_relaxed);
    // A layout change is rare (a resharding, a failover): every connection starts afresh on the
    // new layout, subscribing again and writing presence again, as after a Redis restart.
    retired_servers_.clear();
    for (auto& server : servers_) {
        stop_server(*server);
        retired_servers_.push_back(std::move(server));
    }
    servers_.clear();
    layout_ = std::move(layout);
    for (const auto& master : layout_->masters) {
        add_server(endpoint_.at(master));
    }
    for (std::size_t slot = 0; slot < cluster_slot_count; ++slot) {
        lane_of_slot_.at(slot).store(layout_->master_of_slot.at(slot), std::memory_order_relaxed);
    }
    cluster_masters_.store(layout_->masters.size(), std::memory_order_relaxed);
    spdlog::info("backplane: Redis Cluster {} has {} master(s)", endpoint_.describe(),
                 layout_->masters.size());
    for (const auto& server : servers_) {
        server->publisher->start();
        server->subscriber->start();
    }
    update_connected();
}

void redis_backplane::rediscover(std::string_view why) {
    if (!endpoint_.is_cluster() || leaving_ || rediscover_pending_) {
        return;
    }
    rediscover_pending_ = true;
    spdlog::info("backplane: reading the Redis Cluster layout again in {} ms ({})", rediscover_delay_.count(),
                 why);
    rediscover_timer_.expires_after(rediscover_delay_);
    // Doubling while no layout can be read, as a lost connection's retries do: a cluster that is
    // away costs a few log lines a minute, not several a second.
    rediscover_delay_ = std::min(rediscover_delay_ * 2, max_rediscover_delay);
    rediscover_timer_.async_wait([this](boost::system::error_code ec) {
        rediscover_pending_ = false;
        if (!ec) {
            discover();
        }
    });
}

void redis_backplane::leave() {
    leaving_ = true;
    heartbeat_timer_.cancel();
    // Without its alive key the node counts as gone for every check at once (the presence
    // scripts ignore nodes without one): wait for Redis to confirm that, briefly, then close.
    auto closed = std::make_shared<bool>(false);
    auto close = [this, closed] {
        if (*closed) {
            return;
        }
        *closed = true;
        heartbeat_timer_.cancel();
        rediscover_timer_.cancel();
        if (probe_) {
            probe_->stop();
        }
        for (const auto& server : servers_) {
            stop_server(*server); // the checks still waiting answer "cannot ask"
        }
        auto commands = std::move(commands_waiting_);
        commands_waiting_.clear();
        for (auto& [request, command] : commands) {
            command->deadline.cancel();
            command->done(std::move(command->answers), false);
        }
        work_.reset();
        io_.stop();
    };
    if (!send_for(alive_key_, {"DEL", alive_key_, connections_key_},
                  [close](const redisReply*) { close(); })) {
        close();
        return;
    }
    heartbeat_timer_.expires_after(leave_deadline);
    heartbeat_timer_.async_wait([close](boost::system::error_code ec) {
        if (!ec) {
            close();
        }
    });
}

void redis_backplane::publish(const core::outgoing_send& send) {
    std::string channel = send.to_node.empty() ? channels_.for_send(send.scope, send.hub, send.target)
                                               : channels_.node(send.to_node);
    if (channel.empty()) {
        return;
    }
    std::string bytes = encode_envelope(router_.node_key(), send, std::chrono::steady_clock::now());
    const std::size_t size = channel.size() + bytes.size();
    {
        const std::lock_guard lock(mutex_);
        if (stopped_ || outbox_bytes_ + size > max_queued_bytes) {
            publish_dropped_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const bool relocatable = send.scope == core::send_scope::connection && send.to_node.empty();
        outbox_.push_back(outgoing{std::move(channel), std::move(bytes),
                                   relocatable ? std::string(send.target) : std::string()});
        outbox_bytes_ += size;
        if (flush_posted_) {
            return;
        }
        flush_posted_ = true;
    }
    asio::post(io_, [this] { flush_publishes(); });
}

void redis_backplane::flush_publishes() {
    std::vector<outgoing> batch;
    {
        const std::lock_guard lock(mutex_);
        batch.swap(outbox_);
        outbox_bytes_ = 0;
        flush_posted_ = false;
    }
    // One write per Redis server for the whole batch (redis_link coalesces a turn's commands):
    // publisher order is kept per channel, and across the channels one connection carries (all of
    // them on one Redis, those of one master on a cluster: a lane, backplane::lane_of).
    for (auto& item : batch) {
        redis_server* server = server_for(item.channel);
        if (server == nullptr || !server->publisher->ready()) {
            publish_dropped_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (item.connection_id.empty()) {
            send_publisher(server, {publish_verb_, item.channel, item.envelope});
        } else {
            publish_to(std::move(item.channel), std::move(item.envelope), std::move(item.connection_id));
        }
        published_.fetch_add(1, std::memory_order_relaxed);
    }
}

void redis_backplane::publish_to(std::string channel, std::string bytes, std::string connection_id,
                                 std::function<void(const redisReply*)> listeners) {
    // Held where the command's arguments point, for as long as a retry may need them.
    struct message {
        std::string channel;
        std::string bytes;
        std::string connection_id;
        std::function<void(const redisReply*)> listeners;
    };
    auto held = std::make_shared<message>(
        message{std::move(channel), std::move(bytes), std::move(connection_id), std::move(listeners)});
    send_for(
        held->channel, {publish_verb_, held->channel, held->bytes}, [this, held](const redisReply* reply) {
            const bool nobody = reply != nullptr && reply->type == REDIS_REPLY_INTEGER && reply->integer == 0;
            if (!nobody) {
                if (held->listeners) {
                    held->listeners(reply);
                }
                return;
            }
            // The node the id names is gone; the session may live on elsewhere.
            send_for(
                moved_key_, {"HGET", moved_key_, held->connection_id}, [this, held](const redisReply* found) {
                    const bool elsewhere = found != nullptr && found->type == REDIS_REPLY_STRING &&
                                           channels_.node(text_of(*found)) != held->channel;
                    if (!elsewhere) {
                        if (held->listeners) {
                            redisReply none{};
                            none.type = REDIS_REPLY_INTEGER; // nobody received it: a command ends unanswered
                            held->listeners(found == nullptr ? nullptr : &none);
                        }
                        return;
                    }
                    relocated_.fetch_add(1, std::memory_order_relaxed);
                    held->channel = channels_.node(text_of(*found));
                    send_for(held->channel, {publish_verb_, held->channel, held->bytes},
                             [held](const redisReply* again) {
                                 if (held->listeners) {
                                     held->listeners(again);
                                 }
                             });
                });
        });
}

bool redis_backplane::send_publisher(redis_server* server, const std::vector<std::string_view>& arguments,
                                     std::function<void(const redisReply*)> on_reply) {
    if (server == nullptr || !server->publisher->command(arguments)) {
        return false;
    }
    server->waiting.push_back(std::move(on_reply));
    return true;
}

namespace {

/// Redis Cluster answers these when a slot is not (or no longer, or not yet) served where asked.
bool is_misrouted(std::string_view error) {
    return error.starts_with("MOVED") || error.starts_with("ASK") || error.starts_with("CLUSTERDOWN") ||
           error.starts_with("TRYAGAIN");
}

} // namespace

void redis_backplane::on_publisher_reply(redis_server& server, const redisReply& reply) {
    if (server.waiting.empty()) {
        return; // cannot happen: one reply per command
    }
    auto on_reply = std::move(server.waiting.front());
    server.waiting.pop_front();
    if (reply.type == REDIS_REPLY_ERROR && is_misrouted(text_of(reply))) {
        layout_retries_ = max_layout_retries;
        rediscover(text_of(reply));
    }
    if (on_reply) {
        on_reply(&reply);
    } else if (reply.type == REDIS_REPLY_ERROR) {
        publish_errors_.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("backplane: Redis refused a command: {}", text_of(reply));
    }
}

void redis_backplane::on_publisher_ready(redis_server& server) {
    update_connected();
    spdlog::info("backplane: publisher connected to Redis {}", server.endpoint.describe());
    if (&server == presence_server()) {
        write_presence();
    }
}

void redis_backplane::write_presence() {
    // Presence again, as after a Redis restart nothing of it is left: the heartbeat first, so
    // that no check reads this node's sets while its alive key is missing.
    beat();
    if (!local_connections_.empty()) {
        std::vector<std::string_view> arguments{"SADD", connections_key_};
        arguments.insert(arguments.end(), local_connections_.begin(), local_connections_.end());
        send_for(connections_key_, arguments);
        send_for(connections_key_, {"PEXPIRE", connections_key_, alive_ttl_});
    }
    for (const auto& entry : subscribed_) {
        publish_membership(entry.second, true);
    }
}

void redis_backplane::on_publisher_lost(redis_server& server) {
    reconnects_.fetch_add(1, std::memory_order_relaxed);
    answer_waiting_with_nothing(server);
    update_connected();
    rediscover("a connection to a master was lost");
}

void redis_backplane::answer_waiting_with_nothing(redis_server& server) {
    auto waiting = std::move(server.waiting);
    server.waiting.clear();
    for (auto& on_reply : waiting) {
        if (on_reply) {
            on_reply(nullptr);
        }
    }
}

void redis_backplane::schedule_heartbeat() {
    heartbeat_timer_.expires_after(heartbeat_);
    heartbeat_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || leaving_) {
            return; // a beat after leave() would bring the node back
        }
        beat();
        if (probe_ && probe_->ready()) {
            // A cluster's layout may change without a word to this node (it got no MOVED yet).
            probe_->command({"CLUSTER", "SLOTS"});
        }
        schedule_heartbeat();
    });
}

void redis_backplane::beat() {
    // A cluster that lost a master refuses every command (CLUSTERDOWN) without closing the
    // connection: once it takes the heartbeat again, whatever expired meanwhile is written again.
    send_for(alive_key_, {"SET", alive_key_, node_id_, "PX", alive_ttl_}, [this](const redisReply* reply) {
        const bool taken = reply != nullptr && reply->type != REDIS_REPLY_ERROR;
        if (!taken) {
            presence_refused_ = true;
        } else if (presence_refused_) {
            presence_refused_ = false;
            write_presence();
        }
    });
    if (!local_connections_.empty()) {
        send_for(connections_key_, {"PEXPIRE", connections_key_, alive_ttl_});
    }
}

void redis_backplane::publish_membership(const interest& what, bool present) {
    const std::string key = channels_.member_nodes(what.scope, what.hub, what.name);
    if (!key.empty()) {
        send_for(key, {present ? "SADD" : "SREM", key, router_.node_key()});
    }
}

void redis_backplane::interest_changed(core::send_scope scope, std::string_view hub, std::string_view name) {
    {
        const std::lock_guard lock(mutex_);
        if (stopped_) {
            return;
        }
        changed_.push_back(interest{scope, std::string(hub), std::string(name)});
        if (reconcile_posted_) {
            return;
        }
        reconcile_posted_ = true;
    }
    asio::post(io_, [this] { reconcile_interests(); });
}

bool redis_backplane::wanted(const interest& what) const {
    const auto& local = router_.index();
    switch (what.scope) {
    case core::send_scope::hub:
        return local.hub_has_connections(what.hub);
    case core::send_scope::group:
        return local.group_exists(what.hub, what.name);
    case core::send_scope::user:
        return local.user_exists(what.hub, what.name);
    case core::send_scope::connection:
        break;
    }
    return false;
}

void redis_backplane::connection_changed(std::string_view hub, std::string_view connection_id, bool present) {
    {
        const std::lock_guard lock(mutex_);
        if (stopped_) {
            return;
        }
        std::string member;
        member.reserve(hub.size() + 1 + connection_id.size());
        member.append(hub).append(":").append(connection_id);
        connection_changes_.emplace_back(std::move(member), present);
        if (reconcile_posted_) {
            return;
        }
        reconcile_posted_ = true;
    }
    asio::post(io_, [this] { reconcile_interests(); });
}

void redis_backplane::reconcile_interests() {
    std::vector<interest> changed;
    std::vector<std::pair<std::string, bool>> connections;
    {
        const std::lock_guard lock(mutex_);
        changed.swap(changed_);
        connections.swap(connection_changes_);
        reconcile_posted_ = false;
    }
    // Each change is checked against the registry now rather than replayed: joins and leaves from
    // several workers may arrive in any order, and the registry holds the state to follow. Redis
    // runs SUBSCRIBE and UNSUBSCRIBE in the order sent on the one connection.
    for (auto& what : changed) {
        std::string channel = channels_.for_interest(what.scope, what.hub, what.name);
        const bool want = wanted(what);
        const auto found = subscribed_.find(channel);
        redis_server* server = server_for(channel);
        if (want && found == subscribed_.end()) {
            if (server != nullptr) {
                server->subscriber->command({subscribe_verb_, channel});
            }
            publish_membership(what, true);
            subscribed_.emplace(std::move(channel), std::move(what));
        } else if (!want && found != subscribed_.end()) {
            if (server != nullptr) {
                server->subscriber->command({unsubscribe_verb_, channel});
            }
            publish_membership(what, false);
            subscribed_.erase(found);
        }
    }
    subscriptions_.store(subscribed_.size(), std::memory_order_relaxed);
    // Connections arrive and leave in the order their shards reported them; one connection's
    // add always precedes its removal, as both come from its own shard.
    for (auto& [member, present] : connections) {
        publish_relocation(member, present);
        if (present) {
            send_for(connections_key_, {"SADD", connections_key_, member});
            send_for(connections_key_, {"PEXPIRE", connections_key_, alive_ttl_});
            local_connections_.insert(std::move(member));
        } else {
            send_for(connections_key_, {"SREM", connections_key_, member});
            local_connections_.erase(member);
        }
    }
}

namespace {

// Removes field ARGV[1] of hash KEYS[1] only while it still names node ARGV[2]: a session that
// moved on from here was written there by its new node first.
constexpr std::string_view remove_if_mine = R"(
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0)";

} // namespace

void redis_backplane::publish_relocation(std::string_view member, bool present) {
    // A session taken over from another node keeps an id that names that node: the moved hash
    // says where it is now, for other nodes' existence checks (docs/scale-out.md, "Presence").
    const std::string_view id = member.substr(member.find(':') + 1);
    if (id.starts_with(router_.node_key())) {
        return;
    }
    if (present) {
        send_for(moved_key_, {"HSET", moved_key_, id, router_.node_key()});
    } else {
        send_for(moved_key_, {"EVAL", remove_if_mine, "1", moved_key_, id, router_.node_key()});
    }
}

namespace {

// Whether any node in the set KEYS[1] is alive (its key ARGV[1] .. node exists); nodes that are
// not are removed from the set on the way, so a dead node's entries do not pile up.
constexpr std::string_view any_alive_member = R"(
local nodes = redis.call('SMEMBERS', KEYS[1])
for _, node in ipairs(nodes) do
  if redis.call('EXISTS', ARGV[1] .. node) == 1 then return 1 end
  redis.call('SREM', KEYS[1], node)
end
return 0)";

// Whether connection ARGV[1] (member ARGV[2] of a connection set) is on a live node: the node the
// moved hash KEYS[1] names for it, else the node its id names (ARGV[3]). Alive keys start with
// ARGV[4], connection sets with ARGV[5]. A moved entry of a dead node is removed on the way.
constexpr std::string_view alive_connection = R"(
local node = redis.call('HGET', KEYS[1], ARGV[1])
local moved = node
if not node then node = ARGV[3] end
if redis.call('EXISTS', ARGV[4] .. node) == 0 then
  if moved then redis.call('HDEL', KEYS[1], ARGV[1]) end
  return 0
end
return redis.call('SISMEMBER', ARGV[5] .. node, ARGV[2]))";

} // namespace

void redis_backplane::ask_exists(core::presence_kind kind, std::string_view hub, std::string_view name,
                                 core::presence_answer done) {
    {
        const std::lock_guard lock(mutex_);
        if (stopped_) {
            done(std::nullopt);
            return;
        }
    }
    queries_.fetch_add(1, std::memory_order_relaxed);
    asio::post(io_, [this, kind, hub = std::string(hub), name = std::string(name),
                     done = std::move(done)]() mutable { run_query(kind, hub, name, std::move(done)); });
}

void redis_backplane::run_query(core::presence_kind kind, const std::string& hub, const std::string& name,
                                core::presence_answer done) {
    // Answered exactly once: by the reply, by the deadline, or by the loss of the connection.
    struct pending {
        core::presence_answer done;
        asio::steady_timer deadline;
        bool answered = false;
        void answer(std::optional<bool> found) {
            if (!answered) {
                answered = true;
                deadline.cancel();
                done(found);
            }
        }
    };
    auto query = std::make_shared<pending>(pending{std::move(done), asio::steady_timer(io_, query_deadline)});
    const auto on_reply = [this, query](const redisReply* reply) {
        if (reply == nullptr || reply->type != REDIS_REPLY_INTEGER) {
            queries_unanswered_.fetch_add(1, std::memory_order_relaxed);
            query->answer(std::nullopt);
            return;
        }
        query->answer(reply->integer == 1);
    };
    bool sent = false;
    if (kind == core::presence_kind::connection) {
        const auto owner = core::router::node_key_of(name);
        const std::string member = hub + ":" + name;
        sent = owner && send_for(moved_key_,
                                 {"EVAL", alive_connection, "1", moved_key_, name, member, *owner,
                                  channels_.alive_prefix(), channels_.connections_prefix()},
                                 on_reply);
    } else {
        const auto scope =
            kind == core::presence_kind::user ? core::send_scope::user : core::send_scope::group;
        const std::string key = channels_.member_nodes(scope, hub, name);
        sent = send_for(key, {"EVAL", any_alive_member, "1", key, channels_.alive_prefix()}, on_reply);
    }
    if (!sent) {
        queries_unanswered_.fetch_add(1, std::memory_order_relaxed);
        query->answer(std::nullopt);
        return;
    }
    query->deadline.async_wait([this, query](boost::system::error_code ec) {
        if (!ec && !query->answered) {
            queries_unanswered_.fetch_add(1, std::memory_order_relaxed);
            query->answer(std::nullopt);
        }
    });
}

void redis_backplane::subscribe_everything(redis_server& server) {
    std::vector<std::string_view> channels;
    const auto add_if_here = [&](std::string_view channel) {
        if (server_for(channel) == &server) {
            channels.push_back(channel);
        }
    };
    add_if_here(node_channel_);
    add_if_here(commands_channel_);
    for (const auto& entry : subscribed_) {
        add_if_here(entry.first);
    }
    if (endpoint_.is_cluster()) {
        // One SSUBSCRIBE per channel: Redis takes several in one only when they share a slot.
        for (const auto channel : channels) {
            server.subscriber->command({subscribe_verb_, channel});
        }
    } else if (!channels.empty()) {
        std::vector<std::string_view> arguments{subscribe_verb_};
        arguments.insert(arguments.end(), channels.begin(), channels.end());
        server.subscriber->command(arguments);
    }
    update_connected();
    spdlog::info("backplane: subscriber connected to Redis {} ({} channel(s))", server.endpoint.describe(),
                 channels.size());
}

void redis_backplane::on_subscriber_reply(redis_server& server, const redisReply& reply) {
    // A connection with subscriptions answers PING with ["pong", ""]; one with none (a master of
    // a cluster that carries none of this node's channels) with a plain PONG.
    const bool pong =
        reply.type == REDIS_REPLY_STATUS ||
        (reply.type == REDIS_REPLY_ARRAY && reply.elements >= 1 && is_text(*reply.element[0], "pong"));
    if (pong) {
        if (!server.pings.empty()) {
            auto done = std::move(server.pings.front());
            server.pings.pop_front();
            done();
        }
        return;
    }
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 3) {
        return;
    }
    if (is_text(*reply.element[0], "sunsubscribe") && reply.element[1]->type == REDIS_REPLY_STRING) {
        // Redis drops a sharded subscription whose slot moved to another master.
        const std::string_view channel = text_of(*reply.element[1]);
        if (channel == node_channel_ || channel == commands_channel_ ||
            subscribed_.contains(std::string(channel))) {
            layout_retries_ = max_layout_retries;
            rediscover("Redis ended a subscription that is still wanted");
        }
        return;
    }
    if ((!is_text(*reply.element[0], "message") && !is_text(*reply.element[0], "smessage")) ||
        reply.element[2]->type != REDIS_REPLY_STRING) {
        return; // subscribe / unsubscribe confirmations
    }
    on_node_message(text_of(*reply.element[1]), text_of(*reply.element[2]));
}

void redis_backplane::on_node_message(std::string_view channel, std::string_view bytes) {
    const auto kind = bytes.empty() ? 0 : static_cast<unsigned char>(bytes.front());
    switch (static_cast<wire_kind>(kind)) {
    case wire_kind::send:
        on_send(channel, bytes);
        return;
    case wire_kind::command:
        on_command(bytes);
        return;
    case wire_kind::answer:
        on_answer(bytes);
        return;
    }
    malformed_.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("backplane: message of unknown kind {} on {} dropped", kind, channel);
}

void redis_backplane::on_send(std::string_view channel, std::string_view bytes) {
    auto decoded = decode_envelope(bytes);
    if (!decoded) {
        malformed_.fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("backplane: message on {} dropped: {}", channel, decoded.error());
        return;
    }
    if (decoded->origin == router_.node_key()) {
        return; // our own publish, already delivered here
    }
    received_.fetch_add(1, std::memory_order_relaxed);
    if (!router_.deliver_from_node(std::move(decoded->send))) {
        malformed_.fetch_add(1, std::memory_order_relaxed);
    }
}

void redis_backplane::on_command(std::string_view bytes) {
    auto decoded = decode_command(bytes);
    if (!decoded) {
        malformed_.fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("backplane: command dropped: {}", decoded.error());
        return;
    }
    if (decoded->origin == router_.node_key()) {
        // Our own command to every node, back from Redis: PUBLISH counted this node among the
        // listeners, and this node's part is the router's, so it counts as answered.
        const auto found = commands_waiting_.find(decoded->request);
        if (found != commands_waiting_.end()) {
            ++found->second->received;
            finish_if_answered(decoded->request);
        }
        return;
    }
    commands_run_.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t request = decoded->request;
    std::string answer_channel = channels_.node(decoded->origin);
    // The answer leaves once the command is in force here, this node's subscriptions and presence
    // included, so the node that asked answers its caller only when every node shows the change.
    router_.run_command(decoded->command, [this, request, answer_channel = std::move(answer_channel)](
                                              core::command_answer answer) mutable {
        asio::post(io_, [this, request, answer_channel = std::move(answer_channel),
                         answer = std::move(answer)]() mutable {
            settle_now([this, request, answer_channel = std::move(answer_channel),
                        answer = std::move(answer)] {
                send_for(answer_channel, {publish_verb_, answer_channel, encode_answer({request, answer})});
            });
        });
    });
}

void redis_backplane::on_answer(std::string_view bytes) {
    auto decoded = decode_answer(bytes);
    if (!decoded) {
        malformed_.fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("backplane: answer dropped: {}", decoded.error());
        return;
    }
    const auto found = commands_waiting_.find(decoded->request);
    if (found == commands_waiting_.end()) {
        return; // past its deadline: the caller was answered already
    }
    found->second->answers.push_back(std::move(decoded->answer));
    ++found->second->received;
    finish_if_answered(decoded->request);
}

void redis_backplane::command_node(std::string_view node_key, core::cluster_command command,
                                   core::command_answers done) {
    asio::post(io_, [this, channel = channels_.node(node_key), command = std::move(command),
                     done = std::move(done)]() mutable {
        send_command(channel, std::move(command), std::move(done));
    });
}

void redis_backplane::command_others(core::cluster_command command, core::command_answers done) {
    asio::post(io_, [this, command = std::move(command), done = std::move(done)]() mutable {
        send_command(commands_channel_, std::move(command), std::move(done));
    });
}

void redis_backplane::send_command(const std::string& channel, core::cluster_command command,
                                   core::command_answers done) {
    commands_sent_.fetch_add(1, std::memory_order_relaxed);
    redis_server* server = server_for(channel);
    if (leaving_ || server == nullptr || !server->publisher->ready()) {
        commands_incomplete_.fetch_add(1, std::memory_order_relaxed);
        done({}, false);
        return;
    }
    const std::uint64_t request = next_request_++;
    // A command for one connection follows its session if the node its id names is gone.
    const std::string relocatable = core::addressed_to_owner(command.kind) && channel != commands_channel_
                                        ? command.connection_id
                                        : std::string();
    std::string bytes = encode_command({request, router_.node_key(), std::move(command)});
    auto waiting = std::make_shared<pending_command>(
        pending_command{std::move(done), {}, std::nullopt, 0, asio::steady_timer(io_, command_deadline)});
    commands_waiting_.emplace(request, waiting);
    const auto on_published = [this, request](const redisReply* reply) {
        const auto found = commands_waiting_.find(request);
        if (found == commands_waiting_.end()) {
            return;
        }
        if (reply == nullptr || reply->type != REDIS_REPLY_INTEGER || reply->integer < 0) {
            finish_command(request, false);
            return;
        }
        found->second->expected = static_cast<std::uint64_t>(reply->integer);
        finish_if_answered(request);
    };
    if (relocatable.empty()) {
        send_publisher(server, {publish_verb_, channel, bytes}, on_published);
    } else {
        publish_to(channel, std::move(bytes), relocatable, on_published);
    }
    waiting->deadline.async_wait([this, request](boost::system::error_code ec) {
        if (!ec) {
            finish_command(request, false);
        }
    });
}

void redis_backplane::finish_if_answered(std::uint64_t request) {
    const auto found = commands_waiting_.find(request);
    if (found != commands_waiting_.end() && found->second->expected &&
        found->second->received >= *found->second->expected) {
        finish_command(request, true);
    }
}

void redis_backplane::finish_command(std::uint64_t request, bool complete) {
    const auto found = commands_waiting_.find(request);
    if (found == commands_waiting_.end()) {
        return;
    }
    const auto command = found->second;
    commands_waiting_.erase(found);
    command->deadline.cancel();
    if (!complete) {
        commands_incomplete_.fetch_add(1, std::memory_order_relaxed);
    }
    command->done(std::move(command->answers), complete);
}

void redis_backplane::settle(std::function<void()> done) {
    asio::post(io_, [this, done = std::move(done)]() mutable { settle_now(std::move(done)); });
}

void redis_backplane::settle_now(std::function<void()> done) {
    // A PING on each connection answers after every command sent on it before: once every PONG
    // is back, Redis has taken this node's earlier SUBSCRIBEs (subscribers) and presence writes
    // and publishes (publishers), on every master of a cluster. Runs `done` exactly once, at the
    // latest after settle_deadline.
    struct settling {
        std::function<void()> done;
        int waiting = 0;
        asio::steady_timer deadline;
        void arrive() {
            if (done && --waiting <= 0) {
                deadline.cancel();
                auto run = std::move(done);
                done = nullptr;
                run();
            }
        }
        void give_up() {
            waiting = 0;
            arrive();
        }
    };
    auto state =
        std::make_shared<settling>(settling{std::move(done), 0, asio::steady_timer(io_, settle_deadline)});
    for (const auto& server : servers_) {
        if (server->subscriber->command({"PING"})) {
            ++state->waiting;
            server->pings.emplace_back([state] { state->arrive(); });
        }
        if (send_publisher(server.get(), {"PING"}, [state](const redisReply*) { state->arrive(); })) {
            ++state->waiting;
        }
    }
    if (state->waiting == 0) {
        state->give_up(); // Redis is away: local service does not wait for it
        return;
    }
    state->deadline.async_wait([state](boost::system::error_code ec) {
        if (!ec) {
            state->give_up();
        }
    });
}

void redis_backplane::release_subscriber_pings(redis_server& server) {
    auto waiting = std::move(server.pings);
    server.pings.clear();
    for (auto& done : waiting) {
        done();
    }
}

void redis_backplane::register_metrics(util::metrics_registry& registry) const {
    registry.add_gauge("hubcast_backplane_connected",
                       "1 while every Redis connection (publisher and subscriber, to each master of a "
                       "Redis Cluster) is up, else 0.",
                       [this] { return connected() ? 1 : 0; });
    registry.add_counter("hubcast_backplane_published_total", "Sends published to Redis for other nodes.",
                         published_);
    registry.add_counter(
        "hubcast_backplane_publish_dropped_total",
        "Sends that could not be published (Redis unreachable or the queue full): other nodes "
        "missed them.",
        publish_dropped_);
    registry.add_counter("hubcast_backplane_publish_errors_total",
                         "PUBLISH commands Redis answered with an error.", publish_errors_);
    registry.add_counter("hubcast_backplane_received_total", "Sends received from other nodes.", received_);
    registry.add_counter("hubcast_backplane_malformed_total",
                         "Messages from Redis dropped because they could not be decoded.", malformed_);
    registry.add_counter("hubcast_backplane_connection_failures_total",
                         "Redis connections lost or not made (each is retried with back-off).", reconnects_);
    registry.add_counter("hubcast_backplane_existence_queries_total",
                         "Existence checks this node could not answer alone and asked Redis.", queries_);
    registry.add_counter("hubcast_backplane_existence_queries_unanswered_total",
                         "Of those, the ones Redis did not answer (unreachable, or past 1 s): REST 503.",
                         queries_unanswered_);
    registry.add_counter(
        "hubcast_backplane_commands_sent_total",
        "Commands this node sent to other nodes (membership, closes, permissions, listings).",
        commands_sent_);
    registry.add_counter(
        "hubcast_backplane_commands_incomplete_total",
        "Of those, the ones not every node answered (Redis unreachable, or past 3 s): REST 503.",
        commands_incomplete_);
    registry.add_counter("hubcast_backplane_commands_run_total",
                         "Commands from other nodes run on this node.", commands_run_);
    registry.add_counter("hubcast_backplane_relocated_total",
                         "Sends and commands for a moved session sent again to its node, the node its id "
                         "names being gone.",
                         relocated_);
    registry.add_gauge("hubcast_backplane_cluster_masters",
                       "Masters of the Redis Cluster in the layout this node uses (0: not a cluster, or "
                       "no layout yet).",
                       [this] { return cluster_masters_.load(std::memory_order_relaxed); });
    registry.add_counter("hubcast_backplane_cluster_layout_changes_total",
                         "Times this node took a new Redis Cluster layout (the first included).",
                         layout_changes_);
    registry.add_gauge("hubcast_backplane_subscriptions",
                       "Hub, group and user channels this node is subscribed to.",
                       [this] { return subscriptions_.load(std::memory_order_relaxed); });
}

} // namespace hubcast::backplane

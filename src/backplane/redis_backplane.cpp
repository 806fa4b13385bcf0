#include "backplane/redis_backplane.hpp"

#include <chrono>
#include <cstring>

#include <boost/asio/post.hpp>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

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

redis_backplane::redis_backplane(core::router& router, redis_endpoint endpoint, std::string node_id)
    : router_(router), endpoint_(std::move(endpoint)), node_id_(std::move(node_id)),
      channels_(endpoint_.database), node_channel_(channels_.node(router.node_key())),
      work_(asio::make_work_guard(io_)),
      publisher_(io_, endpoint_, "publisher",
                 {.ready =
                      [this] {
                          publisher_up_.store(true, std::memory_order_relaxed);
                          spdlog::info("backplane: publisher connected to Redis {}", endpoint_.describe());
                      },
                  .reply = [this](const redisReply& reply) { on_publisher_reply(reply); },
                  .lost =
                      [this](const std::string&) {
                          publisher_up_.store(false, std::memory_order_relaxed);
                          reconnects_.fetch_add(1, std::memory_order_relaxed);
                      }}),
      subscriber_(io_, endpoint_, "subscriber",
                  {.ready = [this] { subscribe_everything(); },
                   .reply = [this](const redisReply& reply) { on_subscriber_reply(reply); },
                   .lost =
                       [this](const std::string&) {
                           subscriber_up_.store(false, std::memory_order_relaxed);
                           reconnects_.fetch_add(1, std::memory_order_relaxed);
                       }}) {}

redis_backplane::~redis_backplane() {
    stop();
}

void redis_backplane::start() {
    asio::post(io_, [this] {
        publisher_.start();
        subscriber_.start();
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
    asio::post(io_, [this] {
        publisher_.stop();
        subscriber_.stop();
        work_.reset();
        io_.stop();
    });
    if (thread_.joinable()) {
        thread_.join();
    }
}

void redis_backplane::publish(const core::outgoing_send& send) {
    std::string channel = channels_.for_send(send.scope, send.hub, send.target);
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
        outbox_.emplace_back(std::move(channel), std::move(bytes));
        outbox_bytes_ += size;
        if (flush_posted_) {
            return;
        }
        flush_posted_ = true;
    }
    asio::post(io_, [this] { flush_publishes(); });
}

void redis_backplane::flush_publishes() {
    std::vector<std::pair<std::string, std::string>> batch;
    {
        const std::lock_guard lock(mutex_);
        batch.swap(outbox_);
        outbox_bytes_ = 0;
        flush_posted_ = false;
    }
    if (!publisher_.ready()) {
        publish_dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
        return;
    }
    // One write for the whole batch (redis_link coalesces a turn's commands): publisher order is
    // kept, per channel and across channels, because one connection carries them all.
    for (const auto& [channel, bytes] : batch) {
        publisher_.command({"PUBLISH", channel, bytes});
    }
    published_.fetch_add(batch.size(), std::memory_order_relaxed);
}

void redis_backplane::on_publisher_reply(const redisReply& reply) {
    if (reply.type == REDIS_REPLY_ERROR) {
        publish_errors_.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("backplane: Redis refused a PUBLISH: {}", text_of(reply));
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

void redis_backplane::reconcile_interests() {
    std::vector<interest> changed;
    {
        const std::lock_guard lock(mutex_);
        changed.swap(changed_);
        reconcile_posted_ = false;
    }
    // Each change is checked against the registry now rather than replayed: joins and leaves from
    // several workers may arrive in any order, and the registry holds the state to follow. Redis
    // runs SUBSCRIBE and UNSUBSCRIBE in the order sent on the one connection.
    for (auto& what : changed) {
        std::string channel = channels_.for_interest(what.scope, what.hub, what.name);
        const bool want = wanted(what);
        const auto found = subscribed_.find(channel);
        if (want && found == subscribed_.end()) {
            subscriber_.command({"SUBSCRIBE", channel});
            subscribed_.emplace(std::move(channel), std::move(what));
        } else if (!want && found != subscribed_.end()) {
            subscriber_.command({"UNSUBSCRIBE", channel});
            subscribed_.erase(found);
        }
    }
    subscriptions_.store(subscribed_.size(), std::memory_order_relaxed);
}

void redis_backplane::subscribe_everything() {
    std::vector<std::string_view> arguments{"SUBSCRIBE", node_channel_};
    for (const auto& entry : subscribed_) {
        arguments.push_back(entry.first);
    }
    subscriber_.command(arguments);
    subscriber_up_.store(true, std::memory_order_relaxed);
    spdlog::info("backplane: subscriber connected to Redis {} ({} channel(s))", endpoint_.describe(),
                 arguments.size() - 1);
}

void redis_backplane::on_subscriber_reply(const redisReply& reply) {
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 3 || !is_text(*reply.element[0], "message") ||
        reply.element[2]->type != REDIS_REPLY_STRING) {
        return; // subscribe / unsubscribe confirmations
    }
    auto decoded = decode_envelope(text_of(*reply.element[2]));
    if (!decoded) {
        malformed_.fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("backplane: message on {} dropped: {}", text_of(*reply.element[1]), decoded.error());
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

void redis_backplane::register_metrics(util::metrics_registry& registry) const {
    registry.add_gauge("hubcast_backplane_connected",
                       "1 while both Redis connections (publisher, subscriber) are up, else 0.",
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
    registry.add_gauge("hubcast_backplane_subscriptions",
                       "Hub, group and user channels this node is subscribed to.",
                       [this] { return subscriptions_.load(std::memory_order_relaxed); });
}

} // namespace hubcast::backplane

#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "backplane/channels.hpp"
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
class redis_backplane final : public core::backplane {
public:
    /// What may wait to be published, in bytes, before sends are dropped: a Redis that stalls
    /// must cost drops, not the host's memory.
    static constexpr std::size_t max_queued_bytes = 64UL * 1024 * 1024;

    redis_backplane(core::router& router, redis_endpoint endpoint, std::string node_id);
    ~redis_backplane() override;
    redis_backplane(const redis_backplane&) = delete;
    redis_backplane& operator=(const redis_backplane&) = delete;

    /// Starts the thread and connects (asynchronously: the node serves while Redis is away).
    void start();
    /// Closes both connections and joins the thread. Call after the workers stopped; publish()
    /// and interest_changed() are then no-ops.
    void stop();

    void publish(const core::outgoing_send& send) override;
    void interest_changed(core::send_scope scope, std::string_view hub, std::string_view name) override;

    const std::string& node_id() const noexcept { return node_id_; }
    /// Both connections are up (subscriptions sent).
    bool connected() const noexcept {
        return publisher_up_.load(std::memory_order_relaxed) &&
               subscriber_up_.load(std::memory_order_relaxed);
    }

    /// hubcast_backplane_* on /metrics.
    void register_metrics(util::metrics_registry& registry) const;

private:
    struct interest {
        core::send_scope scope;
        std::string hub;
        std::string name;
    };

    void flush_publishes();
    void reconcile_interests();
    bool wanted(const interest& what) const;
    void subscribe_everything();
    void on_subscriber_reply(const redisReply& reply);
    void on_publisher_reply(const redisReply& reply);
    void count_dropped(std::size_t messages);

    core::router& router_;
    redis_endpoint endpoint_;
    std::string node_id_;
    channel_names channels_;
    std::string node_channel_;

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    redis_link publisher_;
    redis_link subscriber_;
    std::thread thread_;

    std::mutex mutex_;                                        // guards the queues below
    std::vector<std::pair<std::string, std::string>> outbox_; // channel, envelope
    std::size_t outbox_bytes_ = 0;
    bool flush_posted_ = false;
    std::vector<interest> changed_;
    bool reconcile_posted_ = false;
    bool stopped_ = false;

    // This thread only: every channel this node should be subscribed to (its node channel aside).
    std::unordered_map<std::string, interest> subscribed_;

    std::atomic<bool> publisher_up_{false};
    std::atomic<bool> subscriber_up_{false};
    std::atomic<std::uint64_t> published_{0};
    std::atomic<std::uint64_t> publish_dropped_{0};
    std::atomic<std::uint64_t> publish_errors_{0};
    std::atomic<std::uint64_t> received_{0};
    std::atomic<std::uint64_t> malformed_{0};
    std::atomic<std::uint64_t> reconnects_{0};
    std::atomic<std::uint64_t> subscriptions_{0};
};

} // namespace hubcast::backplane

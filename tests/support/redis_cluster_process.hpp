#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "support/deadline.hpp"

namespace hubcast::test {

/// A real Redis Cluster of three masters (no replicas) for scale-out tests: three Debian
/// redis-servers on 127.0.0.1, on free TCP ports with explicit cluster bus ports, no persistence,
/// in a fresh temporary folder, joined by `redis-cli --cluster create`. The constructor returns
/// once every node reports cluster_state:ok and sees all 16384 slots; the destructor stops the
/// nodes and removes the folder. A master can be stopped and started again on the same ports and
/// cluster config file (a node failure and its return). Not movable; hold it by value or in a
/// unique_ptr.
class redis_cluster_process {
public:
    static constexpr std::size_t node_count = 3;
    /// How long the cluster may take to form, or to form again after a master returns: the
    /// other masters clear a returning master's FAIL flag only after twice the node timeout.
    static constexpr std::chrono::seconds cluster_wait{20};

    redis_cluster_process();
    ~redis_cluster_process();
    redis_cluster_process(const redis_cluster_process&) = delete;
    redis_cluster_process& operator=(const redis_cluster_process&) = delete;

    /// `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`, for hubcast's --redis.
    std::string url() const;
    /// The masters' client ports, in node order (the order stop_node and start_node count in).
    std::vector<std::uint16_t> ports() const;

    /// How many clients are shard-subscribed to `channel`, summed over the masters (PUBSUB
    /// SHARDNUMSUB); -1 when any master cannot be asked.
    long long shard_subscribers(std::string_view channel) const;
    /// Waits until `channel` has exactly `count` shard subscribers; false if not by `limit`.
    bool wait_for_shard_subscribers(std::string_view channel, long long count,
                                    deadline limit = default_wait) const;

    /// Which master (0..2) serves the slot of a key or sharded channel.
    std::size_t master_of(std::string_view name) const;
    /// Moves the slot of `name`, which must hold no keys, to master `to`, as a resharding does
    /// (CLUSTER SETSLOT IMPORTING / MIGRATING / NODE); returns once every master was told.
    void move_slot_of(std::string_view name, std::size_t to);

    /// FLUSHALL on every master: what one test wrote is gone for the next; throws test_failure
    /// when a master refuses.
    void flush_all() const;

    /// Everything the three redis-servers logged, each under a header naming the node.
    std::string log() const;

    /// SIGTERM master `i` and wait for its exit (SIGKILL past `limit`). The others mark it failed
    /// after the node timeout (2 s); with no replicas the cluster then reports cluster_state:fail.
    void stop_node(std::size_t i, deadline limit = default_wait);
    /// Starts master `i` again on its ports and cluster config file and waits until every node
    /// reports cluster_state:ok again; throws test_failure (with the logs) if not by `limit`.
    void start_node(std::size_t i, deadline limit = cluster_wait);
    bool node_running(std::size_t i) const { return nodes_.at(i).pid > 0; }

private:
    struct node {
        std::uint16_t port = 0;
        std::uint16_t bus_port = 0;
        pid_t pid = -1;
    };

    void start_cluster(deadline limit);
    bool start_nodes(deadline limit);
    void spawn_node(std::size_t i);
    bool wait_for_node(std::size_t i, deadline limit);
    void create_cluster(deadline limit);
    void wait_for_cluster(deadline limit) const;
    bool cluster_ready() const;
    void stop_all();
    void remove_node_files() const;

    std::string id_of(std::size_t i) const;
    std::string node_folder(std::size_t i) const;
    std::string config_file(std::size_t i) const;
    std::string log_file(std::size_t i) const;

    std::string folder_;
    std::array<node, node_count> nodes_{};
};

} // namespace hubcast::test

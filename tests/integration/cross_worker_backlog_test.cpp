// Cross-worker fan-out backlog (issue 14, defect 5): with two workers, a fast publisher on one and
// busy subscribers on the other could queue gigabytes in the other worker's mailbox, which was
// bounded by a count of tasks. The bound is in bytes (--mailbox-max-bytes); what it refuses is
// dropped and counted on /metrics, and every message is either delivered or counted.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/deadline.hpp"
#include "support/hubcast_process.hpp"
#include "support/metrics.hpp"
#include "support/pubsub_client.hpp"
#include "support/test_failure.hpp"
#include "support/ws_client.hpp"
#include "util/base64.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

// The worker owning a connection: its id carries the shard index in characters 8-10 (base64url
// of two big-endian bytes; src/core/router.cpp documents the layout).
std::size_t worker_of(const std::string& connection_id) {
    const auto field = util::base64url_decode(std::string_view(connection_id).substr(8, 3));
    if (!field || field->size() != 2) {
        throw test_failure("unexpected connection id " + connection_id);
    }
    return (static_cast<std::size_t>(static_cast<unsigned char>((*field)[0])) << 8) |
           static_cast<unsigned char>((*field)[1]);
}

TEST(CrossWorkerBacklog, StaysWithinTheMailboxBudgetAndCountsEveryDrop) {
    constexpr std::size_t budget = 64 * 1024; // the smallest allowed: room for about 24 of these sends
    constexpr int count = 20000;
    constexpr std::size_t subscribers = 20; // on the other worker: each send costs it 20 deliveries
    hubcast_process server({.args = {"--workers", "2", "--mailbox-max-bytes", std::to_string(budget),
                                     "--max-outbound-bytes", std::to_string(64 * 1024 * 1024)}});

    pubsub_client publisher =
        pubsub_client::connect(server, {.user = "publisher", .roles = {"webpubsub.sendToGroup"}});
    const std::size_t publishing_worker = worker_of(publisher.connection_id());
    // SO_REUSEPORT spreads connections over both workers; keep those of the other worker.
    std::vector<pubsub_client> members;
    const deadline spread(20s);
    for (int i = 0; members.size() < subscribers; ++i) {
        ASSERT_FALSE(spread.expired()) << "no connection landed on the second worker";
        pubsub_client c = pubsub_client::connect(
            server, {.user = "member" + std::to_string(i), .roles = {"webpubsub.joinLeaveGroup"}});
        if (worker_of(c.connection_id()) == publishing_worker) {
            continue;
        }
        const auto ack_id = static_cast<std::uint64_t>(i + 1);
        ASSERT_TRUE(c.ws().send_json(join_group_message("flood", ack_id)));
        c.expect_ack(ack_id);
        members.push_back(std::move(c));
    }

    // Pipelined: the publisher never waits, so its worker outruns the other one.
    const std::string filler(1000, 'f');
    for (int i = 0; i < count; ++i) {
        ASSERT_TRUE(publisher.send_text("flood", std::to_string(i) + ":" + filler));
    }
    // Acked after every send before it was fanned out (or dropped): the counters are final then.
    ASSERT_TRUE(publisher.send_text("nobody", "done", 1));
    publisher.expect_ack(1, deadline(60s));

    const double dropped = read_metric(server.port(), "hubcast_mailbox_dropped_tasks_total");
    EXPECT_LE(read_metric(server.port(), "hubcast_mailbox_peak_queued_bytes"), static_cast<double>(budget));
    EXPECT_GT(dropped, 0.0) << "the backlog never reached the budget: the test did not exercise it";
    EXPECT_GT(read_metric(server.port(), "hubcast_mailbox_dropped_bytes_total"), dropped * 1000);

    // Once the mailbox is empty it takes any one task: "end" is delivered, after everything kept.
    const deadline drained(30s);
    while (read_metric(server.port(), "hubcast_mailbox_queued_bytes") != 0) {
        ASSERT_FALSE(drained.expired()) << "the mailbox never drained";
    }
    ASSERT_TRUE(publisher.send_text("flood", "end"));

    // Every message is delivered or counted as dropped, and what is delivered keeps its order.
    pubsub_client& reader = members.front();
    int received = 0;
    int last = -1;
    while (true) {
        const std::string data = string_at(reader.expect_group_message("flood", deadline(30s)), "data");
        if (data == "end") {
            break;
        }
        const int index = std::stoi(data.substr(0, data.find(':')));
        ASSERT_GT(index, last) << "out of order after " << received << " messages";
        last = index;
        ++received;
    }
    EXPECT_EQ(received + static_cast<int>(dropped), count);
}

} // namespace
} // namespace hubcast::test

// Several workers (design 3): connections spread over the workers' shards, and a group send
// reaches every member on every worker exactly once.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/barrier.hpp"
#include "support/deadline.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

// With two workers, clients spread over both (SO_REUSEPORT hashing; 40 connections all on one
// worker has probability 2^-39): a group send from any client reaches every member exactly once,
// in order.
TEST(Workers, GroupSendReachesEveryMemberOnEveryWorkerExactlyOnce) {
    hubcast_process server({.args = {"--workers", "2"}});
    constexpr int members = 40;
    std::vector<pubsub_client> clients;
    for (int i = 0; i < members; ++i) {
        clients.push_back(pubsub_client::connect(
            server,
            {.user = "member" + std::to_string(i), .roles = {"webpubsub.sendToGroup"}, .groups = {"all"}}));
    }
    // Each sender's messages keep their order, so "end N" closes everything N sent; messages of
    // different senders may interleave in any order.
    const std::vector<int> senders{0, 13, 27, 39};
    for (int sender : senders) {
        clients[sender].send_text("all", "from " + std::to_string(sender));
        clients[sender].send_text("all", "end " + std::to_string(sender));
    }
    for (int i = 0; i < members; ++i) {
        std::map<std::string, int> seen;
        std::size_t ends = 0;
        while (ends < senders.size()) {
            std::string data = string_at(clients[i].expect_group_message("all"), "data");
            ends += data.rfind("end ", 0) == 0 ? 1 : 0;
            ++seen[data];
        }
        for (int sender : senders) {
            EXPECT_EQ(seen["from " + std::to_string(sender)], 1) << "member " << i << ", sender " << sender;
            EXPECT_EQ(seen["end " + std::to_string(sender)], 1) << "member " << i << ", sender " << sender;
        }
        EXPECT_EQ(seen.size(), senders.size() * 2) << "member " << i << " got unexpected messages";
    }
    // Every member saw every sender's "end", so every send was fanned out: a stray copy would
    // come before a marker sent now.
    for (int i = 0; i < members; ++i) {
        expect_marker_next(server, clients[i]);
    }
}

} // namespace
} // namespace hubcast::test

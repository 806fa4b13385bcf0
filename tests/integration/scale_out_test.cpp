// Scale-out over a real Redis (docs/scale-out.md): three hubcast nodes share one redis-server
// started by the test on a unix socket, and every test that does not stop or pause Redis runs
// again on a Redis Cluster of three masters (redis+cluster://, sharded pub/sub). Each test puts the publisher
// and the recipients on different nodes and checks what a single node would give: who receives, in which
// order, and what exclusions, filters and noEcho leave out; that nodes subscribe only while they have
// members; and that a Redis restart costs cross-node messages, never local service.
//
// Read your writes across nodes: a join is in force on every node when its ack arrives, and a
// connection with its user and token groups when its `connected` frame does, so the tests act
// on an ack or a `connected` at once on another node, never waiting for Redis.
#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "support/encoding.hpp"
#include "support/hubcast_process.hpp"
#include "support/metrics.hpp"
#include "support/pubsub_client.hpp"
#include "support/redis_cluster_process.hpp"
#include "support/redis_process.hpp"
#include "support/rest_client.hpp"
#include "support/test_failure.hpp"
#include "support/tokens.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> publisher_roles{"webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"};

enum class redis_kind { one_redis, redis_cluster };

std::string name_of(const ::testing::TestParamInfo<redis_kind>& kind) {
    return kind.param == redis_kind::one_redis ? "OneRedis" : "RedisCluster";
}

class ScaleOut : public ::testing::TestWithParam<redis_kind> {
protected:
    static constexpr std::size_t node_count = 3;

    // One Redis Cluster serves every test of the suite (forming one takes seconds), emptied before
    // each: a test's nodes must not find the presence of an earlier test's nodes.
    static void TearDownTestSuite() { shared_cluster().reset(); }
    static std::unique_ptr<redis_cluster_process>& shared_cluster() {
        static std::unique_ptr<redis_cluster_process> cluster;
        return cluster;
    }

    void SetUp() override {
        if (GetParam() == redis_kind::redis_cluster) {
            if (!shared_cluster()) {
                shared_cluster() = std::make_unique<redis_cluster_process>();
            }
            cluster_ = shared_cluster().get();
            cluster_->flush_all();
        } else {
            redis_ = std::make_unique<redis_process>();
        }
        const std::string url = cluster_ != nullptr ? cluster_->url() : redis_->url();
        for (std::size_t i = 0; i < node_count; ++i) {
            nodes_.push_back(std::make_unique<hubcast_process>(
                process_options{.args = {"--redis", url, "--node-id", numbered("n", i), "--workers", "2",
                                         "--heartbeat-seconds", "1"}}));
        }
        // A node joins the cluster asynchronously after it listens: commands and sends from other
        // nodes reach it once it is subscribed.
        for (std::size_t i = 0; i < node_count; ++i) {
            ASSERT_TRUE(wait_until(
                [&] { return read_metric(node(i).port(), "hubcast_backplane_connected") == 1; }, 5s))
                << "node " << i;
        }
        ASSERT_TRUE(wait_for_subscribers("hubcast:0:commands", node_count));
    }
    void TearDown() override {
        if (!HasFailure()) {
            return;
        }
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            const std::string output = nodes_[i]->output();
            std::cerr << "---- node " << i << " output (end) ----\n"
                      << (output.size() > 3000 ? output.substr(output.size() - 3000) : output) << "\n";
        }
    }

    hubcast_process& node(std::size_t i) { return *nodes_.at(i); }

    /// How many nodes listen on `channel`: subscribed on one Redis, shard-subscribed on a cluster.
    long long subscribers(std::string_view channel) const {
        return cluster_ != nullptr ? cluster_->shard_subscribers(channel) : redis_->subscribers(channel);
    }
    bool wait_for_subscribers(std::string_view channel, long long count,
                              deadline limit = default_wait) const {
        return cluster_ != nullptr ? cluster_->wait_for_shard_subscribers(channel, count, limit)
                                   : redis_->wait_for_subscribers(channel, count, limit);
    }

    pubsub_client connect(std::size_t on, std::string user) {
        return pubsub_client::connect(node(on),
                                      client_options{.user = std::move(user), .roles = publisher_roles});
    }

    struct two_members {
        pubsub_client alice;
        pubsub_client bob;
    };
    /// alice on node 0 and bob on node 1, each a member of group "room" (joins acked).
    two_members members_of_room_on_nodes_0_and_1() {
        two_members members{connect(0, "alice"), connect(1, "bob")};
        members.alice.join_acked("room", 1);
        members.bob.join_acked("room", 1);
        return members;
    }

    // Built with append: `"literal" + std::string` trips GCC 12's -Wrestrict false positive.
    static std::string group_channel(std::string_view group) {
        return std::string("hubcast:0:group:chat:").append(group);
    }
    static std::string user_channel(std::string_view user) {
        return std::string("hubcast:0:user:chat:").append(user);
    }
    static std::string numbered(std::string_view stem, std::size_t i) {
        return std::string(stem).append(std::to_string(i));
    }
    static constexpr std::string_view hub_channel = "hubcast:0:hub:chat";

    void rest_send(std::size_t on, std::string_view path, std::string_view text,
                   std::string_view query = {}) {
        const auto response = rest(node(on), "POST", api(path, query), text, "text/plain");
        ASSERT_EQ(response.status, 202) << response.describe();
    }

    int head(std::size_t on, std::string_view path) {
        return rest(node(on), "HEAD", api(path), "", "").status;
    }
    /// Waits until `path` answers `status` on node `on`: for what changes with time alone (a
    /// heartbeat running out, Redis coming back), never after an ack or an answer.
    bool head_becomes(std::size_t on, std::string_view path, int status, deadline limit = default_wait) {
        return wait_until([&] { return head(on, path) == status; }, limit);
    }

    /// The status of a REST call on node `on` (any body).
    int call(std::size_t on, std::string_view method, std::string_view path, std::string_view query = {},
             std::string_view body = {}) {
        return rest(node(on), method, api(path, query), body, body.empty() ? "" : "application/json").status;
    }
    static std::string connection_path(const pubsub_client& client, std::string_view tail = {}) {
        return std::string("/api/hubs/chat/connections/").append(client.connection_id()).append(tail);
    }
    static std::string in_group_path(std::string_view group, const pubsub_client& client) {
        return std::string("/api/hubs/chat/groups/")
            .append(group)
            .append("/connections/")
            .append(client.connection_id());
    }
    static std::string permission_path(const pubsub_client& client) {
        return std::string("/api/hubs/chat/permissions/sendToGroup/connections/")
            .append(client.connection_id());
    }

    static void expect_server_messages(pubsub_client& client, const std::vector<std::string>& texts) {
        for (const auto& text : texts) {
            const auto message = client.ws().expect_json();
            EXPECT_EQ(message.at("type"), "message");
            EXPECT_EQ(message.at("from"), "server");
            EXPECT_EQ(message.at("data"), text.c_str());
        }
    }

    pubsub_client connect_reliable(std::size_t on, std::string user) {
        return pubsub_client::connect(
            node(on), client_options{.user = std::move(user),
                                     .roles = publisher_roles,
                                     .subprotocols = {std::string(json_reliable_subprotocol)}});
    }
    /// The recovery WebSocket of `session` opened on node `on` as the JS SDK opens it: the
    /// original URL (here with an access token that expired long ago) plus the two awps_*
    /// parameters. Always a 101, whether or not the session can be recovered.
    ws_client recover_on(std::size_t on, const pubsub_client& session, std::string_view token_override = {}) {
        const token_request expired{.user = "whoever", .lifetime = std::chrono::minutes(-30)};
        const std::string token = token_override.empty()
                                      ? string_at(session.connected_message(), "reconnectionToken")
                                      : std::string(token_override);
        const std::string path =
            client_path("chat", mint_token(node(on).port(), node(on).access_key(), expired)) +
            "&awps_connection_id=" + url_encode(session.connection_id()) +
            "&awps_reconnection_token=" + url_encode(token);
        ws_client ws;
        const http_response response =
            ws.connect(node(on).port(), path, {}, {std::string(json_reliable_subprotocol)});
        if (response.status != 101) {
            throw test_failure("a recovery must be upgraded, got:\n" + response.describe());
        }
        return ws;
    }
    /// The next frames on `ws` are data messages numbered from `first_id` on, carrying `texts` in
    /// this order: each once, none missing.
    static void expect_numbered(ws_client& ws, std::uint64_t first_id,
                                const std::vector<std::string>& texts) {
        std::vector<std::string> expected;
        std::vector<std::string> received;
        for (std::size_t i = 0; i < texts.size(); ++i) {
            expected.push_back(std::to_string(first_id + i) + " " + texts[i]);
            const auto message = ws.expect_json();
            if (message.at("type") != "message") {
                received.push_back(boost::json::serialize(message));
                break;
            }
            received.push_back(std::to_string(message.at("sequenceId").to_number<std::uint64_t>()) + " " +
                               std::string(message.at("data").as_string()));
        }
        // Where they part, with some context: gtest would print only the first few of hundreds.
        std::size_t at = 0;
        while (at < received.size() && at < expected.size() && received[at] == expected[at]) {
            ++at;
        }
        if (at < expected.size()) {
            std::string context;
            for (std::size_t i = at; i < std::min(received.size(), at + 8); ++i) {
                context.append("\n  received ").append(received[i]);
            }
            ADD_FAILURE() << "expected \"" << expected[at] << "\" at position " << at << context;
        }
    }
    static std::vector<std::string> texts(std::string_view stem, int from, int to) {
        std::vector<std::string> out;
        for (int i = from; i <= to; ++i) {
            out.push_back(std::string(stem).append(std::to_string(i)));
        }
        return out;
    }
    static void publish_acked(pubsub_client& from, std::string_view group,
                              const std::vector<std::string>& items, std::uint64_t& ack) {
        for (const auto& text : items) {
            from.send_text(group, text, ++ack);
            from.expect_ack(ack);
        }
    }

    std::unique_ptr<redis_process> redis_;     // one Redis; null on a cluster
    redis_cluster_process* cluster_ = nullptr; // the suite's cluster; null on one Redis
    std::vector<std::unique_ptr<hubcast_process>> nodes_;
};

INSTANTIATE_TEST_SUITE_P(, ScaleOut, ::testing::Values(redis_kind::one_redis, redis_kind::redis_cluster),
                         name_of);

/// The tests that stop or pause the one Redis.
class ScaleOutOneRedis : public ScaleOut {
protected:
    redis_process& redis() { return *redis_; }
};

INSTANTIATE_TEST_SUITE_P(, ScaleOutOneRedis, ::testing::Values(redis_kind::one_redis), name_of);

/// The tests that move a slot or stop a master of the Redis Cluster.
class ScaleOutRedisCluster : public ScaleOut {
protected:
    redis_cluster_process& cluster() { return *cluster_; }
    /// Every node took `layouts` layouts in all and has every connection up.
    bool every_node_took(std::int64_t layouts, deadline limit) {
        return wait_until(
            [&] {
                for (std::size_t i = 0; i < node_count; ++i) {
                    if (read_metric(node(i).port(), "hubcast_backplane_cluster_layout_changes_total") !=
                            layouts ||
                        read_metric(node(i).port(), "hubcast_backplane_connected") != 1) {
                        return false;
                    }
                }
                return true;
            },
            limit);
    }
};

INSTANTIATE_TEST_SUITE_P(, ScaleOutRedisCluster, ::testing::Values(redis_kind::redis_cluster), name_of);

TEST_P(ScaleOut, EachNodePrintsItsNameAndNodeKey) {
    for (std::size_t i = 0; i < node_count; ++i) {
        EXPECT_TRUE(node(i).wait_for_output_containing(numbered("hubcast node n", i).append(" (node key ")))
            << node(i).output();
    }
}

TEST_P(ScaleOut, GroupMessagesReachMembersOnOtherNodesOnceEachInPublisherOrder) {
    pubsub_client alice = connect(0, "alice");
    pubsub_client bob = connect(1, "bob");
    pubsub_client carol = connect(2, "carol");
    bob.join_acked("room", 1);
    carol.join_acked("room", 1);

    constexpr int count = 50;
    for (int i = 0; i < count; ++i) {
        alice.send_text("room", numbered("m", static_cast<std::size_t>(i)));
    }
    alice.send_text("room", "end"); // published last: a second copy of any message would come before it
    for (pubsub_client* member : {&bob, &carol}) {
        for (int i = 0; i < count; ++i) {
            const auto message = member->expect_group_message("room");
            EXPECT_EQ(message.at("data"), numbered("m", static_cast<std::size_t>(i)).c_str());
            EXPECT_EQ(message.at("fromUserId"), "alice");
        }
        EXPECT_EQ(member->expect_group_message("room").at("data"), "end");
    }
}

TEST_P(ScaleOut, NoEchoLeavesOutOnlyThePublisherAcrossNodes) {
    pubsub_client alice = connect(0, "alice");
    pubsub_client bob = connect(1, "bob");
    alice.join_acked("room", 1);
    bob.join_acked("room", 1);

    alice.send_text("room", "quiet", std::nullopt, true);
    alice.send_text("room", "loud");
    EXPECT_EQ(bob.expect_group_message("room").at("data"), "quiet");
    EXPECT_EQ(bob.expect_group_message("room").at("data"), "loud");
    EXPECT_EQ(alice.expect_group_message("room").at("data"), "loud");
}

TEST_P(ScaleOut, RestSendsOfEveryKindReachRecipientsOnOtherNodes) {
    pubsub_client bob = connect(1, "bob");
    pubsub_client carol = connect(2, "carol");
    carol.join_acked("room", 1);

    // Every send goes to node 0, which has no client at all.
    rest_send(0, "/api/hubs/chat/:send", "to-all");
    rest_send(0, "/api/hubs/chat/users/bob/:send", "to-bob");
    rest_send(0, std::string("/api/hubs/chat/connections/").append(carol.connection_id()).append("/:send"),
              "to-carol");
    rest_send(0, "/api/hubs/chat/:send", "not-bob", std::string("excluded=").append(bob.connection_id()));
    rest_send(0, "/api/hubs/chat/:send", "only-bob", "filter=userId%20eq%20%27bob%27");
    rest_send(0, "/api/hubs/chat/groups/room/:send", "to-room");
    rest_send(0, "/api/hubs/chat/:send", "end");

    expect_server_messages(bob, {"to-all", "to-bob", "only-bob", "end"});
    EXPECT_EQ(carol.ws().expect_json().at("data"), "to-all");
    EXPECT_EQ(carol.ws().expect_json().at("data"), "to-carol");
    EXPECT_EQ(carol.ws().expect_json().at("data"), "not-bob");
    const auto room = carol.expect_group_message("room");
    EXPECT_EQ(room.at("data"), "to-room");
    EXPECT_TRUE(room.at("fromUserId").is_null()); // as one node says it for a REST group send
    EXPECT_EQ(carol.ws().expect_json().at("data"), "end");
}

TEST_P(ScaleOut, ASendToAnotherHubStaysOutOfThisOne) {
    pubsub_client bob = connect(1, "bob");
    EXPECT_EQ(subscribers(hub_channel), 1);
    EXPECT_EQ(subscribers("hubcast:0:hub:other"), 0);
    rest_send(0, "/api/hubs/other/:send", "elsewhere");
    rest_send(0, "/api/hubs/chat/:send", "here");
    expect_server_messages(bob, {"here"});
}

TEST_P(ScaleOut, NodesSubscribeOnlyWhileTheyHaveMembers) {
    {
        pubsub_client bob = connect(1, "bob");
        EXPECT_EQ(subscribers(hub_channel), 1);
        EXPECT_EQ(subscribers(user_channel("bob")), 1);
        bob.join_acked("room", 1);
        EXPECT_EQ(subscribers(group_channel("room")), 1);
        ASSERT_TRUE(bob.leave("room", 2));
        bob.expect_ack(2);
        EXPECT_EQ(subscribers(group_channel("room")), 0);
        EXPECT_EQ(subscribers(hub_channel), 1);
    }
    // The client is gone: its node leaves the hub's and the user's channels too.
    EXPECT_TRUE(wait_for_subscribers(hub_channel, 0));
    EXPECT_TRUE(wait_for_subscribers(user_channel("bob"), 0));
}

TEST_P(ScaleOutOneRedis, RedisRestartCostsOnlyCrossNodeMessagesAndHeals) {
    auto [alice, bob] = members_of_room_on_nodes_0_and_1();
    ASSERT_TRUE(wait_for_subscribers(group_channel("room"), 2));

    redis().stop();
    ASSERT_TRUE(
        wait_until([&] { return read_metric(node(0).port(), "hubcast_backplane_connected") == 0; }, 5s));
    // Local service goes on: the publisher's own node delivers, REST answers as before.
    alice.send_text("room", "during");
    EXPECT_EQ(alice.expect_group_message("room").at("data"), "during");
    rest_send(0, "/api/hubs/chat/:send", "rest-during");
    expect_server_messages(alice, {"rest-during"});
    // Counted when the backplane's thread takes the batch, just after the sends returned: the
    // group send and the REST send, nothing else was published.
    EXPECT_TRUE(wait_until(
        [&] { return read_metric(node(0).port(), "hubcast_backplane_publish_dropped_total") == 2; }, 5s));

    redis().start();
    // Both nodes reconnect with back-off and subscribe again to what they have members for.
    ASSERT_TRUE(wait_for_subscribers(group_channel("room"), 2, 15s));
    ASSERT_TRUE(
        wait_until([&] { return read_metric(node(0).port(), "hubcast_backplane_connected") == 1; }, 15s));
    alice.send_text("room", "after");
    EXPECT_EQ(bob.expect_group_message("room").at("data"), "after"); // "during" never crossed
    // Both connections were lost, then each retry while Redis was down failed too: how many
    // retries fit in the outage depends on timing, so only the two losses are certain.
    EXPECT_GE(read_metric(node(1).port(), "hubcast_backplane_connection_failures_total"), 2);
}

TEST_P(ScaleOutOneRedis, AStalledRedisNeverStallsLocalService) {
    auto [alice, bob] = members_of_room_on_nodes_0_and_1();
    ASSERT_TRUE(wait_for_subscribers(group_channel("room"), 2));

    redis().pause();
    // Redis answers nothing now; every worker still serves at once (each wait here is the
    // default 5 s bound, far above what a local send takes).
    for (int i = 0; i < 20; ++i) {
        alice.send_text("room", numbered("stalled", static_cast<std::size_t>(i)));
        EXPECT_EQ(alice.expect_group_message("room").at("data"),
                  numbered("stalled", static_cast<std::size_t>(i)).c_str());
    }
    rest_send(0, "/api/hubs/chat/:send", "rest-stalled");
    expect_server_messages(alice, {"rest-stalled"});
    redis().resume();

    // What waited in the sockets goes out once Redis runs again, in order.
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(bob.expect_group_message("room").at("data"),
                  numbered("stalled", static_cast<std::size_t>(i)).c_str());
    }
    expect_server_messages(bob, {"rest-stalled"});
}

TEST_P(ScaleOut, ExistenceChecksAnswerForTheWholeCluster) {
    pubsub_client bob = connect(1, "bob");
    bob.join_acked("room", 1);
    const std::string bob_path = std::string("/api/hubs/chat/connections/").append(bob.connection_id());
    for (const std::size_t asked : {std::size_t{0}, std::size_t{2}}) {
        EXPECT_EQ(head(asked, "/api/hubs/chat/users/bob"), 200) << "node " << asked;
        EXPECT_EQ(head(asked, "/api/hubs/chat/groups/room"), 200) << "node " << asked;
        EXPECT_EQ(head(asked, bob_path), 200) << "node " << asked;
        EXPECT_EQ(head(asked, "/api/hubs/chat/users/nobody"), 404);
        EXPECT_EQ(head(asked, "/api/hubs/chat/groups/empty"), 404);
        EXPECT_EQ(head(asked, "/api/hubs/other/users/bob"), 404); // another hub
    }
    // An id of bob's node that it never made, and ids of no node at all.
    std::string unknown = bob.connection_id();
    unknown.back() = unknown.back() == 'A' ? 'B' : 'A';
    EXPECT_EQ(head(0, std::string("/api/hubs/chat/connections/").append(unknown)), 404);
    EXPECT_EQ(head(0, "/api/hubs/chat/connections/not-an-id"), 404);

    ASSERT_TRUE(bob.leave("room", 2));
    bob.expect_ack(2);
    EXPECT_EQ(head(0, "/api/hubs/chat/groups/room"), 404);
    EXPECT_EQ(head(0, "/api/hubs/chat/users/bob"), 200);
}

// The fences, each tried many times over: without them a check right after the ack or the
// `connected` frame loses the race to Redis now and then.
TEST_P(ScaleOut, AJoinIsInForceOnEveryNodeWhenItsAckArrives) {
    pubsub_client alice = connect(0, "alice");
    pubsub_client bob = connect(1, "bob");
    constexpr std::size_t rounds = 40;
    for (std::size_t i = 0; i < rounds; ++i) {
        const std::string group = numbered("room", i);
        bob.join_acked(group, i + 1);
        alice.send_text(group, numbered("m", i));
        EXPECT_EQ(bob.expect_group_message(group).at("data"), numbered("m", i).c_str());
        EXPECT_EQ(head(2, std::string("/api/hubs/chat/groups/").append(group)), 200) << group;
    }
}

TEST_P(ScaleOut, ALeaveIsInForceOnEveryNodeWhenItsAckArrives) {
    pubsub_client bob = connect(1, "bob");
    constexpr std::size_t rounds = 20;
    for (std::size_t i = 0; i < rounds; ++i) {
        const std::string group = numbered("room", i);
        bob.join_acked(group, 2 * i + 1);
        ASSERT_TRUE(bob.leave(group, 2 * i + 2));
        bob.expect_ack(2 * i + 2);
        EXPECT_EQ(head(0, std::string("/api/hubs/chat/groups/").append(group)), 404) << group;
    }
}

TEST_P(ScaleOut, AConnectionIsVisibleToEveryNodeWhenItsConnectedFrameArrives) {
    constexpr std::size_t rounds = 25;
    for (std::size_t i = 0; i < rounds; ++i) {
        // A hub of its own each round: a send to all of the previous round's hub may still be on
        // its way to a worker when this client joins it (as on one node), and would come first.
        const std::string hub = numbered("hub", i);
        const std::string api_hub = std::string("/api/hubs/").append(hub);
        pubsub_client client = pubsub_client::connect(
            node(1), client_options{.hub = hub, .user = "bob", .roles = publisher_roles, .groups = {"team"}});
        EXPECT_EQ(head(2, api_hub + "/users/bob"), 200) << hub;
        EXPECT_EQ(head(2, api_hub + "/groups/team"), 200) << hub;
        EXPECT_EQ(head(2, api_hub + "/connections/" + client.connection_id()), 200) << hub;
        rest_send(0, api_hub + "/users/bob/:send", "to-user");
        rest_send(0, api_hub + "/groups/team/:send", "to-group");
        rest_send(0, api_hub + "/:send", "to-all");
        EXPECT_EQ(client.ws().expect_json().at("data"), "to-user") << hub;
        EXPECT_EQ(client.expect_group_message("team").at("data"), "to-group") << hub;
        EXPECT_EQ(client.ws().expect_json().at("data"), "to-all") << hub;
    }
}

TEST_P(ScaleOut, AKilledNodeIsForgottenWithinThreeHeartbeats) {
    pubsub_client bob = connect(1, "bob");
    bob.join_acked("room", 1);
    const std::string bob_path = std::string("/api/hubs/chat/connections/").append(bob.connection_id());
    ASSERT_EQ(head(0, bob_path), 200);
    ASSERT_EQ(head(0, "/api/hubs/chat/groups/room"), 200);

    node(1).kill();
    const auto killed = std::chrono::steady_clock::now();
    // Three heartbeats of 1 s (--heartbeat-seconds), plus what one check and one heartbeat's
    // jitter take.
    EXPECT_TRUE(head_becomes(0, "/api/hubs/chat/users/bob", 404, 4s));
    EXPECT_TRUE(head_becomes(0, "/api/hubs/chat/groups/room", 404, 4s));
    EXPECT_TRUE(head_becomes(0, bob_path, 404, 4s));
    EXPECT_LE(std::chrono::steady_clock::now() - killed, 4s);
    // Other nodes never waited on it.
    EXPECT_EQ(head(2, "/api/hubs/chat/users/nobody"), 404);
}

TEST_P(ScaleOut, ANodeStoppedWithSigtermLeavesThePresenceAtOnce) {
    pubsub_client bob = connect(1, "bob");
    bob.join_acked("room", 1);
    const std::string bob_path = std::string("/api/hubs/chat/connections/").append(bob.connection_id());
    ASSERT_EQ(head(0, bob_path), 200);
    ASSERT_EQ(head(0, "/api/hubs/chat/groups/room"), 200);

    const auto status = node(1).terminate();
    ASSERT_TRUE(status && status->success());
    // Asked once, right after the exit: no heartbeat has to run out.
    EXPECT_EQ(head(0, "/api/hubs/chat/users/bob"), 404);
    EXPECT_EQ(head(0, "/api/hubs/chat/groups/room"), 404);
    EXPECT_EQ(head(0, bob_path), 404);
}

TEST_P(ScaleOutOneRedis, ChecksThatNeedRedisAnswer503WhileItIsDownAndLocalOnesStillAnswer) {
    pubsub_client bob = connect(1, "bob");
    ASSERT_EQ(head(0, "/api/hubs/chat/users/bob"), 200);
    redis().stop();
    ASSERT_TRUE(
        wait_until([&] { return read_metric(node(0).port(), "hubcast_backplane_connected") == 0; }, 5s));
    const auto asked = std::chrono::steady_clock::now();
    const auto response = rest(node(0), "HEAD", api("/api/hubs/chat/users/bob"), "", "");
    EXPECT_EQ(response.status, 503) << response.describe();
    EXPECT_EQ(response.header("x-ms-error-code"), std::optional<std::string>("ServiceUnavailable"));
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s); // at once, not after a timeout
    // bob's own node knows him without Redis.
    EXPECT_EQ(head(1, "/api/hubs/chat/users/bob"), 200);
    EXPECT_EQ(head(1, std::string("/api/hubs/chat/connections/").append(bob.connection_id())), 200);
}

TEST_P(ScaleOutOneRedis, ACheckWhileRedisIsPausedAnswers503WithinItsDeadline) {
    pubsub_client bob = connect(1, "bob");
    ASSERT_EQ(head(0, "/api/hubs/chat/users/bob"), 200);
    redis().pause();
    const auto asked = std::chrono::steady_clock::now();
    EXPECT_EQ(head(0, "/api/hubs/chat/users/bob"), 503);
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 3s); // the 1 s query deadline, with slack
    redis().resume();
    EXPECT_TRUE(head_becomes(0, "/api/hubs/chat/users/bob", 200));
}

// Commands for one connection go to the node that owns it, and each answer comes once the change
// is in force on every node: what the caller asks any node next sees it, with no waiting.
TEST_P(ScaleOut, CommandsForAConnectionOfAnotherNodeReachItAndAreInForceEverywhereWhenAnswered) {
    // No role: a permission is bob's only once granted.
    pubsub_client bob = pubsub_client::connect(node(1), client_options{.user = "bob"});
    ASSERT_EQ(head(0, connection_path(bob)), 200);

    EXPECT_EQ(call(0, "PUT", in_group_path("room", bob)), 200);
    EXPECT_EQ(head(2, "/api/hubs/chat/groups/room"), 200);
    rest_send(2, "/api/hubs/chat/groups/room/:send", "to-room");
    EXPECT_EQ(bob.expect_group_message("room").at("data"), "to-room");
    EXPECT_EQ(call(0, "DELETE", in_group_path("room", bob)), 204);
    EXPECT_EQ(head(2, "/api/hubs/chat/groups/room"), 404);

    EXPECT_EQ(call(0, "PUT", in_group_path("a", bob)), 200);
    EXPECT_EQ(call(2, "PUT", in_group_path("b", bob)), 200);
    EXPECT_EQ(call(0, "DELETE", connection_path(bob, "/groups")), 204);
    EXPECT_EQ(head(2, "/api/hubs/chat/groups/a"), 404);
    EXPECT_EQ(head(0, "/api/hubs/chat/groups/b"), 404);

    EXPECT_EQ(call(0, "HEAD", permission_path(bob), "targetName=room"), 404);
    EXPECT_EQ(call(0, "PUT", permission_path(bob), "targetName=room"), 200);
    EXPECT_EQ(call(2, "HEAD", permission_path(bob), "targetName=room"), 200);
    EXPECT_EQ(call(2, "HEAD", permission_path(bob), "targetName=other"), 404);
    EXPECT_EQ(call(2, "DELETE", permission_path(bob), "targetName=room"), 204);
    EXPECT_EQ(call(0, "HEAD", permission_path(bob), "targetName=room"), 404);

    EXPECT_EQ(call(0, "DELETE", connection_path(bob), "reason=bye"), 204);
    EXPECT_EQ(head(2, connection_path(bob)), 404);
    EXPECT_EQ(head(0, "/api/hubs/chat/users/bob"), 404);
    EXPECT_EQ(bob.expect_disconnected_then_close(1008).at("message"), "bye");
}

TEST_P(ScaleOut, CommandsForConnectionsNoNodeHasAnswerAsForAnUnknownConnection) {
    pubsub_client bob = connect(1, "bob");
    std::string unknown = bob.connection_id(); // an id of bob's node that it never made
    unknown.back() = unknown.back() == 'A' ? 'B' : 'A';
    const std::string gone = "ZZZZZZZZAAAAAAAAAAAAAA"; // shaped like an id, of no node
    for (const std::string& id : {unknown, gone}) {
        const std::string group_path = std::string("/api/hubs/chat/groups/room/connections/").append(id);
        const std::string permission =
            std::string("/api/hubs/chat/permissions/sendToGroup/connections/").append(id);
        EXPECT_EQ(call(0, "PUT", group_path), 404) << id;
        EXPECT_EQ(call(0, "DELETE", group_path), 204) << id;
        EXPECT_EQ(call(0, "PUT", permission), 404) << id;
        EXPECT_EQ(call(0, "DELETE", permission), 204) << id;
        EXPECT_EQ(call(0, "HEAD", permission), 404) << id;
        EXPECT_EQ(call(0, "DELETE", std::string("/api/hubs/chat/connections/").append(id)), 204) << id;
    }
    EXPECT_EQ(head(0, "/api/hubs/chat/groups/room"), 404);
    EXPECT_EQ(head(0, connection_path(bob)), 200) << "no command above named bob";
}

// Commands by user, by group, by filter and for the whole hub reach every node's connections.
TEST_P(ScaleOut, CommandsByUserFilterAndGroupReachEveryNodeAndAreInForceWhenAnswered) {
    pubsub_client alice1 = connect(1, "alice");
    pubsub_client alice2 = connect(2, "alice");
    pubsub_client bob = connect(2, "bob");
    ASSERT_EQ(head(0, connection_path(alice1)), 200);
    ASSERT_EQ(head(0, connection_path(alice2)), 200);
    ASSERT_EQ(head(0, connection_path(bob)), 200);

    EXPECT_EQ(call(0, "PUT", "/api/hubs/chat/users/alice/groups/room"), 200);
    rest_send(1, "/api/hubs/chat/groups/room/:send", "for-alice");
    EXPECT_EQ(alice1.expect_group_message("room").at("data"), "for-alice");
    EXPECT_EQ(alice2.expect_group_message("room").at("data"), "for-alice");
    EXPECT_EQ(call(0, "DELETE", "/api/hubs/chat/users/alice/groups/room"), 204);
    EXPECT_EQ(head(1, "/api/hubs/chat/groups/room"), 404);
    EXPECT_EQ(head(2, "/api/hubs/chat/groups/room"), 404);

    EXPECT_EQ(call(0, "POST", "/api/hubs/chat/:addToGroups", {},
                   R"({"groups":["g1","g2"],"filter":"userId eq 'bob'"})"),
              200);
    EXPECT_EQ(head(1, "/api/hubs/chat/groups/g1"), 200);
    const auto listed = rest(node(1), "GET", api("/api/hubs/chat/groups/g2/connections"), "", "");
    ASSERT_EQ(listed.status, 200) << listed.describe();
    EXPECT_EQ(boost::json::parse(listed.body),
              boost::json::parse(std::string(R"({"value":[{"connectionId":")")
                                     .append(bob.connection_id())
                                     .append(R"(","userId":"bob"}]})")));
    EXPECT_EQ(call(0, "POST", "/api/hubs/chat/:removeFromGroups", {}, R"({"groups":["g1"]})"), 200);
    EXPECT_EQ(head(1, "/api/hubs/chat/groups/g1"), 404);
    EXPECT_EQ(head(1, "/api/hubs/chat/groups/g2"), 200);

    EXPECT_EQ(call(0, "PUT", "/api/hubs/chat/users/alice/groups/x"), 200);
    EXPECT_EQ(call(0, "PUT", "/api/hubs/chat/users/alice/groups/y"), 200);
    EXPECT_EQ(call(0, "DELETE", "/api/hubs/chat/users/alice/groups"), 204);
    EXPECT_EQ(head(2, "/api/hubs/chat/groups/x"), 404);
    EXPECT_EQ(head(1, "/api/hubs/chat/groups/y"), 404);
}

TEST_P(ScaleOut, ClosesByUserGroupAndHubReachEveryNodeAndHonourExclusions) {
    pubsub_client alice1 = connect(1, "alice");
    pubsub_client alice2 = connect(2, "alice");
    pubsub_client bob = connect(1, "bob");
    pubsub_client carol = connect(2, "carol");
    pubsub_client dave = connect(0, "dave");
    for (pubsub_client* client : {&alice1, &alice2, &bob, &carol, &dave}) {
        ASSERT_EQ(head(0, connection_path(*client)), 200);
    }

    EXPECT_EQ(call(0, "POST", "/api/hubs/chat/users/alice/:closeConnections", "reason=user"), 204);
    EXPECT_EQ(head(1, "/api/hubs/chat/users/alice"), 404);
    EXPECT_EQ(head(2, "/api/hubs/chat/users/alice"), 404);
    EXPECT_EQ(alice1.expect_disconnected_then_close(1008).at("message"), "user");
    EXPECT_EQ(alice2.expect_disconnected_then_close(1008).at("message"), "user");

    EXPECT_EQ(call(0, "PUT", in_group_path("room", bob)), 200);
    EXPECT_EQ(call(0, "PUT", in_group_path("room", carol)), 200);
    EXPECT_EQ(call(0, "POST", "/api/hubs/chat/groups/room/:closeConnections",
                   std::string("reason=group&excluded=").append(carol.connection_id())),
              204);
    EXPECT_EQ(head(2, connection_path(bob)), 404);
    EXPECT_EQ(head(1, connection_path(carol)), 200);
    EXPECT_EQ(bob.expect_disconnected_then_close(1008).at("message"), "group");

    EXPECT_EQ(call(1, "POST", "/api/hubs/chat/:closeConnections",
                   std::string("reason=all&excluded=").append(dave.connection_id())),
              204);
    EXPECT_EQ(head(0, connection_path(carol)), 404);
    EXPECT_EQ(head(1, connection_path(dave)), 200);
    EXPECT_EQ(carol.expect_disconnected_then_close(1008).at("message"), "all");
}

TEST_P(ScaleOut, ListConnectionsInGroupPagesOverEveryNodeInIdOrder) {
    std::vector<pubsub_client> members;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < 6; ++i) {
        members.push_back(connect(i % node_count, numbered("u", i)));
        members.back().join_acked("room", 1);
        ids.push_back(members.back().connection_id());
    }
    std::sort(ids.begin(), ids.end());
    std::vector<std::string> listed;
    std::string next = api("/api/hubs/chat/groups/room/connections", "maxpagesize=4");
    int pages = 0;
    while (!next.empty() && pages < 5) {
        ++pages;
        const auto response = rest(node(0), "GET", next, "", "");
        ASSERT_EQ(response.status, 200) << response.describe();
        const auto body = boost::json::parse(response.body).as_object();
        for (const auto& item : body.at("value").as_array()) {
            listed.emplace_back(item.at("connectionId").as_string());
        }
        next.clear();
        if (const auto* link = body.if_contains("nextLink")) {
            const std::string url(link->as_string());
            next = url.substr(url.find("/api/"));
        }
    }
    EXPECT_EQ(pages, 2);
    EXPECT_EQ(listed, ids);
}

// Without Redis, a command that needs other nodes cannot say it is in force everywhere: 503, at
// once; what this node answers alone (its own connections) still answers.
TEST_P(ScaleOutOneRedis, CommandsThatNeedOtherNodesAnswer503WhileRedisIsDown) {
    pubsub_client bob = connect(1, "bob");
    pubsub_client dave = connect(0, "dave");
    ASSERT_EQ(head(0, connection_path(bob)), 200);
    redis().stop();
    ASSERT_TRUE(
        wait_until([&] { return read_metric(node(0).port(), "hubcast_backplane_connected") == 0; }, 5s));
    const auto asked = std::chrono::steady_clock::now();
    const auto response = rest(node(0), "PUT", api(in_group_path("room", bob)), "", "");
    EXPECT_EQ(response.status, 503) << response.describe();
    EXPECT_EQ(response.header("x-ms-error-code"), std::optional<std::string>("ServiceUnavailable"));
    EXPECT_EQ(call(0, "PUT", "/api/hubs/chat/users/bob/groups/room"), 503);
    EXPECT_EQ(call(0, "GET", "/api/hubs/chat/groups/room/connections"), 503);
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s); // at once, not after a deadline
    EXPECT_EQ(call(0, "PUT", in_group_path("local", dave)), 200);
    EXPECT_EQ(call(0, "HEAD", "/api/hubs/chat/groups/local"), 200);
    // A 503 says the change may be missing on other nodes; where it arrived it stands.
    EXPECT_EQ(call(0, "POST", "/api/hubs/chat/:closeConnections", "reason=all"), 503);
    EXPECT_EQ(dave.expect_disconnected_then_close(1008).at("message"), "all");
    EXPECT_EQ(head(1, connection_path(bob)), 200);
}

// An app that waits for each 202 sees its sends arrive in its order, whichever nodes answered
// them: a node reads what others published before it sends, and answers once Redis has it.
TEST_P(ScaleOut, RestSendsAnsweredByDifferentNodesArriveInTheAppsOrder) {
    pubsub_client bob = connect(1, "bob");
    bob.join_acked("room", 1);
    for (int round = 0; round < 100; ++round) {
        const std::string first = std::string("a-").append(std::to_string(round));
        const std::string second = std::string("b-").append(std::to_string(round));
        rest_send(0, "/api/hubs/chat/groups/room/:send", first);
        rest_send(2, "/api/hubs/chat/groups/room/:send", second);
        for (const auto& text : {first, second}) {
            const auto message = bob.expect_group_message("room");
            ASSERT_EQ(message.at("data"), text.c_str()) << "round " << round;
        }
    }
}

// A reliable client whose reconnect lands on another node (a round-robin balancer) recovers
// there: the new node takes the session over while a publisher on a third node keeps sending, and
// every message arrives once, in order, numbered as on one node (docs/scale-out.md).
TEST_P(ScaleOut, AReliableSessionRecoversOnAnotherNodeWithEveryMessageOnceInOrder) {
    pubsub_client session = connect_reliable(0, "alice");
    session.join_acked("room", 1);
    pubsub_client publisher = connect(2, "pub");
    std::uint64_t ack = 0;
    publish_acked(publisher, "room", texts("before-", 1, 3), ack);
    expect_numbered(session.ws(), 1, texts("before-", 1, 3));
    session.ws().connection().close(); // TCP gone, no close frame: the session waits on node 0

    // The publisher goes on from its own thread while the client recovers on node 1.
    std::thread sender(
        [&publisher, &ack] { publish_acked(publisher, "room", texts("during-", 1, 300), ack); });
    ws_client recovered = recover_on(1, session);
    sender.join();
    publish_acked(publisher, "room", {"after"}, ack);

    auto expected = texts("before-", 1, 3);
    for (auto& text : texts("during-", 1, 300)) {
        expected.push_back(std::move(text));
    }
    expected.push_back("after");
    expect_numbered(recovered, 1, expected); // nothing was acknowledged: replayed from 1
    EXPECT_EQ(read_metric(node(1).port(), "hubcast_reliable_sessions_taken_over_total"), 1);
}

// After the takeover the session is the new node's: sends, checks and commands from any node,
// the node that made its id included, reach it there.
TEST_P(ScaleOut, ASessionTakenOverIsReachedFromEveryNode) {
    pubsub_client session = connect_reliable(0, "alice");
    session.ws().connection().close();
    ws_client recovered = recover_on(1, session);
    const std::string path = connection_path(session);
    for (std::size_t on = 0; on < node_count; ++on) {
        ASSERT_TRUE(head_becomes(on, path, 200)) << "node " << on; // the new node's presence lands in Redis
    }
    // One at a time: sends from different nodes have no order between them.
    rest_send(2, path + "/:send", "from-2");
    expect_numbered(recovered, 1, {"from-2"});
    rest_send(0, path + "/:send", "from-0");
    expect_numbered(recovered, 2, {"from-0"});
    ASSERT_EQ(call(2, "PUT", in_group_path("second", session)), 200);
    rest_send(0, "/api/hubs/chat/groups/second/:send", "to-group");
    expect_numbered(recovered, 3, {"to-group"});
    ASSERT_EQ(call(0, "DELETE", path), 204);
    EXPECT_EQ(recovered.expect_json().at("event"), "disconnected");
    EXPECT_EQ(recovered.expect_close().code, 1008); // a REST close ends the session: no recovery
    for (std::size_t on = 0; on < node_count; ++on) {
        EXPECT_EQ(head(on, path), 404) << "node " << on;
    }
}

// The session moves on again, and back to the node that made it: each time the node holding it
// lets it go, and nothing is lost or repeated.
TEST_P(ScaleOut, ASessionMovesOnAndBackHome) {
    pubsub_client session = connect_reliable(0, "alice");
    session.join_acked("room", 1);
    pubsub_client publisher = connect(2, "pub");
    std::uint64_t ack = 0;
    ws_client* current = &session.ws();
    std::vector<ws_client> hops;
    std::uint64_t next = 1;
    for (const std::size_t to : {1, 2, 0}) {
        const std::string label = std::string("to-").append(std::to_string(to)).append("-");
        publish_acked(publisher, "room", texts(label, 1, 2), ack);
        expect_numbered(*current, next, texts(label, 1, 2));
        current->send_json(R"({"type":"sequenceAck","sequenceId":)" + std::to_string(next + 1) + "}");
        current->send_json(std::string(ping_message));
        ASSERT_EQ(current->expect_json().at("type"), "pong"); // the ack was handled
        current->connection().close();
        hops.push_back(recover_on(to, session));
        current = &hops.back();
        next += 2;
    }
    publish_acked(publisher, "room", {"home"}, ack);
    expect_numbered(*current, next, {"home"});
}

// Once the node that made its id is gone, a moved session is still reached from every node: what
// would have gone through that node goes to the session's node, which Redis names.
TEST_P(ScaleOut, ASessionTakenOverIsReachedAfterTheNodeThatMadeItsIdDied) {
    pubsub_client session = connect_reliable(0, "alice");
    session.ws().connection().close();
    ws_client recovered = recover_on(1, session);
    // Its pong comes once the session is on node 1: what the client sends meanwhile waits for it.
    recovered.send_json(std::string(ping_message));
    ASSERT_EQ(recovered.expect_json().at("type"), "pong");
    const std::string path = connection_path(session);
    ASSERT_TRUE(head_becomes(2, path, 200)); // the new node's presence lands in Redis
    node(0).kill();
    rest_send(2, path + "/:send", "from-2");
    expect_numbered(recovered, 1, {"from-2"});
    EXPECT_EQ(call(2, "PUT", in_group_path("later", session)), 200);
    rest_send(2, "/api/hubs/chat/groups/later/:send", "to-group");
    expect_numbered(recovered, 2, {"to-group"});
    EXPECT_EQ(head(2, path), 200);
    EXPECT_EQ(read_metric(node(2).port(), "hubcast_backplane_relocated_total"), 2);
}

// A session whose node is gone cannot be recovered anywhere: the recovery is refused as an
// expired one, and the client starts over.
TEST_P(ScaleOut, ARecoveryOnAnotherNodeAfterItsNodeDiedIsRefused) {
    pubsub_client session = connect_reliable(0, "alice");
    node(0).kill();
    ws_client recovery = recover_on(1, session);
    const auto disconnected = recovery.expect_json();
    EXPECT_EQ(disconnected.at("event"), "disconnected");
    EXPECT_EQ(recovery.expect_close().code, 1008);
}

TEST_P(ScaleOut, ARecoveryOnAnotherNodeWithAnotherTokenIsRefusedAndTheSessionStays) {
    pubsub_client session = connect_reliable(0, "alice");
    pubsub_client other = connect_reliable(0, "bob");
    ws_client recovery = recover_on(1, session, string_at(other.connected_message(), "reconnectionToken"));
    EXPECT_EQ(recovery.expect_json().at("event"), "disconnected");
    EXPECT_EQ(recovery.expect_close().code, 1008);
    rest_send(2, connection_path(session) + "/:send", "still-here");
    expect_numbered(session.ws(), 1, {"still-here"});
}

// A resharding: Redis ends the sharded subscriptions of a slot that moves, and the nodes read the
// layout again (at once on that word, or with their next heartbeat) and subscribe on the new master.
TEST_P(ScaleOutRedisCluster, NodesFollowASlotThatMovesToAnotherMaster) {
    auto [alice, bob] = members_of_room_on_nodes_0_and_1();
    ASSERT_TRUE(wait_for_subscribers(group_channel("room"), 2));
    ASSERT_TRUE(every_node_took(1, default_wait));

    const std::size_t to =
        (cluster().master_of(group_channel("room")) + 1) % redis_cluster_process::node_count;
    cluster().move_slot_of(group_channel("room"), to);
    ASSERT_EQ(cluster().master_of(group_channel("room")), to);
    ASSERT_TRUE(every_node_took(2, 10s));
    ASSERT_TRUE(wait_for_subscribers(group_channel("room"), 2));
    alice.send_text("room", "after the move");
    EXPECT_EQ(bob.expect_group_message("room").at("data"), "after the move");
    rest_send(2, "/api/hubs/chat/groups/room/:send", "rest after the move");
    EXPECT_EQ(bob.expect_group_message("room").at("data"), "rest after the move");
}

// A master that stops silences its channels at once and, past the node timeout, the whole cluster
// (no replicas here: CLUSTERDOWN everywhere): local service goes on, sends on its channels do not
// cross, and once it is back every node subscribes and writes its presence again.
TEST_P(ScaleOutRedisCluster, AMasterThatRestartsCostsOnlyCrossNodeMessagesAndHeals) {
    auto [alice, bob] = members_of_room_on_nodes_0_and_1();
    ASSERT_TRUE(wait_for_subscribers(group_channel("room"), 2));
    const std::size_t master = cluster().master_of(group_channel("room"));

    cluster().stop_node(master);
    ASSERT_TRUE(
        wait_until([&] { return read_metric(node(0).port(), "hubcast_backplane_connected") == 0; }, 5s));
    alice.send_text("room", "during");
    EXPECT_EQ(alice.expect_group_message("room").at("data"), "during");
    rest_send(0, "/api/hubs/chat/groups/room/:send", "rest-during");
    EXPECT_EQ(alice.expect_group_message("room").at("data"), "rest-during");
    // Past the node timeout every master refuses (CLUSTERDOWN), presence checks included, and
    // heartbeats too, so this node's presence expires.
    ASSERT_TRUE(head_becomes(0, "/api/hubs/chat/users/bob", 503, 15s));

    cluster().start_node(master);
    ASSERT_TRUE(wait_for_subscribers(group_channel("room"), 2, 15s));
    ASSERT_TRUE(every_node_took(1, 15s)); // the same layout: nothing to change
    alice.send_text("room", "after");
    EXPECT_EQ(bob.expect_group_message("room").at("data"), "after"); // "during" never crossed
    // Heartbeats refused while the cluster was down let presence expire: it is written again.
    EXPECT_TRUE(head_becomes(0, "/api/hubs/chat/users/bob", 200, 10s));
    EXPECT_TRUE(head_becomes(0, connection_path(bob), 200, 10s));
}

TEST(ScaleOutSettings, AnInvalidRedisUrlIsRefusedAtStart) {
    const auto result =
        run_hubcast({"--access-key", std::string(default_access_key), "--redis", "http://127.0.0.1"});
    EXPECT_FALSE(result.status.success());
    EXPECT_NE(result.standard_error.find("redis"), std::string::npos) << result.standard_error;
}

// No node of the cluster answers (port 1 refuses): the node serves its own clients, says it is not
// connected, and keeps trying, each failed attempt counted.
TEST(ScaleOutSettings, ANodeWhoseRedisClusterIsUnreachableServesItsOwnClients) {
    hubcast_process alone(process_options{
        .args = {"--redis", "redis+cluster://127.0.0.1:1,127.0.0.1:2", "--heartbeat-seconds", "1"}});
    pubsub_client alice =
        pubsub_client::connect(alone, client_options{.user = "alice", .roles = publisher_roles});
    alice.join_acked("room", 1);
    alice.send_text("room", "alone");
    EXPECT_EQ(alice.expect_group_message("room").at("data"), "alone");
    EXPECT_EQ(read_metric(alone.port(), "hubcast_backplane_connected"), 0);
    EXPECT_TRUE(wait_until(
        [&] { return read_metric(alone.port(), "hubcast_backplane_connection_failures_total") >= 2; }, 5s));
}

} // namespace
} // namespace hubcast::test

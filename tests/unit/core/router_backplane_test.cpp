// What the router does for other nodes, without any network: the owning node read from a
// connection id, and a send that arrived from another node fanned out here exactly as a local send
// (group, user, hub, connection; exclusions, noEcho, filter, TTL), never published again.
#include <chrono>
#include <map>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "core/router.hpp"
#include "recording_sink.hpp"

namespace hubcast::core {
namespace {

using namespace std::chrono_literals;
using testing::json_of;
using testing::recording_sink;

/// Two shards drained by the test thread, one recording sink per connection.
class two_shard_node {
public:
    two_shard_node() : router_(2) {}
    ~two_shard_node() { shard::unbind_current_thread(); }

    router& r() { return router_; }

    std::string attach(std::size_t shard_index, std::string user,
                       const std::vector<std::string>& groups = {}) {
        std::string id = router_.new_connection_id(shard_index);
        auto& sink = *sinks_.emplace(id, std::make_unique<recording_sink>()).first->second;
        shard& s = router_.shard_at(shard_index);
        s.bind_to_current_thread();
        connection& c =
            s.attach(connection_info{id, "chat", std::move(user), protocol::subprotocol_kind::json},
                     auth::permission_set{}, sink);
        for (const auto& group : groups) {
            s.join(c, group);
        }
        shard::unbind_current_thread();
        return id;
    }

    void settle() {
        for (std::size_t i = 0; i < router_.shard_count(); ++i) {
            router_.shard_at(i).bind_to_current_thread();
            router_.shard_at(i).inbox().drain();
        }
        shard::unbind_current_thread();
    }

    std::size_t frames(const std::string& id) { return sinks_.at(id)->frames.size(); }
    boost::json::value last(const std::string& id) { return json_of(sinks_.at(id)->frames.back()); }

private:
    router router_;
    std::map<std::string, std::unique_ptr<recording_sink>> sinks_;
};

incoming_send group_send(std::string group, std::string text) {
    incoming_send send;
    send.scope = send_scope::group;
    send.hub = "chat";
    send.target = std::move(group);
    send.from_user_id = "remote-user";
    send.data = protocol::message_data{protocol::data_type::text, std::move(text)};
    return send;
}

TEST(RouterNodeKey, TheOwningNodeIsReadFromTheId) {
    router here(2);
    router there(1);
    const auto mine = here.new_connection_id(1);
    const auto theirs = there.new_connection_id(0);
    EXPECT_EQ(router::node_key_of(mine), std::optional<std::string_view>(here.node_key()));
    EXPECT_EQ(router::node_key_of(theirs), std::optional<std::string_view>(there.node_key()));
    EXPECT_NE(here.node_key(), there.node_key());
    EXPECT_EQ(here.node_key().size(), 8u);
    EXPECT_FALSE(router::node_key_of("short"));
    EXPECT_FALSE(router::node_key_of(std::string(22, '!'))); // not base64url
}

TEST(RouterFromNode, AGroupSendReachesLocalMembersWithExclusionsAndFilter) {
    two_shard_node node;
    const auto a = node.attach(0, "a", {"room"});
    const auto b = node.attach(1, "b", {"room"});
    const auto c = node.attach(1, "c", {"room"});
    const auto outsider = node.attach(0, "d");
    auto send = group_send("room", "hello");
    send.excluded = {a};
    send.filter = "userId ne 'c'";
    ASSERT_TRUE(node.r().deliver_from_node(std::move(send)));
    node.settle();
    EXPECT_EQ(node.frames(a), 0u);
    EXPECT_EQ(node.frames(c), 0u);
    EXPECT_EQ(node.frames(outsider), 0u);
    ASSERT_EQ(node.frames(b), 1u);
    const auto message = node.last(b).as_object();
    EXPECT_EQ(message.at("group"), "room");
    EXPECT_EQ(message.at("fromUserId"), "remote-user");
    EXPECT_EQ(message.at("data"), "hello");
}

TEST(RouterFromNode, NoEchoSkipsThePublishersConnection) {
    two_shard_node node;
    const auto a = node.attach(0, "a", {"room"});
    const auto b = node.attach(1, "b", {"room"});
    auto send = group_send("room", "x");
    send.no_echo_connection = b;
    ASSERT_TRUE(node.r().deliver_from_node(std::move(send)));
    node.settle();
    EXPECT_EQ(node.frames(a), 1u);
    EXPECT_EQ(node.frames(b), 0u);
}

TEST(RouterFromNode, UserHubAndConnectionSendsReachTheirRecipients) {
    two_shard_node node;
    const auto a = node.attach(0, "alice");
    const auto b = node.attach(1, "bob");
    incoming_send to_user;
    to_user.scope = send_scope::user;
    to_user.hub = "chat";
    to_user.target = "bob";
    to_user.data = protocol::message_data{protocol::data_type::text, "u"};
    ASSERT_TRUE(node.r().deliver_from_node(std::move(to_user)));
    incoming_send to_hub;
    to_hub.scope = send_scope::hub;
    to_hub.hub = "chat";
    to_hub.data = protocol::message_data{protocol::data_type::text, "h"};
    ASSERT_TRUE(node.r().deliver_from_node(std::move(to_hub)));
    incoming_send to_connection;
    to_connection.scope = send_scope::connection;
    to_connection.hub = "chat";
    to_connection.target = a;
    to_connection.data = protocol::message_data{protocol::data_type::text, "c"};
    ASSERT_TRUE(node.r().deliver_from_node(std::move(to_connection)));
    node.settle();
    ASSERT_EQ(node.frames(a), 2u);
    ASSERT_EQ(node.frames(b), 2u);
    EXPECT_EQ(node.last(a).at("data"), "c");
    EXPECT_EQ(node.last(b).at("data"), "h");
    EXPECT_EQ(node.last(b).at("from"), "server");
}

TEST(RouterFromNode, ASendWhoseTimeToLiveIsSpentIsDropped) {
    two_shard_node node;
    const auto a = node.attach(0, "a", {"room"});
    auto send = group_send("room", "late");
    send.time_to_live = 0ms;
    ASSERT_TRUE(node.r().deliver_from_node(std::move(send)));
    node.settle();
    EXPECT_EQ(node.frames(a), 0u);
}

TEST(RouterFromNode, AFilterThatDoesNotParseDeliversNothing) {
    two_shard_node node;
    const auto a = node.attach(0, "a", {"room"});
    auto send = group_send("room", "x");
    send.filter = "userId eq";
    EXPECT_FALSE(node.r().deliver_from_node(std::move(send)));
    node.settle();
    EXPECT_EQ(node.frames(a), 0u);
}

/// The backplane port as a test double: records what the router publishes and answers nothing
/// (no other node). Only the calls these tests make do anything.
class recording_backplane final : public backplane {
public:
    void publish(const outgoing_send& send) override { published.push_back(send.origin); }
    void interest_changed(send_scope, std::string_view, std::string_view) override {}
    void connection_changed(std::string_view, std::string_view, bool) override {}
    void ask_exists(presence_kind, std::string_view, std::string_view, presence_answer done) override {
        done(std::nullopt);
    }
    void command_node(std::string_view, cluster_command, command_answers done) override { done({}, true); }
    void command_others(cluster_command, command_answers done) override { done({}, true); }
    void settle(std::function<void()> done) override { done(); }
    /// Lane 1 for group "b", lane 0 for anything else, as a cluster with two masters might say.
    std::uint16_t lane_of(send_scope, std::string_view, std::string_view target) const override {
        return target == "b" ? 1 : 0;
    }

    std::vector<send_origin> published;
};

// Reliable sessions across nodes rest on this: each thread's sends are numbered in the order it
// made them, in a stream of its own that names the node, and each shard knows how far it got.
TEST(RouterOrigins, WithABackplaneEachThreadsSendsAreNumberedInOrder) {
    router node(1);
    recording_backplane others;
    node.set_backplane(&others);
    const auto send = [&node] {
        node.send_to_group("chat", "room", protocol::message_data{protocol::data_type::text, "x"});
    };
    send();
    send();
    std::thread([&send] { send(); }).join();
    node.set_backplane(nullptr);
    ASSERT_EQ(others.published.size(), 3u);
    EXPECT_EQ(others.published[0].stream, others.published[1].stream);
    EXPECT_EQ(others.published[1].position, others.published[0].position + 1);
    EXPECT_NE(others.published[2].stream, others.published[0].stream) << "another thread, another stream";
    EXPECT_EQ(others.published[0].stream >> 16, others.published[2].stream >> 16) << "the same node and lane";
    EXPECT_NE(others.published[0].stream >> 30, 0u);
}

// On a Redis Cluster sends to channels of different masters may overtake each other between
// nodes: each lane is a stream of its own, numbered on its own, so that order within a stream holds.
TEST(RouterOrigins, EachLaneOfAThreadIsAStreamNumberedOnItsOwn) {
    router node(1);
    recording_backplane others;
    node.set_backplane(&others);
    const auto send = [&node](std::string_view group) {
        node.send_to_group("chat", group, protocol::message_data{protocol::data_type::text, "x"});
    };
    send("a");
    send("b");
    send("a");
    send("b");
    node.set_backplane(nullptr);
    ASSERT_EQ(others.published.size(), 4u);
    EXPECT_NE(others.published[0].stream, others.published[1].stream);
    EXPECT_EQ(others.published[0].stream, others.published[2].stream);
    EXPECT_EQ(others.published[1].stream, others.published[3].stream);
    EXPECT_EQ(others.published[2].position, others.published[0].position + 1);
    EXPECT_EQ(others.published[3].position, others.published[1].position + 1);
    EXPECT_EQ(others.published[0].stream >> 30, others.published[1].stream >> 30) << "the same node";
    EXPECT_EQ(others.published[0].stream & 0xFFFF, others.published[1].stream & 0xFFFF) << "the same thread";
}

TEST(RouterOrigins, ASingleNodeNumbersNothing) {
    two_shard_node node;
    const auto member = node.attach(0, "alice", {"room"});
    node.r().send_to_group("chat", "room", protocol::message_data{protocol::data_type::text, "x"});
    node.settle();
    EXPECT_EQ(node.frames(member), 1u);
    EXPECT_TRUE(node.r().shard_at(0).watermarks().empty());
}

TEST(RouterOrigins, AShardRecordsHowFarItProcessedEachStream) {
    two_shard_node node;
    node.attach(0, "alice", {"room"});
    node.attach(1, "bob", {"other"});
    for (const std::uint64_t position : {4, 5}) {
        auto send = group_send("room", "x");
        send.origin = send_origin{0x77, position};
        ASSERT_TRUE(node.r().deliver_from_node(std::move(send)));
    }
    node.settle();
    EXPECT_EQ(node.r().shard_at(0).watermarks(), (stream_watermarks{{0x77, 5}}));
    EXPECT_TRUE(node.r().shard_at(1).watermarks().empty()) << "a shard without members gets no task";
}

} // namespace
} // namespace hubcast::core

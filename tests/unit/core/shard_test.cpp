#include <algorithm>
#include <deque>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "core/node.hpp"
#include "core/shard.hpp"
#include "recording_sink.hpp"

namespace hubcast::core {
namespace {

using protocol::data_type;
using protocol::frame_family;
using protocol::message_data;
using protocol::subprotocol_kind;
using testing::recording_sink;

// One shard of a one-shard node (the node supplies the registry), driven from the test thread.
class ShardTest : public ::testing::Test {
protected:
    connection& add(std::string hub, std::optional<std::string> user,
                    subprotocol_kind kind = subprotocol_kind::json) {
        auto& sink = sinks_.emplace_back();
        return shard_.attach(
            connection_info{owner_.new_connection_id(0), std::move(hub), std::move(user), kind},
            auth::permission_set{}, sink);
    }
    recording_sink& sink(std::size_t i) { return sinks_.at(i); }
    static std::vector<std::string> ids(const std::vector<connection*>& connections) {
        std::vector<std::string> out;
        out.reserve(connections.size());
        for (const connection* c : connections) {
            out.push_back(c->id());
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    node owner_{1};
    shard& shard_ = owner_.shard_at(0);
    std::deque<recording_sink> sinks_; // stable addresses: connections hold references
};

TEST_F(ShardTest, AttachIndexesAndRegistersTheConnection) {
    connection& c = add("chat", "alice");
    EXPECT_EQ(shard_.find(c.id()), &c);
    EXPECT_EQ(shard_.connection_count(), 1u);
    EXPECT_TRUE(owner_.index().connection_exists("chat", c.id()));
    EXPECT_TRUE(owner_.index().user_exists("chat", "alice"));
    EXPECT_EQ(ids(shard_.connections_of_hub("chat")), std::vector<std::string>{c.id()});
    EXPECT_EQ(ids(shard_.connections_of_user("chat", "alice")), std::vector<std::string>{c.id()});
    EXPECT_TRUE(shard_.connections_of_hub("other").empty());
    EXPECT_TRUE(shard_.connections_of_user("other", "alice").empty());
}

TEST_F(ShardTest, AttachingAnIdTwiceIsRefused) {
    recording_sink sink;
    shard_.attach(connection_info{"same", "chat", std::nullopt, subprotocol_kind::json}, {}, sink);
    EXPECT_THROW(
        shard_.attach(connection_info{"same", "chat", std::nullopt, subprotocol_kind::json}, {}, sink),
        std::logic_error);
    EXPECT_EQ(shard_.connection_count(), 1u);
    EXPECT_EQ(owner_.index().connection_count(), 1u);
}

// connection::groups() is what the client session reports and what detach walks; the shard index
// is what fan-out walks. They must never disagree.
TEST_F(ShardTest, JoinAndLeaveKeepConnectionAndIndexInSync) {
    connection& c = add("chat", std::nullopt);
    EXPECT_TRUE(shard_.join(c, "g"));
    EXPECT_FALSE(shard_.join(c, "g"));
    EXPECT_TRUE(c.groups().contains("g"));
    EXPECT_EQ(ids(shard_.connections_of_group("chat", "g")), std::vector<std::string>{c.id()});
    EXPECT_TRUE(owner_.index().group_exists("chat", "g"));
    EXPECT_FALSE(owner_.index().group_exists("other", "g"));

    EXPECT_TRUE(shard_.leave(c, "g"));
    EXPECT_FALSE(shard_.leave(c, "g"));
    EXPECT_FALSE(c.groups().contains("g"));
    EXPECT_TRUE(shard_.connections_of_group("chat", "g").empty());
    EXPECT_FALSE(owner_.index().group_exists("chat", "g"));
}

TEST_F(ShardTest, LeaveAllLeavesEveryGroup) {
    connection& c = add("chat", std::nullopt);
    connection& other = add("chat", std::nullopt);
    for (const char* g : {"a", "b", "c"}) {
        shard_.join(c, g);
    }
    shard_.join(other, "b");
    shard_.leave_all(c);
    EXPECT_TRUE(c.groups().empty());
    EXPECT_FALSE(owner_.index().group_exists("chat", "a"));
    EXPECT_TRUE(owner_.index().group_exists("chat", "b"));
    EXPECT_EQ(ids(shard_.connections_of_group("chat", "b")), std::vector<std::string>{other.id()});
}

TEST_F(ShardTest, DetachLeavesGroupsAndUnregisters) {
    connection& c = add("chat", "alice");
    const std::string id = c.id();
    shard_.join(c, "g");
    shard_.detach(id);
    EXPECT_EQ(shard_.find(id), nullptr);
    EXPECT_EQ(shard_.connection_count(), 0u);
    EXPECT_FALSE(owner_.index().connection_exists("chat", id));
    EXPECT_FALSE(owner_.index().user_exists("chat", "alice"));
    EXPECT_FALSE(owner_.index().group_exists("chat", "g"));
    EXPECT_TRUE(shard_.connections_of_group("chat", "g").empty());
    EXPECT_TRUE(shard_.connections_of_hub("chat").empty());
    shard_.detach(id);        // twice
    shard_.detach("unknown"); // never attached
    EXPECT_EQ(owner_.index().connection_count(), 0u);
}

TEST_F(ShardTest, DeliverToGroupSkipsExclusionsAndSharesOneFramePerFamily) {
    connection& a = add("chat", std::nullopt);
    connection& b = add("chat", std::nullopt);
    connection& excluded = add("chat", std::nullopt);
    connection& publisher = add("chat", std::nullopt);
    connection& simple = add("chat", std::nullopt, subprotocol_kind::none);
    add("chat", std::nullopt); // not a member
    for (connection* c : {&a, &b, &excluded, &publisher, &simple}) {
        shard_.join(*c, "g");
    }
    const auto message = prepared_message::for_group("g", "alice", message_data{data_type::text, "hi"});
    exclusions skip{{excluded.id()}, publisher.id()};
    shard_.deliver_to_group("chat", "g", *message, skip);

    ASSERT_EQ(sink(0).frames.size(), 1u);
    ASSERT_EQ(sink(1).frames.size(), 1u);
    EXPECT_TRUE(sink(2).frames.empty());
    EXPECT_TRUE(sink(3).frames.empty());
    ASSERT_EQ(sink(4).frames.size(), 1u);
    EXPECT_TRUE(sink(5).frames.empty());
    // Encode once: the same bytes object reaches every recipient of a family.
    EXPECT_EQ(sink(0).frames[0].get(), sink(1).frames[0].get());
    EXPECT_EQ(sink(0).frames[0], message->frame(frame_family::json));
    EXPECT_EQ(sink(4).frames[0], message->frame(frame_family::raw));
}

TEST_F(ShardTest, DeliverToAllStaysInItsHub) {
    add("chat", std::nullopt);
    add("chat", "alice");
    add("other", std::nullopt);
    const auto message = prepared_message::for_server(message_data{data_type::text, "all"});
    shard_.deliver_to_all("chat", *message, {});
    EXPECT_EQ(sink(0).frames.size(), 1u);
    EXPECT_EQ(sink(1).frames.size(), 1u);
    EXPECT_TRUE(sink(2).frames.empty());
    shard_.deliver_to_all("nohub", *message, {});
    EXPECT_EQ(sink(0).frames.size(), 1u);
}

TEST_F(ShardTest, DeliverToUserReachesEachOfItsConnectionsInTheHub) {
    connection& first = add("chat", "alice");
    add("chat", "alice");
    add("chat", "bob");
    add("other", "alice");
    const auto message = prepared_message::for_server(message_data{data_type::text, "dm"});
    shard_.deliver_to_user("chat", "alice", *message, exclusions{{first.id()}, {}});
    EXPECT_TRUE(sink(0).frames.empty());
    EXPECT_EQ(sink(1).frames.size(), 1u);
    EXPECT_TRUE(sink(2).frames.empty());
    EXPECT_TRUE(sink(3).frames.empty());
    shard_.deliver_to_user("chat", "alice", *message, {});
    EXPECT_EQ(sink(0).frames.size(), 1u);
    EXPECT_EQ(sink(1).frames.size(), 2u);
}

TEST_F(ShardTest, GroupsOfTheSameNameInTwoHubsAreDistinct) {
    connection& chat = add("chat", std::nullopt);
    connection& other = add("other", std::nullopt);
    shard_.join(chat, "g");
    shard_.join(other, "g");
    const auto message = prepared_message::for_group("g", std::nullopt, message_data{data_type::text, "x"});
    shard_.deliver_to_group("chat", "g", *message, {});
    EXPECT_EQ(sink(0).frames.size(), 1u);
    EXPECT_TRUE(sink(1).frames.empty());
    shard_.leave(chat, "g");
    EXPECT_FALSE(owner_.index().group_exists("chat", "g"));
    EXPECT_TRUE(owner_.index().group_exists("other", "g"));
}

TEST_F(ShardTest, AClosingMemberGetsNothingMore) {
    connection& c = add("chat", std::nullopt);
    shard_.join(c, "g");
    c.close(1000, "bye");
    const std::size_t after_close = sink(0).frames.size();
    const auto message = prepared_message::for_group("g", std::nullopt, message_data{data_type::text, "x"});
    shard_.deliver_to_group("chat", "g", *message, {});
    shard_.deliver_to_all("chat", *message, {});
    EXPECT_EQ(sink(0).frames.size(), after_close);
}

TEST(Exclusions, MatchListedIdsAndTheNoEchoPublisher) {
    const exclusions none;
    EXPECT_FALSE(none.contains("a"));
    EXPECT_FALSE(none.contains(""));
    const exclusions skip{{"a", "b"}, "p"};
    EXPECT_TRUE(skip.contains("a"));
    EXPECT_TRUE(skip.contains("b"));
    EXPECT_TRUE(skip.contains("p"));
    EXPECT_FALSE(skip.contains("c"));
}

TEST(ShardBinding, CurrentShardIsPerThread) {
    node n(2);
    EXPECT_EQ(node::current_shard(), nullptr);
    n.shard_at(1).bind_to_current_thread();
    EXPECT_EQ(node::current_shard(), &n.shard_at(1));
    shard* seen_elsewhere = &n.shard_at(0);
    std::thread([&] { seen_elsewhere = node::current_shard(); }).join();
    EXPECT_EQ(seen_elsewhere, nullptr);
    n.shard_at(0).bind_to_current_thread();
    EXPECT_EQ(node::current_shard(), &n.shard_at(0));
    shard::unbind_current_thread();
    EXPECT_EQ(node::current_shard(), nullptr);
}

// A destroyed shard must not stay current: a later node's shard at the same address would be
// mistaken for it and run other threads' work inline.
TEST(ShardBinding, DestroyingTheShardUnbindsIt) {
    {
        node n(1);
        n.shard_at(0).bind_to_current_thread();
    }
    EXPECT_EQ(node::current_shard(), nullptr);
}

} // namespace
} // namespace hubcast::core

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/registry.hpp"

namespace hubcast::core {
namespace {

using shards = std::vector<std::size_t>;

TEST(Registry, ConnectionsExistPerHub) {
    registry r(2);
    r.add_connection("chat", "c1", std::nullopt, 0);
    EXPECT_TRUE(r.connection_exists("chat", "c1"));
    EXPECT_FALSE(r.connection_exists("other", "c1"));
    EXPECT_FALSE(r.connection_exists("chat", "c2"));
    EXPECT_EQ(r.connection_count(), 1u);
    r.remove_connection("chat", "c1", std::nullopt, 0);
    EXPECT_FALSE(r.connection_exists("chat", "c1"));
    EXPECT_EQ(r.connection_count(), 0u);
}

TEST(Registry, UserExistsWhileAnyOfItsConnectionsDoes) {
    registry r(3);
    r.add_connection("chat", "c1", "alice", 0);
    r.add_connection("chat", "c2", "alice", 2);
    r.add_connection("chat", "c3", "alice", 2);
    EXPECT_TRUE(r.user_exists("chat", "alice"));
    EXPECT_FALSE(r.user_exists("other", "alice"));
    EXPECT_EQ(r.shards_with_user("chat", "alice"), (shards{0, 2}));
    r.remove_connection("chat", "c2", "alice", 2);
    EXPECT_EQ(r.shards_with_user("chat", "alice"), (shards{0, 2}));
    r.remove_connection("chat", "c1", "alice", 0);
    EXPECT_EQ(r.shards_with_user("chat", "alice"), (shards{2}));
    r.remove_connection("chat", "c3", "alice", 2);
    EXPECT_FALSE(r.user_exists("chat", "alice"));
    EXPECT_TRUE(r.shards_with_user("chat", "alice").empty());
}

// A group send asks which shards to post to: only those with members, so a shard without any
// member of the group does no work for it.
TEST(Registry, GroupShardsFollowMemberCounts) {
    registry r(4);
    EXPECT_TRUE(r.shards_with_group("chat", "g").empty());
    r.add_group_member("chat", "g", 1);
    r.add_group_member("chat", "g", 3);
    r.add_group_member("chat", "g", 3);
    EXPECT_TRUE(r.group_exists("chat", "g"));
    EXPECT_EQ(r.shards_with_group("chat", "g"), (shards{1, 3}));
    r.remove_group_member("chat", "g", 3);
    EXPECT_EQ(r.shards_with_group("chat", "g"), (shards{1, 3}));
    r.remove_group_member("chat", "g", 3);
    EXPECT_EQ(r.shards_with_group("chat", "g"), (shards{1}));
    r.remove_group_member("chat", "g", 1);
    EXPECT_FALSE(r.group_exists("chat", "g"));
}

TEST(Registry, HubsDoNotShareNames) {
    registry r(2);
    r.add_group_member("a", "g", 0);
    r.add_connection("a", "c1", "u", 1);
    EXPECT_FALSE(r.group_exists("b", "g"));
    EXPECT_FALSE(r.user_exists("b", "u"));
    EXPECT_TRUE(r.shards_with_group("b", "g").empty());
    r.add_group_member("b", "g", 1);
    EXPECT_EQ(r.shards_with_group("a", "g"), (shards{0}));
    EXPECT_EQ(r.shards_with_group("b", "g"), (shards{1}));
}

TEST(Registry, RemovingWhatWasNeverAddedChangesNothing) {
    registry r(2);
    r.add_connection("chat", "c1", "u", 0);
    r.add_group_member("chat", "g", 0);
    r.remove_connection("chat", "nope", "u", 0);
    r.remove_connection("nohub", "c1", "u", 0);
    r.remove_group_member("chat", "g", 1);
    r.remove_group_member("chat", "other", 0);
    EXPECT_TRUE(r.connection_exists("chat", "c1"));
    EXPECT_TRUE(r.user_exists("chat", "u"));
    EXPECT_EQ(r.shards_with_group("chat", "g"), (shards{0}));
    EXPECT_EQ(r.connection_count(), 1u);
}

TEST(Registry, AddingAConnectionTwiceCountsItOnce) {
    registry r(1);
    r.add_connection("chat", "c1", "u", 0);
    r.add_connection("chat", "c1", "u", 0);
    EXPECT_EQ(r.connection_count(), 1u);
    r.remove_connection("chat", "c1", "u", 0);
    EXPECT_FALSE(r.user_exists("chat", "u"));
}

// Shards update the registry from their own threads while others read it.
TEST(Registry, ConcurrentShardsKeepCountsExact) {
    constexpr std::size_t shard_count = 4;
    constexpr int per_shard = 2000;
    registry r(shard_count);
    std::vector<std::thread> threads;
    for (std::size_t s = 0; s < shard_count; ++s) {
        threads.emplace_back([&r, s] {
            for (int i = 0; i < per_shard; ++i) {
                const std::string id = std::to_string(s) + "-" + std::to_string(i);
                r.add_connection("chat", id, "shared-user", s);
                r.add_group_member("chat", "g", s);
                (void)r.shards_with_group("chat", "g");
                if (i % 2 == 0) {
                    r.remove_group_member("chat", "g", s);
                    r.remove_connection("chat", id, "shared-user", s);
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(r.connection_count(), shard_count * per_shard / 2);
    EXPECT_EQ(r.shards_with_group("chat", "g"), (shards{0, 1, 2, 3}));
    EXPECT_EQ(r.shards_with_user("chat", "shared-user"), (shards{0, 1, 2, 3}));
    EXPECT_TRUE(r.connection_exists("chat", "3-1"));
    EXPECT_FALSE(r.connection_exists("chat", "3-0"));
}

} // namespace
} // namespace hubcast::core

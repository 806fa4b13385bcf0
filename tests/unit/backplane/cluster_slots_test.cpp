// Redis Cluster's hash slots and the CLUSTER SLOTS reply: the slot of a name must be the one Redis
// computes, or a node would publish where no other node listens.
#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "backplane/cluster_slots.hpp"

namespace hubcast::backplane {
namespace {

TEST(KeySlot, MatchesWhatRedisComputes) {
    // CLUSTER KEYSLOT on Redis 7.0 gives these.
    EXPECT_EQ(key_slot("123456789"), 12739);
    EXPECT_EQ(key_slot("foo"), 12182);
    EXPECT_EQ(key_slot("bar"), 5061);
    EXPECT_EQ(key_slot(""), 0);
    EXPECT_EQ(key_slot("hubcast:0:commands"), key_slot("hubcast:0:commands"));
}

TEST(KeySlot, AHashTagPicksTheSlotOfItsText) {
    EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
    EXPECT_EQ(key_slot("{hubcast:0}:alive:abc"), key_slot("{hubcast:0}:moved"));
    EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));     // the first tag only
    EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));    // from the first '{' to the next '}'
    EXPECT_EQ(key_slot("foo{}{bar}"), key_slot("foo{}{bar}")); // an empty tag: the whole name
    EXPECT_NE(key_slot("foo{}{bar}"), key_slot("bar"));
    EXPECT_EQ(key_slot("foo{bar"), key_slot("foo{bar")); // no '}': the whole name
    EXPECT_NE(key_slot("foo{bar"), key_slot("bar"));
}

/// Builds a hiredis reply tree by hand, as the reader would for CLUSTER SLOTS.
class reply_tree {
public:
    redisReply* integer(long long value) {
        auto* reply = make(REDIS_REPLY_INTEGER);
        reply->integer = value;
        return reply;
    }
    redisReply* text(const std::string& value) {
        auto* reply = make(REDIS_REPLY_STRING);
        texts_.push_back(value);
        reply->str = texts_.back().data();
        reply->len = texts_.back().size();
        return reply;
    }
    redisReply* list(std::vector<redisReply*> items) {
        auto* reply = make(REDIS_REPLY_ARRAY);
        arrays_.push_back(std::move(items));
        reply->element = arrays_.back().data();
        reply->elements = arrays_.back().size();
        return reply;
    }
    redisReply* range(long long first, long long last, const std::string& host, long long port) {
        return list({integer(first), integer(last), list({text(host), integer(port), text("id")})});
    }

private:
    redisReply* make(int type) {
        replies_.push_back(redisReply{});
        replies_.back().type = type;
        return &replies_.back();
    }
    std::deque<redisReply> replies_;
    std::deque<std::string> texts_;
    std::deque<std::vector<redisReply*>> arrays_;
};

TEST(ClusterSlots, MastersAreNumberedInSlotOrderWhateverTheReplyOrder) {
    reply_tree tree;
    const redisReply* reply =
        tree.list({tree.range(10923, 16383, "10.0.0.3", 7002), tree.range(0, 5460, "10.0.0.1", 7000),
                   tree.range(5461, 10922, "", 7001)});
    const auto layout = parse_cluster_slots(*reply, {"10.0.0.9", 7009});
    ASSERT_TRUE(layout) << layout.error();
    ASSERT_EQ(layout->masters.size(), 3U);
    EXPECT_EQ(layout->masters[0], (redis_endpoint::address{"10.0.0.1", 7000}));
    EXPECT_EQ(layout->masters[1], (redis_endpoint::address{"10.0.0.9", 7001})); // empty host: the one asked
    EXPECT_EQ(layout->masters[2], (redis_endpoint::address{"10.0.0.3", 7002}));
    EXPECT_EQ(layout->master_of_slot[0], 0);
    EXPECT_EQ(layout->master_of_slot[5461], 1);
    EXPECT_EQ(layout->master_of_slot[16383], 2);
}

TEST(ClusterSlots, OneMasterWithSeveralRangesIsOneMaster) {
    reply_tree tree;
    const redisReply* reply =
        tree.list({tree.range(0, 99, "h", 1), tree.range(100, 199, "g", 2), tree.range(200, 16383, "h", 1)});
    const auto layout = parse_cluster_slots(*reply, {"x", 9});
    ASSERT_TRUE(layout) << layout.error();
    EXPECT_EQ(layout->masters.size(), 2U);
    EXPECT_EQ(layout->master_of_slot[250], 0);
}

TEST(ClusterSlots, ALayoutThatMissesASlotOrHasAnOddShapeIsRefused) {
    reply_tree tree;
    EXPECT_FALSE(parse_cluster_slots(*tree.list({tree.range(0, 16382, "h", 1)}), {"x", 9}));
    EXPECT_FALSE(parse_cluster_slots(*tree.list({}), {"x", 9}));
    EXPECT_FALSE(parse_cluster_slots(*tree.list({tree.range(0, 16384, "h", 1)}), {"x", 9}));
    EXPECT_FALSE(parse_cluster_slots(*tree.list({tree.range(0, 16383, "h", 0)}), {"x", 9}));
    EXPECT_FALSE(parse_cluster_slots(*tree.list({tree.list({tree.integer(0)})}), {"x", 9}));
    EXPECT_FALSE(parse_cluster_slots(*tree.text("ERR This instance has cluster support disabled"), {"x", 9}));
}

} // namespace
} // namespace hubcast::backplane

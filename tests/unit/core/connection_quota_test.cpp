// Per-user and per-token connection counts (docs/configuration.md, "Abuse limits").

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/connection_quota.hpp"

namespace hubcast::core {
namespace {

TEST(ConnectionQuota, RefusesTheConnectionPastTheLimitUntilOneEnds) {
    connection_quota quota(2);
    auto first = quota.acquire("alice");
    auto second = quota.acquire("alice");
    ASSERT_TRUE(first.allowed);
    ASSERT_TRUE(second.allowed);
    EXPECT_FALSE(quota.acquire("alice").allowed);
    EXPECT_TRUE(quota.acquire("bob").allowed) << "another key has its own count";
    EXPECT_EQ(quota.count("alice"), 2u);
    first.held.reset();
    EXPECT_EQ(quota.count("alice"), 1u);
    EXPECT_TRUE(quota.acquire("alice").allowed);
}

TEST(ConnectionQuota, CopiesOfALeaseHoldOneSlot) {
    connection_quota quota(1);
    auto held = quota.acquire("t").held;
    auto copy = held;
    EXPECT_EQ(quota.count("t"), 1u);
    held.reset();
    EXPECT_EQ(quota.count("t"), 1u) << "still held by the copy";
    copy.reset();
    EXPECT_EQ(quota.count("t"), 0u);
}

TEST(ConnectionQuota, KeysWithNoConnectionLeaveNothingBehind) {
    connection_quota quota(3);
    for (int i = 0; i < 100; ++i) {
        auto lease = quota.acquire("user-" + std::to_string(i));
    }
    EXPECT_EQ(quota.keys(), 0u);
}

TEST(ConnectionQuota, ZeroLimitCountsNothing) {
    connection_quota off(0);
    std::vector<connection_quota::acquisition> held;
    for (int i = 0; i < 100; ++i) {
        held.push_back(off.acquire("alice"));
        EXPECT_TRUE(held.back().allowed);
        EXPECT_EQ(held.back().held, nullptr);
    }
    EXPECT_EQ(off.keys(), 0u);
}

// Admissions on every worker share one quota: the limit holds under concurrent connects.
TEST(ConnectionQuota, ConcurrentAcquiresNeverPassTheLimit) {
    connection_quota quota(5);
    std::vector<std::thread> threads;
    std::vector<std::vector<connection_quota::acquisition>> results(4);
    for (std::size_t t = 0; t < results.size(); ++t) {
        threads.emplace_back([&quota, &mine = results[t]] {
            for (int i = 0; i < 100; ++i) {
                mine.push_back(quota.acquire("shared"));
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    std::size_t allowed = 0;
    for (const auto& mine : results) {
        for (const auto& result : mine) {
            allowed += result.allowed ? 1 : 0;
        }
    }
    EXPECT_EQ(allowed, 5u);
    EXPECT_EQ(quota.count("shared"), 5u);
    results.clear();
    EXPECT_EQ(quota.count("shared"), 0u);
}

} // namespace
} // namespace hubcast::core

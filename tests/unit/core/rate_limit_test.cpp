// The counting behind the abuse limits (docs/configuration.md, "Abuse limits"), on an injected
// clock: every time is a time point the test chooses, nothing waits.

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "core/rate_limit.hpp"

namespace hubcast::core {
namespace {

using namespace std::chrono_literals;

const limit_clock::time_point t0 = limit_clock::time_point{} + 1000s;

TEST(WindowCounter, RefusesTheAmountThatPassesTheLimitInOneWindow) {
    window_counter bytes(10s, 100);
    EXPECT_TRUE(bytes.add(t0, 60));
    EXPECT_TRUE(bytes.add(t0 + 5s, 40)); // exactly the limit is allowed
    EXPECT_FALSE(bytes.add(t0 + 9s, 1));
}

TEST(WindowCounter, StartsAgainWhenTheWindowEnds) {
    window_counter messages(10s, 2);
    EXPECT_TRUE(messages.add(t0, 1));
    EXPECT_TRUE(messages.add(t0 + 1s, 1));
    EXPECT_FALSE(messages.add(t0 + 9999ms, 1));
    EXPECT_TRUE(messages.add(t0 + 10s, 1));
    EXPECT_EQ(messages.total(), 1u);
}

TEST(WindowCounter, AWindowStartsWithTheFirstArrivalAfterIdleTime) {
    window_counter messages(10s, 1);
    EXPECT_TRUE(messages.add(t0, 1));
    // 25 s later: a new window begins now, not at t0 + 20 s.
    EXPECT_TRUE(messages.add(t0 + 25s, 1));
    EXPECT_FALSE(messages.add(t0 + 34s, 1));
    EXPECT_TRUE(messages.add(t0 + 35s, 1));
}

TEST(WindowCounter, OneMessageLargerThanTheLimitIsRefused) {
    window_counter bytes(60s, 1000);
    EXPECT_FALSE(bytes.add(t0, 1001));
}

TEST(WindowCounter, ZeroLimitNeverRefuses) {
    window_counter off(1s, 0);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(off.add(t0, UINT64_MAX));
    }
}

TEST(WindowCounter, HugeAmountsSaturateInsteadOfWrapping) {
    window_counter bytes(60s, UINT64_MAX - 1);
    EXPECT_TRUE(bytes.add(t0, UINT64_MAX - 2));
    EXPECT_FALSE(bytes.add(t0, 10)) << "a wrapped total would have looked small again";
}

TEST(TokenBucket, StartsFullAndRefusesOnceEmpty) {
    token_bucket bucket;
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(bucket.take(t0, 1.0, 3.0), limit_clock::duration::zero()) << i;
    }
    const auto wait = bucket.take(t0, 1.0, 3.0);
    EXPECT_GT(wait, 0s);
    EXPECT_LE(wait, 1s);
}

TEST(TokenBucket, RefillsAtItsRateUpToTheBurst) {
    token_bucket bucket;
    EXPECT_EQ(bucket.take(t0, 2.0, 2.0), limit_clock::duration::zero());
    EXPECT_EQ(bucket.take(t0, 2.0, 2.0), limit_clock::duration::zero());
    EXPECT_NE(bucket.take(t0, 2.0, 2.0), limit_clock::duration::zero());
    EXPECT_EQ(bucket.take(t0 + 500ms, 2.0, 2.0), limit_clock::duration::zero()) << "2/s: one token per 0.5 s";
    EXPECT_NE(bucket.take(t0 + 500ms, 2.0, 2.0), limit_clock::duration::zero());
    // A long pause refills to the burst, no further.
    EXPECT_TRUE(bucket.full(t0 + 1h, 2.0, 2.0));
    EXPECT_EQ(bucket.take(t0 + 1h, 2.0, 2.0), limit_clock::duration::zero());
    EXPECT_EQ(bucket.take(t0 + 1h, 2.0, 2.0), limit_clock::duration::zero());
    EXPECT_NE(bucket.take(t0 + 1h, 2.0, 2.0), limit_clock::duration::zero());
}

TEST(TokenBucket, RetryAfterIsTheTimeUntilTheNextToken) {
    token_bucket bucket;
    EXPECT_EQ(bucket.take(t0, 0.1, 1.0), limit_clock::duration::zero());
    const auto wait = bucket.take(t0 + 4s, 0.1, 1.0);
    EXPECT_GE(wait, 5999ms);
    EXPECT_LE(wait, 6001ms);
    // A refused take costs nothing: asking again at once gets the same answer.
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(bucket.take(t0 + 4s, 0.1, 1.0)),
              std::chrono::duration_cast<std::chrono::milliseconds>(wait));
}

TEST(TokenBucket, AClockThatGoesBackDoesNotRefill) {
    token_bucket bucket;
    EXPECT_EQ(bucket.take(t0, 1.0, 1.0), limit_clock::duration::zero());
    EXPECT_NE(bucket.take(t0 - 10s, 1.0, 1.0), limit_clock::duration::zero());
    EXPECT_NE(bucket.take(t0, 1.0, 1.0), limit_clock::duration::zero());
}

TEST(KeyedRateLimiter, KeysHaveTheirOwnBuckets) {
    keyed_rate_limiter limiter(1.0, 2.0);
    EXPECT_TRUE(limiter.take("10.0.0.1", t0).allowed);
    EXPECT_TRUE(limiter.take("10.0.0.1", t0).allowed);
    const auto refused = limiter.take("10.0.0.1", t0);
    EXPECT_FALSE(refused.allowed);
    EXPECT_GT(refused.retry_after, 0s);
    EXPECT_TRUE(limiter.take("10.0.0.2", t0).allowed);
    EXPECT_TRUE(limiter.take("10.0.0.1", t0 + 1s).allowed);
}

TEST(KeyedRateLimiter, ZeroRateAllowsEverythingAndKeepsNothing) {
    keyed_rate_limiter off(0.0, 1.0);
    for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE(off.take("10.0.0.1", t0).allowed);
    }
    EXPECT_EQ(off.size(), 0u);
}

// The table of addresses is bounded: an attacker cycling through addresses must not grow it
// without limit, nor lock out a new address while old entries are merely idle.
TEST(KeyedRateLimiter, FullTableForgetsRefilledBucketsFirst) {
    keyed_rate_limiter limiter(1.0, 1.0, 2);
    EXPECT_TRUE(limiter.take("a", t0).allowed);
    EXPECT_TRUE(limiter.take("b", t0).allowed);
    EXPECT_EQ(limiter.size(), 2u);
    // Both buckets are in use: a third key is let through but not tracked.
    const auto untracked = limiter.take("c", t0);
    EXPECT_TRUE(untracked.allowed);
    EXPECT_TRUE(untracked.untracked);
    EXPECT_EQ(limiter.size(), 2u);
    // After the refill time both are full again and make room.
    const auto tracked = limiter.take("c", t0 + 2s);
    EXPECT_TRUE(tracked.allowed);
    EXPECT_FALSE(tracked.untracked);
    EXPECT_EQ(limiter.size(), 1u);
    EXPECT_FALSE(limiter.take("c", t0 + 2s).allowed);
}

} // namespace
} // namespace hubcast::core

#include <gtest/gtest.h>

#include "core/ack_window.hpp"

namespace hubcast::core {
namespace {

TEST(AckWindow, RemembersProcessedIds) {
    ack_window window;
    EXPECT_FALSE(window.contains(7));
    window.remember(7);
    EXPECT_TRUE(window.contains(7));
    EXPECT_FALSE(window.contains(8));
    EXPECT_EQ(window.size(), 1u);
}

TEST(AckWindow, RememberingTwiceKeepsOneEntry) {
    ack_window window(3);
    window.remember(1);
    window.remember(1);
    EXPECT_EQ(window.size(), 1u);
    // A duplicate entry would make the window evict 1 too early here.
    window.remember(2);
    window.remember(3);
    EXPECT_TRUE(window.contains(1));
}

// Spec 4.5: the emulator keeps the most recent 1000 ids; past that the oldest is forgotten and a
// repeat of it runs again.
TEST(AckWindow, EvictsTheOldestPastCapacity) {
    ack_window window(3);
    for (std::uint64_t id : {10, 20, 30, 40}) {
        window.remember(id);
    }
    EXPECT_EQ(window.size(), 3u);
    EXPECT_FALSE(window.contains(10));
    EXPECT_TRUE(window.contains(20));
    EXPECT_TRUE(window.contains(30));
    EXPECT_TRUE(window.contains(40));
    window.remember(50);
    EXPECT_FALSE(window.contains(20));
    EXPECT_TRUE(window.contains(50));
}

TEST(AckWindow, DefaultCapacityIsTheEmulators) {
    ack_window window;
    for (std::uint64_t id = 0; id < 1001; ++id) {
        window.remember(id);
    }
    EXPECT_EQ(window.size(), 1000u);
    EXPECT_FALSE(window.contains(0));
    EXPECT_TRUE(window.contains(1));
    EXPECT_TRUE(window.contains(1000));
}

// The window is a ring: after many laps it must still hold exactly the most recent `capacity` ids
// and evict them oldest first.
TEST(AckWindow, KeepsTheMostRecentIdsInOrderOverManyLaps) {
    constexpr std::size_t capacity = 5;
    ack_window window(capacity);
    for (std::uint64_t id = 100; id < 137; ++id) {
        window.remember(id);
        window.remember(id); // a duplicate of the newest changes nothing
        const std::uint64_t oldest = id + 1 >= 100 + capacity ? id + 1 - capacity : 100;
        EXPECT_EQ(window.size(), id - oldest + 1) << id;
        for (std::uint64_t seen = 95; seen <= id + 1; ++seen) {
            EXPECT_EQ(window.contains(seen), seen >= oldest && seen <= id) << id << " " << seen;
        }
    }
}

// Remembering an id already in the window does not refresh it: it is still evicted when its own
// turn comes, and once evicted it can be remembered again.
TEST(AckWindow, ARepeatedIdKeepsItsPlaceAndComesBackAfterEviction) {
    ack_window window(3);
    window.remember(1);
    window.remember(2);
    window.remember(1);
    window.remember(3);
    window.remember(4); // evicts 1, the oldest
    EXPECT_FALSE(window.contains(1));
    EXPECT_TRUE(window.contains(2));
    window.remember(1); // evicts 2
    EXPECT_TRUE(window.contains(1));
    EXPECT_FALSE(window.contains(2));
    EXPECT_TRUE(window.contains(3));
    EXPECT_TRUE(window.contains(4));
    EXPECT_EQ(window.size(), 3u);
}

TEST(AckWindow, CapacityOneKeepsOnlyTheLatest) {
    ack_window window(1);
    window.remember(9);
    window.remember(8);
    EXPECT_FALSE(window.contains(9));
    EXPECT_TRUE(window.contains(8));
    EXPECT_EQ(window.size(), 1u);
}

TEST(AckWindow, AnUnusedWindowIsEmpty) {
    const ack_window window;
    EXPECT_EQ(window.size(), 0u);
    EXPECT_FALSE(window.contains(0));
}

TEST(AckWindow, ZeroCapacityRemembersNothing) {
    ack_window window(0);
    window.remember(1);
    EXPECT_FALSE(window.contains(1));
    EXPECT_EQ(window.size(), 0u);
}

// A session moving to another node rebuilds its window from remembered(): same ids, same order
// of eviction.
TEST(AckWindow, RememberedListsTheIdsOldestFirstAcrossTheRing) {
    ack_window window(3);
    for (const std::uint64_t id : {1, 2, 3, 4, 5}) {
        window.remember(id);
    }
    EXPECT_EQ(window.remembered(), (std::vector<std::uint64_t>{3, 4, 5}));
    ack_window rebuilt(3);
    for (const std::uint64_t id : window.remembered()) {
        rebuilt.remember(id);
    }
    rebuilt.remember(6);
    EXPECT_FALSE(rebuilt.contains(3)) << "the oldest goes first, as in the original";
    EXPECT_TRUE(rebuilt.contains(4));
}

TEST(AckWindow, RememberedBeforeTheRingIsFullIsArrivalOrder) {
    ack_window window(10);
    window.remember(9);
    window.remember(2);
    EXPECT_EQ(window.remembered(), (std::vector<std::uint64_t>{9, 2}));
}

} // namespace
} // namespace hubcast::core

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

TEST(AckWindow, ZeroCapacityRemembersNothing) {
    ack_window window(0);
    window.remember(1);
    EXPECT_FALSE(window.contains(1));
    EXPECT_EQ(window.size(), 0u);
}

} // namespace
} // namespace hubcast::core

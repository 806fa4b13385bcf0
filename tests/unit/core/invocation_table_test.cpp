#include <gtest/gtest.h>

#include "core/invocation_table.hpp"

namespace hubcast::core {
namespace {

using outcome = invocation_table::outcome;

TEST(InvocationTable, AnAnswerIsWantedOnceUnderItsTicket) {
    invocation_table table;
    const auto started = table.start("1", 4);
    ASSERT_EQ(started.result, outcome::started);
    EXPECT_EQ(table.size(), 1u);
    EXPECT_TRUE(table.finish("1", started.ticket));
    EXPECT_FALSE(table.finish("1", started.ticket)) << "a second answer is not wanted";
    EXPECT_EQ(table.size(), 0u);
}

TEST(InvocationTable, AnIdInProgressIsADuplicateUntilAnswered) {
    invocation_table table;
    const auto first = table.start("a", 4);
    EXPECT_EQ(table.start("a", 4).result, outcome::duplicate);
    EXPECT_TRUE(table.finish("a", first.ticket));
    EXPECT_EQ(table.start("a", 4).result, outcome::started) << "an answered id may be used again";
}

TEST(InvocationTable, TheLimitCountsInvocationsInProgress) {
    invocation_table table;
    const auto a = table.start("a", 2);
    ASSERT_EQ(table.start("b", 2).result, outcome::started);
    EXPECT_EQ(table.start("c", 2).result, outcome::too_many);
    EXPECT_EQ(table.start("a", 2).result, outcome::duplicate) << "a duplicate is told as such at the limit";
    EXPECT_TRUE(table.finish("a", a.ticket));
    EXPECT_EQ(table.start("c", 2).result, outcome::started);
}

// A cancelled invocation's answer, arriving later, must not be sent; nor may it answer a new
// invocation that reuses the id.
TEST(InvocationTable, ACancelledInvocationsAnswerIsNotWanted) {
    invocation_table table;
    const auto first = table.start("x", 4);
    EXPECT_TRUE(table.cancel("x"));
    EXPECT_FALSE(table.cancel("x"));
    const auto second = table.start("x", 4);
    ASSERT_EQ(second.result, outcome::started);
    EXPECT_FALSE(table.finish("x", first.ticket)) << "the cancelled one's late answer";
    EXPECT_TRUE(table.finish("x", second.ticket));
}

TEST(InvocationTable, CancellingWhatIsNotInProgressIsHarmless) {
    invocation_table table;
    EXPECT_FALSE(table.cancel("never"));
    EXPECT_EQ(table.size(), 0u);
}

} // namespace
} // namespace hubcast::core

#include <memory>
#include <optional>
#include <utility>

#include <gtest/gtest.h>

#include "upstream/pending_work.hpp"

namespace hubcast::upstream {
namespace {

TEST(PendingWork, CountsEachTokenUntilItIsDestroyed) {
    pending_work work;
    std::optional<pending_work::token> first(work.begin());
    auto second = std::make_unique<pending_work::token>(work.begin());
    EXPECT_EQ(work.count(), 2u);
    first.reset();
    EXPECT_EQ(work.count(), 1u);
    second.reset();
    EXPECT_EQ(work.count(), 0u);
}

TEST(PendingWork, AMovedTokenCountsOnce) {
    pending_work work;
    pending_work::token held = work.begin();
    pending_work::token moved(std::move(held));
    EXPECT_EQ(work.count(), 1u);
    pending_work::token assigned = work.begin();
    assigned = std::move(moved); // the token assigned over ends its own work
    EXPECT_EQ(work.count(), 1u);
}

TEST(PendingWork, ATokenMayOutliveTheCount) {
    // A callback still queued on an event loop destroyed after the dispatcher holds such a token.
    std::unique_ptr<pending_work::token> late;
    {
        pending_work work;
        late = std::make_unique<pending_work::token>(work.begin());
    }
    late.reset(); // must not touch freed memory (the sanitizer builds would say so)
    SUCCEED();
}

} // namespace
} // namespace hubcast::upstream

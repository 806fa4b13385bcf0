// util::result promises never to throw (style rule 12: errors are values at layer boundaries).
// Reading the side it holds is noexcept; reading the other side is a programming error that ends
// the process in every build instead of throwing std::bad_variant_access (which release builds,
// where assert is off, used to do).
#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "util/result.hpp"

namespace hubcast::util {
namespace {

using text_result = result<std::string, std::string>;

static_assert(noexcept(std::declval<text_result&>().value()));
static_assert(noexcept(std::declval<const text_result&>().value()));
static_assert(noexcept(std::declval<text_result&&>().value()));
static_assert(noexcept(*std::declval<text_result&>()));
static_assert(noexcept(std::declval<text_result&>()->size()));
static_assert(noexcept(std::declval<const text_result&>().error()));
static_assert(noexcept(std::declval<const text_result&>().has_value()));
// Building one moves the value in: noexcept exactly when that move is.
static_assert(std::is_nothrow_constructible_v<text_result, std::string>);
static_assert(std::is_nothrow_constructible_v<text_result, failure<std::string>>);
// A failure<const char*> into a std::string error allocates, so it may throw bad_alloc.
static_assert(!std::is_nothrow_constructible_v<text_result, failure<const char*>>);

TEST(Result, HoldsTheValueItWasBuiltFrom) {
    text_result r(std::string("value"));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r.value(), "value");
    EXPECT_EQ(*r, "value");
    EXPECT_EQ(r->size(), 5U);
}

TEST(Result, HoldsTheErrorItWasBuiltFrom) {
    text_result r = fail(std::string("error"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), "error");
}

TEST(Result, SameValueAndErrorTypesStayApart) {
    result<int, int> ok(1);
    result<int, int> bad = fail(2);
    EXPECT_TRUE(ok.has_value());
    EXPECT_EQ(ok.value(), 1);
    EXPECT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error(), 2);
}

TEST(Result, MovesAMoveOnlyValueOut) {
    result<std::unique_ptr<int>, std::string> r(std::make_unique<int>(7));
    auto owned = std::move(r).value();
    ASSERT_NE(owned, nullptr);
    EXPECT_EQ(*owned, 7);
}

using ResultDeathTest = ::testing::Test;

TEST_F(ResultDeathTest, ReadingTheValueOfAnErrorEndsTheProcess) {
    text_result r = fail(std::string("error"));
    EXPECT_DEATH({ [[maybe_unused]] auto& v = r.value(); }, "");
}

TEST_F(ResultDeathTest, ReadingTheErrorOfAValueEndsTheProcess) {
    text_result r(std::string("value"));
    EXPECT_DEATH({ [[maybe_unused]] auto& e = r.error(); }, "");
}

} // namespace
} // namespace hubcast::util

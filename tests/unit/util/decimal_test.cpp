#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "util/decimal.hpp"

namespace hubcast::util {
namespace {

// Every boundary: 10^k - 1 and 10^k for each k, and the ends of the range, against the length of
// the number written out.
TEST(DecimalDigits, CountsWhatToStringWritesAtEveryPowerOfTen) {
    EXPECT_EQ(decimal_digits(0), 1u);
    EXPECT_EQ(decimal_digits(std::numeric_limits<std::uint64_t>::max()), 20u);
    std::uint64_t power = 1;
    for (int k = 0; k < 20; ++k) {
        // power * 2 stays in range up to 10^18; 2 * 10^19 would not.
        for (const std::uint64_t value : {power - 1, power, power + 1, k < 19 ? power * 2 : power}) {
            EXPECT_EQ(decimal_digits(value), std::to_string(value).size()) << value;
        }
        if (k < 19) {
            power *= 10;
        }
    }
}

TEST(DecimalDigits, IsAConstantExpression) {
    static_assert(decimal_digits(999) == 3);
    static_assert(decimal_digits(1000) == 4);
}

} // namespace
} // namespace hubcast::util

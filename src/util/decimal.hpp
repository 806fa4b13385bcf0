#pragma once

#include <bit>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

namespace hubcast::util {

/// `text` as a decimal integer when the whole of it is one, spelled strictly: digits with at most
/// a leading '-' (for signed types), no '+', no blanks, no trailing characters, within T's range.
/// Settings, URLs, connection strings and REST parameters all read numbers this one way.
template <std::integral T> std::optional<T> parse_decimal(std::string_view text) noexcept {
    T value{};
    const char* const end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || stop != end) {
        return std::nullopt;
    }
    return value;
}

namespace detail {
/// 10^0 to 10^19, the powers of ten an unsigned 64-bit value reaches. At namespace scope so that
/// it is one table in read-only data (a local array would be copied onto the stack per call).
inline constexpr std::uint64_t powers_of_ten[20] = {1ULL,
                                                    10ULL,
                                                    100ULL,
                                                    1000ULL,
                                                    10000ULL,
                                                    100000ULL,
                                                    1000000ULL,
                                                    10000000ULL,
                                                    100000000ULL,
                                                    1000000000ULL,
                                                    10000000000ULL,
                                                    100000000000ULL,
                                                    1000000000000ULL,
                                                    10000000000000ULL,
                                                    100000000000000ULL,
                                                    1000000000000000ULL,
                                                    10000000000000000ULL,
                                                    100000000000000000ULL,
                                                    1000000000000000000ULL,
                                                    10000000000000000000ULL};
} // namespace detail

/// How many decimal digits `value` has (1 for 0), without a division per digit: the bit width
/// gives log10 within one (1233 / 4096 ≈ log10 2), and one comparison settles it. Per recipient
/// per reliable message, where a loop of divisions cost tens of instructions.
constexpr std::size_t decimal_digits(std::uint64_t value) noexcept {
    // value | 1 has as many digits as value (10^k - 1 is odd) and is never 0.
    value |= 1;
    const auto estimate = (static_cast<std::size_t>(std::bit_width(value)) * 1233) >> 12;
    return estimate - (value < detail::powers_of_ten[estimate] ? 1 : 0) + 1;
}

} // namespace hubcast::util

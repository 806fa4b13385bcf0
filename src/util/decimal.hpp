#pragma once

#include <charconv>
#include <concepts>
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

} // namespace hubcast::util

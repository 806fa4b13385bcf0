#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace hubcast::util {

// The one ASCII case folding of the tree: util is the lowest layer, so every other layer (protocol
// names and headers, token schemes and hosts, the filter language's keywords) can share it.

/// ASCII-only case folding: protocol names, schemes and hosts, never user text (no locale).
constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

constexpr bool istarts_with(std::string_view text, std::string_view prefix) noexcept {
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

inline std::string to_lower_ascii(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
    return out;
}

} // namespace hubcast::util

#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hubcast::util {

/// Transparent hashing: a map keyed by std::string is looked up with a string_view (a name from a
/// request, a frame) without building a std::string for each lookup.
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
        return std::hash<std::string_view>{}(text);
    }
};

template <typename T> using string_map = std::unordered_map<std::string, T, string_hash, std::equal_to<>>;

} // namespace hubcast::util

#pragma once

#include <string>
#include <string_view>

namespace hubcast::protocol {

constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ASCII case-insensitive equality; protocol names and hub names are ASCII.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

inline std::string to_lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = ascii_lower(c);
    }
    return out;
}

/// `text` without the spaces and tabs around it (HTTP's optional white space).
constexpr std::string_view trim_blanks(std::string_view text) noexcept {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

/// Calls `visit(item)` for each non-empty, trimmed item of a comma-separated list, in order, until
/// `visit` returns true; returns whether one did. No allocation.
template <typename Visit> constexpr bool any_listed(std::string_view list, Visit&& visit) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto item = trim_blanks(list.substr(0, comma));
        if (!item.empty() && visit(item)) {
            return true;
        }
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    return false;
}

} // namespace hubcast::protocol

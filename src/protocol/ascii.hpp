#pragma once

#include <string_view>

#include "util/ascii.hpp"

namespace hubcast::protocol {

// Case folding has one implementation, util's (the lowest layer, so core and auth share it too);
// protocol code and its callers reach it here, beside HTTP's list syntax.
using util::ascii_lower;
using util::iequals;
using util::istarts_with;
using util::to_lower_ascii;

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

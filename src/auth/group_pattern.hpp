#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hubcast::auth {

/// A wildcard group pattern of spec 7.2: `?` one non-dot character, `*` zero or more non-dot
/// characters, `**` zero or more of anything, `\` escapes `\`, `*` and `?`. At most 5 `*` per
/// pattern (each `*` of `**` counts) and at most 1024 characters. Matching is case-sensitive and
/// linear-bounded (no exponential backtracking).
class group_pattern {
public:
    /// std::nullopt when the pattern breaks the syntax or the limits.
    static std::optional<group_pattern> compile(std::string_view pattern);

    bool matches(std::string_view group) const;
    const std::string& text() const noexcept { return text_; }

private:
    std::string text_;
    std::string program_; // implementation-defined compiled form
};

} // namespace hubcast::auth

#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hubcast::auth {

/// A wildcard group pattern of spec 7.2: `?` one non-dot character, `*` zero or more non-dot
/// characters, `**` zero or more of anything, `\` escapes `\`, `*` and `?`. At most 5 `*` per
/// pattern (each `*` of `**` counts) and at most 1024 characters. Matching is case-sensitive and
/// linear-bounded (no exponential backtracking).
/// A "character" is a UTF-8 code point (a byte that is not valid UTF-8 counts as one character),
/// so `?` matches `é`. Any other `\` sequence, and an empty pattern, are invalid.
class group_pattern {
public:
    /// std::nullopt when the pattern breaks the syntax or the limits.
    static std::optional<group_pattern> compile(std::string_view pattern);

    /// Cost O(pattern size x group size), two rows of flags of the pattern's size.
    bool matches(std::string_view group) const;
    /// True when every string matches (only stars, at least one `**`), e.g. `**`.
    bool matches_everything() const noexcept;
    const std::string& text() const noexcept { return text_; }

private:
    std::string text_;
    std::string program_; // two bytes per element: opcode, literal byte (see group_pattern.cpp)
};

} // namespace hubcast::auth

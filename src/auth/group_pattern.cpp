#include "auth/group_pattern.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace hubcast::auth {
namespace {

constexpr std::size_t max_pattern_chars = 1024;
constexpr std::size_t max_stars = 5;

// program_ holds one two-byte instruction per pattern element: an opcode and, for literals, the
// byte. Fixed width keeps instruction i at offset 2 * i for the matcher.
constexpr char op_literal = 'L';
constexpr char op_one = '?';         // one code point other than '.'
constexpr char op_star = '*';        // any code points other than '.', including none
constexpr char op_double_star = 'S'; // any code points, including none

bool is_star(char op) noexcept {
    return op == op_star || op == op_double_star;
}

/// Bytes in the UTF-8 code point starting at `text[0]`. Invalid or truncated sequences count as
/// one byte each, so any byte string can be matched.
std::size_t code_point_size(std::string_view text) noexcept {
    const auto lead = static_cast<unsigned char>(text[0]);
    std::size_t size = 1;
    if ((lead & 0xE0U) == 0xC0U) {
        size = 2;
    } else if ((lead & 0xF0U) == 0xE0U) {
        size = 3;
    } else if ((lead & 0xF8U) == 0xF0U) {
        size = 4;
    }
    if (size > text.size()) {
        return 1;
    }
    for (std::size_t i = 1; i < size; ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U) {
            return 1;
        }
    }
    return size;
}

} // namespace

std::optional<group_pattern> group_pattern::compile(std::string_view pattern) {
    if (pattern.empty() || pattern.size() > max_pattern_chars) {
        return std::nullopt;
    }
    group_pattern compiled;
    compiled.text_ = pattern;
    compiled.program_.reserve(2 * pattern.size());
    std::size_t stars = 0;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\') {
            if (i + 1 == pattern.size() ||
                (pattern[i + 1] != '\\' && pattern[i + 1] != '*' && pattern[i + 1] != '?')) {
                return std::nullopt;
            }
            compiled.program_ += op_literal;
            compiled.program_ += pattern[++i];
        } else if (c == '*') {
            if (i + 1 < pattern.size() && pattern[i + 1] == '*') {
                compiled.program_ += op_double_star;
                stars += 2;
                ++i;
            } else {
                compiled.program_ += op_star;
                ++stars;
            }
            compiled.program_ += '\0';
        } else if (c == '?') {
            compiled.program_ += op_one;
            compiled.program_ += '\0';
        } else {
            compiled.program_ += op_literal;
            compiled.program_ += c;
        }
    }
    if (stars > max_stars) {
        return std::nullopt;
    }
    return compiled;
}

bool group_pattern::matches_everything() const noexcept {
    bool any_double_star = false;
    for (std::size_t i = 0; i < program_.size(); i += 2) {
        if (!is_star(program_[i])) {
            return false;
        }
        any_double_star = any_double_star || program_[i] == op_double_star;
    }
    return any_double_star;
}

bool group_pattern::matches(std::string_view group) const {
    // A set of live positions in the program advanced one code point at a time (a Thompson NFA
    // walk): O(group size x pattern size) whatever the input, where backtracking would be
    // exponential in the number of stars.
    const std::size_t size = program_.size() / 2;
    const auto op = [this](std::size_t i) {
        return program_[2 * i];
    };
    // A multi-byte code point is a run of literal instructions in the program.
    const auto literal_run_matches = [&](std::size_t first, std::string_view point) {
        if (first + point.size() > size) {
            return false;
        }
        for (std::size_t k = 0; k < point.size(); ++k) {
            if (op(first + k) != op_literal || program_[2 * (first + k) + 1] != point[k]) {
                return false;
            }
        }
        return true;
    };
    std::vector<char> live(size + 1, 0);
    std::vector<char> next(size + 1, 0);
    // A star may match nothing, so a live star also makes the position after it live.
    const auto close = [&](std::vector<char>& states) {
        for (std::size_t i = 0; i < size; ++i) {
            if (states[i] != 0 && is_star(op(i))) {
                states[i + 1] = 1;
            }
        }
    };
    live[0] = 1;
    close(live);
    for (std::size_t at = 0; at < group.size();) {
        const std::size_t width = code_point_size(group.substr(at));
        const std::string_view point = group.substr(at, width);
        const bool dot = point == ".";
        std::fill(next.begin(), next.end(), 0);
        bool any = false;
        for (std::size_t i = 0; i < size; ++i) {
            if (live[i] == 0) {
                continue;
            }
            switch (op(i)) {
            case op_literal:
                if (literal_run_matches(i, point)) {
                    next[i + width] = 1;
                    any = true;
                }
                break;
            case op_one:
                if (!dot) {
                    next[i + 1] = 1;
                    any = true;
                }
                break;
            case op_star:
                if (!dot) {
                    next[i] = 1;
                    any = true;
                }
                break;
            case op_double_star:
                next[i] = 1;
                any = true;
                break;
            default:
                break;
            }
        }
        if (!any) {
            return false;
        }
        close(next);
        live.swap(next);
        at += width;
    }
    return live[size] != 0;
}

} // namespace hubcast::auth

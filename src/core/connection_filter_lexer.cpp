#include "core/connection_filter_lexer.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "util/ascii.hpp"

namespace hubcast::core::filter_syntax {
namespace {

struct word_spelling {
    std::string_view lower;
    word value;
};

constexpr std::array words{
    word_spelling{"and", word::logical_and},
    word_spelling{"or", word::logical_or},
    word_spelling{"not", word::logical_not},
    word_spelling{"eq", word::eq},
    word_spelling{"ne", word::ne},
    word_spelling{"gt", word::gt},
    word_spelling{"ge", word::ge},
    word_spelling{"lt", word::lt},
    word_spelling{"le", word::le},
    word_spelling{"in", word::in},
    word_spelling{"null", word::literal_null},
    word_spelling{"true", word::literal_true},
    word_spelling{"false", word::literal_false},
    word_spelling{"userid", word::user_id},
    word_spelling{"connectionid", word::connection_id},
    word_spelling{"groups", word::groups},
    word_spelling{"tolower", word::tolower},
    word_spelling{"toupper", word::toupper},
    word_spelling{"trim", word::trim},
    word_spelling{"substring", word::substring},
    word_spelling{"concat", word::concat},
    word_spelling{"endswith", word::endswith},
    word_spelling{"startswith", word::startswith},
    word_spelling{"contains", word::contains},
    word_spelling{"indexof", word::indexof},
    word_spelling{"length", word::length},
};

constexpr std::size_t longest_word = 12; // "connectionid"

word classify(std::string_view name) {
    if (name.size() > longest_word) {
        return word::none;
    }
    std::array<char, longest_word> lower{};
    std::transform(name.begin(), name.end(), lower.begin(), util::ascii_lower);
    const std::string_view folded(lower.data(), name.size());
    for (const auto& spelling : words) {
        if (spelling.lower == folded) {
            return spelling.value;
        }
    }
    return word::none;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_name_part(char c) {
    return is_name_start(c) || is_digit(c);
}

} // namespace

void fail(std::string message, std::size_t position) {
    throw parse_failure{filter_error{std::move(message), position}};
}

std::string quote(std::string_view text, bool add_quotes) {
    constexpr std::size_t max_shown = 40;
    constexpr std::string_view hex = "0123456789abcdef";
    std::string out = add_quotes ? "'" : "";
    for (const char c : text.substr(0, max_shown)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f) {
            out += c;
        } else {
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xf];
        }
    }
    if (text.size() > max_shown) {
        out += "...";
    }
    if (add_quotes) {
        out += '\'';
    }
    return out;
}

std::string at(std::size_t position) {
    return " at position " + std::to_string(position);
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void lexer::advance() {
    while (cursor_ < text_.size() && is_space(text_[cursor_])) {
        ++cursor_;
    }
    current_.position = cursor_;
    current_.name = word::none;
    current_.text.clear();
    if (cursor_ == text_.size()) {
        current_.kind = token_kind::end;
        current_.length = 0;
        return;
    }
    const char c = text_[cursor_];
    if (c == '(' || c == ')' || c == ',') {
        current_.kind = c == '(' ? token_kind::open : c == ')' ? token_kind::close : token_kind::comma;
        ++cursor_;
    } else if (c == '\'') {
        lex_string();
    } else if (is_digit(c) ||
               ((c == '-' || c == '+') && cursor_ + 1 < text_.size() && is_digit(text_[cursor_ + 1]))) {
        lex_integer();
    } else if (is_name_start(c)) {
        while (cursor_ < text_.size() && is_name_part(text_[cursor_])) {
            ++cursor_;
        }
        current_.kind = token_kind::name;
        current_.name = classify(text_.substr(current_.position, cursor_ - current_.position));
    } else {
        fail("unexpected character " + quote(text_.substr(cursor_, 1)) + at(cursor_), cursor_);
    }
    current_.length = cursor_ - current_.position;
}

bool lexer::next_char_is(char c) const {
    std::size_t next = cursor_;
    while (next < text_.size() && is_space(text_[next])) {
        ++next;
    }
    return next < text_.size() && text_[next] == c;
}

void lexer::lex_string() {
    const std::size_t start = cursor_++;
    for (;;) {
        const std::size_t quote_at = text_.find('\'', cursor_);
        if (quote_at == std::string_view::npos) {
            fail("unterminated string starting" + at(start), start);
        }
        current_.text.append(text_.substr(cursor_, quote_at - cursor_));
        cursor_ = quote_at + 1;
        if (cursor_ < text_.size() && text_[cursor_] == '\'') {
            current_.text += '\'';
            ++cursor_;
            continue;
        }
        break;
    }
    current_.kind = token_kind::string;
}

void lexer::lex_integer() {
    const std::size_t start = cursor_;
    const bool negative = text_[cursor_] == '-';
    if (text_[cursor_] == '-' || text_[cursor_] == '+') {
        ++cursor_;
    }
    // The magnitude of INT64_MIN, so that every int64 can be written.
    const std::uint64_t limit =
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
    std::uint64_t magnitude = 0;
    bool overflow = false;
    while (cursor_ < text_.size() && is_digit(text_[cursor_])) {
        const auto digit = static_cast<std::uint64_t>(text_[cursor_] - '0');
        overflow = overflow || magnitude > (limit - digit) / 10;
        if (!overflow) {
            magnitude = magnitude * 10 + digit;
        }
        ++cursor_;
    }
    if (overflow) {
        fail("integer " + quote(text_.substr(start, cursor_ - start)) + at(start) +
                 " is out of range (64-bit signed)",
             start);
    }
    // Two's complement keeps -2^63 exact where negating an int64 would overflow.
    current_.integer = static_cast<std::int64_t>(negative ? ~magnitude + 1 : magnitude);
    current_.kind = token_kind::integer;
}

} // namespace hubcast::core::filter_syntax

#pragma once

// Internal to connection_filter (its parser and evaluator): the tokens of a filter text. Not part
// of core's interface; include connection_filter.hpp instead.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/connection_filter.hpp"

namespace hubcast::core::filter_syntax {

/// Every word the grammar knows. Words are matched case-insensitively: the Azure doc calls the
/// identifiers case-insensitive, and being lenient with keywords and function names as well
/// costs nothing, since no word can mean two things.
enum class word : std::uint8_t {
    none,
    logical_and,
    logical_or,
    logical_not,
    eq,
    ne,
    gt,
    ge,
    lt,
    le,
    in,
    literal_null,
    literal_true,
    literal_false,
    user_id,
    connection_id,
    groups,
    tolower,
    toupper,
    trim,
    substring,
    concat,
    endswith,
    startswith,
    contains,
    indexof,
    length,
};

enum class token_kind : std::uint8_t { end, name, string, integer, open, close, comma };

struct token {
    token_kind kind = token_kind::end;
    std::size_t position = 0;
    std::size_t length = 0; ///< of its source text
    word name = word::none;
    std::int64_t integer = 0;
    std::string text; ///< a string literal, unescaped
};

/// Carries a refusal from wherever the lexer or the parser finds it up to connection_filter::parse,
/// which returns it as a value: it never escapes parse. The recursion it unwinds is bounded by
/// connection_filter::max_depth.
struct parse_failure {
    filter_error error;
};

[[noreturn]] void fail(std::string message, std::size_t position);

/// Shows part of the filter text in a message: cut short, with every byte outside printable
/// ASCII escaped, so a message is always safe to put in a JSON error body, and quoted unless it
/// is a string literal that brings its own quotes.
std::string quote(std::string_view text, bool add_quotes = true);

/// " at position N", the way every message names where the problem is.
std::string at(std::size_t position);

/// ASCII whitespace: what separates tokens and what trim() removes.
bool is_space(char c);

/// Cuts a filter text into tokens, one ahead of the parser.
class lexer {
public:
    explicit lexer(std::string_view text) : text_(text) {}

    /// Moves to the next token; throws parse_failure for an unterminated string, an integer out of
    /// range or a character that starts no token.
    void advance();

    const token& current() const { return current_; }
    /// The current string literal's text, for the parser to keep.
    std::string take_text() { return std::move(current_.text); }
    /// The source text of the current token.
    std::string_view source() const { return text_.substr(current_.position, current_.length); }
    /// Whether the next character that is not a space is `c`, without lexing what follows.
    bool next_char_is(char c) const;

private:
    void lex_string();
    void lex_integer();

    std::string_view text_;
    std::size_t cursor_ = 0;
    token current_;
};

} // namespace hubcast::core::filter_syntax

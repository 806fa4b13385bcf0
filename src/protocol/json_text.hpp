#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

// Pieces of JSON text shared by the request decoder, the checker and the encoders.

namespace hubcast::protocol {

/// Writes `text` as a JSON string literal (with quotes), escaping as RFC 8259 requires.
void append_json_string(std::string& out, std::string_view text);

/// Appends `value` in decimal, as a JSON number.
void append_json_uint(std::string& out, std::uint64_t value);

namespace detail {

/// For each byte: 0 when it is copied as is, otherwise the letter after the backslash ('u' for
/// the \u00XX form).
constexpr std::array<char, 256> make_escape_table() noexcept {
    std::array<char, 256> table{};
    for (int c = 0; c < 0x20; ++c) {
        table[c] = 'u';
    }
    table['\b'] = 'b';
    table['\f'] = 'f';
    table['\n'] = 'n';
    table['\r'] = 'r';
    table['\t'] = 't';
    table['"'] = '"';
    table['\\'] = '\\';
    return table;
}

inline constexpr auto json_escape_table = make_escape_table();

} // namespace detail

/// Length of the longest prefix of [p, end) that a JSON string holds unescaped: no '"', '\\' or
/// control character. Inline: the checker and the escaper call it for every string. Strings are
/// mostly such bytes, so eight are tested per step (SWAR: a byte is flagged when it is zero after
/// the xor, or below 0x20).
inline std::size_t plain_string_prefix(const char* p, const char* end) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
    const char* const start = p;
    while (end - p >= 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, p, sizeof word);
        const std::uint64_t quote = word ^ (ones * '"');
        const std::uint64_t backslash = word ^ (ones * '\\');
        const std::uint64_t flagged =
            ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((word - ones * 0x20) & ~word);
        if ((flagged & high_bits) != 0) {
            break;
        }
        p += 8;
    }
    while (p != end && detail::json_escape_table[static_cast<unsigned char>(*p)] == 0) {
        ++p;
    }
    return static_cast<std::size_t>(p - start);
}

} // namespace hubcast::protocol

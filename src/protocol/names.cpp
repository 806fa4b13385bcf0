#include "protocol/names.hpp"

#include <cstdint>

#include "protocol/utf8.hpp"

namespace hubcast::protocol {

namespace {

constexpr bool is_ascii_letter(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

constexpr bool is_ascii_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

/// The code points .NET's char.IsWhiteSpace accepts: the emulator rejects a group name for which
/// string.IsNullOrWhiteSpace holds, so "whitespace" here means exactly that set.
constexpr bool is_unicode_white_space(std::uint32_t cp) noexcept {
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
           cp == 0x3000;
}

/// True if every code point of `text` is whitespace. `text` must be valid UTF-8, so the lead byte
/// tells the sequence length and the continuation bytes are present.
bool is_all_white_space(std::string_view text) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) {
        std::uint32_t cp = *p;
        if (cp < 0x80) {
            p += 1;
        } else if (cp < 0xe0) {
            cp = ((cp & 0x1f) << 6) | (p[1] & 0x3f);
            p += 2;
        } else if (cp < 0xf0) {
            cp = ((cp & 0x0f) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3f);
            p += 3;
        } else {
            // No whitespace lies outside the Basic Multilingual Plane.
            return false;
        }
        if (!is_unicode_white_space(cp)) {
            return false;
        }
    }
    return true;
}

} // namespace

bool is_valid_hub_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > max_hub_name || !is_ascii_letter(name.front())) {
        return false;
    }
    for (char c : name.substr(1)) {
        const bool allowed = is_ascii_letter(c) || is_ascii_digit(c) || c == '_' || c == '`' || c == ',' ||
                             c == '.' || c == '[' || c == ']';
        if (!allowed) {
            return false;
        }
    }
    return true;
}

// Group names and user ids are written back into JSON and protobuf strings, which must hold valid
// UTF-8.
namespace {
/// The length .NET gives the string (UTF-16 code units) of valid UTF-8: one per code point, two for
/// one beyond U+FFFF (a four-byte sequence). Continuation bytes (10xxxxxx) count nothing.
std::size_t utf16_length(std::string_view utf8) noexcept {
    std::size_t units = 0;
    for (const char c : utf8) {
        const auto byte = static_cast<std::uint8_t>(c);
        if ((byte & 0xc0) != 0x80) {
            units += byte >= 0xf0 ? 2 : 1;
        }
    }
    return units;
}
} // namespace

bool is_valid_group_name(std::string_view name) noexcept {
    // A UTF-16 unit takes at most 3 UTF-8 bytes, so the byte bound rejects the absurd before any
    // decoding.
    return !name.empty() && name.size() <= 3 * max_group_name && is_valid_utf8(name) &&
           utf16_length(name) <= max_group_name && !is_all_white_space(name);
}

bool is_valid_event_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > max_event_name || !is_ascii_letter(name.front())) {
        return false;
    }
    for (char c : name.substr(1)) {
        if (!(is_ascii_letter(c) || is_ascii_digit(c) || c == '_' || c == '.' || c == '-')) {
            return false;
        }
    }
    return true;
}

bool is_valid_user_id(std::string_view id) noexcept {
    return !id.empty() && id.size() <= max_user_id && is_valid_utf8(id);
}

} // namespace hubcast::protocol

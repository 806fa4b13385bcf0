#include "util/base64.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace hubcast::util {

namespace {

constexpr std::string_view standard_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0x80 marks a byte outside the alphabet. Sextets are below 0x40, so OR-ing the four lookups of a
// quantum and testing one bit rejects any bad character without a branch per byte.
constexpr std::uint8_t invalid = 0x80;

constexpr std::array<std::uint8_t, 256> make_decode_table(std::string_view alphabet) {
    std::array<std::uint8_t, 256> table{};
    table.fill(invalid);
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return table;
}

constexpr auto standard_table = make_decode_table(standard_alphabet);
constexpr auto url_table = make_decode_table(url_alphabet);

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t full = bytes.size() / 3;
    const std::size_t rest = bytes.size() % 3;
    std::size_t size = full * 4;
    if (rest != 0) {
        size += pad ? 4 : rest + 1;
    }
    std::string out(size, '=');
    char* o = out.data();
    for (std::size_t i = 0; i < full; ++i, in += 3, o += 4) {
        const std::uint32_t v = (std::uint32_t{in[0]} << 16) | (std::uint32_t{in[1]} << 8) | in[2];
        o[0] = alphabet[v >> 18];
        o[1] = alphabet[(v >> 12) & 0x3f];
        o[2] = alphabet[(v >> 6) & 0x3f];
        o[3] = alphabet[v & 0x3f];
    }
    if (rest == 1) {
        o[0] = alphabet[in[0] >> 2];
        o[1] = alphabet[(in[0] & 0x03) << 4];
    } else if (rest == 2) {
        o[0] = alphabet[in[0] >> 2];
        o[1] = alphabet[((in[0] & 0x03) << 4) | (in[1] >> 4)];
        o[2] = alphabet[(in[1] & 0x0f) << 2];
    }
    return out;
}

/// The size `text` (alphabet characters only, padding removed) decodes to; nullopt for a length
/// of 4n+1, which cannot come from any encoder.
std::optional<std::size_t> decoded_size(std::string_view text) noexcept {
    const std::size_t rest = text.size() % 4;
    if (rest == 1) {
        return std::nullopt;
    }
    return text.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1);
}

/// Decodes `text` made only of alphabet characters (padding already removed) into `o`, which holds
/// decoded_size(text) bytes; false on a character outside the alphabet. Bits below the last full
/// byte must be zero: every encoder writes them so, and rejecting the other spellings keeps
/// decoding one-to-one.
bool decode_into(std::string_view text, const std::array<std::uint8_t, 256>& table,
                 unsigned char* o) noexcept {
    const std::size_t full = text.size() / 4;
    const std::size_t rest = text.size() % 4;
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    for (std::size_t i = 0; i < full; ++i, in += 4, o += 3) {
        const std::uint32_t a = table[in[0]];
        const std::uint32_t b = table[in[1]];
        const std::uint32_t c = table[in[2]];
        const std::uint32_t d = table[in[3]];
        if (((a | b | c | d) & invalid) != 0) {
            return false;
        }
        const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        o[0] = static_cast<unsigned char>(v >> 16);
        o[1] = static_cast<unsigned char>(v >> 8);
        o[2] = static_cast<unsigned char>(v);
    }
    if (rest == 2) {
        const std::uint32_t a = table[in[0]];
        const std::uint32_t b = table[in[1]];
        if (((a | b) & invalid) != 0 || (b & 0x0f) != 0) {
            return false;
        }
        o[0] = static_cast<unsigned char>((a << 2) | (b >> 4));
    } else if (rest == 3) {
        const std::uint32_t a = table[in[0]];
        const std::uint32_t b = table[in[1]];
        const std::uint32_t c = table[in[2]];
        if (((a | b | c) & invalid) != 0 || (c & 0x03) != 0) {
            return false;
        }
        o[0] = static_cast<unsigned char>((a << 2) | (b >> 4));
        o[1] = static_cast<unsigned char>(((b & 0x0f) << 4) | (c >> 2));
    }
    return true;
}

std::optional<std::string> decode_unpadded(std::string_view text,
                                           const std::array<std::uint8_t, 256>& table) {
    const auto size = decoded_size(text);
    if (!size) {
        return std::nullopt;
    }
    std::string out(*size, '\0');
    if (!decode_into(text, table, reinterpret_cast<unsigned char*>(out.data()))) {
        return std::nullopt;
    }
    return out;
}

} // namespace

std::string base64_encode(std::string_view bytes) {
    return encode(bytes, standard_alphabet, true);
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    // At most two '=' and only at the very end; any other '=' fails the alphabet lookup.
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') {
        padding = text[text.size() - 2] == '=' ? 2 : 1;
    }
    return decode_unpadded(text.substr(0, text.size() - padding), standard_table);
}

std::string base64url_encode(std::string_view bytes) {
    return encode(bytes, url_alphabet, false);
}

std::optional<std::string> base64url_decode(std::string_view text) {
    return decode_unpadded(text, url_table);
}

std::optional<std::size_t> base64url_decode_to(std::string_view text, std::span<char> out) noexcept {
    const auto size = decoded_size(text);
    if (!size || *size > out.size() ||
        !decode_into(text, url_table, reinterpret_cast<unsigned char*>(out.data()))) {
        return std::nullopt;
    }
    return size;
}

} // namespace hubcast::util

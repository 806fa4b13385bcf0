#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hubcast::test {

/// The tests' UTF-8 oracle: decodes code point by code point and checks RFC 3629's ranges
/// (shortest form, no surrogates, at most U+10FFFF). Deliberately written unlike hubcast's DFA
/// (src/protocol/utf8.cpp) so that the two cannot share a mistake; the unit tests, the test
/// clients and the frame fuzzer all judge hubcast's answers by it. Header-only so that the fuzz
/// build, which compiles no test support library, can use it too.
inline bool is_valid_utf8(std::string_view bytes) noexcept {
    std::size_t i = 0;
    while (i < bytes.size()) {
        const auto lead = static_cast<std::uint8_t>(bytes[i]);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        std::uint32_t code = 0;
        std::uint32_t min = 0;
        if ((lead & 0xE0) == 0xC0) {
            length = 2, code = lead & 0x1Fu, min = 0x80;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3, code = lead & 0x0Fu, min = 0x800;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4, code = lead & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (i + length > bytes.size()) {
            return false;
        }
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<std::uint8_t>(bytes[i + k]);
            if ((next & 0xC0) != 0x80) {
                return false;
            }
            code = (code << 6) | (next & 0x3Fu);
        }
        if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
            return false;
        }
        i += length;
    }
    return true;
}

} // namespace hubcast::test

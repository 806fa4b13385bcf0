#include "protocol/json_text.hpp"

#include <array>
#include <charconv>

namespace hubcast::protocol {

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    const char* p = text.data();
    const char* const end = text.data() + text.size();
    for (;;) {
        const char* const run = p;
        p += plain_string_prefix(p, end);
        out.append(run, p);
        if (p == end) {
            break;
        }
        const auto c = static_cast<unsigned char>(*p++);
        const char escape = detail::json_escape_table[c];
        out += '\\';
        out += escape;
        if (escape == 'u') {
            out += "00";
            out += hex[c >> 4];
            out += hex[c & 0x0f];
        }
    }
    out += '"';
}

void append_json_uint(std::string& out, std::uint64_t value) {
    std::array<char, 20> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
    out.append(digits.data(), end);
}

} // namespace hubcast::protocol

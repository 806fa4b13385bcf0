#include "util/query_string.hpp"

#include <cstddef>

namespace hubcast::util {

namespace {

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/// The byte of the escape at text[i] ('%' and two hex digits), or -1 when there is none.
int escaped_byte(std::string_view text, std::size_t i) noexcept {
    if (text[i] != '%' || i + 2 >= text.size()) {
        return -1;
    }
    const int high = hex_digit(text[i + 1]);
    const int low = hex_digit(text[i + 2]);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
}

/// `raw` percent-decoded equals `name`, compared while decoding (no copy).
bool key_equals(std::string_view raw, std::string_view name) noexcept {
    // A decoded key is never longer than its encoding.
    if (raw.size() < name.size()) {
        return false;
    }
    std::size_t j = 0;
    for (std::size_t i = 0; i < raw.size(); ++i, ++j) {
        char c = raw[i];
        if (const int byte = escaped_byte(raw, i); byte >= 0) {
            c = static_cast<char>(byte);
            i += 2;
        }
        if (j >= name.size() || name[j] != c) {
            return false;
        }
    }
    return j == name.size();
}

} // namespace

void find_query_params(std::string_view query, std::span<query_lookup> lookups) noexcept {
    std::size_t missing = 0;
    for (auto& lookup : lookups) {
        lookup.found = false;
        lookup.raw_value.reset();
        ++missing;
    }
    std::size_t start = 0;
    while (missing > 0) {
        const auto end = query.find('&', start);
        const std::string_view param =
            query.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        const auto equals = param.find('=');
        const std::string_view key = param.substr(0, equals);
        for (auto& lookup : lookups) {
            if (!lookup.found && key_equals(key, lookup.name)) {
                lookup.found = true;
                if (equals != std::string_view::npos) {
                    lookup.raw_value = param.substr(equals + 1);
                }
                --missing;
            }
        }
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
}

std::string decode_query_value(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') {
            out.push_back(' ');
        } else if (const int byte = escaped_byte(raw, i); byte >= 0) {
            out.push_back(static_cast<char>(byte));
            i += 2;
        } else {
            out.push_back(raw[i]);
        }
    }
    return out;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+' && plus_is_space) {
            out.push_back(' ');
        } else if (text[i] != '%') {
            out.push_back(text[i]);
        } else if (const int byte = escaped_byte(text, i); byte >= 0) {
            out.push_back(static_cast<char>(byte));
            i += 2;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

bool is_plain_query_value(std::string_view raw) noexcept {
    return raw.find_first_of("%+") == std::string_view::npos;
}

} // namespace hubcast::util

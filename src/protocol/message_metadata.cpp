#include "protocol/message_metadata.hpp"

#include <algorithm>

#include "protocol/ascii.hpp"

namespace hubcast::protocol {

namespace {

/// RFC 9110 `tchar`: the characters of an HTTP header name, so that a key can travel as the
/// X-WebPubSub-Metadata-<key> header.
bool is_token_char(char c) noexcept {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    constexpr std::string_view others = "!#$%&'*+-.^_`|~";
    return others.find(c) != std::string_view::npos;
}

bool is_printable_ascii(char c) noexcept {
    return c >= 0x20 && c <= 0x7e;
}

/// Sorting lowercased copies keeps this O(n log n): 8 KiB of one-byte keys would make a pairwise
/// check millions of comparisons per message.
bool has_repeated_key(const message_metadata& metadata) {
    if (metadata.size() < 2) {
        return false;
    }
    std::vector<std::string> keys;
    keys.reserve(metadata.size());
    for (const auto& entry : metadata) {
        keys.push_back(to_lower_ascii(entry.first));
    }
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
}

} // namespace

std::string_view metadata_error(const message_metadata& metadata) {
    std::size_t total = 0;
    for (const auto& [key, value] : metadata) {
        if (key.empty() || key.size() > max_metadata_key_bytes ||
            !std::all_of(key.begin(), key.end(), is_token_char)) {
            return "a metadata key is not 1-256 characters of an HTTP header name";
        }
        if (value.size() > max_metadata_value_bytes ||
            !std::all_of(value.begin(), value.end(), is_printable_ascii)) {
            return "a metadata value is not at most 1024 printable ASCII characters";
        }
        total += key.size() + value.size();
        if (total > max_metadata_bytes) {
            return "the metadata is larger than 8 KiB";
        }
    }
    return has_repeated_key(metadata) ? "a metadata key appears twice" : std::string_view{};
}

} // namespace hubcast::protocol

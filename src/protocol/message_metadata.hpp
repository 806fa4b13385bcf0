#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hubcast::protocol {

/// A message's `metadata`: string keys to string values, as a client's sendToGroup carries them
/// and its recipients receive them (docs/protocol.md, "Metadata"). Kept in the order given; keys
/// are unique (compared case-insensitively).
using message_metadata = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::size_t max_metadata_key_bytes = 256;
inline constexpr std::size_t max_metadata_value_bytes = 1024;
inline constexpr std::size_t max_metadata_bytes = 8 * 1024; ///< keys and values together

/// Why metadata is refused, or an empty string when it is valid: every key an HTTP token
/// (`^[!#$%&'*+\-.^_`|~0-9a-z]+$`, case-insensitive) of at most max_metadata_key_bytes, every
/// value printable ASCII (space included) of at most max_metadata_value_bytes, no key twice, and
/// max_metadata_bytes in all.
/// Allocates (may throw std::bad_alloc) only when there are two keys or more.
std::string_view metadata_error(const message_metadata& metadata);

} // namespace hubcast::protocol

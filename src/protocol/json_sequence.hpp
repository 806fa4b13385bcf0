#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hubcast::protocol {

// Reliable JSON data messages (spec 5.1) are the plain `message` with `"sequenceId":N` as their
// first member. What follows the opening brace (json_sequenced_body) is the same for every
// recipient of a send; only json_sequence_prefix(N) is per connection, and prefix + body is one
// JSON object. Clients read members in any order (spec 4.1), so the position is free.

/// `{"sequenceId":N,` (N is never 0: ids start at 1).
std::string json_sequence_prefix(std::uint64_t sequence_id);
/// Its length, and the same written at `out` (which has room for it), returning the end.
std::size_t json_sequence_prefix_size(std::uint64_t sequence_id) noexcept;
char* write_json_sequence_prefix(char* out, std::uint64_t sequence_id) noexcept;
/// `message` (an encode_group_message / encode_server_message result) without its opening brace.
std::string_view json_sequenced_body(std::string_view message) noexcept;

} // namespace hubcast::protocol

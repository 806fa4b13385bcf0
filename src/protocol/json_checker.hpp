#pragma once

#include <optional>
#include <string_view>

namespace hubcast::protocol {

/// Deepest nesting of objects and arrays accepted in a frame, counting the frame's own object.
/// System.Text.Json and Json.NET stop at 64 by default: the emulator rejects deeper frames, and a
/// .NET client could not read a message whose `data` went deeper.
inline constexpr int max_json_depth = 64;

/// Whether `text` is exactly one JSON value (RFC 8259), white space around it allowed, nested at
/// most `max_depth` containers deep. Needed because On-Demand skips the values it is not asked to
/// read without checking them (`{"a":tru}` skips fine), and simdjson's DOM rejects integers beyond
/// 64 bits, which JSON.stringify writes for 1e20. Lone surrogate escapes pass, as JSON.parse takes
/// them. `text` must be valid UTF-8 (not checked here).
bool is_single_json_value(std::string_view text, int max_depth) noexcept;

/// For JSON payloads that arrive by another route (protobuf `json_data`): `text` without its
/// surrounding JSON white space when it is exactly one JSON value other than `null`, nested no
/// deeper than the `data` of a JSON frame may be; nullopt otherwise. JSON clients receive such a
/// payload inlined into their messages, so it must hold the same promises as decoded JSON data.
/// `text` must be valid UTF-8 (not checked here).
std::optional<std::string_view> json_data_text(std::string_view text) noexcept;

} // namespace hubcast::protocol

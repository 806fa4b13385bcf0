#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hubcast::protocol {

/// What a client speaks. `none` is a simple WebSocket client (raw frames).
enum class subprotocol_kind : std::uint8_t { none, json, json_reliable, protobuf, protobuf_reliable };

/// The families a prepared message encodes for: one encoded frame per family serves every
/// recipient of that family (design section 5).
enum class frame_family : std::uint8_t { raw, json, protobuf };
inline constexpr std::size_t frame_family_count = 3;

constexpr frame_family family_of(subprotocol_kind kind) noexcept {
    switch (kind) {
    case subprotocol_kind::json:
    case subprotocol_kind::json_reliable:
        return frame_family::json;
    case subprotocol_kind::protobuf:
    case subprotocol_kind::protobuf_reliable:
        return frame_family::protobuf;
    case subprotocol_kind::none:
        break;
    }
    return frame_family::raw;
}

/// The reliable variants: numbered data messages, acknowledgements and recovery (spec 5).
constexpr bool is_reliable(subprotocol_kind kind) noexcept {
    return kind == subprotocol_kind::json_reliable || kind == subprotocol_kind::protobuf_reliable;
}

/// The exact name a client offers and the server echoes, e.g. "json.webpubsub.azure.v1".
std::string_view to_string(subprotocol_kind kind) noexcept;

/// Matches a service subprotocol name case-insensitively; anything else is not a service one.
std::optional<subprotocol_kind> parse_subprotocol(std::string_view name) noexcept;

} // namespace hubcast::protocol

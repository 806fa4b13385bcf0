#pragma once

#include <cstddef>
#include <string_view>

namespace hubcast::protocol {

inline constexpr std::size_t max_hub_name = 128;
inline constexpr std::size_t max_group_name = 1024;
inline constexpr std::size_t max_event_name = 128;
inline constexpr std::size_t max_user_id = 1024;
inline constexpr std::size_t max_connection_id = 256;

/// ^[A-Za-z][A-Za-z0-9_`,.\[\]]{0,127}$ (spec 1.2).
bool is_valid_hub_name(std::string_view name) noexcept;
/// Valid UTF-8 of 1..1024 characters as .NET counts them (UTF-16 code units: a character beyond
/// U+FFFF counts two), not whitespace-only (spec 8; docs/protocol.md).
bool is_valid_group_name(std::string_view name) noexcept;
/// ^[a-z][a-z0-9_.-]{0,127}$, case-insensitive (spec 4.2).
bool is_valid_event_name(std::string_view name) noexcept;
/// 1..1024 bytes (REST constraint min 1; our documented maximum 1024).
bool is_valid_user_id(std::string_view id) noexcept;

} // namespace hubcast::protocol

#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hubcast::util {

/// Standard alphabet with padding (what Buffer.toString("base64") and Convert.ToBase64String write).
std::string base64_encode(std::string_view bytes);
/// Strict standard-alphabet decode; padding required when the length is not a multiple of 4...
/// std::nullopt on any invalid input.
std::optional<std::string> base64_decode(std::string_view text);

/// URL-safe alphabet without padding (JWT segments, RFC 7515).
std::string base64url_encode(std::string_view bytes);
/// Strict base64url decode (no padding, no other characters); std::nullopt on invalid input.
std::optional<std::string> base64url_decode(std::string_view text);
/// base64url_decode() into `out`, without allocating: the decoded size, or std::nullopt when the
/// input is invalid or `out` is too small (3 bytes per 4 characters suffice). `out` may have been
/// written to even then.
std::optional<std::size_t> base64url_decode_to(std::string_view text, std::span<char> out) noexcept;

} // namespace hubcast::util

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "auth/access_keys.hpp"
#include "util/result.hpp"

namespace hubcast::auth {

enum class jwt_error : std::uint8_t {
    too_large,             ///< over max_token_bytes
    malformed,             ///< not three base64url segments of JSON objects
    unsupported_algorithm, ///< alg other than HS256 (including "none"), or a `crit` header
    bad_signature,         ///< no configured key verifies it
};

std::string_view describe(jwt_error error) noexcept;

inline constexpr std::size_t max_token_bytes = std::size_t{8} * 1024;

/// Verifies an HS256 JWT against every key (constant-time comparison) and returns its claims.
/// Checks only the structure, the algorithm and the signature; claim checks are the caller's.
/// The payload is parsed only after the signature verified. Thread-safe.
util::result<boost::json::object, jwt_error> verify_hs256(std::string_view token, const access_keys& keys);

/// HMAC-SHA256 of `data` under `key` (the primitive of HS256), for other values hubcast signs;
/// nullopt only when libcrypto fails. Thread-safe.
std::optional<std::array<unsigned char, 32>> hmac_sha256(std::string_view key, std::string_view data);

/// Signs `claims` with header {"alg":"HS256","typ":"JWT"}.
std::string sign_hs256(const boost::json::object& claims, std::string_view key);

} // namespace hubcast::auth

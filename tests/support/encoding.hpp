#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "support/utf8_oracle.hpp" // is_valid_utf8, the oracle

namespace hubcast::test {

// The tests' own encoders, written independently of src/ so that a bug in the code under test
// cannot cancel itself out in the test that checks it.

/// Standard alphabet with padding (RFC 4648 section 4).
std::string base64_encode(std::string_view bytes);
/// URL-safe alphabet without padding (RFC 7515 base64url).
std::string base64url_encode(std::string_view bytes);

/// Decodes base64url with or without padding; std::nullopt on any other character.
std::optional<std::string> base64url_decode(std::string_view text);

/// Raw digests and MACs (OpenSSL).
std::string sha1(std::string_view bytes);
enum class hmac_digest { sha256, sha384 };
std::string hmac(hmac_digest digest, std::string_view key, std::string_view bytes);

/// Percent-encodes everything outside RFC 3986 unreserved characters (for query values).
std::string url_encode(std::string_view text);

/// Printable rendering of arbitrary bytes for failure messages, cut to `limit` characters.
std::string printable(std::string_view bytes, std::size_t limit = 200);

} // namespace hubcast::test

#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/access_keys.hpp"

namespace hubcast::auth {

/// Issues and checks the `reconnectionToken` of reliable sessions (spec 5.4): an HS256 JWT whose
/// `aud` is the connection id, with a random `jti` and a week's lifetime, as Microsoft's emulator
/// makes them. It is signed with a secret of this process, not with the access keys:
/// - a session never outlives its process, so neither needs its token;
/// - an access token (aud: a URL) and a reconnection token (aud: a connection id, `typ` below) can
///   never stand in for each other, even to a verifier that forgot a claim check;
/// - rotating access keys does not break clients in the middle of a recovery.
/// The token is base64url and dots only, so it survives URL query encoding unchanged.
/// Thread-safe: the secret is immutable after construction.
class reconnection_tokens {
public:
    /// The client spec's "about 1 week".
    static constexpr std::chrono::seconds default_lifetime{std::chrono::hours(24 * 7)};

    /// Signs with 32 bytes from OpenSSL's CSPRNG.
    reconnection_tokens();
    /// Signs with `secret` (tests; must not be empty).
    explicit reconnection_tokens(std::string secret, std::chrono::seconds lifetime = default_lifetime);

    /// A token for `connection_id`, valid from `now` (seconds since the epoch) for the lifetime.
    std::string issue(std::string_view connection_id, std::int64_t now) const;
    /// True only for a token this object issued for exactly `connection_id` and not yet expired
    /// at `now`. No clock skew: the issuer is this process.
    bool verify(std::string_view token, std::string_view connection_id, std::int64_t now) const;
    /// The SHA-256 of `token` (32 bytes): what a reliable session keeps of the token it was given,
    /// so that any node holding the session checks a recovery without this object's secret.
    static std::string digest(std::string_view token);

private:
    access_keys secret_;
    std::chrono::seconds lifetime_;
};

} // namespace hubcast::auth

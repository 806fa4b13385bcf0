#pragma once

#include <cstdint>
#include <string_view>

namespace hubcast::protocol {

/// Incremental UTF-8 validator (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
/// Fed in pieces, it fails at the first byte that cannot start or continue a valid sequence, which
/// lets a WebSocket peer fail fast on invalid text (Autobahn 6.x).
class utf8_validator {
public:
    /// Returns false as soon as the bytes so far cannot be a prefix of valid UTF-8.
    bool feed(std::string_view bytes) noexcept;
    /// True if everything fed ends on a character boundary (no partial sequence pending).
    bool complete() const noexcept { return state_ == 0; }
    void reset() noexcept { state_ = 0; }

private:
    std::uint32_t state_ = 0;
};

/// Whole-string validation.
bool is_valid_utf8(std::string_view bytes) noexcept;

} // namespace hubcast::protocol

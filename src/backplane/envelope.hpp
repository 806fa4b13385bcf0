#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/backplane.hpp"
#include "util/result.hpp"

namespace hubcast::backplane {

/// A send as it crosses Redis: the payload as the publisher has it (never re-encoded per
/// recipient) and what the receiving router needs to rebuild the prepared message and the same
/// fan-out (scope, names, exclusions, the filter's text, the time left to live).
///
/// Wire form (all integers big-endian; a string is a u32 length then its bytes):
///   u8 version (4), u8 scope, u8 data type, u8 flags (1: from user, 2: time to live, 4: metadata)
///   [u64 milliseconds to live], u64 stream and u64 position of the send (core::send_origin),
///   string origin node key, string hub, string target,
///   [string from user], string filter, string no-echo connection, u32 count, count × string
///   excluded id, [u32 count, count × (string key, string value): the payload's metadata],
///   string payload.
/// Nothing follows the payload. decode() accepts exactly what encode() writes and refuses
/// anything else (a truncated, padded or foreign message) with the reason.
struct envelope {
    std::string origin; ///< node key of the publisher (router::node_key)
    core::incoming_send send;
};

/// Encodes `send` from node `origin`; a deadline becomes the time left at `now` (0 when passed).
std::string encode_envelope(std::string_view origin, const core::outgoing_send& send,
                            std::chrono::steady_clock::time_point now);

util::result<envelope, std::string> decode_envelope(std::string_view bytes);

} // namespace hubcast::backplane

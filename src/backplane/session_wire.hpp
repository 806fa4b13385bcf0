#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/session_snapshot.hpp"
#include "util/result.hpp"

namespace hubcast::backplane {

/// A reliable session as it crosses Redis from the node that held it to the node that takes it
/// over (docs/architecture.md, "Reliable sessions across nodes").
///
/// Wire form (integers big-endian; a string is a u32 length then its bytes; strings is a u32
/// count then that many strings):
///   string connection id, string hub, u8 has user id, [string user id], u8 subprotocol kind,
///   strings groups, then for joinLeaveGroup and sendToGroup: u8 all, strings literals,
///   strings patterns, strings revoked; u32 count + count x u64 remembered ackId,
///   u64 next sequence id, u32 count + count x (u64 sequence id, u64 milliseconds left or
///   2^64-1 for none, string body), u32 count + count x (u64 stream, u64 position): the
///   watermarks of the shard it left (core::send_origin), string recovery digest, u8 has
///   connection state, [string connection state].
/// A deadline crosses as the time left when it is encoded, not as a clock time: node clocks
/// need not agree.
std::string encode_session(const core::session_snapshot& session, std::chrono::steady_clock::time_point now);
util::result<core::session_snapshot, std::string> decode_session(std::string_view bytes,
                                                                 std::chrono::steady_clock::time_point now);

} // namespace hubcast::backplane

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/backplane.hpp"
#include "util/result.hpp"

namespace hubcast::backplane {

/// What a message from Redis is, by its first byte: a send (envelope.hpp, whose version byte is
/// 4), a command for this node, or another node's answer to one of this node's commands. 1 was
/// the envelope before sends carried their origin: a node that still sends it is refused.
enum class wire_kind : std::uint8_t { command = 2, answer = 3, send = 4 };

/// A command as it crosses Redis (docs/scale-out.md, "Commands across nodes"): to the owner's
/// node channel or the commands channel every node listens on; the answer goes to the node channel
/// of `origin`, under the same `request` number.
///
/// Wire form (integers big-endian; a string is a u32 length then its bytes):
///   u8 2, u8 command kind, u64 request, string origin, string hub, string connection id,
///   string user id, string group, u32 count + count × string group, string filter,
///   u32 count + count × string excluded id, u16 close code, string reason, u8 permission,
///   u8 has target (0/1), [string target], string after, u64 limit, string node,
///   string recovery digest, u8 subprotocol.
struct command_message {
    std::uint64_t request = 0;
    std::string origin; ///< node key of the node that waits for the answer
    core::cluster_command command;
};

/// An answer: u8 3, u64 request, u64 value (two's complement), u32 count + count × member
/// (string connection id, u8 has user id, [string user id]), u8 has session, [string session
/// (session_wire.hpp)].
struct answer_message {
    std::uint64_t request = 0;
    core::command_answer answer;
};

std::string encode_command(const command_message& message);
util::result<command_message, std::string> decode_command(std::string_view bytes);

std::string encode_answer(const answer_message& message);
util::result<answer_message, std::string> decode_answer(std::string_view bytes);

} // namespace hubcast::backplane

#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hubcast::test {

/// RFC 6455 opcodes, as plain numbers so that tests can also send the reserved ones.
namespace ws_op {
inline constexpr std::uint8_t continuation = 0x0;
inline constexpr std::uint8_t text = 0x1;
inline constexpr std::uint8_t binary = 0x2;
inline constexpr std::uint8_t close = 0x8;
inline constexpr std::uint8_t ping = 0x9;
inline constexpr std::uint8_t pong = 0xA;
} // namespace ws_op

/// RSV bits as they sit in the first header byte, shifted down: 4 = RSV1, 2 = RSV2, 1 = RSV3.
namespace ws_rsv {
inline constexpr std::uint8_t rsv1 = 4;
inline constexpr std::uint8_t rsv2 = 2;
inline constexpr std::uint8_t rsv3 = 1;
} // namespace ws_rsv

/// One frame a test sends. Anything may be set, including what RFC 6455 forbids.
struct frame_spec {
    std::uint8_t opcode = ws_op::text;
    std::string payload;
    bool fin = true;
    std::uint8_t rsv = 0; ///< 0..7, see ws_rsv
    bool masked = true;   ///< clients must mask; false sends the payload in clear
    std::array<std::uint8_t, 4> mask_key{0x37, 0xfa, 0x21, 0x3d};
};

/// The bytes of `frame`: header (7-, 16- or 64-bit length as RFC 6455 requires), key, payload.
std::string encode_client_frame(const frame_spec& frame);

/// A close frame payload: 2-byte code + reason; no code → empty payload.
std::string close_payload(std::optional<std::uint16_t> code, std::string_view reason = {});

/// One frame as the server sent it.
struct ws_frame {
    std::uint8_t opcode = 0;
    bool fin = true;
    std::uint8_t rsv = 0;
    bool masked = false;
    std::string payload;

    bool is_control() const noexcept { return (opcode & 0x8) != 0; }
    /// For close frames: the code, absent for an empty payload.
    std::optional<std::uint16_t> close_code() const;
    std::string close_reason() const;
    std::string describe() const;
};

std::string opcode_name(std::uint8_t opcode);

/// RFC 6455 section 7.4: a code an endpoint may put in a close frame.
bool is_sendable_close_code(std::uint16_t code) noexcept;

enum class frame_parse { complete, need_more, invalid };

/// Parses the frame at the front of `buffer` without judging it (a test may want to see even a
/// frame the server should not have sent). On `complete` the frame is removed from `buffer`.
/// `invalid` only for a length this client refuses to buffer (over `max_payload`).
frame_parse parse_frame(std::string& buffer, ws_frame& out, std::size_t max_payload = 64 * 1024 * 1024);

/// What RFC 6455 forbids in a server frame (masking, RSV bits without extensions, reserved opcodes,
/// fragmented or oversized control frames, a 1-byte close payload, a bad close code or a reason
/// that is not UTF-8); empty if the frame is well-formed.
std::string server_frame_violation(const ws_frame& frame);

} // namespace hubcast::test

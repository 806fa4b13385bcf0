#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hubcast::protocol {

/// RFC 6455 opcodes.
enum class ws_opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// RFC 6455 close codes hubcast sends.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005; // never sent on the wire
inline constexpr std::uint16_t abnormal = 1006;  // never sent on the wire
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t try_again_later = 1013;
} // namespace close_code

/// Builds one complete unmasked server frame (FIN set). Server frames are identical for every
/// recipient, so a send builds this once and shares it (design section 4).
std::string encode_frame(ws_opcode opcode, std::string_view payload);

/// The header alone (2, 4 or 10 bytes) of a frame whose payload of `payload_size` bytes is written
/// separately, as when a frame is gathered from pieces shared by several recipients.
std::string encode_frame_header(ws_opcode opcode, std::size_t payload_size);

/// The header size (2, 4 or 10 bytes) of a frame whose payload has `payload_size` bytes.
std::size_t frame_header_size(std::size_t payload_size) noexcept;
/// Writes that header (FIN set, unmasked) at `out`, which has room for it; returns its size.
std::size_t write_frame_header(char* out, ws_opcode opcode, std::size_t payload_size) noexcept;

/// The payload of a complete frame built by encode_frame (unmasked, FIN set, length as written).
std::string_view frame_payload(std::string_view frame) noexcept;

/// Builds a close frame: 2-byte code + reason (the reason is cut to fit 123 bytes at a UTF-8
/// boundary). `code == close_code::no_status` builds an empty close frame.
std::string encode_close_frame(std::uint16_t code, std::string_view reason);

/// True if `code` may appear in a close frame received from a peer (RFC 6455 section 7.4).
bool is_valid_close_code(std::uint16_t code) noexcept;

} // namespace hubcast::protocol

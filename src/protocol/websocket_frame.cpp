#include "protocol/websocket_frame.hpp"

namespace hubcast::protocol {

namespace {

constexpr std::size_t max_close_reason_bytes = 123; // 125-byte control payload minus the code

constexpr bool is_continuation_byte(char c) noexcept {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

} // namespace

std::size_t frame_header_size(std::size_t payload_size) noexcept {
    return payload_size < 126 ? 2 : payload_size <= 0xFFFF ? 4 : 10;
}

std::size_t write_frame_header(char* out, ws_opcode opcode, std::size_t payload_size) noexcept {
    auto* bytes = reinterpret_cast<unsigned char*>(out);
    bytes[0] = static_cast<unsigned char>(0x80 | static_cast<unsigned>(opcode));
    if (payload_size < 126) {
        bytes[1] = static_cast<unsigned char>(payload_size);
        return 2;
    }
    if (payload_size <= 0xFFFF) {
        bytes[1] = 126;
        bytes[2] = static_cast<unsigned char>(payload_size >> 8);
        bytes[3] = static_cast<unsigned char>(payload_size);
        return 4;
    }
    bytes[1] = 127;
    const auto wide = static_cast<std::uint64_t>(payload_size);
    for (int i = 0; i < 8; ++i) {
        bytes[2 + i] = static_cast<unsigned char>(wide >> (56 - 8 * i));
    }
    return 10;
}

std::string encode_frame(ws_opcode opcode, std::string_view payload) {
    const std::size_t size = payload.size();
    const std::size_t header = frame_header_size(size);
    std::string frame;
    frame.resize(header + size);
    write_frame_header(frame.data(), opcode, size);
    payload.copy(frame.data() + header, size);
    return frame;
}

std::string encode_frame_header(ws_opcode opcode, std::size_t payload_size) {
    std::string header(frame_header_size(payload_size), '\0');
    write_frame_header(header.data(), opcode, payload_size);
    return header;
}

std::string_view frame_payload(std::string_view frame) noexcept {
    if (frame.size() < 2) {
        return {};
    }
    const auto length = static_cast<unsigned char>(frame[1]) & 0x7F;
    const std::size_t header = length < 126 ? 2 : length == 126 ? 4 : 10;
    return frame.size() < header ? std::string_view{} : frame.substr(header);
}

std::string encode_close_frame(std::uint16_t code, std::string_view reason) {
    if (code == close_code::no_status) {
        return encode_frame(ws_opcode::close, {});
    }
    if (reason.size() > max_close_reason_bytes) {
        // Cutting inside a character would make the peer fail the close with 1007.
        std::size_t cut = max_close_reason_bytes;
        while (cut > 0 && is_continuation_byte(reason[cut])) {
            --cut;
        }
        reason = reason.substr(0, cut);
    }
    std::string body;
    body.reserve(2 + reason.size());
    body.push_back(static_cast<char>(code >> 8));
    body.push_back(static_cast<char>(code & 0xFF));
    body.append(reason);
    return encode_frame(ws_opcode::close, body);
}

bool is_valid_close_code(std::uint16_t code) noexcept {
    if (code >= 3000 && code <= 4999) {
        return true; // registered (3xxx) and private (4xxx) use
    }
    switch (code) {
    case 1000: // normal
    case 1001: // going away
    case 1002: // protocol error
    case 1003: // unsupported data
    case 1007: // invalid payload
    case 1008: // policy violation
    case 1009: // message too big
    case 1010: // mandatory extension
    case 1011: // internal error
    case 1012: // service restart (IANA registry, after RFC 6455)
    case 1013: // try again later
    case 1014: // bad gateway
        return true;
    default:
        // 1004 reserved, 1005/1006/1015 must never be on the wire, the rest are unassigned.
        return false;
    }
}

} // namespace hubcast::protocol

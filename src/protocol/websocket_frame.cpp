#include "protocol/websocket_frame.hpp"

namespace hubcast::protocol {

namespace {

constexpr std::size_t max_close_reason_bytes = 123; // 125-byte control payload minus the code

constexpr bool is_continuation_byte(char c) noexcept {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

} // namespace

std::string encode_frame(ws_opcode opcode, std::string_view payload) {
    const std::size_t size = payload.size();
    const std::size_t header_size = size < 126 ? 2 : size <= 0xFFFF ? 4 : 10;
    std::string frame;
    frame.resize(header_size + size);
    auto* out = reinterpret_cast<unsigned char*>(frame.data());
    out[0] = static_cast<unsigned char>(0x80 | static_cast<unsigned>(opcode));
    if (header_size == 2) {
        out[1] = static_cast<unsigned char>(size);
    } else if (header_size == 4) {
        out[1] = 126;
        out[2] = static_cast<unsigned char>(size >> 8);
        out[3] = static_cast<unsigned char>(size);
    } else {
        out[1] = 127;
        const auto wide = static_cast<std::uint64_t>(size);
        for (int i = 0; i < 8; ++i) {
            out[2 + i] = static_cast<unsigned char>(wide >> (56 - 8 * i));
        }
    }
    payload.copy(frame.data() + header_size, size);
    return frame;
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

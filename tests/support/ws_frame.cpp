#include "support/ws_frame.hpp"

#include "support/encoding.hpp"

namespace hubcast::test {

std::string encode_client_frame(const frame_spec& frame) {
    std::string out;
    out += static_cast<char>((frame.fin ? 0x80 : 0x00) | ((frame.rsv & 0x7) << 4) | (frame.opcode & 0x0F));
    const std::uint8_t mask_bit = frame.masked ? 0x80 : 0x00;
    const std::size_t size = frame.payload.size();
    if (size <= 125) {
        out += static_cast<char>(mask_bit | size);
    } else if (size <= 0xFFFF) {
        out += static_cast<char>(mask_bit | 126);
        out += static_cast<char>((size >> 8) & 0xFF);
        out += static_cast<char>(size & 0xFF);
    } else {
        out += static_cast<char>(mask_bit | 127);
        for (int shift = 56; shift >= 0; shift -= 8) {
            out += static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xFF);
        }
    }
    if (!frame.masked) {
        out += frame.payload;
        return out;
    }
    for (std::uint8_t byte : frame.mask_key) {
        out += static_cast<char>(byte);
    }
    const std::size_t start = out.size();
    out += frame.payload;
    for (std::size_t i = 0; i < size; ++i) {
        out[start + i] = static_cast<char>(static_cast<std::uint8_t>(out[start + i]) ^ frame.mask_key[i % 4]);
    }
    return out;
}

std::string close_payload(std::optional<std::uint16_t> code, std::string_view reason) {
    std::string out;
    if (code) {
        out += static_cast<char>(*code >> 8);
        out += static_cast<char>(*code & 0xFF);
        out += reason;
    }
    return out;
}

std::optional<std::uint16_t> ws_frame::close_code() const {
    if (payload.size() < 2) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                      static_cast<std::uint8_t>(payload[1]));
}

std::string ws_frame::close_reason() const {
    return payload.size() > 2 ? payload.substr(2) : std::string{};
}

std::string opcode_name(std::uint8_t opcode) {
    switch (opcode) {
    case ws_op::continuation:
        return "continuation";
    case ws_op::text:
        return "text";
    case ws_op::binary:
        return "binary";
    case ws_op::close:
        return "close";
    case ws_op::ping:
        return "ping";
    case ws_op::pong:
        return "pong";
    default:
        return "opcode " + std::to_string(opcode);
    }
}

std::string ws_frame::describe() const {
    std::string out = opcode_name(opcode);
    if (!fin) {
        out += " (no FIN)";
    }
    if (rsv != 0) {
        out += " rsv=" + std::to_string(rsv);
    }
    if (masked) {
        out += " (masked)";
    }
    if (opcode == ws_op::close) {
        auto code = close_code();
        out += code ? " code " + std::to_string(*code) + " reason \"" + printable(close_reason()) + "\""
                    : " without code";
        return out;
    }
    out += " [" + std::to_string(payload.size()) + " bytes] " + printable(payload);
    return out;
}

bool is_sendable_close_code(std::uint16_t code) noexcept {
    if (code >= 3000 && code <= 4999) {
        return true;
    }
    switch (code) {
    case 1000:
    case 1001:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1011:
    case 1012:
    case 1013:
    case 1014:
        return true;
    default:
        return false;
    }
}

frame_parse parse_frame(std::string& buffer, ws_frame& out, std::size_t max_payload) {
    if (buffer.size() < 2) {
        return frame_parse::need_more;
    }
    const auto b0 = static_cast<std::uint8_t>(buffer[0]);
    const auto b1 = static_cast<std::uint8_t>(buffer[1]);
    std::size_t header = 2;
    std::uint64_t length = b1 & 0x7F;
    if (length == 126) {
        header += 2;
    } else if (length == 127) {
        header += 8;
    }
    const bool masked = (b1 & 0x80) != 0;
    if (masked) {
        header += 4;
    }
    if (buffer.size() < header) {
        return frame_parse::need_more;
    }
    if (length >= 126) {
        std::size_t bytes = length == 126 ? 2 : 8;
        length = 0;
        for (std::size_t i = 0; i < bytes; ++i) {
            length = (length << 8) | static_cast<std::uint8_t>(buffer[2 + i]);
        }
    }
    if (length > max_payload) {
        return frame_parse::invalid;
    }
    if (buffer.size() < header + length) {
        return frame_parse::need_more;
    }
    out.fin = (b0 & 0x80) != 0;
    out.rsv = static_cast<std::uint8_t>((b0 >> 4) & 0x7);
    out.opcode = b0 & 0x0F;
    out.masked = masked;
    out.payload = buffer.substr(header, length);
    if (masked) {
        const std::size_t key_at = header - 4;
        for (std::size_t i = 0; i < out.payload.size(); ++i) {
            out.payload[i] = static_cast<char>(out.payload[i] ^ buffer[key_at + i % 4]);
        }
    }
    buffer.erase(0, header + length);
    return frame_parse::complete;
}

std::string server_frame_violation(const ws_frame& frame) {
    if (frame.masked) {
        return "server frame is masked";
    }
    if (frame.rsv != 0) {
        return "server frame has RSV bits set without a negotiated extension";
    }
    switch (frame.opcode) {
    case ws_op::continuation:
    case ws_op::text:
    case ws_op::binary:
        return {};
    case ws_op::close:
    case ws_op::ping:
    case ws_op::pong:
        break;
    default:
        return "server frame uses reserved " + opcode_name(frame.opcode);
    }
    if (!frame.fin) {
        return "server control frame is fragmented";
    }
    if (frame.payload.size() > 125) {
        return "server control frame payload over 125 bytes";
    }
    if (frame.opcode == ws_op::close) {
        if (frame.payload.size() == 1) {
            return "server close payload of 1 byte";
        }
        if (auto code = frame.close_code(); code && !is_sendable_close_code(*code)) {
            return "server close code " + std::to_string(*code) + " may not be sent";
        }
        if (!is_valid_utf8(frame.close_reason())) {
            return "server close reason is not UTF-8";
        }
    }
    return {};
}

} // namespace hubcast::test

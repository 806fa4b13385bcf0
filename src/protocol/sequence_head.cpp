#include "protocol/sequence_head.hpp"

#include "protocol/json_sequence.hpp"
#include "protocol/protobuf_protocol.hpp"
#include "protocol/websocket_frame.hpp"

namespace hubcast::protocol {

namespace {

/// The per-recipient prefix inside the payload, before the body.
std::size_t prefix_size(frame_family family, std::uint64_t sequence_id, std::size_t body_size) noexcept {
    switch (family) {
    case frame_family::json:
        return json_sequence_prefix_size(sequence_id);
    case frame_family::protobuf:
        return protobuf_sequence_prefix_size(sequence_id, body_size);
    case frame_family::raw:
        break;
    }
    return 0;
}

} // namespace

sequence_head::sequence_head(frame_family family, std::uint64_t sequence_id, std::size_t body_size) noexcept
    : size_(static_cast<std::uint8_t>(write(bytes_.data(), family, sequence_id, body_size))) {}

std::size_t sequence_head::write(char* out, frame_family family, std::uint64_t sequence_id,
                                 std::size_t body_size) noexcept {
    if (family == frame_family::raw) {
        return 0;
    }
    const std::size_t payload_size = prefix_size(family, sequence_id, body_size) + body_size;
    char* const start = out;
    if (family == frame_family::json) {
        out += write_frame_header(out, ws_opcode::text, payload_size);
        out = write_json_sequence_prefix(out, sequence_id);
    } else {
        out += write_frame_header(out, ws_opcode::binary, payload_size);
        out = write_protobuf_sequence_prefix(out, sequence_id, body_size);
    }
    return static_cast<std::size_t>(out - start);
}

std::size_t sequence_head::size_of(frame_family family, std::uint64_t sequence_id,
                                   std::size_t body_size) noexcept {
    if (family == frame_family::raw) {
        return 0;
    }
    const std::size_t prefix = prefix_size(family, sequence_id, body_size);
    return frame_header_size(prefix + body_size) + prefix;
}

} // namespace hubcast::protocol

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "core/connection_sink.hpp"
#include "protocol/sequence_head.hpp"
#include "protocol/websocket_frame.hpp"
#include "util/shared_bytes.hpp"

namespace hubcast::core::testing {

/// Test double of the transport port: records every frame pointer and close, in call order.
/// Like a real sink it is touched only on its connection's shard thread; tests read it after
/// synchronising with that thread.
class recording_sink final : public connection_sink {
public:
    struct close_call {
        std::uint16_t code;
        std::string reason;
        std::size_t frames_before; ///< how many frames were queued when close was called
    };

    send_result send(const util::shared_bytes& frame, send_deadline deadline = no_deadline) override {
        frames.push_back(frame);
        deadlines.push_back(deadline);
        return answer;
    }
    void close(std::uint16_t code, std::string_view reason) override {
        closes.push_back({code, std::string(reason), frames.size()});
    }
    /// Records the call, and the joined frame in `frames` so that parse_frame/json_of read it.
    send_result send_sequenced(protocol::frame_family family, std::uint64_t sequence_id,
                               const util::shared_bytes& body,
                               send_deadline deadline = no_deadline) override {
        sequenced.push_back({sequence_id, body, frames.size()});
        const protocol::sequence_head head(family, sequence_id, body->size());
        return send(util::make_shared_bytes(std::string(head.bytes()) + *body), deadline);
    }
    void abandon() override { ++abandons; }

    std::vector<util::shared_bytes> frames;
    std::vector<send_deadline> deadlines; ///< one per frame, no_deadline for most
    std::vector<close_call> closes;
    struct sequenced_call {
        std::uint64_t sequence_id;
        util::shared_bytes body;
        std::size_t frame_index; ///< where the joined frame is in `frames`
    };
    std::vector<sequenced_call> sequenced;
    int abandons = 0;
    send_result answer = send_result::queued;
};

/// One unmasked server frame split into its parts (RFC 6455 section 5.2).
struct parsed_frame {
    bool fin = false;
    protocol::ws_opcode opcode = protocol::ws_opcode::continuation;
    std::string payload;
    bool well_formed = false; ///< header lengths agree with the byte count, no mask bit
};

inline parsed_frame parse_frame(std::string_view bytes) {
    parsed_frame out;
    if (bytes.size() < 2) {
        return out;
    }
    const auto b0 = static_cast<unsigned char>(bytes[0]);
    const auto b1 = static_cast<unsigned char>(bytes[1]);
    out.fin = (b0 & 0x80) != 0;
    out.opcode = static_cast<protocol::ws_opcode>(b0 & 0x0F);
    if ((b1 & 0x80) != 0) {
        return out; // server frames are never masked
    }
    std::size_t length = b1 & 0x7F;
    std::size_t header = 2;
    const std::size_t extra = length == 126 ? 2 : length == 127 ? 8 : 0;
    if (extra != 0) {
        if (bytes.size() < 2 + extra) {
            return out;
        }
        length = 0;
        for (std::size_t i = 0; i < extra; ++i) {
            length = (length << 8) | static_cast<unsigned char>(bytes[2 + i]);
        }
        header += extra;
    }
    if (bytes.size() != header + length) {
        return out;
    }
    out.payload = std::string(bytes.substr(header));
    out.well_formed = true;
    return out;
}

inline parsed_frame parse_frame(const util::shared_bytes& frame) {
    return frame ? parse_frame(std::string_view(*frame)) : parsed_frame{};
}

/// The JSON value a text frame carries (null when the frame is not well-formed JSON text).
inline boost::json::value json_of(const util::shared_bytes& frame) {
    const parsed_frame parsed = parse_frame(frame);
    if (!parsed.well_formed || parsed.opcode != protocol::ws_opcode::text) {
        return nullptr;
    }
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(parsed.payload, ec);
    return ec ? boost::json::value(nullptr) : value;
}

} // namespace hubcast::core::testing

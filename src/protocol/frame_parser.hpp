#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/utf8.hpp"
#include "protocol/websocket_frame.hpp"

namespace hubcast::protocol {

/// Limits a frame parser enforces. Defaults follow Azure's documented 1 MiB client message limit.
struct frame_limits {
    std::size_t max_message_bytes = 1024 * 1024; // a whole (reassembled) data message
    bool require_mask = true;                    // client-to-server frames must be masked
};

/// Receives what a frame_parser decodes. Every call happens inside frame_parser::feed, on the
/// caller's thread. `payload` views are valid only during the call.
class frame_handler {
public:
    virtual ~frame_handler() = default;
    /// A complete data message (text already validated as UTF-8, fragments reassembled).
    virtual void on_message(ws_opcode opcode, std::string_view payload) = 0;
    virtual void on_ping(std::string_view payload) = 0;
    virtual void on_pong(std::string_view payload) = 0;
    /// The peer's close frame. `code` is close_code::no_status when the frame had no body.
    virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
    /// The input broke the protocol. `code` is the close code to answer with (1002 protocol error,
    /// 1007 invalid UTF-8 / close reason, 1009 too big); `reason` is a short human text.
    /// The parser stops: later feed() calls do nothing.
    virtual void on_protocol_error(std::uint16_t code, std::string_view reason) = 0;
};

/// Incremental parser for client-to-server WebSocket frames (RFC 6455): masking, fragmentation
/// with interleaved control frames, UTF-8 validation of text messages across fragments (failing
/// fast, at the first invalid byte), reserved bits and opcodes rejected, control frame rules
/// (FIN set, at most 125 bytes), close frame validation, size limits.
///
/// Pure: no I/O, no clocks. Not thread-safe; one parser per connection.
class frame_parser {
public:
    explicit frame_parser(frame_limits limits = {});

    /// Consumes all of `bytes`, calling `handler` for each event. Input may be split anywhere.
    /// After a protocol error or a close frame, further input is ignored.
    void feed(std::string_view bytes, frame_handler& handler);

    /// True once a close frame was received or a protocol error found.
    bool finished() const noexcept { return finished_; }

private:
    enum class stage : std::uint8_t { header, extended_length, mask_key, payload };

    bool parse_header(frame_handler& handler);
    bool start_payload(frame_handler& handler);
    void consume_payload(std::string_view& bytes, frame_handler& handler);
    bool finish_frame(frame_handler& handler);
    void fail(frame_handler& handler, std::uint16_t code, std::string_view reason);

    frame_limits limits_;
    stage stage_ = stage::header;
    bool finished_ = false;

    // Current frame.
    unsigned char header_[14] = {};
    std::size_t header_have_ = 0;
    std::size_t header_need_ = 2;
    bool fin_ = false;
    ws_opcode opcode_ = ws_opcode::continuation;
    bool masked_ = false;
    unsigned char mask_[4] = {};
    std::uint64_t payload_length_ = 0;
    std::uint64_t payload_have_ = 0;
    std::string control_payload_;

    // Current (possibly fragmented) data message.
    bool in_message_ = false;
    ws_opcode message_opcode_ = ws_opcode::text;
    std::string message_;
    utf8_validator utf8_;
};

} // namespace hubcast::protocol

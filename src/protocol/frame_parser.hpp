#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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
    /// Growable bytes for a reassembled message. Unlike std::string::resize it does not zero the
    /// bytes that unmasking is about to overwrite, and it grows with the bytes that actually
    /// arrived rather than the length a frame declares (a peer cannot make us allocate 1 MiB by
    /// sending a 10-byte header).
    class message_buffer {
    public:
        /// Returns room for `n` more bytes; `frame_remaining` (>= n) bounds how far ahead to grow.
        char* extend(std::size_t n, std::size_t frame_remaining);
        /// Empties the buffer; gives the memory back if it grew past what an idle connection keeps.
        void clear() noexcept;
        /// Empties the buffer and frees its memory.
        void release() noexcept;
        std::size_t size() const noexcept { return size_; }
        std::string_view view() const noexcept { return {data_.get(), size_}; }

    private:
        std::unique_ptr<char[]> data_;
        std::size_t size_ = 0;
        std::size_t capacity_ = 0;
    };

    enum class stage : std::uint8_t { header, payload };

    std::size_t take_header(std::string_view bytes, frame_handler& handler);
    bool check_first_two_bytes(frame_handler& handler);
    void start_payload(frame_handler& handler);
    std::size_t take_payload(std::string_view bytes, frame_handler& handler);
    void finish_frame(frame_handler& handler);
    void finish_control_frame(frame_handler& handler);
    void fail(frame_handler& handler, std::uint16_t code, std::string_view reason);

    frame_limits limits_;
    stage stage_ = stage::header;
    bool finished_ = false;

    // Current frame. The header is gathered here only because it may arrive split.
    unsigned char header_[14] = {};
    std::uint8_t header_have_ = 0;
    std::uint8_t header_need_ = 2; // grows once the first two bytes give the length size and mask
    bool fin_ = false;
    ws_opcode opcode_ = ws_opcode::continuation;
    unsigned char mask_[4] = {};
    std::uint64_t payload_length_ = 0;
    std::uint64_t payload_have_ = 0;
    char control_payload_[125] = {}; // control frames are at most 125 bytes: never allocate

    // Current (possibly fragmented) data message, unmasked straight from the input into message_.
    bool in_message_ = false;
    ws_opcode message_opcode_ = ws_opcode::text;
    message_buffer message_;
    utf8_validator utf8_;
};

} // namespace hubcast::protocol

#include "protocol/frame_parser.hpp"

#include <algorithm>
#include <cstring>

namespace hubcast::protocol {

namespace {

// A connection keeps at most this much message memory between messages: with up to 20,000
// connections per process, anything larger is given back after the message that needed it.
constexpr std::size_t retained_message_capacity = 4096;
constexpr std::size_t min_message_capacity = 256;

constexpr std::uint8_t fin_bit = 0x80;
constexpr std::uint8_t rsv_bits = 0x70;
constexpr std::uint8_t opcode_bits = 0x0F;
constexpr std::uint8_t mask_bit = 0x80;
constexpr std::uint8_t length_bits = 0x7F;
constexpr std::uint8_t length_16 = 126;
constexpr std::uint8_t length_64 = 127;
constexpr std::uint64_t max_control_payload = 125;

bool is_control(ws_opcode opcode) noexcept {
    return (static_cast<std::uint8_t>(opcode) & 0x08) != 0;
}

bool is_known_opcode(std::uint8_t op) noexcept {
    switch (static_cast<ws_opcode>(op)) {
    case ws_opcode::continuation:
    case ws_opcode::text:
    case ws_opcode::binary:
    case ws_opcode::close:
    case ws_opcode::ping:
    case ws_opcode::pong:
        return true;
    }
    return false;
}

// Copies `n` payload bytes, XORing with the masking key. `offset` is the position of src[0] in the
// frame's payload, which decides where in the key the chunk starts. Eight bytes per step: the key
// repeats every 4 bytes, so a word of the key rotated by `offset` serves every step.
void unmask_copy(char* dst, const char* src, std::size_t n, const unsigned char (&key)[4],
                 std::uint64_t offset) noexcept {
    unsigned char pattern[8];
    for (std::size_t i = 0; i < 8; ++i) {
        pattern[i] = key[(offset + i) & 3];
    }
    std::uint64_t key_word;
    std::memcpy(&key_word, pattern, sizeof key_word);
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        std::uint64_t w[4];
        std::memcpy(w, src + i, sizeof w);
        w[0] ^= key_word;
        w[1] ^= key_word;
        w[2] ^= key_word;
        w[3] ^= key_word;
        std::memcpy(dst + i, w, sizeof w);
    }
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, src + i, sizeof w);
        w ^= key_word;
        std::memcpy(dst + i, &w, sizeof w);
    }
    for (; i < n; ++i) {
        dst[i] = static_cast<char>(static_cast<unsigned char>(src[i]) ^ pattern[i & 7]);
    }
}

} // namespace

char* frame_parser::message_buffer::extend(std::size_t n, std::size_t frame_remaining) {
    const std::size_t need = size_ + n;
    if (need > capacity_) {
        // Geometric growth, but never past the end of the current frame: when the whole frame is
        // already in the input, this allocates exactly once.
        const std::size_t grown = std::max(capacity_ * 2, min_message_capacity);
        const std::size_t capacity = std::max(need, std::min(grown, size_ + frame_remaining));
        auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
        if (size_ != 0) {
            std::memcpy(bigger.get(), data_.get(), size_);
        }
        data_ = std::move(bigger);
        capacity_ = capacity;
    }
    char* out = data_.get() + size_;
    size_ = need;
    return out;
}

void frame_parser::message_buffer::clear() noexcept {
    if (capacity_ > retained_message_capacity) {
        release();
    }
    size_ = 0;
}

void frame_parser::message_buffer::release() noexcept {
    data_.reset();
    size_ = 0;
    capacity_ = 0;
}

frame_parser::frame_parser(frame_limits limits) : limits_(limits) {}

void frame_parser::feed(std::string_view bytes, frame_handler& handler) {
    while (!finished_ && !bytes.empty()) {
        const std::size_t used =
            stage_ == stage::header ? take_header(bytes, handler) : take_payload(bytes, handler);
        bytes.remove_prefix(used);
    }
}

std::size_t frame_parser::take_header(std::string_view bytes, frame_handler& handler) {
    std::size_t used = 0;
    while (header_have_ < header_need_ && used < bytes.size()) {
        const std::size_t n = std::min<std::size_t>(header_need_ - header_have_, bytes.size() - used);
        std::memcpy(header_ + header_have_, bytes.data() + used, n);
        header_have_ = static_cast<std::uint8_t>(header_have_ + n);
        used += n;
        // The first two bytes alone can break most rules; fail before waiting for the rest.
        if (header_have_ == 2 && !check_first_two_bytes(handler)) {
            return used;
        }
    }
    if (header_have_ == header_need_) {
        start_payload(handler);
    }
    return used;
}

bool frame_parser::check_first_two_bytes(frame_handler& handler) {
    const std::uint8_t b0 = header_[0];
    const std::uint8_t b1 = header_[1];
    fin_ = (b0 & fin_bit) != 0;
    if ((b0 & rsv_bits) != 0) {
        // No extension is negotiated, so no RSV bit may be set.
        fail(handler, close_code::protocol_error, "reserved bits set");
        return false;
    }
    const auto op = static_cast<std::uint8_t>(b0 & opcode_bits);
    if (!is_known_opcode(op)) {
        fail(handler, close_code::protocol_error, "reserved opcode");
        return false;
    }
    opcode_ = static_cast<ws_opcode>(op);
    const bool masked = (b1 & mask_bit) != 0;
    if (!masked && limits_.require_mask) {
        fail(handler, close_code::protocol_error, "unmasked client frame");
        return false;
    }
    const std::uint8_t length = b1 & length_bits;
    if (is_control(opcode_)) {
        if (!fin_) {
            fail(handler, close_code::protocol_error, "fragmented control frame");
            return false;
        }
        if (length > max_control_payload) {
            fail(handler, close_code::protocol_error, "control frame too long");
            return false;
        }
    } else if (opcode_ == ws_opcode::continuation) {
        if (!in_message_) {
            fail(handler, close_code::protocol_error, "continuation frame without a message");
            return false;
        }
    } else if (in_message_) {
        fail(handler, close_code::protocol_error, "new message inside a fragmented message");
        return false;
    }
    const int length_size = length == length_16 ? 2 : length == length_64 ? 8 : 0;
    header_need_ = static_cast<std::uint8_t>(2 + length_size + (masked ? 4 : 0));
    return true;
}

void frame_parser::start_payload(frame_handler& handler) {
    const std::uint8_t length = header_[1] & length_bits;
    std::size_t pos = 2;
    if (length == length_16) {
        payload_length_ = (std::uint64_t{header_[2]} << 8) | header_[3];
        pos = 4;
    } else if (length == length_64) {
        payload_length_ = 0;
        for (std::size_t i = 2; i < 10; ++i) {
            payload_length_ = (payload_length_ << 8) | header_[i];
        }
        pos = 10;
        if ((payload_length_ >> 63) != 0) {
            fail(handler, close_code::protocol_error, "64-bit payload length with the high bit set");
            return;
        }
    } else {
        payload_length_ = length;
    }
    if (pos < header_need_) {
        std::memcpy(mask_, header_ + pos, sizeof mask_);
    } else {
        std::memset(mask_, 0, sizeof mask_);
    }

    if (!is_control(opcode_)) {
        // message_.size() never exceeds the limit, so the subtraction cannot wrap. Checked on the
        // declared length so an oversized message is refused before any of it is buffered.
        if (payload_length_ > limits_.max_message_bytes - message_.size()) {
            fail(handler, close_code::message_too_big, "message too big");
            return;
        }
        if (opcode_ != ws_opcode::continuation) {
            in_message_ = true;
            message_opcode_ = opcode_;
            utf8_.reset();
        }
    }
    payload_have_ = 0;
    stage_ = stage::payload;
    if (payload_length_ == 0) {
        finish_frame(handler);
    }
}

std::size_t frame_parser::take_payload(std::string_view bytes, frame_handler& handler) {
    const std::uint64_t remaining = payload_length_ - payload_have_;
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, bytes.size()));
    char* dst = nullptr;
    if (is_control(opcode_)) {
        dst = control_payload_ + payload_have_;
    } else {
        // remaining fits in size_t: it passed the max_message_bytes check.
        dst = message_.extend(n, static_cast<std::size_t>(remaining));
    }
    unmask_copy(dst, bytes.data(), n, mask_, payload_have_);
    payload_have_ += n;
    if (!is_control(opcode_) && message_opcode_ == ws_opcode::text && !utf8_.feed({dst, n})) {
        fail(handler, close_code::invalid_payload, "invalid UTF-8 in text message");
        return n;
    }
    if (payload_have_ == payload_length_) {
        finish_frame(handler);
    }
    return n;
}

void frame_parser::finish_frame(frame_handler& handler) {
    stage_ = stage::header;
    header_have_ = 0;
    header_need_ = 2;
    if (is_control(opcode_)) {
        finish_control_frame(handler);
        return;
    }
    if (!fin_) {
        return;
    }
    if (message_opcode_ == ws_opcode::text && !utf8_.complete()) {
        fail(handler, close_code::invalid_payload, "truncated UTF-8 sequence in text message");
        return;
    }
    in_message_ = false;
    handler.on_message(message_opcode_, message_.view());
    message_.clear();
}

void frame_parser::finish_control_frame(frame_handler& handler) {
    const std::string_view payload(control_payload_, static_cast<std::size_t>(payload_length_));
    switch (opcode_) {
    case ws_opcode::ping:
        handler.on_ping(payload);
        return;
    case ws_opcode::pong:
        handler.on_pong(payload);
        return;
    case ws_opcode::close:
        break;
    default:
        return; // check_first_two_bytes admits no other control opcode
    }
    if (payload.empty()) {
        finished_ = true;
        message_.release();
        handler.on_close(close_code::no_status, {});
        return;
    }
    if (payload.size() == 1) {
        fail(handler, close_code::protocol_error, "close frame with a 1-byte body");
        return;
    }
    const auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                 static_cast<unsigned char>(payload[1]));
    if (!is_valid_close_code(code)) {
        fail(handler, close_code::protocol_error, "invalid close code");
        return;
    }
    const std::string_view reason = payload.substr(2);
    if (!is_valid_utf8(reason)) {
        fail(handler, close_code::invalid_payload, "invalid UTF-8 in close reason");
        return;
    }
    finished_ = true;
    message_.release();
    handler.on_close(code, reason);
}

void frame_parser::fail(frame_handler& handler, std::uint16_t code, std::string_view reason) {
    finished_ = true;
    message_.release();
    handler.on_protocol_error(code, reason);
}

} // namespace hubcast::protocol

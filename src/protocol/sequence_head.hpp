#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/subprotocol.hpp"

namespace hubcast::protocol {

/// The part of a reliable data frame that differs per recipient (spec 5.1): the WebSocket frame
/// header, then `{"sequenceId":N,` (JSON) or the DataMessage's tag, length and sequence id
/// (protobuf). The rest of the frame, the sequenced body (json_sequenced_body,
/// protobuf_sequenced_body), is the same for every reliable recipient of a message.
///
/// A value of fixed size built without allocating: a fan-out to N reliable members builds N of
/// them per message, so they live on the stack or inline in a queue, never on the heap. The same
/// id and body size always give the same bytes, so a head is rebuilt (a replay, a write resumed
/// mid-head) rather than kept.
class sequence_head {
public:
    /// A 10-byte frame header and `{"sequenceId":` + 20 digits + `,`; the protobuf prefix (at most
    /// 1 + 10 + 1 + 10 bytes) is shorter.
    static constexpr std::size_t max_size = 10 + 14 + 20 + 1;

    /// The head of message `sequence_id` whose sequenced body has `body_size` bytes; empty for the
    /// raw family, which has no reliable form.
    sequence_head(frame_family family, std::uint64_t sequence_id, std::size_t body_size) noexcept;

    std::string_view bytes() const noexcept { return {bytes_.data(), size_}; }
    std::size_t size() const noexcept { return size_; }

    /// bytes().size() of that head, without building it.
    static std::size_t size_of(frame_family family, std::uint64_t sequence_id,
                               std::size_t body_size) noexcept;
    /// Writes that head at `out`, which has room for max_size bytes; returns its size. For a
    /// caller that keeps heads in scratch space of its own (a write's heads, on its stack).
    static std::size_t write(char* out, frame_family family, std::uint64_t sequence_id,
                             std::size_t body_size) noexcept;

private:
    std::array<char, max_size> bytes_;
    std::uint8_t size_ = 0;
};

} // namespace hubcast::protocol

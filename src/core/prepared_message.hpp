#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "protocol/message_data.hpp"
#include "protocol/subprotocol.hpp"
#include "util/shared_bytes.hpp"

namespace hubcast::core {

/// One send, encoded at most once per frame family and shared by every recipient on every worker
/// (design sections 4-5). Immutable once built; frame() is thread-safe.
class prepared_message {
public:
    /// A message published to `group` (by a client or a REST call). `from_user_id` is the sender's
    /// user id for client publishes (null for REST).
    static std::shared_ptr<const prepared_message>
    for_group(std::string group, std::optional<std::string> from_user_id, protocol::message_data data);
    /// A message from the server (REST send to all/user/connection, event handler responses).
    static std::shared_ptr<const prepared_message> for_server(protocol::message_data data);

    /// The complete WebSocket frame for recipients of `family`, built on first use:
    /// raw → the payload as a text frame (json, text) or binary frame (binary, protobuf);
    /// json → a JSON `message` (from group or server) in a text frame.
    /// protobuf → a DownstreamMessage DataMessage in a binary frame (data mapped as spec 6.4 says).
    const util::shared_bytes& frame(protocol::frame_family family) const;

    /// Reliable recipients (spec 5.1) get a frame of their own, a protocol::sequence_head (the
    /// frame header and their sequence id) followed by this body: the message encoded once,
    /// shared by every reliable recipient of `family` and by their unacked buffers. Built on
    /// first use; null for the raw family, which has no reliable form (json and protobuf both
    /// have one). Thread-safe.
    const util::shared_bytes& sequenced_body(protocol::frame_family family) const;

    /// The bytes this message keeps alive once it is delivered: its payload and names, plus one
    /// frame carrying the payload (recipients of a second family or reliable ones add about as
    /// much again each). What a queued fan-out of it weighs in a shard's mailbox.
    std::size_t footprint() const noexcept;

    const protocol::message_data& data() const noexcept { return data_; }
    bool from_group() const noexcept { return group_.has_value(); }
    const std::optional<std::string>& group() const noexcept { return group_; }
    const std::optional<std::string>& from_user_id() const noexcept { return from_user_id_; }

    prepared_message(std::optional<std::string> group, std::optional<std::string> from_user_id,
                     protocol::message_data data);

private:
    util::shared_bytes encode(protocol::frame_family family) const;
    util::shared_bytes encode_sequenced_body(protocol::frame_family family) const;

    std::optional<std::string> group_;
    std::optional<std::string> from_user_id_;
    protocol::message_data data_;
    // Each encoding is built once (the once_flag) and then read per recipient: the ready flags let
    // those reads skip call_once's out-of-line check, one acquire load instead.
    mutable std::array<std::once_flag, protocol::frame_family_count> once_;
    mutable std::array<std::atomic<bool>, protocol::frame_family_count> frame_ready_{};
    mutable std::array<util::shared_bytes, protocol::frame_family_count> frames_;
    mutable std::array<std::once_flag, protocol::frame_family_count> sequenced_once_;
    mutable std::array<std::atomic<bool>, protocol::frame_family_count> sequenced_ready_{};
    mutable std::array<util::shared_bytes, protocol::frame_family_count> sequenced_bodies_;
};

using prepared_message_ptr = std::shared_ptr<const prepared_message>;

} // namespace hubcast::core

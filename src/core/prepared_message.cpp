#include "core/prepared_message.hpp"

#include <atomic>
#include <mutex>
#include <utility>

#include "protocol/json_protocol.hpp"
#include "protocol/protobuf_protocol.hpp"
#include "protocol/websocket_frame.hpp"

namespace hubcast::core {

std::shared_ptr<const prepared_message> prepared_message::for_group(std::string group,
                                                                    std::optional<std::string> from_user_id,
                                                                    protocol::message_data data) {
    return std::make_shared<const prepared_message>(std::move(group), std::move(from_user_id),
                                                    std::move(data));
}

std::shared_ptr<const prepared_message> prepared_message::for_server(protocol::message_data data) {
    return std::make_shared<const prepared_message>(std::nullopt, std::nullopt, std::move(data));
}

prepared_message::prepared_message(std::optional<std::string> group, std::optional<std::string> from_user_id,
                                   protocol::message_data data)
    : group_(std::move(group)), from_user_id_(std::move(from_user_id)), data_(std::move(data)) {}

std::size_t prepared_message::footprint() const noexcept {
    // Counted before any frame is built, so the weight of a task does not depend on whether the
    // publisher's shard encoded the message first.
    const std::size_t names = (group_ ? group_->size() : 0) + (from_user_id_ ? from_user_id_->size() : 0);
    return sizeof(prepared_message) + 2 * (data_.bytes.size() + names);
}

namespace {

/// `slot`, built by `build` exactly once however many threads ask at the same time. Workers on
/// several threads may ask for the same encoding at once: call_once makes exactly one of them
/// build it while the others wait, and publishes the result to all of them; once it is built, the
/// release store makes it visible to every later acquire load, which skips call_once entirely.
template <typename Build>
const util::shared_bytes& built_once(std::atomic<bool>& ready, std::once_flag& once, util::shared_bytes& slot,
                                     Build build) {
    if (!ready.load(std::memory_order_acquire)) {
        std::call_once(once, [&] {
            slot = build();
            ready.store(true, std::memory_order_release);
        });
    }
    return slot;
}

} // namespace

const util::shared_bytes& prepared_message::frame(protocol::frame_family family) const {
    const auto slot = static_cast<std::size_t>(family);
    return built_once(frame_ready_[slot], once_[slot], frames_[slot], [&] { return encode(family); });
}

const util::shared_bytes& prepared_message::sequenced_body(protocol::frame_family family) const {
    const auto slot = static_cast<std::size_t>(family);
    return built_once(sequenced_ready_[slot], sequenced_once_[slot], sequenced_bodies_[slot],
                      [&] { return encode_sequenced_body(family); });
}

util::shared_bytes prepared_message::encode_sequenced_body(protocol::frame_family family) const {
    if (family == protocol::frame_family::raw) {
        return nullptr;
    }
    // Cut from the plain frame rather than encoded again: a send to plain and reliable clients of
    // one family encodes once, and this copy is made once per send, not once per recipient.
    const util::shared_bytes& plain = frame(family);
    if (!plain) {
        return nullptr;
    }
    const std::string_view payload = protocol::frame_payload(*plain);
    if (family == protocol::frame_family::json) {
        return util::make_shared_bytes(std::string(protocol::json_sequenced_body(payload)));
    }
    const auto body = protocol::protobuf_sequenced_body(payload);
    return body ? util::make_shared_bytes(std::string(*body)) : nullptr;
}

util::shared_bytes prepared_message::encode(protocol::frame_family family) const {
    switch (family) {
    case protocol::frame_family::raw: {
        // Simple WebSocket clients get the payload itself; the opcode tells them how to read it.
        const bool textual =
            data_.type == protocol::data_type::json || data_.type == protocol::data_type::text;
        return util::make_shared_bytes(protocol::encode_frame(
            textual ? protocol::ws_opcode::text : protocol::ws_opcode::binary, data_.bytes));
    }
    case protocol::frame_family::json: {
        const std::string payload = group_ ? protocol::encode_group_message(*group_, from_user_id_, data_)
                                           : protocol::encode_server_message(data_);
        return util::make_shared_bytes(protocol::encode_frame(protocol::ws_opcode::text, payload));
    }
    case protocol::frame_family::protobuf: {
        // Spec 6.3/6.4: a DataMessage; the publisher is not part of it (no fromUserId in protobuf).
        const std::string payload = group_ ? protocol::encode_protobuf_group_message(*group_, data_)
                                           : protocol::encode_protobuf_server_message(data_);
        return util::make_shared_bytes(protocol::encode_frame(protocol::ws_opcode::binary, payload));
    }
    }
    return nullptr;
}

} // namespace hubcast::core

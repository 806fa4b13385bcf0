#include "core/connection.hpp"

#include <utility>

#include "protocol/json_protocol.hpp"
#include "protocol/websocket_frame.hpp"

namespace hubcast::core {

connection::connection(connection_info info, auth::permission_set permissions, connection_sink& sink)
    : info_(std::move(info)), permissions_(std::move(permissions)), sink_(sink) {}

send_result connection::deliver(const prepared_message& message) {
    if (closing_) {
        return send_result::dropped;
    }
    return send_frame(message.frame(protocol::family_of(info_.kind)));
}

send_result connection::send_frame(const util::shared_bytes& frame) {
    // After close() the sink is finishing its handshake: nothing may be queued behind the close.
    // A null frame is a family this build cannot encode yet (protobuf).
    if (closing_ || !frame) {
        return send_result::dropped;
    }
    return sink_.send(frame);
}

void connection::close(std::uint16_t code, std::string_view reason) {
    if (closing_) {
        return;
    }
    // Only JSON clients get the JSON system message; protobuf clients would need the protobuf
    // DisconnectedMessage, which arrives with the protobuf codec, and simple clients get none.
    if (protocol::family_of(info_.kind) == protocol::frame_family::json) {
        sink_.send(util::make_shared_bytes(
            protocol::encode_frame(protocol::ws_opcode::text, protocol::encode_disconnected(reason))));
    }
    closing_ = true;
    sink_.close(code, reason);
}

} // namespace hubcast::core

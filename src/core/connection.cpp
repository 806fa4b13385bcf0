#include "core/connection.hpp"

#include <utility>

#include "protocol/json_protocol.hpp"
#include "protocol/protobuf_protocol.hpp"
#include "protocol/websocket_frame.hpp"

namespace hubcast::core {

connection::connection(connection_info info, auth::permission_set permissions, connection_sink& sink)
    : info_(std::move(info)), permissions_(std::move(permissions)), sink_(sink) {}

send_result connection::deliver(const prepared_message& message, send_deadline deadline) {
    if (closing_) {
        return send_result::dropped;
    }
    return send_frame(message.frame(protocol::family_of(info_.kind)), deadline);
}

send_result connection::send_frame(const util::shared_bytes& frame, send_deadline deadline) {
    // After close() the sink is finishing its handshake: nothing may be queued behind the close.
    // A null frame (a family with no encoding) is dropped, never sent as something else.
    if (closing_ || !frame) {
        return send_result::dropped;
    }
    return sink_.send(frame, deadline);
}

void connection::close(std::uint16_t code, std::string_view reason) {
    if (closing_) {
        return;
    }
    // Spec 4.4 / 6.3: PubSub clients hear why, in their own subprotocol; simple clients get none.
    switch (protocol::family_of(info_.kind)) {
    case protocol::frame_family::json:
        sink_.send(util::make_shared_bytes(
            protocol::encode_frame(protocol::ws_opcode::text, protocol::encode_disconnected(reason))));
        break;
    case protocol::frame_family::protobuf:
        sink_.send(util::make_shared_bytes(protocol::encode_frame(
            protocol::ws_opcode::binary, protocol::encode_protobuf_disconnected(reason))));
        break;
    case protocol::frame_family::raw:
        break;
    }
    closing_ = true;
    sink_.close(code, reason);
}

} // namespace hubcast::core

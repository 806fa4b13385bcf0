#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "api/firewall.hpp"
#include "api/metrics.hpp"
#include "core/connection.hpp"
#include "core/router.hpp"
#include "protocol/json_protocol.hpp"
#include "protocol/websocket_frame.hpp"

namespace hubcast::api {

/// One client connection's request handling (spec 4, 6): decodes JSON or protobuf requests, checks
/// duplicates and permissions, drives the core, and answers with acks in the client's subprotocol.
/// Lives on the connection's shard and is called only on that shard's thread.
class client_session {
public:
    client_session(core::router& router, core::shard& shard, core::connection& connection, metrics& counters);
    ~client_session();
    client_session(const client_session&) = delete;
    client_session& operator=(const client_session&) = delete;

    /// Applies the per-connection inbound limits from now on: a message that takes the window's
    /// count or bytes past them closes the connection with 1008 (docs/configuration.md).
    void limit_inbound(const firewall_options& options);

    void on_message(protocol::ws_opcode opcode, std::string_view payload);
    void on_slow_consumer();
    void on_idle_timeout();
    /// The client broke the WebSocket protocol: say goodbye, close with the transport's code.
    void on_protocol_error(std::uint16_t code, std::string_view reason);
    /// The transport is gone. A reliable session that may still be recovered (the client did not
    /// close with 1000, and we did not close it) is parked for the recovery window (spec 5.3,
    /// 5.7); any other connection leaves every group and is forgotten.
    void on_closed(std::uint16_t code, std::string_view reason);
    /// The session moved to another transport (a recovery replaced this half-open one): forget the
    /// connection without touching it; nothing is reported to the core any more.
    void disown() noexcept { connection_ = nullptr; }
    /// The connection served (null once disowned).
    const core::connection* connection() const noexcept { return connection_; }

private:
    void handle(const protocol::join_group_request& request);
    void handle(const protocol::leave_group_request& request);
    void handle(const protocol::send_to_group_request& request);
    void handle(const protocol::event_request& request);
    /// To the hub's event handler (server spec 4.6); the reply and the ack follow when it answers.
    void forward_event(core::connection_events& events, const protocol::event_request& request);
    /// A simple client's frame, as the `message` event; the reply goes back as a raw frame.
    void forward_frame(core::connection_events& events, protocol::ws_opcode opcode, std::string_view payload);
    void handle(const protocol::sequence_ack_request& request);
    void handle(const protocol::ping_request& request);
    void handle(const protocol::invoke_request& request);
    void handle(const protocol::cancel_invocation_request& request);
    /// To the hub's event handler as a user event; the answer becomes the invokeResponse.
    void forward_invoke(core::connection_events& events, const protocol::invoke_request& request,
                        std::uint64_t ticket);

    /// Spec 4.5: a repeated successful ackId is answered Duplicate before anything else.
    bool answer_if_duplicate(const std::optional<std::uint64_t>& ack_id);
    /// Forbidden ack with an ackId; silently dropped without one (spec 7.4).
    void refuse(const std::optional<std::uint64_t>& ack_id, std::string_view action, std::string_view group);
    void succeed(const std::optional<std::uint64_t>& ack_id);
    /// succeed(), but in a cluster the ack goes out once the change is visible to every node.
    void succeed_once_visible(const std::optional<std::uint64_t>& ack_id);
    void send_ack_error(std::uint64_t ack_id, std::string_view name, std::string_view message);
    /// Writes an ack with `write`, after any ack still waiting for the cluster's fence, so that a
    /// client's acks keep its requests' order on a node with others as on one node.
    void send_ack_in_order(std::function<void(core::connection&)> write);
    /// Replies go in the connection's subprotocol: JSON text frames or protobuf binary frames.
    bool speaks_protobuf() const noexcept;
    void send_payload(protocol::ws_opcode opcode, std::string_view payload);

    core::router& router_;
    core::shard& shard_;
    core::connection* connection_;
    metrics& metrics_;
    std::unique_ptr<inbound_meter> inbound_; // null unless an inbound limit is configured
    // Acks of this session waiting for the fence (succeed_once_visible), shared with their tasks,
    // which run on this session's shard: while any waits, later acks queue behind it.
    std::shared_ptr<std::size_t> fenced_acks_ = std::make_shared<std::size_t>(0);
};

} // namespace hubcast::api

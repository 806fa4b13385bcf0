#include "api/client_session.hpp"

#include <chrono>

#include <fmt/format.h>

#include "protocol/protobuf_protocol.hpp"
#include "util/shared_bytes.hpp"

namespace hubcast::api {

namespace {
// Close reasons as Azure's troubleshooting guide names them.
constexpr std::string_view slow_client_reason = "SlowClient";
constexpr std::string_view ping_timeout_reason = "PingTimeout";
constexpr std::string_view too_many_events = "Too many events are waiting for the event handler.";
// Azure's client traffic control rules disconnect the client; hubcast says which limit it passed.
constexpr std::string_view too_many_messages_reason = "The connection sent too many messages.";
constexpr std::string_view too_many_bytes_reason = "The connection sent too many bytes.";

void send_ack_to(core::connection& connection, std::uint64_t ack_id) {
    if (protocol::family_of(connection.kind()) == protocol::frame_family::protobuf) {
        connection.send_frame(util::make_shared_bytes(
            protocol::encode_frame(protocol::ws_opcode::binary, protocol::encode_protobuf_ack(ack_id))));
    } else {
        connection.send_frame(util::make_shared_bytes(
            protocol::encode_frame(protocol::ws_opcode::text, protocol::encode_ack(ack_id))));
    }
}

void send_ack_error_to(core::connection& connection, std::uint64_t ack_id, std::string_view name,
                       std::string_view message) {
    if (protocol::family_of(connection.kind()) == protocol::frame_family::protobuf) {
        connection.send_frame(util::make_shared_bytes(protocol::encode_frame(
            protocol::ws_opcode::binary, protocol::encode_protobuf_ack_error(ack_id, name, message))));
    } else {
        connection.send_frame(util::make_shared_bytes(protocol::encode_frame(
            protocol::ws_opcode::text, protocol::encode_ack_error(ack_id, name, message))));
    }
}

void send_invoke_response_to(core::connection& connection, std::string_view invocation_id,
                             const std::optional<protocol::message_data>& data) {
    if (protocol::family_of(connection.kind()) == protocol::frame_family::protobuf) {
        connection.send_frame(util::make_shared_bytes(protocol::encode_frame(
            protocol::ws_opcode::binary, protocol::encode_protobuf_invoke_response(invocation_id, data))));
    } else {
        connection.send_frame(util::make_shared_bytes(protocol::encode_frame(
            protocol::ws_opcode::text, protocol::encode_invoke_response(invocation_id, data))));
    }
}

void send_invoke_error_to(core::connection& connection, std::string_view invocation_id, std::string_view name,
                          std::string_view message) {
    if (protocol::family_of(connection.kind()) == protocol::frame_family::protobuf) {
        connection.send_frame(util::make_shared_bytes(
            protocol::encode_frame(protocol::ws_opcode::binary,
                                   protocol::encode_protobuf_invoke_error(invocation_id, name, message))));
    } else {
        connection.send_frame(util::make_shared_bytes(protocol::encode_frame(
            protocol::ws_opcode::text, protocol::encode_invoke_error(invocation_id, name, message))));
    }
}

/// The `disconnected` reason when the client ended the connection (server spec 4.5).
std::string client_end_reason(std::uint16_t code, std::string_view reason) {
    if (!reason.empty()) {
        return std::string(reason);
    }
    if (code == protocol::close_code::abnormal) {
        return "The connection was lost.";
    }
    if (code == protocol::close_code::no_status) {
        return "The client closed the connection.";
    }
    return fmt::format("The client closed the connection with code {}.", code);
}
} // namespace

client_session::client_session(core::router& router, core::shard& shard, core::connection& connection,
                               metrics& counters)
    : router_(router), shard_(shard), connection_(&connection), metrics_(counters) {}

client_session::~client_session() {
    if (connection_ != nullptr) {
        shard_.detach(connection_->id());
    }
}

void client_session::limit_inbound(const firewall_options& options) {
    inbound_ = std::make_unique<inbound_meter>(options);
}

void client_session::on_message(protocol::ws_opcode opcode, std::string_view payload) {
    if (connection_ == nullptr || connection_->closing()) {
        return;
    }
    count(metrics_.messages_received);
    if (inbound_) {
        const auto verdict = inbound_->add(core::limit_clock::now(), payload.size());
        if (verdict != inbound_meter::verdict::allowed) {
            // The message that passed the limit is not acted on: no request, no event, no ack.
            count(metrics_.inbound_limit_closes);
            connection_->close(protocol::close_code::policy_violation,
                               verdict == inbound_meter::verdict::too_many_messages ? too_many_messages_reason
                                                                                    : too_many_bytes_reason);
            return;
        }
    }
    if (!connection_->is_pubsub()) {
        // Server spec 4.6: every frame of a simple client is a `message` event; with no handler
        // taking it, the frame is dropped and counted.
        if (auto* events = connection_->events(); events != nullptr && events->handles("message")) {
            forward_frame(*events, opcode, payload);
        } else {
            count(metrics_.simple_client_messages_dropped);
        }
        return;
    }
    // Spec 4.1 / 6.1: JSON may also arrive in a binary frame, and protobuf in a (UTF-8) text frame;
    // the subprotocol, not the frame type, decides how a message is read.
    auto request = protocol::family_of(connection_->kind()) == protocol::frame_family::protobuf
                       ? protocol::decode_protobuf_request(payload)
                       : protocol::decode_json_request(payload);
    if (!request) {
        count(metrics_.invalid_messages);
        connection_->close(protocol::close_code::invalid_payload, request.error().reason);
        return;
    }
    std::visit([this](const auto& r) { handle(r); }, *request);
}

void client_session::handle(const protocol::join_group_request& request) {
    if (answer_if_duplicate(request.ack_id)) {
        return;
    }
    if (!connection_->permissions().allows(auth::permission_kind::join_leave_group, request.group)) {
        refuse(request.ack_id, "join", request.group);
        return;
    }
    if (shard_.try_join(*connection_, request.group) == core::join_result::group_limit) {
        // Not remembered as done: the same ackId may join once the connection has left a group.
        if (request.ack_id) {
            send_ack_error(
                *request.ack_id, "Forbidden",
                fmt::format("The connection is already in {} groups, the most one connection may be "
                            "in; it did not join group '{}'.",
                            router_.max_groups_per_connection(), request.group));
        }
        return;
    }
    succeed_once_visible(request.ack_id);
}

void client_session::handle(const protocol::leave_group_request& request) {
    if (answer_if_duplicate(request.ack_id)) {
        return;
    }
    if (!connection_->permissions().allows(auth::permission_kind::join_leave_group, request.group)) {
        refuse(request.ack_id, "leave", request.group);
        return;
    }
    shard_.leave(*connection_, request.group);
    succeed_once_visible(request.ack_id);
}

void client_session::handle(const protocol::send_to_group_request& request) {
    if (answer_if_duplicate(request.ack_id)) {
        return;
    }
    if (!connection_->permissions().allows(auth::permission_kind::send_to_group, request.group)) {
        refuse(request.ack_id, "send to", request.group);
        return;
    }
    core::exclusions skip;
    if (request.no_echo) {
        skip.no_echo_connection = connection_->id();
    }
    count(metrics_.group_messages_published);
    // The TTL counts from now, as REST messageTtlSeconds does.
    const core::send_deadline deadline =
        request.ttl_seconds == 0
            ? core::no_deadline
            : std::chrono::steady_clock::now() + std::chrono::seconds(request.ttl_seconds);
    router_.send_to_group(connection_->hub(), request.group, request.data, std::move(skip),
                          connection_->user_id(), deadline);
    // On a cluster the ack waits until Redis has the message: a send that the app makes after it,
    // by any client on any node, then reaches every node after this one (docs/scale-out.md).
    succeed_once_visible(request.ack_id);
}

void client_session::handle(const protocol::event_request& request) {
    auto* events = connection_->events();
    if (events != nullptr && events->handles(request.event)) {
        forward_event(*events, request);
        return;
    }
    // Events go to the hub's event handler; with none configured the request cannot succeed, and
    // the InternalServerError ack tells the client it may retry (spec 4.5).
    count(metrics_.events_without_handler);
    if (request.ack_id) {
        send_ack_error(*request.ack_id, "InternalServerError",
                       "No event handler is configured for this hub.");
    }
}

void client_session::forward_event(core::connection_events& events, const protocol::event_request& request) {
    if (answer_if_duplicate(request.ack_id)) {
        return;
    }
    // The answer is addressed to the connection, not to this session: a reliable session may be on
    // a new transport (and session) by then, and the connection outlives its events' callbacks.
    auto* connection = connection_;
    auto& router = router_;
    const auto ack_id = request.ack_id;
    const bool queued = events.user_event(
        request.event, request.data, [connection, &router, ack_id](core::user_event_reply reply) {
            if (!reply.success) {
                if (ack_id) {
                    send_ack_error_to(*connection, *ack_id, "InternalServerError", reply.error);
                }
                return;
            }
            // Spec 4.2: the handler's answer first, as a message from the server, then the ack.
            if (reply.data) {
                router.send_to_connection(connection->hub(), connection->id(), std::move(*reply.data));
            }
            if (ack_id) {
                connection->acks().remember(*ack_id);
                send_ack_to(*connection, *ack_id);
            }
        });
    if (!queued && ack_id) {
        send_ack_error(*ack_id, "InternalServerError", too_many_events);
    }
}

void client_session::forward_frame(core::connection_events& events, protocol::ws_opcode opcode,
                                   std::string_view payload) {
    protocol::message_data data{.type = opcode == protocol::ws_opcode::text ? protocol::data_type::text
                                                                            : protocol::data_type::binary,
                                .bytes = std::string(payload)};
    auto* connection = connection_;
    auto& router = router_;
    const bool queued =
        events.user_event("message", std::move(data), [connection, &router](core::user_event_reply reply) {
            if (!reply.success) {
                // A simple client has no ack to hear the failure in: the connection ends (spec 3.4).
                connection->close(protocol::close_code::internal_error, reply.error);
                return;
            }
            // The raw family sends text and json as a text frame, binary as a binary frame.
            if (reply.data) {
                router.send_to_connection(connection->hub(), connection->id(), std::move(*reply.data));
            }
        });
    if (!queued) {
        connection_->close(protocol::close_code::try_again_later, too_many_events);
    }
}

void client_session::handle(const protocol::sequence_ack_request& request) {
    // Spec 5.2: cumulative; 0, stale and too-high ids are accepted silently, never a reason to
    // close. Plain JSON clients keep nothing, so for them the ack means nothing.
    if (connection_->is_reliable()) {
        connection_->acknowledge(request.sequence_id);
    }
}

void client_session::handle(const protocol::ping_request&) {
    if (speaks_protobuf()) {
        send_payload(protocol::ws_opcode::binary, protocol::encode_protobuf_pong());
    } else {
        send_payload(protocol::ws_opcode::text, protocol::encode_pong());
    }
}

void client_session::handle(const protocol::invoke_request& request) {
    const std::string& id = request.invocation_id;
    if (!request.targets_event) {
        send_invoke_error_to(*connection_, id, "BadRequest", "The only invoke target is 'event'.");
        return;
    }
    const auto started = connection_->invocations().start(id, router_.max_invocations_per_connection());
    switch (started.result) {
    case core::invocation_table::outcome::duplicate:
        count(metrics_.duplicate_requests);
        send_invoke_error_to(*connection_, id, "Duplicate",
                             fmt::format("An invocation with id '{}' is already in progress.", id));
        return;
    case core::invocation_table::outcome::too_many:
        send_invoke_error_to(*connection_, id, "InternalServerError",
                             fmt::format("The connection already has {} invocations in progress, the most "
                                         "one connection may have.",
                                         router_.max_invocations_per_connection()));
        return;
    case core::invocation_table::outcome::started:
        break;
    }
    auto* events = connection_->events();
    if (events == nullptr || !events->handles(request.event)) {
        count(metrics_.events_without_handler);
        connection_->invocations().finish(id, started.ticket);
        send_invoke_error_to(*connection_, id, "InternalServerError",
                             "No event handler is configured for this event.");
        return;
    }
    forward_invoke(*events, request, started.ticket);
}

void client_session::forward_invoke(core::connection_events& events, const protocol::invoke_request& request,
                                    std::uint64_t ticket) {
    // Without a payload the handler gets an empty text body (docs/protocol.md).
    protocol::message_data data =
        request.data.value_or(protocol::message_data{protocol::data_type::text, {}});
    // Addressed to the connection, not this session: a reliable session may have a new transport by
    // the time the handler answers (see forward_event).
    auto* connection = connection_;
    const bool queued = events.user_event(
        request.event, std::move(data),
        [connection, id = request.invocation_id, ticket](const core::user_event_reply& reply) {
            if (!connection->invocations().finish(id, ticket)) {
                return; // cancelled: the client is not waiting any more, and nothing is sent
            }
            if (!reply.success) {
                send_invoke_error_to(*connection, id, "InternalServerError", reply.error);
                return;
            }
            send_invoke_response_to(*connection, id, reply.data);
        });
    if (!queued) {
        connection_->invocations().finish(request.invocation_id, ticket);
        send_invoke_error_to(*connection_, request.invocation_id, "InternalServerError", too_many_events);
    }
}

void client_session::handle(const protocol::cancel_invocation_request& request) {
    // An id that is not in progress (answered already, never started) is ignored: the answer and
    // the cancel may cross on the wire.
    if (connection_->has_invocations()) {
        connection_->invocations().cancel(request.invocation_id);
    }
}

bool client_session::answer_if_duplicate(const std::optional<std::uint64_t>& ack_id) {
    if (!ack_id || !connection_->acks().contains(*ack_id)) {
        return false;
    }
    count(metrics_.duplicate_requests);
    send_ack_error(*ack_id, "Duplicate", fmt::format("Message with ack-id: {} has been processed", *ack_id));
    return true;
}

void client_session::refuse(const std::optional<std::uint64_t>& ack_id, std::string_view action,
                            std::string_view group) {
    count(metrics_.forbidden_requests);
    if (ack_id) {
        send_ack_error(*ack_id, "Forbidden",
                       fmt::format("The client does not have permission to {} group '{}'.", action, group));
    }
}

void client_session::succeed(const std::optional<std::uint64_t>& ack_id) {
    if (ack_id) {
        connection_->acks().remember(*ack_id);
        send_ack_in_order([ack = *ack_id](core::connection& connection) { send_ack_to(connection, ack); });
    }
}

void client_session::send_ack_in_order(std::function<void(core::connection&)> write) {
    if (*fenced_acks_ == 0) {
        write(*connection_);
        return;
    }
    // Fences complete in the order they began (one Redis connection), and their tasks reach this
    // shard in that order: behind one more fence, this ack leaves after the ones waiting.
    ++*fenced_acks_;
    router_.when_visible(shard_.index(), [id = connection_->id(), fenced = fenced_acks_,
                                          write = std::move(write)](core::shard& shard) {
        --*fenced;
        if (auto* connection = shard.find(id); connection != nullptr) {
            write(*connection);
        }
    });
}

void client_session::succeed_once_visible(const std::optional<std::uint64_t>& ack_id) {
    if (!ack_id || !router_.has_other_nodes()) {
        succeed(ack_id);
        return;
    }
    // A join or a leave is in force here at once, but other nodes see it only once Redis has this
    // node's subscription and presence change: the ack waits for that (docs/scale-out.md, "Read
    // your writes"). Remembered now, so a repeat meanwhile is a duplicate. The connection is looked up
    // again: by then it may be gone, or on another transport after a recovery.
    connection_->acks().remember(*ack_id);
    ++*fenced_acks_;
    router_.when_visible(shard_.index(),
                         [id = connection_->id(), ack = *ack_id, fenced = fenced_acks_](core::shard& shard) {
                             --*fenced;
                             if (auto* connection = shard.find(id); connection != nullptr) {
                                 send_ack_to(*connection, ack);
                             }
                         });
}

void client_session::send_ack_error(std::uint64_t ack_id, std::string_view name, std::string_view message) {
    send_ack_in_order(
        [ack_id, name = std::string(name), message = std::string(message)](core::connection& connection) {
            send_ack_error_to(connection, ack_id, name, message);
        });
}

bool client_session::speaks_protobuf() const noexcept {
    return protocol::family_of(connection_->kind()) == protocol::frame_family::protobuf;
}

void client_session::send_payload(protocol::ws_opcode opcode, std::string_view payload) {
    connection_->send_frame(util::make_shared_bytes(protocol::encode_frame(opcode, payload)));
}

void client_session::on_slow_consumer() {
    if (connection_ != nullptr) {
        count(metrics_.slow_consumer_closes);
        connection_->close(protocol::close_code::policy_violation, slow_client_reason);
    }
}

void client_session::on_idle_timeout() {
    if (connection_ != nullptr) {
        count(metrics_.idle_timeout_closes);
        connection_->close(protocol::close_code::policy_violation, ping_timeout_reason);
    }
}

void client_session::on_protocol_error(std::uint16_t code, std::string_view reason) {
    if (connection_ != nullptr) {
        count(metrics_.invalid_messages);
        connection_->close(code, reason);
    }
}

void client_session::on_closed(std::uint16_t code, std::string_view reason) {
    if (connection_ == nullptr) {
        return;
    }
    // Spec 5.7: a client's 1000 ends the session at once; no status (1005), a lost connection (1006)
    // and other client codes keep it. A close we started (REST, slow client, ping timeout, protocol
    // error, shutdown) is for good: connection_->closing() is then set.
    const bool recoverable = connection_->is_reliable() && !connection_->closing() &&
                             code != protocol::close_code::normal &&
                             router_.reliable().recovery_window.count() > 0;
    if (recoverable) {
        shard_.park(*connection_, std::chrono::steady_clock::now());
    } else {
        count(metrics_.connections_closed);
        connection_->set_end_reason(client_end_reason(code, reason)); // kept only if we did not close it
        shard_.detach(connection_->id());
    }
    connection_ = nullptr;
}

} // namespace hubcast::api

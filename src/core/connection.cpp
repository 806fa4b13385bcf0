#include "core/connection.hpp"

#include <utility>

#include "core/shard.hpp"
#include "protocol/json_protocol.hpp"
#include "protocol/protobuf_protocol.hpp"
#include "protocol/sequence_head.hpp"
#include "protocol/websocket_frame.hpp"

namespace hubcast::core {

namespace {
// Azure's name for a client that cannot drain its buffered messages; for a reliable session that
// is one that leaves too many messages unacknowledged.
constexpr std::string_view overflow_reason = "SlowClient";
constexpr std::string_view unrecovered_reason = "The connection was not recovered in time.";
} // namespace

connection::connection(connection_info info, auth::permission_set permissions, connection_sink& sink,
                       reliable_limits limits, reliable_counters* counters)
    : info_(std::move(info)), permissions_(std::move(permissions)), sink_(&sink), unacked_(limits),
      counters_(counters) {}

invocation_table& connection::invocations() {
    if (!invocations_) {
        invocations_ = std::make_unique<invocation_table>();
    }
    return *invocations_;
}

send_result connection::deliver(const prepared_message& message, send_deadline deadline, send_origin origin) {
    shard::deliver_held_sends(); // a message numbered after the held ones it may be one of
    if (closing_) {
        return send_result::dropped;
    }
    const protocol::frame_family family = protocol::family_of(info_.kind);
    if (!is_reliable()) {
        return send_frame(message.frame(family), deadline);
    }
    const util::shared_bytes& body = message.sequenced_body(family);
    if (!body) {
        return send_result::dropped; // raw has no reliable form: nothing to number
    }
    if (arrival_) {
        // Its numbering is still on the node that held it: kept, with where it came from, until
        // that node says which of these it delivered itself. Bounded as the unacked buffer is.
        if (arrival_->size() >= unacked_.limits().max_messages) {
            overflow();
            return send_result::dropped;
        }
        arrival_->push_back(collected{origin, body, deadline});
        return send_result::queued;
    }
    // keep()'s work, written out: this is the hot path of every reliable delivery.
    const std::uint64_t sequence_id = unacked_.next_sequence_id();
    if (!unacked_.push(body, protocol::sequence_head::size_of(family, sequence_id, body->size()), deadline)) {
        overflow();
        return send_result::dropped;
    }
    if (sink_ == nullptr) {
        return send_result::queued; // parked: kept for the recovery
    }
    return sink_->send_sequenced(family, sequence_id, body, deadline);
}

send_result connection::deliver_joined(std::span<const util::shared_bytes> bodies,
                                       const std::shared_ptr<const void>& owner) {
    const protocol::frame_family family = protocol::family_of(info_.kind);
    std::size_t most = 0;
    for (const util::shared_bytes& body : bodies) {
        most += body ? protocol::sequence_head::max_size + body->size() : 0;
    }
    if (most == 0) {
        return send_result::dropped; // raw has no reliable form: nothing to number
    }
    std::string frames;
    frames.reserve(most);
    for (const util::shared_bytes& body : bodies) {
        if (!body) {
            continue;
        }
        const protocol::sequence_head head(family, unacked_.next_sequence_id(), body->size());
        if (!unacked_.push_owned(*body, head.size(), owner)) {
            overflow();
            return send_result::dropped;
        }
        frames += head.bytes();
        frames += *body;
    }
    return sink_->send(util::make_shared_bytes(std::move(frames)));
}

bool connection::keep(util::shared_bytes body, send_deadline deadline) {
    const std::size_t head_size = protocol::sequence_head::size_of(protocol::family_of(info_.kind),
                                                                   unacked_.next_sequence_id(), body->size());
    if (!unacked_.push(std::move(body), head_size, deadline)) {
        overflow();
        return false;
    }
    return true;
}

void connection::overflow() {
    if (counters_ != nullptr) {
        counters_->overflows.fetch_add(1, std::memory_order_relaxed);
    }
    close(protocol::close_code::policy_violation, overflow_reason);
}

connection::~connection() {
    if (events_) {
        // A parked session that ends without a recorded reason ran out of recovery window.
        events_->closed(end_reason_ ? std::move(*end_reason_)
                                    : std::string(parked_until_ ? unrecovered_reason : std::string_view{}));
    }
}

const std::string& connection::recovery_digest() const noexcept {
    static const std::string none;
    return recovery_ ? recovery_->digest : none;
}

void connection::set_recovery_digest(std::string digest) {
    if (!recovery_) {
        recovery_ = std::make_unique<recovery_state>();
    }
    recovery_->digest = std::move(digest);
}

void connection::begin_handover(std::chrono::steady_clock::time_point until) {
    if (!recovery_) {
        recovery_ = std::make_unique<recovery_state>();
    }
    recovery_->handover_until = until;
}

bool connection::handing_over(std::chrono::steady_clock::time_point now) const noexcept {
    return recovery_ && recovery_->handover_until && now < *recovery_->handover_until;
}

void connection::set_end_reason(std::string_view reason) {
    if (!end_reason_) {
        end_reason_ = std::string(reason);
    }
}

void connection::hold(connection_leases leases) {
    if (!leases.empty()) {
        leases_ = std::make_unique<connection_leases>(std::move(leases));
    }
}

void connection::acknowledge(std::uint64_t sequence_id) {
    unacked_.acknowledge(sequence_id);
}

void connection::park(std::chrono::steady_clock::time_point deadline) noexcept {
    sink_ = nullptr;
    parked_until_ = deadline;
}

void connection::resume(connection_sink& sink) {
    if (sink_ != nullptr) {
        sink_->abandon();
    }
    sink_ = &sink;
    parked_until_.reset();
    replay_unacked();
}

void connection::replay_unacked() {
    // Spec 5.5: every unacknowledged message, in order and with its original id, before any new
    // traffic; the client drops the ones it had already received.
    for (const auto& entry : unacked_.unacked()) {
        sink_->send_sequenced(protocol::family_of(info_.kind), entry.sequence_id, unacked_.body_of(entry),
                              entry.deadline);
    }
}

send_result connection::send_frame(const util::shared_bytes& frame, send_deadline deadline) {
    // After close() the sink is finishing its handshake: nothing may be queued behind the close.
    // A null frame (a family with no encoding) is dropped, never sent as something else.
    // While parked there is no transport, and only data messages are kept for the recovery.
    if (closing_ || !frame || sink_ == nullptr) {
        return send_result::dropped;
    }
    if (shard::hold_frame_for(*this, frame, deadline)) {
        return send_result::queued; // behind sends held for the end of the turn that reach it
    }
    return sink_->send(frame, deadline);
}

void connection::close(std::uint16_t code, std::string_view reason) {
    if (closing_) {
        return;
    }
    shard::deliver_held_sends(); // what was sent before the close goes out before it
    set_end_reason(reason);
    // A closed session is never recovered, so what it kept is of no further use.
    unacked_.clear();
    if (sink_ == nullptr) {
        // Parked: no client to tell. The session ends at the shard's next expire_parked().
        closing_ = true;
        parked_until_ = std::chrono::steady_clock::time_point::min();
        return;
    }
    // Spec 4.4 / 6.3: PubSub clients hear why, in their own subprotocol; simple clients get none.
    switch (protocol::family_of(info_.kind)) {
    case protocol::frame_family::json:
        sink_->send(util::make_shared_bytes(
            protocol::encode_frame(protocol::ws_opcode::text, protocol::encode_disconnected(reason))));
        break;
    case protocol::frame_family::protobuf:
        sink_->send(util::make_shared_bytes(protocol::encode_frame(
            protocol::ws_opcode::binary, protocol::encode_protobuf_disconnected(reason))));
        break;
    case protocol::frame_family::raw:
        break;
    }
    closing_ = true;
    sink_->close(code, reason);
}

} // namespace hubcast::core

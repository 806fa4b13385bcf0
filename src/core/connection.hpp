#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "auth/permissions.hpp"
#include "core/ack_window.hpp"
#include "core/connection_quota.hpp"
#include "core/connection_sink.hpp"
#include "core/event_sink.hpp"
#include "core/invocation_table.hpp"
#include "core/prepared_message.hpp"
#include "core/reliable_buffer.hpp"
#include "core/reliable_sessions.hpp"
#include "core/send_origin.hpp"
#include "protocol/subprotocol.hpp"

namespace hubcast::core {

struct connection_info {
    std::string id;
    std::string hub; ///< lowercase
    std::optional<std::string> user_id;
    protocol::subprotocol_kind kind = protocol::subprotocol_kind::none;
    bool operator==(const connection_info&) const = default;
};

/// The core's view of one client: identity, groups, permissions, ack history and the sink its
/// frames go to. Lives on its owning shard and is touched only on that shard's thread.
///
/// A reliable client's connection is its session (spec 5.3): it numbers every data message, keeps
/// the unacknowledged ones, and outlives its transport. When the transport is lost the shard
/// parks it (no sink: messages are numbered and kept, not sent); a recovery binds a new sink and
/// replays what is unacknowledged; the shard ends it when the recovery window passes.
class connection {
public:
    /// `counters`, when given, must outlive the connection (the node's).
    connection(connection_info info, auth::permission_set permissions, connection_sink& sink,
               reliable_limits limits = {}, reliable_counters* counters = nullptr);
    /// Tells the event handler channel, if any, that the connection ended (`disconnected`).
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    const std::string& id() const noexcept { return info_.id; }
    const std::string& hub() const noexcept { return info_.hub; }
    const std::optional<std::string>& user_id() const noexcept { return info_.user_id; }
    protocol::subprotocol_kind kind() const noexcept { return info_.kind; }
    bool is_pubsub() const noexcept { return info_.kind != protocol::subprotocol_kind::none; }
    bool is_reliable() const noexcept { return protocol::is_reliable(info_.kind); }

    const std::unordered_set<std::string>& groups() const noexcept { return groups_; }
    auth::permission_set& permissions() noexcept { return permissions_; }
    const auth::permission_set& permissions() const noexcept { return permissions_; }
    ack_window& acks() noexcept { return acks_; }
    /// The invocations waiting for their handler's answer; made on first use, since most
    /// connections never invoke.
    invocation_table& invocations();
    /// Whether any invocation was ever started (invocations() has been made).
    bool has_invocations() const noexcept { return invocations_ != nullptr; }

    /// Queues the frame of this connection's family (`dropped` when that family has no frame yet).
    /// The transport drops it unwritten once `deadline` passes (REST messageTtlSeconds).
    /// A reliable connection numbers the message and keeps it until acknowledged, with or without
    /// a transport; a message that overflows the unacked buffer ends the session for good (1008,
    /// counted) and is `dropped`. A session arriving from another node (arriving()) keeps the
    /// message with its `origin` instead, unnumbered, until the arrival settles (shard::settle_arrival).
    send_result deliver(const prepared_message& message, send_deadline deadline = no_deadline,
                        send_origin origin = {});
    /// A reliable connection with a transport, neither closing nor arriving: numbers and keeps each
    /// of `bodies` (sequenced bodies of this connection's family, kept alive by `owner`) as
    /// deliver() does and queues their frames joined in one buffer of its own, so that the
    /// transport writes one piece for all of them (the sends a shard held for a turn).
    send_result deliver_joined(std::span<const util::shared_bytes> bodies,
                               const std::shared_ptr<const void>& owner);
    /// Queues an already-framed message (acks, system messages, pongs). Not numbered, not kept:
    /// dropped while the connection has no transport.
    send_result send_frame(const util::shared_bytes& frame, send_deadline deadline = no_deadline);
    /// A `sequenceAck` (spec 5.2): releases the acknowledged messages. Ignored unless reliable.
    void acknowledge(std::uint64_t sequence_id);
    /// The unacknowledged messages (empty unless reliable).
    const reliable_buffer& unacked() const noexcept { return unacked_; }

    /// Sends `system/disconnected` with `reason` to PubSub clients, in their subprotocol (JSON text
    /// or protobuf binary frame; simple clients get none), then closes the sink with `code`.
    /// Idempotent: only the first call has an effect. Afterwards deliver() and send_frame() drop.
    /// A closed session cannot be recovered. Closing a parked session ends it at the shard's next
    /// expire_parked().
    void close(std::uint16_t code, std::string_view reason);
    bool closing() const noexcept { return closing_; }

    /// The connection's event handler channel (server spec 4), null when its hub has no handler.
    /// Held for the connection's whole life, across reliable recoveries, with its state
    /// (`ce-connectionState`) and its queue of user events.
    connection_events* events() noexcept { return events_.get(); }
    void set_events(std::unique_ptr<connection_events> events) noexcept { events_ = std::move(events); }
    /// Why the client went away, for the `disconnected` event (a close we start records its own
    /// reason first; that one is kept).
    void set_end_reason(std::string_view reason);

    /// Keeps the admission's per-user and per-token leases (docs/configuration.md, "Abuse limits")
    /// until the connection ends: a reliable session counts while parked, so recovering it never
    /// takes a second slot and losing its transport frees none.
    void hold(connection_leases leases);

    /// Ends the sink's hold_writes(), if a transport is bound.
    void release_writes() {
        if (sink_ != nullptr) {
            sink_->release_writes();
        }
    }

    /// A session taken over from another node that has not settled yet (shard::arrive).
    bool arriving() const noexcept { return arrival_ != nullptr; }

    /// What a recovery of this reliable session must present: a digest of the reconnection token
    /// it was given, computed by whoever issues tokens; empty when none was issued. It moves with
    /// the session, so a node that takes it over checks recoveries without the issuer's secret.
    const std::string& recovery_digest() const noexcept;
    void set_recovery_digest(std::string digest);
    /// Another node is taking this session over (router: take_session) until `until`: a second
    /// taker is refused meanwhile.
    void begin_handover(std::chrono::steady_clock::time_point until);
    bool handing_over(std::chrono::steady_clock::time_point now) const noexcept;

    /// Whether a transport is bound (false while parked).
    bool has_transport() const noexcept { return sink_ != nullptr; }
    /// When a parked session ends; nullopt while a transport is bound.
    std::optional<std::chrono::steady_clock::time_point> parked_until() const noexcept {
        return parked_until_;
    }

private:
    friend class shard; // maintains groups_ together with the shard's indexes, parks and resumes

    /// The transport is gone; the session waits for a recovery until `deadline`.
    void park(std::chrono::steady_clock::time_point deadline) noexcept;
    /// Binds a new transport: a still-bound (half-open) one is abandoned first, then every
    /// unacknowledged message is queued on `sink`, oldest first, before anything else.
    void resume(connection_sink& sink);
    /// Queues every unacknowledged message on the bound sink, oldest first, with its own id.
    void replay_unacked();
    /// Numbers and keeps `body` as deliver() does, ending the session when it overflows; false then.
    bool keep(util::shared_bytes body, send_deadline deadline);
    /// The unacknowledged messages passed their bound: the session ends for good (1008, counted).
    void overflow();

    /// What an arriving session was sent before it settled, in the order it was sent.
    struct collected {
        send_origin origin;
        util::shared_bytes body;
        send_deadline deadline;
    };

    connection_info info_;
    auth::permission_set permissions_;
    connection_sink* sink_; // null while parked
    // Next to sink_: send_frame() reads both for every recipient of a fan-out, so they share a
    // cache line.
    bool closing_ = false;
    // Frames sent to it wait behind sends the shard holds for the end of the turn (shard::hold_frame_for).
    bool held_frames_ = false;
    ack_window acks_;
    std::unordered_set<std::string> groups_;
    reliable_buffer unacked_;
    reliable_counters* counters_;
    std::optional<std::chrono::steady_clock::time_point> parked_until_;
    std::unique_ptr<connection_events> events_;
    std::optional<std::string> end_reason_;
    std::unique_ptr<connection_leases> leases_;       // null unless a connection limit is configured
    std::unique_ptr<invocation_table> invocations_;   // null until the first invoke
    std::unique_ptr<std::vector<collected>> arrival_; // non-null only while arriving
    // Made for reliable sessions only (a token was issued), so other connections pay one pointer.
    struct recovery_state {
        std::string digest;
        std::optional<std::chrono::steady_clock::time_point> handover_until;
    };
    std::unique_ptr<recovery_state> recovery_;
};

} // namespace hubcast::core

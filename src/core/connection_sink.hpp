#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/subprotocol.hpp"
#include "util/send_result.hpp"
#include "util/shared_bytes.hpp"

namespace hubcast::core {

using util::no_deadline;
using util::send_deadline;
using util::send_result;

/// Port (implemented by the transport bridge): writes frames to one client. Every call happens on
/// the connection's owning worker thread; implementations are not thread-safe.
/// Must not call back into the core (shard attach/detach/join/leave, node commands that run inline)
/// from inside send() or close(): the shard may be walking its indexes. Defer such work to the
/// event loop (a slow-consumer close starts the handshake; the detach follows when it completes).
class connection_sink {
public:
    virtual ~connection_sink() = default;
    /// Queues one complete WebSocket frame. The bytes are shared and must not be modified. A frame
    /// with a `deadline` that is still queued when it passes is dropped, never partly written.
    /// Overrides repeat the default: it is bound by the static type of the call.
    virtual send_result send(const util::shared_bytes& frame, send_deadline deadline = no_deadline) = 0;
    /// Starts the close handshake after the frames already queued. Idempotent.
    virtual void close(std::uint16_t code, std::string_view reason) = 0;

    /// Queues reliable message `sequence_id` (spec 5.1): one frame made of the
    /// protocol::sequence_head of `family` (this connection's own: the frame header and the id)
    /// then `body` (shared by every reliable recipient), both or neither. The default joins the
    /// two into one buffer and calls send(); a transport that can gather should avoid that copy
    /// and build the head only when it writes it.
    virtual send_result send_sequenced(protocol::frame_family family, std::uint64_t sequence_id,
                                       const util::shared_bytes& body, send_deadline deadline = no_deadline);

    /// The connection's session moved to another transport (a recovery, spec 5.5) while this one
    /// was still bound (half-open): drop the client without a close handshake, and from now on
    /// never call into the core for this connection (it belongs to the new transport). The
    /// default closes with 1001; sinks that report their end to the core must override it.
    virtual void abandon();

    /// Keeps every frame queued from now on, and what was queued already, unwritten until
    /// release_writes(); the queue's bounds still apply. The connect fence of a node in a cluster
    /// (docs/scale-out.md, "Read your writes"): the client hears nothing, `connected` included,
    /// until the connection is visible to every node. The default writes at once.
    virtual void hold_writes();
    /// Writes what was held, in order, and everything after it at once again.
    virtual void release_writes();
};

} // namespace hubcast::core

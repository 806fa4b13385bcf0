#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/http_types.hpp"
#include "protocol/subprotocol.hpp"
#include "protocol/websocket_frame.hpp"
#include "util/send_result.hpp"
#include "util/shared_bytes.hpp"

namespace hubcast::transport {

using util::no_deadline;
using util::send_deadline;
using util::send_result;

/// The outbound side of an open WebSocket, as handlers see it. Every call must happen on the
/// session's worker thread.
class ws_link {
public:
    virtual ~ws_link() = default;
    /// Queues a complete frame; written with everything else queued in this event-loop turn in one
    /// gather write. Never blocks. A frame still queued when its `deadline` passes is dropped
    /// whole at the next flush (a frame already handed to a write is always finished). Overrides
    /// repeat the default: it is bound by the static type of the call.
    virtual send_result send(const util::shared_bytes& frame, send_deadline deadline = no_deadline) = 0;
    /// Sends a close frame after the queued frames, then ends the session (idempotent).
    virtual void close(std::uint16_t code, std::string_view reason) = 0;
    /// Queues reliable message `sequence_id` of the session (spec 5.1): the frame is the
    /// protocol::sequence_head of `family` and then `body` (shared by every reliable recipient),
    /// gathered into the same write without copying; the head is built when the frame is written
    /// and never allocated. The bound and the deadline apply to the whole frame.
    virtual send_result send_sequenced(protocol::frame_family family, std::uint64_t sequence_id,
                                       const util::shared_bytes& body,
                                       send_deadline deadline = no_deadline) = 0;
    /// Replaces the keep-alive ping interval of this session (0: no pings), e.g. a hub's own
    /// setting; the next ping is due one new interval from now.
    virtual void set_keepalive_interval(std::chrono::seconds interval) = 0;
    /// Drops the TCP connection now, without a close handshake (a half-open transport replaced by a
    /// recovery). Nothing queued is written; on_closed (1006) follows from a fresh handler call.
    virtual void abort() = 0;
    /// Writes nothing, the 101 response included, until release_writes(); frames queue as usual,
    /// within the same bound. A close ends the hold: the close frame and what precedes it go out.
    virtual void hold_writes() = 0;
    virtual void release_writes() = 0;
};

/// Application side of an accepted WebSocket. Called on the session's worker thread only.
class ws_handler {
public:
    virtual ~ws_handler() = default;
    /// The 101 response is queued first; frames sent from here on follow it. `link` is valid until
    /// on_closed returns.
    virtual void on_open(ws_link& link) = 0;
    /// A complete text or binary message (text is valid UTF-8). The view is valid during the call.
    virtual void on_message(protocol::ws_opcode opcode, std::string_view payload) = 0;
    /// The outbound queue passed its hard bound: the client cannot keep up.
    virtual void on_slow_consumer() = 0;
    /// Nothing was heard from the client for keepalive_misses intervals.
    virtual void on_idle_timeout() = 0;
    /// The client broke the WebSocket protocol (`code`: 1002, 1007 or 1009). The handler should
    /// close the link with this code (after any goodbye of its own); if it does not, the session
    /// closes it. Input after the error is ignored, and no close reply is awaited.
    virtual void on_protocol_error(std::uint16_t code, std::string_view reason) = 0;
    /// The session ended: `code` is the peer's close code, 1006 when the TCP connection was lost,
    /// or the code we closed with. Last call.
    virtual void on_closed(std::uint16_t code, std::string_view reason) = 0;
};

/// Answers one HTTP request: either a response or a WebSocket acceptance. Thread-safe (calls are
/// carried to the session's worker); only the first answer counts.
class http_responder {
public:
    virtual ~http_responder() = default;
    virtual void respond(protocol::http_response response) = 0;
    /// Sends 101 echoing `subprotocol` (empty: no Sec-WebSocket-Protocol header) and hands the
    /// connection to `handler`. Only valid for requests with websocket_upgrade set.
    virtual void accept_websocket(std::string subprotocol, std::unique_ptr<ws_handler> handler) = 0;
    /// As accept_websocket, but the WebSocket is served by worker `worker` from the start (its
    /// on_open and every later call run there): the connection's socket moves to that worker's
    /// event loop after the 101 is decided. Used when the application state the connection belongs
    /// to lives on another worker (a recovered session, spec 5.5).
    virtual void accept_websocket_on(std::size_t worker, std::string subprotocol,
                                     std::unique_ptr<ws_handler> handler) = 0;
    /// The worker the request arrived on.
    virtual std::size_t worker_index() const noexcept = 0;
};

/// Implemented by the application: routes requests. Called on the session's worker thread.
class http_handler {
public:
    virtual ~http_handler() = default;
    virtual void handle(protocol::http_request request, std::shared_ptr<http_responder> responder) = 0;
};

} // namespace hubcast::transport

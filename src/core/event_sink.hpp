#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/message_data.hpp"

namespace hubcast::core {

/// Name → values in order: the claims, query parameters and headers of a connect event.
using string_lists = std::vector<std::pair<std::string, std::vector<std::string>>>;

/// The connection an event is about, as the event handler is told (server spec 4.2).
struct event_source {
    std::string hub; ///< lowercase
    std::string connection_id;
    std::optional<std::string> user_id;
    std::string subprotocol; ///< the negotiated name; empty when none
};

/// A client asks to connect (server spec 4.3). `source.subprotocol` is empty: nothing is
/// negotiated before the handler has answered.
struct connect_request {
    event_source source;
    string_lists claims;
    string_lists query;
    string_lists headers;
    std::vector<std::string> subprotocols; ///< as offered, in the client's order
};

/// The handler's answer to a connect event. A field it did not set stays empty and leaves the
/// token's value in place; a set field replaces it.
struct connect_outcome {
    enum class verdict : std::uint8_t {
        accepted,
        rejected, ///< the handler refused: `status` (4xx) is the answer to the upgrade
        failed,   ///< the handler could not be asked or answered nonsense: the upgrade fails with 500
    };
    verdict result = verdict::accepted;
    unsigned status = 0;
    std::string detail; ///< rejected/failed: a short text for the client's response body
    std::optional<std::string> user_id;
    std::optional<std::vector<std::string>> groups;
    std::optional<std::vector<std::string>> roles;
    std::optional<std::string> subprotocol;
    std::optional<std::string> connection_state;
};

/// The answer to a user event (server spec 4.6).
struct user_event_reply {
    bool success = false;
    /// success: what to send back to the caller (nothing for 204 or an empty body).
    std::optional<protocol::message_data> data;
    /// failure: why, for the client's ack and the log.
    std::string error;
};

/// The events of one open connection, in order: `connected` when it is made, user events one at a
/// time, `disconnected` last. Owned by the connection's session; used only on its worker thread.
/// Callbacks run on that thread, never inside the call that queued them, and never after the
/// object was destroyed or closed() was called.
class connection_events {
public:
    virtual ~connection_events() = default;
    /// A handler of the hub takes user event `name` now.
    virtual bool handles(std::string_view name) const = 0;
    /// Sends the event after those queued before it; `done` gets the reply. Returns false, without
    /// calling `done`, when too much is already queued for this connection.
    virtual bool user_event(std::string name, protocol::message_data data,
                            std::function<void(user_event_reply)> done) = 0;
    /// The connection is gone: queued events are dropped, `disconnected` with `reason` follows the
    /// one in flight. No callback runs after this.
    virtual void closed(std::string reason) = 0;
    /// The state the handler set last (`ce-connectionState`), none when never set: it moves with
    /// a reliable session that another node takes over.
    virtual std::optional<std::string> connection_state() const = 0;
};

/// Port (implemented by the upstream layer): where a hub's events go, per its settings. Every call
/// happens on a worker thread (`worker` names it) and its callback runs on that same thread.
class event_sink {
public:
    virtual ~event_sink() = default;
    /// A handler of `hub` subscribes to the connect event.
    virtual bool handles_connect(std::string_view hub) const = 0;
    /// Asks the connect handler; `done` is called exactly once, never inside this call.
    virtual void connect(connect_request request, std::size_t worker,
                         std::function<void(connect_outcome)> done) = 0;
    /// The connection is open: sends `connected` (when subscribed) with `state`, the connection
    /// state the connect handler set, and returns the channel for its later events.
    virtual std::unique_ptr<connection_events> open(event_source source, std::optional<std::string> state,
                                                    std::size_t worker) = 0;
    /// The channel of a reliable session that another node held until now: as open(), but
    /// without `connected`, which the handler had when the session began.
    virtual std::unique_ptr<connection_events> adopt(event_source source, std::optional<std::string> state,
                                                     std::size_t worker) = 0;
};

} // namespace hubcast::core

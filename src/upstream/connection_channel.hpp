#pragma once

#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/event_sink.hpp"
#include "protocol/message_data.hpp"
#include "upstream/webhook_dispatcher.hpp"

namespace hubcast::upstream {

/// One connection's channel (core::connection_events). The state is shared with the callbacks in
/// flight, so that the session may go away while a request is outstanding: `closed` then stops
/// every callback, and the disconnected event still goes out after the request in flight.
///
/// Threading: every call, and every callback, runs on the thread of the channel's lane.
class connection_channel final : public core::connection_events {
public:
    struct queued_event {
        std::string name;
        protocol::message_data data;
        std::function<void(core::user_event_reply)> done;
        std::size_t bytes() const noexcept { return name.size() + data.bytes.size(); }
    };

    struct state {
        webhook_dispatcher* owner = nullptr;
        webhook_dispatcher::lane* on = nullptr;
        core::event_source source;
        std::optional<std::string> connection_state;
        std::list<queued_event> queue; // not a deque: that allocates a 512-byte node per idle connection
        std::size_t queued_bytes = 0;  // names and data of `queue`, bounded by max_queued_event_bytes
        bool busy = false;             // a request of this connection is in flight (one at a time)
        bool closed = false;           // the session is gone: no callback may run
        std::optional<std::string> disconnect_reason; // closed while busy: sent once idle
    };

    explicit connection_channel(std::shared_ptr<state> shared) : state_(std::move(shared)) {}
    ~connection_channel() override;
    connection_channel(const connection_channel&) = delete;
    connection_channel& operator=(const connection_channel&) = delete;

    bool handles(std::string_view name) const override;
    bool user_event(std::string name, protocol::message_data data,
                    std::function<void(core::user_event_reply)> done) override;
    void closed(std::string reason) override;
    std::optional<std::string> connection_state() const override { return state_->connection_state; }

    /// Sends `connected` as the first event of the channel; user events queue behind its first
    /// attempt, so a handler sees connected before anything else of the connection.
    static void send_connected(const std::shared_ptr<state>& self);

private:
    static void pump(const std::shared_ptr<state>& self);
    static void after_request(const std::shared_ptr<state>& self);
    static void send_disconnected(const std::shared_ptr<state>& self, std::string_view reason);
    /// Spec 4.6: a 2xx passes its body back (nothing for 204 or an empty body) and may set the
    /// connection state; anything else is a failure the caller is told about.
    static core::user_event_reply interpret(state& self, std::string_view name,
                                            webhook_dispatcher::delivery result);

    std::shared_ptr<state> state_;
};

} // namespace hubcast::upstream

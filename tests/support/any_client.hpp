#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "support/deadline.hpp"
#include "support/echo_client.hpp"
#include "support/hubcast_process.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {

/// The two families of WebSocket client the transport serves: a simple client (no subprotocol,
/// raw frames) and a JSON PubSub client. WebSocket-level rules hold for both, so conformance cases
/// run over both (style rule 14).
enum class client_kind { simple, json };

std::string to_string(client_kind kind);

/// A connected client of either kind.
class any_client {
public:
    /// A simple client, or a JSON echo_client in `group`.
    static any_client connect(const hubcast_process& server, client_kind kind, const std::string& group,
                              ping_mode pings = ping_mode::answer);

    client_kind kind() const noexcept { return kind_; }
    ws_client& ws() noexcept { return echo_ ? echo_->ws() : simple_; }
    /// The JSON echo client, for cases that check what was assembled; null for a simple client.
    echo_client* echo() noexcept { return echo_ ? &*echo_ : nullptr; }

    /// A valid text message for this kind: for JSON an echo request carrying `text` (which must
    /// need no JSON escaping), for a simple client `text` itself.
    std::string message(std::string_view text) const;
    /// Sends message(text) as one frame and confirms the server took it and is still there: JSON
    /// clients get their echo; a simple client's message goes nowhere, so a ping must come back
    /// as a pong with nothing before it.
    void round_trip(std::string_view text, deadline limit = default_wait);
    /// Confirms, after message(text) was sent in any shape, that it was taken (see round_trip).
    void expect_taken(std::string_view text, deadline limit = default_wait);

    /// A close with `code` and then the end of the TCP connection; a JSON client may get one
    /// system/disconnected message first, a simple client nothing.
    close_info expect_closed_with(std::uint16_t code, deadline limit = default_wait);

private:
    any_client(client_kind kind, std::optional<echo_client> echo, ws_client simple)
        : kind_(kind), echo_(std::move(echo)), simple_(std::move(simple)) {}

    client_kind kind_;
    std::optional<echo_client> echo_;
    ws_client simple_;
    int probes_ = 0;
};

} // namespace hubcast::test

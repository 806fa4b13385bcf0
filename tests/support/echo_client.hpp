#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "support/deadline.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {

/// A JSON client alone in its own group with the right to publish to it, so whatever text it
/// publishes comes back to it. The WebSocket conformance suites use it like Autobahn's echo
/// server: a fragmented or otherwise odd-but-valid message is known to be assembled correctly when
/// its echo carries exactly the text that was sent.
class echo_client {
public:
    static echo_client connect(const hubcast_process& server, std::string group = "echo",
                               ping_mode pings = ping_mode::answer);

    ws_client& ws() noexcept { return client_.ws(); }
    pubsub_client& client() noexcept { return client_; }
    const std::string& group() const noexcept { return group_; }

    /// The sendToGroup request (dataType text) carrying `text` raw inside the JSON string, byte
    /// for byte, even when it is not UTF-8. `text` must need no JSON escaping (no `"`, `\` or
    /// control characters).
    std::string request(std::string_view text) const;
    /// The bytes of request("") around which data goes: prefix + text + suffix.
    std::size_t envelope_size() const { return request("").size(); }
    /// A request of exactly `size` bytes (data of 'x' repeated); size >= envelope_size().
    std::string request_of_size(std::size_t size) const;
    /// The data of request_of_size(size).
    std::string data_of_size(std::size_t size) const { return std::string(size - envelope_size(), 'x'); }

    /// The next message is this client's group message with dataType text and exactly `text`.
    void expect_echo(std::string_view text, deadline limit = default_wait);

private:
    echo_client(pubsub_client client, std::string group)
        : client_(std::move(client)), group_(std::move(group)) {}

    pubsub_client client_;
    std::string group_;
};

/// The next thing must be a close with `code`, followed by the end of the TCP connection. A JSON
/// client may first get one system/disconnected message (spec 5.7); anything else before the close
/// fails. For WebSocket-level failures, where either order is allowed.
close_info expect_closed_with(ws_client& ws, std::uint16_t code, deadline limit = default_wait);

} // namespace hubcast::test

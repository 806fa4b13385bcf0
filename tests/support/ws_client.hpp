#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "support/deadline.hpp"
#include "support/http_client.hpp"
#include "support/tcp_connection.hpp"
#include "support/ws_frame.hpp"

namespace hubcast::test {

/// What the client does with a ping from the server.
enum class ping_mode {
    answer,  ///< reply with a pong carrying the same payload, do not report the ping (a normal client)
    ignore,  ///< do not reply, do not report (a client that never answers)
    deliver, ///< do not reply, report it from receive() (tests of the keep-alive itself)
};

/// What receive() found before its deadline.
struct receive_result {
    enum class kind { frame, timeout, closed, bad_frame };
    kind status = kind::timeout;
    ws_frame frame;    ///< when status == frame
    std::string error; ///< for closed / bad_frame: what happened

    explicit operator bool() const noexcept { return status == kind::frame; }
    std::string describe() const;
};

/// How the server closed a connection (expect_close).
struct close_info {
    std::optional<std::uint16_t> code; ///< absent for an empty close payload
    std::string reason;
};

/// A blocking WebSocket test client over a raw TCP socket: it can send anything (reserved bits,
/// reserved opcodes, unmasked or malformed frames, arbitrary fragmentation, raw bytes) and checks
/// every server frame against RFC 6455. Every read has a deadline; a helper named expect_* throws
/// test_failure, with what was seen, when its expectation is not met. Not thread-safe.
class ws_client {
public:
    explicit ws_client(ping_mode pings = ping_mode::answer) : pings_(pings) {}

    /// Sends the upgrade request for `target` (path and query) to 127.0.0.1:port with `headers`
    /// added, offering `subprotocols` in that order (no Sec-WebSocket-Protocol when empty). A header
    /// in `headers` named like a default one (Host, Upgrade, Connection, Sec-WebSocket-Version)
    /// replaces it. Returns the response; on 101 the connection is open and Sec-WebSocket-Accept
    /// has been checked.
    http_response connect(std::uint16_t port, std::string_view target, const header_list& headers = {},
                          const std::vector<std::string>& subprotocols = {}, deadline limit = default_wait);

    /// Open after a 101 until the TCP connection ends.
    bool is_open() const noexcept { return upgraded_ && !connection_.peer_closed(); }
    /// The Sec-WebSocket-Protocol the server chose, if it sent one.
    const std::optional<std::string>& subprotocol() const noexcept { return subprotocol_; }
    void set_ping_mode(ping_mode pings) noexcept { pings_ = pings; }

    // Sending. Each returns false if the connection could not take every byte (the server closed or
    // reset it, which a test of an error path may expect).
    bool send_frame(const frame_spec& frame, deadline limit = default_wait);
    bool send_frame(std::uint8_t opcode, std::string_view payload, bool fin = true);
    bool send_text(std::string_view text) { return send_frame(ws_op::text, text); }
    bool send_binary(std::string_view bytes) { return send_frame(ws_op::binary, bytes); }
    bool send_json(std::string_view json) { return send_text(json); }
    /// One message as len(pieces) frames: `opcode` first, continuations after, FIN on the last.
    bool send_fragmented(std::uint8_t opcode, const std::vector<std::string>& pieces);
    bool send_ping(std::string_view payload = {}) { return send_frame(ws_op::ping, payload); }
    bool send_pong(std::string_view payload = {}) { return send_frame(ws_op::pong, payload); }
    bool send_close(std::optional<std::uint16_t> code = 1000, std::string_view reason = {});
    /// A close frame with exactly this payload (for malformed close tests).
    bool send_close_payload(std::string_view payload);
    bool send_raw(std::string_view bytes, deadline limit = default_wait);

    // Receiving.
    /// The next frame (pings handled per ping_mode). Server frames that break RFC 6455 come back
    /// as bad_frame.
    receive_result receive(deadline limit = default_wait);
    /// The next complete message: fragments are joined into one text/binary frame; control frames
    /// (pong, close) that arrive between fragments are returned on their own.
    receive_result receive_message(deadline limit = default_wait);

    /// The next message, which must arrive before `limit`.
    ws_frame expect_message(deadline limit = default_wait);
    /// The next message must be a text message holding one JSON object.
    boost::json::object expect_json(deadline limit = default_wait);
    /// The next frame must be a close: answers it (unless this client closed first) and requires
    /// the server to then close the TCP connection before `limit`.
    close_info expect_close(deadline limit = default_wait);
    /// Nothing but (hidden) pings may arrive for `quiet`, and the connection must stay open: the
    /// one bounded wait allowed, for "does not receive".
    void expect_no_message(std::chrono::milliseconds quiet);
    /// Reads and discards until the server closes the TCP connection; false at the deadline.
    bool wait_tcp_closed(deadline limit = default_wait);

    std::size_t pings_received() const noexcept { return pings_received_; }
    bool close_sent() const noexcept { return close_sent_; }
    tcp_connection& connection() noexcept { return connection_; }

private:
    std::array<std::uint8_t, 4> next_mask() noexcept;

    tcp_connection connection_;
    ping_mode pings_;
    bool upgraded_ = false;
    bool close_sent_ = false;
    std::optional<std::string> subprotocol_;
    std::size_t pings_received_ = 0;
    std::uint32_t mask_counter_ = 0;
    std::optional<ws_frame> partial_; // a fragmented message being assembled
};

/// The JSON of a text message, for failure messages.
std::string describe_json(const boost::json::object& object);

} // namespace hubcast::test

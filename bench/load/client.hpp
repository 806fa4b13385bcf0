#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace hubcast::bench {

class client;
class protocol_adapter;

/// What a connection reports to the scenario that drives it. Called on the loadgen's thread.
class client_events {
public:
    virtual ~client_events() = default;
    /// The connection is upgraded and subscribed (if it subscribes): it may publish now.
    virtual void on_ready(client& c) = 0;
    /// A published message arrived; `sent_ns` is the timestamp its publisher wrote into it.
    virtual void on_delivery(client& c, std::uint64_t sent_ns, std::uint32_t sequence) = 0;
    /// The connection failed before becoming ready: `http_status` is the refusal's status, or 0.
    virtual void on_failed(client& c, int http_status, std::string_view why) = 0;
};

/// What one connection is: its place in the scenario, decided before any timing starts.
struct client_spec {
    std::uint32_t index = 0;
    std::string request_target; ///< e.g. /client/hubs/bench?access_token=... (token minted beforehand)
    std::string group;          ///< the group / subject / topic it joins and publishes to
    bool subscriber = true;     ///< joins `group` (otherwise it only publishes)
    std::uint16_t port = 0;     ///< the server's port on 127.0.0.1 it connects to
};

/// One WebSocket client connection on loopback: the upgrade, unmasked server frames in, masked
/// client frames out (pings answered), corked writes (everything appended during one event-loop
/// turn goes out in one write). The protocol inside the frames is the adapter's.
/// Not thread-safe: every call happens on the io_context's single thread.
class client {
public:
    client(boost::asio::io_context& context, client_spec spec, protocol_adapter& adapter,
           client_events& events);
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// Connects from `source` (a 127.x.y.z address, to spread ephemeral ports) to 127.0.0.1:port.
    void start(const boost::asio::ip::address_v4& source, std::uint16_t port);
    /// The same, to the port of its spec.
    void start(const boost::asio::ip::address_v4& source) { start(source, spec_.port); }
    void close();
    /// Abortive close: SO_LINGER 0, so the peer sees a reset instead of an orderly end of stream.
    void reset();

    /// Appends one masked frame carrying `payload`; written at the end of this event-loop turn.
    void send_frame(std::uint8_t opcode, std::string_view payload);

    // For adapters.
    const client_spec& spec() const noexcept { return spec_; }
    client_events& events() noexcept { return events_; }
    std::string& stream() noexcept { return stream_; } ///< adapter's partial-message buffer
    int state = 0;                                     ///< adapter's per-connection state
    bool ready = false;
    bool failed = false;
    std::uint32_t in_flight = 0;      ///< scenario's per-connection window (echo)
    bool reliable = false;            ///< adapter's: speaks a reliable subprotocol
    std::uint64_t last_sequence = 0;  ///< adapter's: the highest sequence id received
    std::uint64_t acked_sequence = 0; ///< adapter's: the last id acknowledged
    std::uint64_t acked_ns = 0;       ///< adapter's: when it was acknowledged (receive_ns())

    std::uint64_t bytes_received() const noexcept { return bytes_received_; }

    /// Steady-clock nanoseconds taken once when the current read completed: every delivery parsed
    /// from one read arrived together, and one clock read per read instead of per delivery keeps the
    /// loadgen's cost down (clock_gettime was 7 % of its CPU in a 1,000-subscriber fan-out).
    static std::uint64_t receive_ns() noexcept { return receive_ns_; }

private:
    void send_request(std::uint16_t port);
    void read();
    void on_read(std::size_t bytes);
    bool take_response();
    void take_frames();
    void fail(int status, std::string_view why);
    void schedule_flush();
    void flush();

    boost::asio::ip::tcp::socket socket_;
    client_spec spec_;
    protocol_adapter& adapter_;
    client_events& events_;

    std::unique_ptr<char[]> in_;
    std::size_t in_capacity_ = 0;
    std::size_t in_size_ = 0;
    bool upgraded_ = false;
    std::uint64_t bytes_received_ = 0;

    std::string out_;     // appended this turn
    std::string sending_; // the write in flight
    bool writing_ = false;
    bool flush_posted_ = false;
    std::uint32_t mask_ = 0;

    std::string stream_;
    static inline std::uint64_t receive_ns_ = 0; // one loadgen thread: no synchronisation needed
};

} // namespace hubcast::bench

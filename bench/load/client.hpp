#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>

namespace hubcast::bench {

class client;
class client_poller;
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
///
/// The receive path is the loadgen's per-delivery cost, so it bypasses Asio's per-read operations:
/// every client socket of an io_context sits in one edge-triggered epoll set (client_poller, itself
/// one descriptor in the io_context), and a ready socket is read with one recv into a buffer shared
/// by all connections (kept hot in cache), whose frames are parsed in place; only an unfinished
/// frame at the end of a read is copied, into the connection's own tail buffer. Writes, connects and
/// closes are rare and go straight to the socket too.
/// Not thread-safe: every call happens on the io_context's single thread.
class client {
public:
    client(boost::asio::io_context& context, client_spec spec, protocol_adapter& adapter,
           client_events& events);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// Connects from `source` (a 127.x.y.z address, to spread ephemeral ports) to 127.0.0.1:port.
    void start(const boost::asio::ip::address_v4& source, std::uint16_t port);
    /// The same, to the port of its spec.
    void start(const boost::asio::ip::address_v4& source) { start(source, spec_.port); }
    /// Closes the socket (FIN); no callback follows.
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
    friend class client_poller;

    /// Readiness reported by the poller (epoll event bits).
    void on_events(std::uint32_t events);
    void finish_connect();
    /// One recv and the parsing of what it brought. `full`: it filled the buffer, so more may be
    /// waiting (the poller comes back to it); `partial`: it took all there was; `drained`: nothing
    /// was there, or the connection ended.
    enum class read_result : std::uint8_t { full, partial, drained };
    read_result receive();
    /// Parses the upgrade response and frames in data[0, size); returns the bytes consumed.
    std::size_t take_input(const char* data, std::size_t size);
    std::size_t take_frames(const char* data, std::size_t size);
    void keep_tail(const char* data, std::size_t size);
    void fail(int status, std::string_view why);
    void fail_errno(int error);
    void schedule_flush();
    void flush();
    void close_socket();

    boost::asio::io_context& context_;
    client_poller& poller_;
    client_spec spec_;
    protocol_adapter& adapter_;
    client_events& events_;

    int fd_ = -1;
    std::uint32_t slot_ = 0; // the poller's handle, valid while fd_ >= 0
    bool connecting_ = false;
    bool upgraded_ = false;
    std::uint64_t bytes_received_ = 0;

    // The unparsed end of the stream (an unfinished frame, or the upgrade response so far).
    std::unique_ptr<char[]> tail_;
    std::size_t tail_capacity_ = 0;
    std::size_t tail_size_ = 0;
    std::size_t frame_need_ = 0; // the whole size of the unfinished frame in the tail, once known

    std::string out_;          // frames not yet written, from out_sent_ on
    std::size_t out_sent_ = 0; // bytes of out_ already written (a partial write waits for EPOLLOUT)
    bool flush_posted_ = false;
    bool write_blocked_ = false; // the socket's buffer was full: waiting for EPOLLOUT
    std::uint32_t mask_ = 0;

    std::string stream_;
    static inline std::uint64_t receive_ns_ = 0; // one loadgen thread: no synchronisation needed
};

} // namespace hubcast::bench

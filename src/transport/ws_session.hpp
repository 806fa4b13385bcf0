#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "protocol/frame_parser.hpp"
#include "transport/frame_queue.hpp"
#include "transport/handlers.hpp"
#include "transport/session_options.hpp"
#include "transport/worker_pool.hpp"

namespace hubcast::transport {

class worker_io;

/// One open WebSocket on its worker: parses client frames (protocol::frame_parser), answers
/// pings, runs the close handshake, sends keep-alive pings, and writes outbound frames corked:
/// every frame queued during one event-loop turn goes out at the end of the turn in as few gather
/// writes as the kernel takes (up to IOV_MAX buffers each). The outbound queue is bounded in bytes
/// (design section 4). Reads go through the worker's shared buffer (worker_io).
class ws_session : public std::enable_shared_from_this<ws_session>,
                   public ws_link,
                   private protocol::frame_handler {
public:
    ws_session(boost::asio::ip::tcp::socket socket, std::string handshake_response,
               std::string leftover_input, std::unique_ptr<ws_handler> handler,
               const session_options& options, session_counters& counters);
    ~ws_session() override;

    void start();

    send_result send(const util::shared_bytes& frame, send_deadline deadline = no_deadline) override;
    send_result send_sequenced(protocol::frame_family family, std::uint64_t sequence_id,
                               const util::shared_bytes& body, send_deadline deadline = no_deadline) override;
    void close(std::uint16_t code, std::string_view reason) override;
    void set_keepalive_interval(std::chrono::seconds interval) override;
    void abort() override;
    void hold_writes() override;
    void release_writes() override;

private:
    enum class state : std::uint8_t { open, closing, finished };

    // protocol::frame_handler
    void on_message(protocol::ws_opcode opcode, std::string_view payload) override;
    void on_ping(std::string_view payload) override;
    void on_pong(std::string_view payload) override;
    void on_close(std::uint16_t code, std::string_view reason) override;
    void on_protocol_error(std::uint16_t code, std::string_view reason) override;

    friend class worker_io;

    /// Reads what the socket holds into the worker's buffer and feeds the parser, until the socket
    /// would block (then waits for readability) or a turn's share of reads is used (then yields).
    void read_available();
    void wait_readable();
    void on_read_failed();
    /// Queues a data frame within the outbound bound (the slow-consumer close past it).
    send_result enqueue_data(queued_frame frame);
    void enqueue_control(std::string frame);
    void schedule_flush();
    void flush_from_list();
    void flush();
    /// One gather write of the queue's head; false when the socket cannot take more now or failed.
    bool write_some_frames();
    void consume_written(std::size_t bytes);
    void wait_writable();
    void on_queue_drained();
    /// Removes queued frames whose deadline has passed, except a frame the kernel already has a part of.
    void drop_expired();
    void start_close(std::uint16_t code, std::string_view reason, bool expect_reply);
    void arm_keepalive();
    void on_keepalive_tick();
    void finish(std::uint16_t code, std::string_view reason, bool graceful = true);

    boost::asio::ip::tcp::socket socket_;
    // Keep-alive while open, then the close timeout: a session never needs both at once.
    boost::asio::steady_timer timer_;
    std::unique_ptr<ws_handler> handler_;
    const session_options& options_;
    session_counters& counters_;
    worker_io& worker_;
    protocol::frame_parser parser_;
    std::string leftover_input_;

    frame_queue queue_;
    std::size_t queued_bytes_ = 0;
    std::size_t head_written_ = 0;         // bytes of queue_.front() the kernel already took
    std::size_t frames_with_deadline_ = 0; // in queue_; flush() reads the clock only when non-zero
    bool waiting_writable_ = false;        // the socket was full; a wait for writability is pending
    bool flush_listed_ = false;
    bool writes_held_ = false; // hold_writes(): the queue waits for release_writes()
    bool slow_consumer_reported_ = false;

    state state_ = state::open;
    bool close_queued_ = false;         // our close frame is in the queue; nothing may follow it
    bool close_sent_ = false;           // ...and it was written
    bool peer_closed_ = false;          // the peer's close frame arrived
    bool failed_ = false;               // the peer broke the protocol; its input is ignored
    bool shutdown_after_close_ = false; // no reply expected: drop TCP once our close is written
    std::uint16_t close_code_ = protocol::close_code::abnormal;
    std::string close_reason_;
    int silent_intervals_ = 0;
    std::chrono::seconds keepalive_interval_; // options_.keepalive_interval unless the handler set one
};

} // namespace hubcast::transport

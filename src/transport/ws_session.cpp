#include "transport/ws_session.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/post.hpp>
#include <sys/socket.h>
#include <sys/uio.h>

#include "protocol/sequence_head.hpp"
#include "transport/worker_io.hpp"

namespace hubcast::transport {

namespace asio = boost::asio;

namespace {
// Buffers per gather write: Linux's IOV_MAX. The write is ours, not asio::async_write's, because
// Asio hands at most 16 buffers to each system call there (bench/analysis.md, "One `sendmsg` of up
// to 1,024 frames per flush"), which capped the corking at 16 frames per call whatever the load.
constexpr std::size_t max_iovecs = 1024;
// Reads per turn before a busy session lets the others run.
constexpr int max_reads_per_turn = 4;

/// Allocates exactly what is asked, from the global heap. Asio's default handler allocator
/// recycles freed blocks per thread, so an idle connection's pending waits (one for input, one
/// for its keep-alive) kept whatever larger block the handshake's operations had left behind, at
/// most ~460 bytes each; bound to this allocator they cost their own size.
template <typename T> struct exact_allocator {
    using value_type = T;
    exact_allocator() noexcept = default;
    template <typename U> exact_allocator(const exact_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }
    template <typename U> bool operator==(const exact_allocator<U>&) const noexcept { return true; }
};

template <typename Handler> auto exact_allocation(Handler handler) {
    return asio::bind_allocator(exact_allocator<void>{}, std::move(handler));
}
} // namespace

ws_session::ws_session(asio::ip::tcp::socket socket, std::string handshake_response,
                       std::string leftover_input, std::unique_ptr<ws_handler> handler,
                       const session_options& options, session_counters& counters)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), handler_(std::move(handler)),
      options_(options), counters_(counters), worker_(worker_io::of(socket_.get_executor())),
      parser_(protocol::frame_limits{.max_message_bytes = options.max_message_bytes}),
      leftover_input_(std::move(leftover_input)), keepalive_interval_(options.keepalive_interval) {
    ++counters_.websocket;
    queued_bytes_ = handshake_response.size();
    queue_.push_back({util::make_shared_bytes(std::move(handshake_response))});
}

ws_session::~ws_session() {
    --counters_.websocket;
}

void ws_session::start() {
    boost::system::error_code ec;
    socket_.non_blocking(true, ec); // reads and writes below are attempts; waits go through Asio
    schedule_flush();
    handler_->on_open(*this);
    if (!leftover_input_.empty()) {
        const std::string input = std::move(leftover_input_);
        parser_.feed(input, *this);
    }
    arm_keepalive();
    // From a fresh call: the worker's read buffer may be in use by whoever started this session.
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->read_available(); });
}

send_result ws_session::send(const util::shared_bytes& frame, send_deadline deadline) {
    return enqueue_data(queued_frame{frame, deadline});
}

send_result ws_session::send_sequenced(protocol::frame_family family, std::uint64_t sequence_id,
                                       const util::shared_bytes& body, send_deadline deadline) {
    const auto head_size =
        static_cast<std::uint8_t>(protocol::sequence_head::size_of(family, sequence_id, body->size()));
    return enqueue_data(queued_frame{body, deadline, sequence_id, head_size, family});
}

send_result ws_session::enqueue_data(queued_frame frame) {
    if (state_ != state::open || close_queued_) {
        return send_result::dropped;
    }
    const std::size_t size = frame.size();
    const send_deadline deadline = frame.deadline;
    if (queued_bytes_ + size > options_.outbound_hard_bytes) {
        if (!slow_consumer_reported_) {
            slow_consumer_reported_ = true;
            // Reported from a fresh handler call, never from inside the sender's loop.
            asio::post(socket_.get_executor(), [self = shared_from_this()] {
                if (self->state_ == state::open) {
                    self->handler_->on_slow_consumer();
                }
            });
        }
        return send_result::dropped;
    }
    queue_.push_back(std::move(frame));
    queued_bytes_ += size;
    if (deadline != no_deadline) {
        ++frames_with_deadline_;
    }
    schedule_flush();
    return queued_bytes_ > options_.outbound_soft_bytes ? send_result::backpressure : send_result::queued;
}

void ws_session::enqueue_control(std::string frame) {
    if (close_queued_ || state_ == state::finished) {
        return;
    }
    queued_bytes_ += frame.size();
    queue_.push_back({util::make_shared_bytes(std::move(frame))});
    schedule_flush();
}

void ws_session::abort() {
    if (state_ == state::finished) {
        return;
    }
    // A half-open peer may never read again: no close handshake, no lingering drain. The handler
    // hears of it from a fresh call, never from inside the caller's own.
    state_ = state::closing;
    close_queued_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->finish(protocol::close_code::abnormal, "aborted", false);
    });
}

void ws_session::close(std::uint16_t code, std::string_view reason) {
    if (state_ != state::open) {
        return;
    }
    start_close(code, reason, true);
}

void ws_session::start_close(std::uint16_t code, std::string_view reason, bool expect_reply) {
    state_ = state::closing;
    writes_held_ = false; // the close frame, and what was held before it, must go out
    close_code_ = code;
    close_reason_ = std::string(reason);
    // After a protocol error the parser ignores input, so a close reply could never be seen.
    shutdown_after_close_ = !expect_reply || failed_;
    enqueue_control(protocol::encode_close_frame(code, reason));
    close_queued_ = true; // nothing may follow the close frame
    // Whatever happens, the socket is gone after the close timeout.
    timer_.expires_after(options_.close_timeout); // ends the keep-alive wait
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) {
            self->finish(self->close_code_, self->close_reason_);
        }
    });
}

void ws_session::hold_writes() {
    writes_held_ = true;
}

void ws_session::release_writes() {
    if (!writes_held_) {
        return;
    }
    writes_held_ = false;
    if (!queue_.empty()) {
        schedule_flush();
    }
}

void ws_session::schedule_flush() {
    if (flush_listed_ || waiting_writable_ || writes_held_ || state_ == state::finished) {
        return;
    }
    flush_listed_ = true;
    // Corking: everything queued before the worker's flush task runs goes out together.
    worker_.request_flush(shared_from_this());
}

void ws_session::flush_from_list() {
    flush_listed_ = false;
    flush();
}

void ws_session::flush() {
    // Held writes wait even when a flush was listed before the hold (start() lists the 101).
    if (waiting_writable_ || writes_held_ || state_ == state::finished) {
        return;
    }
    drop_expired();
    while (!queue_.empty()) {
        if (!write_some_frames()) {
            return;
        }
    }
    on_queue_drained();
}

bool ws_session::write_some_frames() {
    iovec iov[max_iovecs];
    // Reliable messages' heads, built here for this write only (each such frame takes two iovecs).
    // Left uninitialised: only the heads written are touched, so a write of plain frames pays
    // nothing for the space.
    char heads[max_iovecs / 2][protocol::sequence_head::max_size];
    std::size_t head_count = 0;
    std::size_t count = 0;
    std::size_t skip = head_written_;
    const auto add = [&](std::string_view bytes) {
        if (skip >= bytes.size()) {
            skip -= bytes.size();
            return;
        }
        iov[count++] = {const_cast<char*>(bytes.data()) + skip, bytes.size() - skip};
        skip = 0;
    };
    for (std::size_t i = 0; i < queue_.size() && count + 2 <= max_iovecs; ++i) {
        const queued_frame& frame = queue_[i];
        if (frame.sequence_id != 0) {
            char* head = heads[head_count++];
            add({head,
                 protocol::sequence_head::write(head, frame.family, frame.sequence_id, frame.bytes->size())});
        }
        add(*frame.bytes);
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    ssize_t written = 0;
    do {
        written = ::sendmsg(socket_.native_handle(), &message, MSG_NOSIGNAL);
    } while (written < 0 && errno == EINTR);
    if (written < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            wait_writable();
        } else {
            finish(protocol::close_code::abnormal, "write failed", false);
        }
        return false;
    }
    std::size_t offered = 0;
    for (std::size_t i = 0; i < count; ++i) {
        offered += iov[i].iov_len;
    }
    consume_written(static_cast<std::size_t>(written));
    if (static_cast<std::size_t>(written) < offered) {
        wait_writable(); // the socket's send buffer is full
        return false;
    }
    return true;
}

void ws_session::consume_written(std::size_t bytes) {
    queued_bytes_ -= bytes;
    bytes += head_written_;
    while (!queue_.empty() && bytes >= queue_.front().size()) {
        bytes -= queue_.front().size();
        if (queue_.front().deadline != no_deadline) {
            --frames_with_deadline_;
        }
        queue_.pop_front();
    }
    head_written_ = bytes;
}

void ws_session::wait_writable() {
    waiting_writable_ = true;
    socket_.async_wait(asio::ip::tcp::socket::wait_write,
                       [self = shared_from_this()](boost::system::error_code ec) {
                           self->waiting_writable_ = false;
                           if (self->state_ == state::finished) {
                               return;
                           }
                           if (ec) {
                               self->finish(protocol::close_code::abnormal, "write failed", false);
                               return;
                           }
                           self->flush();
                       });
}

void ws_session::on_queue_drained() {
    if (!close_queued_) {
        return;
    }
    close_sent_ = true;
    if (shutdown_after_close_ || peer_closed_) {
        finish(close_code_, close_reason_);
    }
}

void ws_session::drop_expired() {
    if (frames_with_deadline_ == 0) {
        return;
    }
    // A slow client's queue may hold messages older than their TTL: drop them instead of writing
    // them late. Whole frames only, and only here, where no write holds any of them.
    // A frame the kernel has a part of must be finished, or the stream is no longer WebSocket.
    const std::size_t first = head_written_ == 0 ? 0 : 1;
    const auto dropped = queue_.drop_expired(first, options_.clock());
    frames_with_deadline_ -= dropped.frames;
    queued_bytes_ -= dropped.bytes;
}

void ws_session::read_available() {
    const auto buffer = worker_.read_buffer(options_.read_buffer_bytes);
    for (int reads = 0; reads < max_reads_per_turn; ++reads) {
        if (!socket_.is_open()) {
            return;
        }
        boost::system::error_code ec;
        const std::size_t bytes = socket_.read_some(asio::buffer(buffer.data(), buffer.size()), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            wait_readable();
            return;
        }
        if (ec) {
            on_read_failed();
            return;
        }
        if (state_ != state::finished) { // after our close, input is drained and discarded
            silent_intervals_ = 0;
            parser_.feed(std::string_view(buffer.data(), bytes), *this);
        }
    }
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->read_available(); });
}

void ws_session::wait_readable() {
    // Only after a read found the socket empty: Asio's epoll is edge-triggered, and a wait started
    // while input is already there may not complete until more arrives.
    socket_.async_wait(asio::ip::tcp::socket::wait_read,
                       exact_allocation([self = shared_from_this()](boost::system::error_code ec) {
                           if (ec == asio::error::operation_aborted && !self->socket_.is_open()) {
                               return;
                           }
                           if (ec) {
                               self->on_read_failed();
                               return;
                           }
                           self->read_available();
                       }));
}

void ws_session::on_read_failed() {
    if (state_ == state::finished) {
        boost::system::error_code ignored;
        timer_.cancel();
        socket_.close(ignored);
        return;
    }
    // The peer went away without (or after) the close handshake.
    finish(peer_closed_ ? close_code_ : protocol::close_code::abnormal,
           peer_closed_ ? close_reason_ : "connection lost", false);
}

void ws_session::on_message(protocol::ws_opcode opcode, std::string_view payload) {
    if (state_ == state::open) {
        handler_->on_message(opcode, payload);
    }
}

void ws_session::on_ping(std::string_view payload) {
    if (state_ != state::open) {
        return;
    }
    // Control frames pass the data bound (a close must always go out), so a client that pings and
    // never reads would grow the queue without end. RFC 6455 5.5.3 lets an endpoint answer only the
    // most recent of several pings: past the hard bound, pongs are skipped and counted.
    std::string pong = protocol::encode_frame(protocol::ws_opcode::pong, payload);
    if (queued_bytes_ + pong.size() > options_.outbound_hard_bytes) {
        counters_.pongs_skipped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    enqueue_control(std::move(pong));
}

void ws_session::on_pong(std::string_view) {}

void ws_session::on_close(std::uint16_t code, std::string_view reason) {
    peer_closed_ = true;
    if (state_ == state::open) {
        // The peer started the handshake: echo its code, then drop the connection.
        state_ = state::closing;
        close_code_ = code;
        close_reason_ = std::string(reason);
        shutdown_after_close_ = true;
        enqueue_control(protocol::encode_close_frame(code, ""));
        close_queued_ = true;
        return;
    }
    // The reply to our close.
    if (close_sent_) {
        finish(close_code_, close_reason_);
    }
}

void ws_session::on_protocol_error(std::uint16_t code, std::string_view reason) {
    failed_ = true;
    if (state_ == state::open) {
        handler_->on_protocol_error(code, reason);
    }
    if (state_ == state::open) {
        start_close(code, reason, false);
    } else if (state_ == state::closing) {
        shutdown_after_close_ = true;
    }
}

void ws_session::set_keepalive_interval(std::chrono::seconds interval) {
    keepalive_interval_ = interval;
    if (state_ == state::open) { // otherwise the timer runs the close timeout
        timer_.cancel();
        arm_keepalive();
    }
}

void ws_session::arm_keepalive() {
    if (keepalive_interval_.count() <= 0) {
        return;
    }
    timer_.expires_after(keepalive_interval_);
    timer_.async_wait(exact_allocation([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) {
            self->on_keepalive_tick();
        }
    }));
}

void ws_session::on_keepalive_tick() {
    if (state_ != state::open) {
        return;
    }
    if (++silent_intervals_ >= options_.keepalive_misses) {
        handler_->on_idle_timeout();
        return;
    }
    enqueue_control(protocol::encode_frame(protocol::ws_opcode::ping, ""));
    arm_keepalive();
}

void ws_session::finish(std::uint16_t code, std::string_view reason, bool graceful) {
    if (state_ == state::finished) {
        return;
    }
    state_ = state::finished;
    timer_.cancel();
    queue_.clear();
    queued_bytes_ = 0;
    head_written_ = 0;
    frames_with_deadline_ = 0;
    // The handler forgets the connection before the peer can see the TCP connection end, so a
    // client that saw it end and asks the REST API finds the connection gone.
    handler_->on_closed(code, reason);
    boost::system::error_code ignored;
    if (graceful && socket_.is_open()) {
        // Half-close and drain what the peer still sends: closing a socket with unread input
        // makes the kernel send RST, which can destroy our close frame before the peer reads it.
        socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        timer_.expires_after(options_.close_timeout);
        timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            if (auto self = weak.lock(); self && !ec) {
                boost::system::error_code ignored_close;
                self->socket_.close(ignored_close);
            }
        });
    } else {
        socket_.close(ignored);
    }
}

} // namespace hubcast::transport

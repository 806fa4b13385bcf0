#include "transport/ws_session.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace hubcast::transport {

namespace asio = boost::asio;

namespace {
// A gather write takes at most this many frames (two buffers each when spliced); IOV_MAX is 1024
// on Linux.
constexpr std::size_t max_gather = 256;
} // namespace

ws_session::ws_session(asio::ip::tcp::socket socket, std::string handshake_response,
                       std::string leftover_input, std::unique_ptr<ws_handler> handler,
                       const session_options& options, session_counters& counters)
    : socket_(std::move(socket)), keepalive_timer_(socket_.get_executor()),
      close_timer_(socket_.get_executor()), handler_(std::move(handler)), options_(options),
      counters_(counters), parser_(protocol::frame_limits{.max_message_bytes = options.max_message_bytes}),
      leftover_input_(std::move(leftover_input)), keepalive_interval_(options.keepalive_interval) {
    ++counters_.websocket;
    queue_.push_back({util::make_shared_bytes(std::move(handshake_response))});
    queued_bytes_ = queue_.back().bytes->size();
}

ws_session::~ws_session() {
    --counters_.websocket;
}

void ws_session::start() {
    schedule_flush();
    handler_->on_open(*this);
    if (!leftover_input_.empty()) {
        const std::string input = std::move(leftover_input_);
        parser_.feed(input, *this);
    }
    arm_keepalive();
    read();
}

send_status ws_session::send(const util::shared_bytes& frame, send_deadline deadline) {
    return enqueue_data(frame, nullptr, deadline);
}

send_status ws_session::send_spliced(const util::shared_bytes& head, const util::shared_bytes& body,
                                     send_deadline deadline) {
    return enqueue_data(head, body, deadline);
}

send_status ws_session::enqueue_data(const util::shared_bytes& frame, const util::shared_bytes& tail,
                                     send_deadline deadline) {
    if (state_ != state::open || close_queued_) {
        return send_status::dropped;
    }
    const std::size_t size = frame->size() + (tail ? tail->size() : 0);
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
        return send_status::dropped;
    }
    queue_.push_back({frame, deadline, tail});
    queued_bytes_ += size;
    if (deadline != no_deadline) {
        ++frames_with_deadline_;
    }
    schedule_flush();
    return queued_bytes_ > options_.outbound_soft_bytes ? send_status::backpressure : send_status::queued;
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
    close_code_ = code;
    close_reason_ = std::string(reason);
    // After a protocol error the parser ignores input, so a close reply could never be seen.
    shutdown_after_close_ = !expect_reply || failed_;
    const std::string frame = protocol::encode_close_frame(code, reason);
    queued_bytes_ += frame.size();
    queue_.push_back({util::make_shared_bytes(frame)});
    close_queued_ = true;
    schedule_flush();
    // Whatever happens, the socket is gone after the close timeout.
    close_timer_.expires_after(options_.close_timeout);
    close_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) {
            self->finish(self->close_code_, self->close_reason_);
        }
    });
}

void ws_session::schedule_flush() {
    if (flush_posted_ || write_in_flight_ || state_ == state::finished) {
        return;
    }
    flush_posted_ = true;
    // Corking: everything queued before this runs goes out in one gather write.
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->flush_posted_ = false;
        self->flush();
    });
}

void ws_session::flush() {
    if (write_in_flight_ || state_ == state::finished) {
        return;
    }
    drop_expired();
    if (queue_.empty()) {
        return;
    }
    const std::size_t count = std::min(queue_.size(), max_gather);
    gather_.clear();
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const auto& frame = *queue_[i].bytes;
        gather_.emplace_back(frame.data(), frame.size());
        bytes += frame.size();
        if (const auto& tail = queue_[i].tail) {
            gather_.emplace_back(tail->data(), tail->size());
            bytes += tail->size();
        }
    }
    write_in_flight_ = true;
    asio::async_write(socket_, gather_,
                      [self = shared_from_this(), count, bytes](boost::system::error_code ec, std::size_t) {
                          self->on_written(ec, count, bytes);
                      });
}

void ws_session::on_written(boost::system::error_code ec, std::size_t frames, std::size_t bytes) {
    write_in_flight_ = false;
    if (state_ == state::finished) {
        return;
    }
    if (ec) {
        finish(protocol::close_code::abnormal, "write failed", false);
        return;
    }
    const auto written_end = queue_.begin() + static_cast<std::ptrdiff_t>(frames);
    if (frames_with_deadline_ != 0) {
        frames_with_deadline_ -= static_cast<std::size_t>(std::count_if(
            queue_.begin(), written_end, [](const queued_frame& f) { return f.deadline != no_deadline; }));
    }
    queue_.erase(queue_.begin(), written_end);
    queued_bytes_ -= bytes;
    if (close_queued_ && queue_.empty()) {
        close_sent_ = true;
        if (shutdown_after_close_ || peer_closed_) {
            finish(close_code_, close_reason_);
        }
        return;
    }
    flush();
}

void ws_session::drop_expired() {
    if (frames_with_deadline_ == 0) {
        return;
    }
    // A slow client's queue may hold messages older than their TTL: drop them instead of writing
    // them late. Whole frames only, and only here, where no write holds any of them.
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(queue_, [this, now](const queued_frame& f) {
        if (f.deadline == no_deadline || now < f.deadline) {
            return false;
        }
        --frames_with_deadline_;
        queued_bytes_ -= f.bytes->size() + (f.tail ? f.tail->size() : 0);
        return true;
    });
}

void ws_session::read() {
    if (read_buffer_.size() != options_.read_buffer_bytes) {
        read_buffer_.resize(options_.read_buffer_bytes);
    }
    socket_.async_read_some(
        asio::buffer(read_buffer_),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void ws_session::on_read(boost::system::error_code ec, std::size_t bytes) {
    if (state_ == state::finished) {
        if (ec) {
            boost::system::error_code ignored;
            close_timer_.cancel();
            socket_.close(ignored);
        } else {
            read(); // draining after our close; the input is discarded
        }
        return;
    }
    if (ec) {
        // The peer went away without (or after) the close handshake.
        finish(peer_closed_ ? close_code_ : protocol::close_code::abnormal,
               peer_closed_ ? close_reason_ : "connection lost", false);
        return;
    }
    silent_intervals_ = 0;
    parser_.feed(std::string_view(read_buffer_.data(), bytes), *this);
    read();
}

void ws_session::on_message(protocol::ws_opcode opcode, std::string_view payload) {
    if (state_ == state::open) {
        handler_->on_message(opcode, payload);
    }
}

void ws_session::on_ping(std::string_view payload) {
    if (state_ == state::open) {
        enqueue_control(protocol::encode_frame(protocol::ws_opcode::pong, payload));
    }
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
        const std::string frame = protocol::encode_close_frame(
            code == protocol::close_code::no_status ? protocol::close_code::no_status : code, "");
        queued_bytes_ += frame.size();
        queue_.push_back({util::make_shared_bytes(frame)});
        close_queued_ = true;
        schedule_flush();
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
    keepalive_timer_.cancel();
    if (state_ == state::open) {
        arm_keepalive();
    }
}

void ws_session::arm_keepalive() {
    if (keepalive_interval_.count() <= 0) {
        return;
    }
    keepalive_timer_.expires_after(keepalive_interval_);
    keepalive_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) {
            self->on_keepalive_tick();
        }
    });
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
    keepalive_timer_.cancel();
    close_timer_.cancel();
    queue_.clear();
    queued_bytes_ = 0;
    frames_with_deadline_ = 0;
    boost::system::error_code ignored;
    if (graceful && socket_.is_open()) {
        // Half-close and drain what the peer still sends: closing a socket with unread input
        // makes the kernel send RST, which can destroy our close frame before the peer reads it.
        socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        close_timer_.expires_after(options_.close_timeout);
        close_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            if (auto self = weak.lock(); self && !ec) {
                boost::system::error_code ignored_close;
                self->socket_.close(ignored_close);
            }
        });
    } else {
        socket_.close(ignored);
    }
    handler_->on_closed(code, reason);
}

} // namespace hubcast::transport

#include "client.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapters.hpp"
#include "monotonic.hpp"

namespace hubcast::bench {

namespace asio = boost::asio;

namespace {
constexpr std::size_t max_frame = 64 * 1024 * 1024;
constexpr std::size_t max_response_headers = 16 * 1024;
/// The receive buffer every connection reads into. Large, so a connection that fell behind is
/// drained in few reads; the part a typical read touches (a few KiB) stays in cache because every
/// connection reuses it.
constexpr std::size_t shared_buffer_size = 256 * 1024;
/// An unfinished frame up to this size is copied to the front of the shared buffer before the next
/// read; a longer one (a frame of more than 64 KiB) is read into the connection's own tail buffer
/// instead, so assembling a big frame costs no repeated copies.
constexpr std::size_t shared_tail_limit = 64 * 1024;
/// A tail buffer this large is given back once the frame it held is done.
constexpr std::size_t keep_tail_capacity = 256 * 1024;
} // namespace

/// The epoll set of every client socket of one io_context, an Asio service so that each context has
/// its own. Asio sees one descriptor, the epoll fd: when it is readable, one round takes up to
/// `events_` ready sockets with a single epoll_wait and reads each with one recv into the shared
/// buffer. Against one async_read_some per read, this saves the reactor's per-operation work
/// (operation objects, descriptor locks, scheduler queue, handler dispatch) and keeps the read
/// buffer hot; the sockets are edge-triggered, so nothing is re-armed per read.
class client_poller final : public asio::execution_context::service {
public:
    static inline asio::execution_context::id id;

    explicit client_poller(asio::io_context& context)
        : asio::execution_context::service(context), context_(context), epoll_(context),
          buffer_(std::make_unique<char[]>(shared_buffer_size)) {
        const int fd = ::epoll_create1(EPOLL_CLOEXEC);
        if (fd < 0) {
            throw std::system_error(errno, std::system_category(), "epoll_create1");
        }
        epoll_.assign(fd);
    }

    /// Adds `fd` (edge-triggered, reads and writes); returns false with errno set on failure.
    bool add(client& c, int fd, std::uint32_t& slot) {
        if (free_.empty()) {
            free_.push_back(static_cast<std::uint32_t>(slots_.size()));
            slots_.push_back({});
        }
        slot = free_.back();
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.u64 = handle(slot);
        if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            return false;
        }
        free_.pop_back();
        slots_[slot].owner = &c;
        arm();
        return true;
    }

    /// Forgets the client of `slot` (its socket is about to be closed, which takes it out of the
    /// epoll set): events of this round already taken for it are dropped by the generation check.
    void remove(std::uint32_t slot) {
        slots_[slot].owner = nullptr;
        ++slots_[slot].generation;
        free_.push_back(slot);
    }

    /// The client of `slot` filled the buffer: read it again in the next round, after the others.
    void come_back(std::uint32_t slot) { again_.push_back(handle(slot)); }

    char* buffer() noexcept { return buffer_.get(); }

private:
    struct entry {
        client* owner = nullptr;
        std::uint32_t generation = 0;
    };

    void shutdown() override {}

    std::uint64_t handle(std::uint32_t slot) const {
        return (std::uint64_t{slots_[slot].generation} << 32) | slot;
    }
    client* find(std::uint64_t h) const {
        const auto slot = static_cast<std::uint32_t>(h);
        const entry& e = slots_[slot];
        return e.generation == static_cast<std::uint32_t>(h >> 32) ? e.owner : nullptr;
    }

    void arm() {
        if (armed_) {
            return;
        }
        armed_ = true;
        epoll_.async_wait(asio::posix::descriptor_base::wait_read, [this](boost::system::error_code ec) {
            armed_ = false;
            if (!ec) {
                run();
            }
        });
    }

    void run() {
        retry_.swap(again_);
        const int n =
            ::epoll_wait(epoll_.native_handle(), events_.data(), static_cast<int>(events_.size()), 0);
        for (int i = 0; i < n; ++i) {
            if (client* c = find(events_[i].data.u64)) {
                c->on_events(events_[i].events);
            }
        }
        for (const std::uint64_t h : retry_) {
            if (client* c = find(h)) {
                c->on_events(EPOLLIN);
            }
        }
        retry_.clear();
        // A round that found work is followed by another, posted: Asio first runs the writes this
        // round queued (publishes, acks), and while sockets keep turning ready (a busy loadgen) the
        // rounds go on without re-arming the wait on the epoll fd (an epoll_ctl each time) and
        // sleeping in Asio's epoll_wait to be woken again. The first round that finds nothing arms.
        if (n > 0 || !again_.empty()) {
            if (!posted_) {
                posted_ = true;
                asio::post(context_, [this] {
                    posted_ = false;
                    run();
                });
            }
        } else {
            arm();
        }
    }

    asio::io_context& context_;
    asio::posix::stream_descriptor epoll_;
    std::unique_ptr<char[]> buffer_;
    std::array<epoll_event, 1024> events_{};
    std::vector<entry> slots_;
    std::vector<std::uint32_t> free_;
    std::vector<std::uint64_t> again_;
    std::vector<std::uint64_t> retry_;
    bool armed_ = false;
    bool posted_ = false;
};

client::client(asio::io_context& context, client_spec spec, protocol_adapter& adapter, client_events& events)
    : context_(context), poller_(asio::use_service<client_poller>(context)), spec_(std::move(spec)),
      adapter_(adapter), events_(events) {
    mask_ = 0x9e3779b9u * (spec_.index + 1);
}

client::~client() {
    close_socket();
}

void client::start(const asio::ip::address_v4& source, std::uint16_t port) {
    // The upgrade request goes out as soon as the connection is up.
    out_ += "GET ";
    out_ += spec_.request_target;
    out_ += " HTTP/1.1\r\nHost: 127.0.0.1:";
    out_ += std::to_string(port);
    out_ += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (const auto protocol = adapter_.subprotocol(spec_); !protocol.empty()) {
        out_ += "Sec-WebSocket-Protocol: ";
        out_ += protocol;
        out_ += "\r\n";
    }
    out_ += "\r\n";

    int error = 0;
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        error = errno;
    } else {
        // Pick the port at connect time, per 4-tuple: many source addresses then multiply the
        // ephemeral ports available to one destination.
        const int on = 1;
        ::setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
        sockaddr_in from{};
        from.sin_family = AF_INET;
        from.sin_addr.s_addr = htonl(source.to_uint());
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK); // loopback only
        to.sin_port = htons(port);
        if (::bind(fd_, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0) {
            error = errno;
        } else if (::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
                   errno != EINPROGRESS) {
            error = errno;
        } else if (!poller_.add(*this, fd_, slot_)) {
            error = errno;
            ::close(fd_);
            fd_ = -1;
        } else {
            connecting_ = true; // done when the socket turns writable (finish_connect)
        }
    }
    if (error != 0) {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
        // Reported from the event loop, as a refused connect is: the scenario starts the next
        // connection from its on_failed, which must not recurse into this call.
        asio::post(context_, [this, error] { fail_errno(error); });
    }
}

void client::finish_connect() {
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
        error = errno;
    }
    if (error != 0) {
        fail_errno(error);
        return;
    }
    connecting_ = false;
    const int on = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    flush();
}

void client::close_socket() {
    if (fd_ < 0) {
        return;
    }
    poller_.remove(slot_);
    ::close(fd_);
    fd_ = -1;
    connecting_ = false;
    write_blocked_ = false;
}

void client::close() {
    close_socket();
}

void client::reset() {
    if (fd_ >= 0) {
        const linger abortive{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
    }
    close_socket();
}

void client::send_frame(std::uint8_t opcode, std::string_view payload) {
    if (failed) {
        return;
    }
    unsigned char header[14];
    std::size_t n = 0;
    header[n++] = static_cast<unsigned char>(0x80 | opcode);
    const std::size_t size = payload.size();
    if (size < 126) {
        header[n++] = static_cast<unsigned char>(0x80 | size);
    } else if (size <= 0xFFFF) {
        header[n++] = 0x80 | 126;
        header[n++] = static_cast<unsigned char>(size >> 8);
        header[n++] = static_cast<unsigned char>(size);
    } else {
        header[n++] = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8) {
            header[n++] = static_cast<unsigned char>(static_cast<std::uint64_t>(size) >> shift);
        }
    }
    unsigned char key[4];
    std::memcpy(key, &mask_, 4);
    std::memcpy(header + n, key, 4);
    n += 4;
    const std::size_t start = out_.size();
    out_.append(reinterpret_cast<const char*>(header), n);
    out_.append(payload);
    char* body = out_.data() + start + n;
    for (std::size_t i = 0; i < size; ++i) {
        body[i] = static_cast<char>(body[i] ^ key[i & 3]);
    }
    schedule_flush();
}

void client::schedule_flush() {
    if (flush_posted_ || write_blocked_ || connecting_) {
        return; // a flush is coming (the posted one, EPOLLOUT, or the end of the connect)
    }
    flush_posted_ = true;
    asio::post(context_, [this] {
        flush_posted_ = false;
        flush();
    });
}

void client::flush() {
    if (fd_ < 0 || connecting_ || write_blocked_) {
        return;
    }
    while (out_sent_ < out_.size()) {
        const ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                write_blocked_ = true; // the rest goes when EPOLLOUT reports room
                return;
            }
            fail_errno(errno);
            return;
        }
        out_sent_ += static_cast<std::size_t>(n);
    }
    out_.clear();
    out_sent_ = 0;
}

void client::on_events(std::uint32_t events) {
    if (connecting_) {
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) {
            return;
        }
        finish_connect();
        if (fd_ < 0) {
            return;
        }
    }
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) != 0) {
        // Edge-triggered: a read shorter than the buffer took everything there was (new data brings a
        // new event). After a hang-up, read on to the end of the stream, which no event will report.
        const bool hangup = (events & (EPOLLRDHUP | EPOLLERR | EPOLLHUP)) != 0;
        read_result result = receive();
        while (hangup && result != read_result::drained) {
            result = receive();
        }
        if (result == read_result::full) {
            poller_.come_back(slot_);
        }
    }
    if (write_blocked_ && fd_ >= 0 && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) {
        write_blocked_ = false;
        flush();
    }
}

client::read_result client::receive() {
    // Usually the read lands in the shared buffer, after a copy of this connection's unfinished frame
    // (if any); a big unfinished frame is completed in the connection's own buffer instead.
    const bool shared = tail_size_ <= shared_tail_limit;
    char* buffer = nullptr;
    std::size_t have = tail_size_;
    std::size_t room = 0;
    if (shared) {
        buffer = poller_.buffer();
        if (have > 0) {
            std::memcpy(buffer, tail_.get(), have);
        }
        room = shared_buffer_size - have;
    } else {
        // Room for the rest of the frame (take_frames recorded its size), and at least as much again
        // as there is, so that growing stays linear.
        const std::size_t wanted = std::max(frame_need_, have + std::max(have, shared_tail_limit));
        if (tail_capacity_ < wanted) {
            auto bigger = std::make_unique<char[]>(wanted);
            std::memcpy(bigger.get(), tail_.get(), have);
            tail_ = std::move(bigger);
            tail_capacity_ = wanted;
        }
        buffer = tail_.get();
        room = tail_capacity_ - have;
    }
    const ssize_t n = ::recv(fd_, buffer + have, room, 0);
    if (n <= 0) {
        if (n < 0 && errno == EINTR) {
            return read_result::full; // try again
        }
        if (n == 0) {
            fail(0, "End of file");
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            fail_errno(errno);
        }
        return read_result::drained;
    }
    receive_ns_ = now_ns();
    bytes_received_ += static_cast<std::size_t>(n);
    const std::size_t size = have + static_cast<std::size_t>(n);
    const std::size_t used = take_input(buffer, size);
    if (fd_ < 0) {
        return read_result::drained; // failed (or closed by an event handler) while parsing
    }
    keep_tail(buffer + used, size - used);
    return static_cast<std::size_t>(n) == room ? read_result::full : read_result::partial;
}

void client::keep_tail(const char* data, std::size_t size) {
    if (size == 0) {
        tail_size_ = 0;
        if (tail_capacity_ > keep_tail_capacity) {
            tail_.reset();
            tail_capacity_ = 0;
        }
        return;
    }
    if (tail_capacity_ < size || (tail_capacity_ > keep_tail_capacity && size <= shared_tail_limit)) {
        const std::size_t capacity = std::max<std::size_t>(size, 4096);
        auto fresh = std::make_unique<char[]>(capacity);
        std::memcpy(fresh.get(), data, size);
        tail_ = std::move(fresh);
        tail_capacity_ = capacity;
    } else if (data != tail_.get()) {
        std::memmove(tail_.get(), data, size); // may overlap when the read went into tail_
    }
    tail_size_ = size;
}

std::size_t client::take_input(const char* data, std::size_t size) {
    std::size_t pos = 0;
    if (!upgraded_) {
        const std::string_view input(data, size);
        const auto end = input.find("\r\n\r\n");
        if (end == std::string_view::npos) {
            if (size >= max_response_headers) {
                fail(0, "response headers too large");
            }
            return 0;
        }
        int status = 0;
        if (input.size() > 12 && input.substr(0, 5) == "HTTP/") {
            status = std::atoi(std::string(input.substr(9, 3)).c_str());
        }
        if (status != 101) {
            fail(status, "upgrade refused");
            return 0;
        }
        upgraded_ = true;
        pos = end + 4;
        adapter_.on_open(*this);
        if (failed) {
            return pos;
        }
    }
    return pos + take_frames(data + pos, size - pos);
}

std::size_t client::take_frames(const char* input, std::size_t size) {
    const auto* data = reinterpret_cast<const unsigned char*>(input);
    std::size_t pos = 0;
    frame_need_ = 0;
    while (size - pos >= 2 && !failed) {
        const unsigned char* h = data + pos;
        const std::uint8_t opcode = h[0] & 0x0F;
        std::uint64_t length = h[1] & 0x7F;
        std::size_t header = 2;
        if (length == 126) {
            if (size - pos < 4) {
                break;
            }
            length = (std::uint64_t{h[2]} << 8) | h[3];
            header = 4;
        } else if (length == 127) {
            if (size - pos < 10) {
                break;
            }
            length = 0;
            for (int i = 0; i < 8; ++i) {
                length = (length << 8) | h[2 + i];
            }
            header = 10;
        }
        if (length > max_frame) {
            fail(0, "frame too large");
            return pos;
        }
        const std::size_t total = header + static_cast<std::size_t>(length);
        if (size - pos < total) {
            frame_need_ = total; // what receive() makes room for when it is a big one
            break;
        }
        const std::string_view payload(input + pos + header, static_cast<std::size_t>(length));
        switch (opcode) {
        case 0x9: // ping
            send_frame(0xA, payload);
            break;
        case 0x8: // close
            fail(0, "closed by the server");
            return pos;
        case 0xA: // pong
            break;
        default: // text, binary, continuation: the adapter's stream
            adapter_.on_payload(*this, payload);
            break;
        }
        pos += total;
    }
    return pos;
}

void client::fail(int status, std::string_view why) {
    if (failed) {
        return;
    }
    failed = true;
    close_socket();
    events_.on_failed(*this, status, why);
}

void client::fail_errno(int error) {
    fail(0, std::system_category().message(error));
}

} // namespace hubcast::bench

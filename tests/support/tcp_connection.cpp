#include "support/tcp_connection.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/test_failure.hpp"

namespace hubcast::test {

tcp_connection tcp_connection::connect(std::uint16_t port, deadline limit) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw test_failure(std::string("socket(): ") + std::strerror(errno));
    }
    tcp_connection connection(fd);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
        return connection;
    }
    if (errno != EINPROGRESS) {
        throw test_failure("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
    }
    pollfd waiting{fd, POLLOUT, 0};
    int ready = ::poll(&waiting, 1, limit.poll_timeout());
    if (ready <= 0) {
        throw test_failure("connect to 127.0.0.1:" + std::to_string(port) +
                           ": no connection before the deadline");
    }
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
        throw test_failure("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(error));
    }
    return connection;
}

tcp_connection::tcp_connection(tcp_connection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), input_(std::move(other.input_)), peer_closed_(other.peer_closed_),
      last_error_(other.last_error_) {}

tcp_connection& tcp_connection::operator=(tcp_connection&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        input_ = std::move(other.input_);
        peer_closed_ = other.peer_closed_;
        last_error_ = other.last_error_;
    }
    return *this;
}

tcp_connection::~tcp_connection() {
    close();
}

void tcp_connection::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

void tcp_connection::shutdown_write() {
    if (fd_ >= 0) {
        ::shutdown(fd_, SHUT_WR);
    }
}

tcp_connection::read_status tcp_connection::read_available() {
    std::array<char, 64 * 1024> buffer{};
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n > 0) {
        input_.append(buffer.data(), static_cast<std::size_t>(n));
        return read_status::data;
    }
    if (n == 0) {
        peer_closed_ = true;
        return read_status::eof;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return read_status::timeout;
    }
    last_error_ = errno;
    peer_closed_ = true;
    return read_status::error;
}

tcp_connection::read_status tcp_connection::read_some(deadline limit) {
    if (fd_ < 0) {
        return read_status::error;
    }
    if (peer_closed_) {
        return last_error_ != 0 ? read_status::error : read_status::eof;
    }
    while (true) {
        read_status status = read_available();
        if (status != read_status::timeout) {
            return status;
        }
        pollfd waiting{fd_, POLLIN, 0};
        int ready = ::poll(&waiting, 1, limit.poll_timeout());
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            return read_status::timeout;
        }
    }
}

bool tcp_connection::write_all(std::string_view bytes, deadline limit) {
    if (fd_ < 0) {
        return false;
    }
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n > 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            last_error_ = errno;
            return false;
        }
        pollfd waiting{fd_, static_cast<short>(POLLOUT | (peer_closed_ ? 0 : POLLIN)), 0};
        int ready = ::poll(&waiting, 1, limit.poll_timeout());
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            return false;
        }
        if ((waiting.revents & POLLIN) != 0) {
            // Keep draining so a server that writes while we write cannot deadlock us both. A
            // closed read side does not stop the write: the peer may still be reading.
            read_available();
        }
        if ((waiting.revents & (POLLERR | POLLHUP)) != 0 && (waiting.revents & POLLOUT) == 0) {
            return false;
        }
    }
    return true;
}

} // namespace hubcast::test

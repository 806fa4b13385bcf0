#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "support/deadline.hpp"

namespace hubcast::test {

/// A client TCP connection to 127.0.0.1 with a deadline on every operation. Non-blocking
/// underneath; received bytes collect in `input()` until the caller consumes them.
/// Not thread-safe. Move-only.
class tcp_connection {
public:
    enum class read_status { data, timeout, eof, error };

    /// Throws test_failure if the connection is not established before `limit`.
    static tcp_connection connect(std::uint16_t port, deadline limit = default_wait);

    tcp_connection() = default;
    tcp_connection(tcp_connection&& other) noexcept;
    tcp_connection& operator=(tcp_connection&& other) noexcept;
    tcp_connection(const tcp_connection&) = delete;
    tcp_connection& operator=(const tcp_connection&) = delete;
    ~tcp_connection();

    bool is_open() const noexcept { return fd_ >= 0; }

    /// Writes every byte before `limit`. While the socket cannot take more, whatever the peer sends
    /// is read into input(), so neither side can deadlock on full buffers and a peer that answers
    /// early (an error close) is seen. Returns false if the peer closed or reset the connection, or
    /// the deadline passed, before everything was written.
    bool write_all(std::string_view bytes, deadline limit = default_wait);

    /// Reads whatever is available (at least one byte) into input(), waiting until `limit`.
    read_status read_some(deadline limit);

    /// Bytes received and not yet consumed by the caller.
    std::string& input() noexcept { return input_; }

    /// The peer has closed its side (EOF) or reset the connection.
    bool peer_closed() const noexcept { return peer_closed_; }
    /// errno of the last failed read or write, 0 if none (ECONNRESET, EPIPE...).
    int last_error() const noexcept { return last_error_; }

    void shutdown_write();
    void close();

private:
    explicit tcp_connection(int fd) : fd_(fd) {}
    /// One non-blocking read into input_; read_status::timeout means "would block".
    read_status read_available();

    int fd_ = -1;
    std::string input_;
    bool peer_closed_ = false;
    int last_error_ = 0;
};

} // namespace hubcast::test

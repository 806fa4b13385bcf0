#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "util/result.hpp"

namespace hubcast::transport {

/// Limits of one http_client (one per worker). Bounds are per upstream host ("host:port").
struct http_client_options {
    std::size_t max_connections_per_host = 32;    // concurrent requests to one host from one worker
    std::size_t max_waiting_per_host = 4096;      // queued behind those; more fail at once (overloaded)
    std::chrono::milliseconds idle_timeout{4000}; // below Node's 5 s keepAliveTimeout: we close first
    std::size_t max_response_header_bytes = 16 * 1024;
    std::size_t max_response_body_bytes =
        4 * 1024 * 1024; // replies go to one client: Azure's 1 MiB, with room
};

/// One HTTP/1.1 request to an upstream host. The client adds Host, Content-Length and
/// Connection handling; `headers` are sent as given.
struct http_client_request {
    std::string host; ///< name or IP literal (IPv6 without brackets)
    std::uint16_t port = 80;
    std::string method = "POST";
    std::string target = "/"; ///< origin-form: path and query, already percent-encoded
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// From the call to send() until the whole response is read, waiting for a free connection
    /// included.
    std::chrono::milliseconds timeout{std::chrono::seconds{10}};
};

struct http_client_response {
    unsigned status = 0;
    /// As received, in order; repeated names stay separate lines.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /// First value of a header, matched case-insensitively; empty if absent.
    std::string_view header(std::string_view name) const noexcept;
};

enum class http_client_error : std::uint8_t {
    unreachable,     ///< the name did not resolve, or no address accepted the connection
    timeout,         ///< no complete response within the request's timeout
    connection_lost, ///< the connection broke before the response was complete
    bad_response,    ///< not a valid HTTP/1.1 response, or over the size limits
    overloaded,      ///< too many requests already wait for this host
    shut_down,       ///< the client was shut down (never reported: shutdown drops callbacks)
};

std::string_view describe(http_client_error error) noexcept;

using http_client_result = util::result<http_client_response, http_client_error>;

/// An asynchronous HTTP/1.1 client (Beast over Asio) bound to one worker's executor: it never
/// blocks the worker, keeps connections alive per host and reuses them, runs at most
/// max_connections_per_host requests to a host at once and queues the rest in order, and gives
/// every request one deadline. Plain HTTP only; it knows nothing of what it carries.
///
/// Threading: not thread-safe. Construct, call send() and shutdown() on the executor's thread;
/// callbacks run there too, never inside send().
class http_client {
public:
    using callback = std::function<void(http_client_result)>;

    explicit http_client(boost::asio::any_io_executor executor, http_client_options options = {});
    /// Calls shutdown().
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    /// Starts the request; `done` is called exactly once with the response (any status) or the
    /// error, unless the client is shut down first.
    void send(http_client_request request, callback done);

    /// Closes every connection and abandons pending requests: their callbacks are destroyed
    /// without being called (the caller is going away too). Idempotent.
    void shutdown();

    /// Requests started and not yet answered (queued ones included).
    std::size_t pending() const noexcept;
    /// Open connections to `host:port`, busy or idle (for tests and metrics).
    std::size_t connections_to(std::string_view host, std::uint16_t port) const;

private:
    class impl;
    std::shared_ptr<impl> impl_;
};

} // namespace hubcast::transport

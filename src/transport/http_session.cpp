#include "transport/http_session.hpp"

#include <array>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <openssl/sha.h>
#include <unistd.h>

#include "protocol/http_head.hpp"
#include "transport/bounded_head.hpp"
#include "transport/ws_session.hpp"
#include "util/base64.hpp"

namespace hubcast::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

std::string websocket_accept_key(std::string_view key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input(key);
    input.append(guid);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    return util::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

/// A descriptor between two event loops: closed if the task carrying it is dropped unrun (a worker
/// stopped at shutdown), so it never leaks.
struct owned_descriptor {
    int fd;
    explicit owned_descriptor(int descriptor) noexcept : fd(descriptor) {}
    owned_descriptor(owned_descriptor&& other) noexcept : fd(std::exchange(other.fd, -1)) {}
    owned_descriptor(const owned_descriptor&) = delete;
    owned_descriptor& operator=(const owned_descriptor&) = delete;
    owned_descriptor& operator=(owned_descriptor&&) = delete;
    ~owned_descriptor() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

protocol::header_list header_fields(const http::request<http::string_body>& req) {
    protocol::header_list fields;
    fields.reserve(16);
    for (const auto& field : req) {
        fields.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    return fields;
}

} // namespace

http_session::http_session(asio::ip::tcp::socket socket, std::size_t worker, worker_pool& workers,
                           http_handler& handler, const session_options& options, session_counters& counters)
    : socket_(std::move(socket)), deadline_(socket_.get_executor()),
      buffer_(bounded_buffer_bytes(options.max_header_bytes)), worker_(worker), workers_(workers),
      handler_(handler), options_(options), counters_(counters) {
    ++counters_.http;
}

http_session::~http_session() {
    --counters_.http;
}

void http_session::start() {
    read_request();
}

void http_session::read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser_->body_limit(options_.max_body_bytes);
    deadline_.expires_after(options_.request_timeout);
    deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) {
            boost::system::error_code ignored;
            self->socket_.close(ignored); // a client too slow to send its request
        }
    });
    read_head();
}

void http_session::read_head() {
    async_read_bounded_head(socket_, buffer_, *parser_, options_.max_header_bytes,
                            [self = shared_from_this()](boost::system::error_code ec) { self->on_head(ec); });
}

void http_session::on_head(boost::system::error_code ec) {
    if (ec) {
        deadline_.cancel();
        reject_unreadable(ec);
        return;
    }
    const auto& req = parser_->get();
    fields_ = header_fields(req);
    if (auto rejection = protocol::check_request_head(req.method_string(), req.version(), fields_)) {
        deadline_.cancel();
        write_response(protocol::http_response::text(rejection->status, std::string(rejection->reason)),
                       false);
        return;
    }
    if (parser_->is_done()) {
        on_read({});
        return;
    }
    // The body: bounded by body_limit; chunk-size lines and trailer fields by the buffer.
    http::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_read(ec); });
}

void http_session::on_read(boost::system::error_code ec) {
    deadline_.cancel();
    if (ec) {
        reject_unreadable(ec);
        return;
    }
    auto& req = parser_->get();
    protocol::http_request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.headers = std::move(fields_);
    request.body = std::move(req.body());
    boost::system::error_code endpoint_ec;
    const auto remote = socket_.remote_endpoint(endpoint_ec);
    if (!endpoint_ec) {
        request.remote_address = remote.address().to_string() + ":" + std::to_string(remote.port());
    }
    // The key was checked with the rest of the head; the version is the application's to judge
    // (RFC 6455 4.4 wants a 426 naming the versions spoken).
    request.websocket_upgrade =
        protocol::is_websocket_upgrade(request.method, req.version(), request.headers) &&
        request.header("Sec-WebSocket-Version") == "13";
    if (request.websocket_upgrade) {
        websocket_key_ = std::string(request.header("Sec-WebSocket-Key"));
    }
    keep_alive_ = req.keep_alive() && !request.websocket_upgrade;
    answered_ = false;
    handler_.handle(std::move(request), shared_from_this());
}

void http_session::reject_unreadable(boost::system::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset) {
        shutdown();
        return;
    }
    if (ec == http::error::body_limit) {
        write_response(protocol::http_response::text(413, "Request body too large."), false);
    } else if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        // buffer_overflow: a head, a chunk-size line or trailer fields larger than the buffer.
        write_response(protocol::http_response::text(431, "Request header fields too large."), false);
    } else {
        write_response(protocol::http_response::text(400, "Malformed HTTP request."), false);
    }
}

void http_session::respond(protocol::http_response response) {
    asio::dispatch(socket_.get_executor(),
                   [self = shared_from_this(), response = std::move(response)]() mutable {
                       if (self->answered_) {
                           return;
                       }
                       self->answered_ = true;
                       self->write_response(std::move(response), self->keep_alive_);
                   });
}

void http_session::write_response(protocol::http_response response, bool keep_alive) {
    auto message = std::make_shared<http::response<http::string_body>>();
    message->result(response.status);
    message->version(11);
    message->set(http::field::server, "hubcast");
    if (!response.content_type.empty()) {
        message->set(http::field::content_type, response.content_type);
    }
    for (auto& [name, value] : response.headers) {
        message->set(name, value);
    }
    message->body() = std::move(response.body);
    message->keep_alive(keep_alive);
    message->prepare_payload();
    http::async_write(
        socket_, *message,
        [self = shared_from_this(), message, keep_alive](boost::system::error_code ec, std::size_t) {
            if (ec) {
                self->shutdown();
                return;
            }
            if (!keep_alive) {
                self->linger_then_close();
                return;
            }
            self->read_request();
        });
}

void http_session::accept_websocket(std::string subprotocol, std::unique_ptr<ws_handler> handler) {
    accept_websocket_on(worker_, std::move(subprotocol), std::move(handler));
}

void http_session::accept_websocket_on(std::size_t worker, std::string subprotocol,
                                       std::unique_ptr<ws_handler> handler) {
    asio::dispatch(socket_.get_executor(),
                   [self = shared_from_this(), worker, subprotocol = std::move(subprotocol),
                    handler = std::move(handler)]() mutable {
                       if (self->answered_) {
                           return;
                       }
                       self->answered_ = true;
                       self->upgrade(worker, subprotocol, std::move(handler));
                   });
}

void http_session::upgrade(std::size_t worker, const std::string& subprotocol,
                           std::unique_ptr<ws_handler> handler) {
    std::string head = "HTTP/1.1 101 Switching Protocols\r\nServer: hubcast\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Accept: ";
    head += websocket_accept_key(websocket_key_);
    head += "\r\n";
    if (!subprotocol.empty()) {
        head += "Sec-WebSocket-Protocol: ";
        head += subprotocol;
        head += "\r\n";
    }
    head += "\r\n";
    // Frames the client sent right behind its request are already in our buffer.
    const auto pending = buffer_.data();
    std::string leftover(static_cast<const char*>(pending.data()), pending.size());
    if (worker == worker_ || worker >= workers_.size()) {
        std::make_shared<ws_session>(std::move(socket_), std::move(head), std::move(leftover),
                                     std::move(handler), options_, counters_)
            ->start();
        return;
    }
    // The descriptor changes event loops: released here (no operation is pending on it now, the
    // request was read and the deadline cancelled) and adopted by the target worker, where the
    // session then lives as if it had been accepted there.
    boost::system::error_code ec;
    const auto protocol = socket_.local_endpoint(ec).protocol();
    const int fd = ec ? -1 : socket_.release(ec);
    if (ec || fd < 0) {
        shutdown();
        return;
    }
    auto& target = workers_.context(worker);
    asio::post(target, [descriptor = owned_descriptor(fd), protocol, &target, head = std::move(head),
                        leftover = std::move(leftover), handler = std::move(handler), &options = options_,
                        &counters = counters_]() mutable {
        asio::ip::tcp::socket socket(target);
        boost::system::error_code assign_ec;
        socket.assign(protocol, descriptor.fd, assign_ec);
        if (assign_ec) {
            return;
        }
        descriptor.fd = -1; // the socket owns it now
        std::make_shared<ws_session>(std::move(socket), std::move(head), std::move(leftover),
                                     std::move(handler), options, counters)
            ->start();
    });
}

void http_session::linger_then_close() {
    // Closing with unread input makes the kernel send a reset, which can destroy the answer before
    // the client reads it (a 413 or 431 sent before the request was read whole). So, as nginx's
    // lingering close does: stop sending, then read and discard for a bounded time and amount.
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    lingered_bytes_ = 0;
    deadline_.expires_after(linger_time);
    deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) {
            self->shutdown();
        }
    });
    discard_input();
}

void http_session::discard_input() {
    thread_local std::array<char, 16 * 1024> discarded;
    socket_.async_read_some(asio::buffer(discarded),
                            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                                self->lingered_bytes_ += n;
                                if (ec || self->lingered_bytes_ >= linger_bytes) {
                                    self->deadline_.cancel();
                                    self->shutdown();
                                    return;
                                }
                                self->discard_input();
                            });
}

void http_session::shutdown() {
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

} // namespace hubcast::transport

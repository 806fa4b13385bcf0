#include "transport/http_client.hpp"

#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "protocol/ascii.hpp"
#include "transport/bounded_head.hpp"

namespace hubcast::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string_view http_client_response::header(std::string_view name) const noexcept {
    for (const auto& [key, value] : headers) {
        if (protocol::iequals(key, name)) {
            return value;
        }
    }
    return {};
}

std::string_view describe(http_client_error error) noexcept {
    switch (error) {
    case http_client_error::unreachable:
        return "unreachable";
    case http_client_error::timeout:
        return "timed out";
    case http_client_error::connection_lost:
        return "connection lost";
    case http_client_error::bad_response:
        return "invalid HTTP response";
    case http_client_error::overloaded:
        return "too many requests waiting for this host";
    case http_client_error::shut_down:
        break;
    }
    return "shut down";
}

namespace {

/// A kept-alive connection to one host. Owned by its pool while idle, by an exchange while busy.
struct pooled_connection {
    pooled_connection(const asio::any_io_executor& executor, std::size_t head_limit)
        : socket(executor), idle_timer(executor), buffer(bounded_buffer_bytes(head_limit)) {}
    tcp::socket socket;
    asio::steady_timer idle_timer;
    beast::flat_buffer buffer;
};

/// A failure of an exchange on a connection that had served an earlier one, before any byte of the
/// response: the host closed the idle connection as we reused it. Safe to send again on a new one.
bool is_stale_connection_error(boost::system::error_code ec) {
    return ec == asio::error::eof || ec == http::error::end_of_stream ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::connection_aborted;
}

/// The parser refused what the host sent (as opposed to the connection ending early).
bool is_malformed(boost::system::error_code ec) {
    return ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

} // namespace

class http_client::impl : public std::enable_shared_from_this<impl> {
public:
    impl(asio::any_io_executor executor, http_client_options options)
        : executor_(std::move(executor)), options_(options) {}

    void send(http_client_request request, callback done);
    void shutdown();
    std::size_t pending() const noexcept { return pending_; }
    std::size_t connections_to(const std::string& key) const {
        const auto it = pools_.find(key);
        return it == pools_.end() ? 0 : it->second.busy + it->second.idle.size();
    }

private:
    struct exchange {
        exchange(const asio::any_io_executor& executor) : deadline(executor), resolver(executor) {}
        http_client_request request;
        callback done;
        std::string key;
        asio::steady_timer deadline;
        tcp::resolver resolver;
        std::unique_ptr<pooled_connection> connection;
        http::request<http::string_body> message;
        std::optional<http::response_parser<http::string_body>> parser;
        bool reused = false;   // the connection served an earlier request
        bool finished = false; // done was called (or the deadline passed)
    };
    using exchange_ptr = std::shared_ptr<exchange>;

    struct host_pool {
        std::size_t busy = 0; // connections being opened or carrying an exchange
        std::list<std::unique_ptr<pooled_connection>> idle;
        std::deque<exchange_ptr> waiting;
    };

    static std::string key_of(const std::string& host, std::uint16_t port) {
        return host + ":" + std::to_string(port);
    }

    void start(const exchange_ptr& ex);
    void open_connection(const exchange_ptr& ex);
    void write(const exchange_ptr& ex);
    void read(const exchange_ptr& ex);
    void on_response(const exchange_ptr& ex, boost::system::error_code ec);
    void on_deadline(const exchange_ptr& ex);
    /// Reports `result` unless already reported.
    void finish(const exchange_ptr& ex, http_client_result result);
    /// The exchange's I/O failed: retry a stale reused connection, else report and free the slot.
    void fail(const exchange_ptr& ex, boost::system::error_code ec, http_client_error error);
    /// The exchange no longer needs its connection: keep it idle or close it, then serve the
    /// next waiting exchange of the host.
    void release(const exchange_ptr& ex, bool keep);
    void park(host_pool& pool, const std::string& key, std::unique_ptr<pooled_connection> connection);
    void serve_waiting(const std::string& key);

    asio::any_io_executor executor_;
    http_client_options options_;
    std::map<std::string, host_pool, std::less<>> pools_;
    std::set<exchange_ptr> active_; // holding a connection slot; shutdown() must stop their I/O
    std::size_t pending_ = 0;
    bool shut_down_ = false;
};

void http_client::impl::send(http_client_request request, callback done) {
    auto ex = std::make_shared<exchange>(executor_);
    ex->key = key_of(request.host, request.port);
    ex->request = std::move(request);
    ex->done = std::move(done);
    if (shut_down_) {
        return;
    }
    ++pending_;
    ex->deadline.expires_after(ex->request.timeout);
    ex->deadline.async_wait([self = shared_from_this(), ex](boost::system::error_code ec) {
        if (!ec) {
            self->on_deadline(ex);
        }
    });

    auto& pool = pools_[ex->key];
    if (!pool.idle.empty() || pool.busy < options_.max_connections_per_host) {
        // Never report from inside send(): the caller may hold state a callback would change.
        asio::post(executor_, [self = shared_from_this(), ex] { self->start(ex); });
        return;
    }
    if (pool.waiting.size() >= options_.max_waiting_per_host) {
        asio::post(executor_, [self = shared_from_this(), ex] {
            self->finish(ex, util::fail(http_client_error::overloaded));
        });
        return;
    }
    pool.waiting.push_back(std::move(ex));
}

void http_client::impl::start(const exchange_ptr& ex) {
    if (ex->finished || shut_down_) {
        return;
    }
    auto& pool = pools_[ex->key];
    if (!pool.idle.empty()) {
        ex->connection = std::move(pool.idle.front());
        pool.idle.pop_front();
        ex->connection->idle_timer.cancel();
        ex->reused = true;
        ++pool.busy;
        active_.insert(ex);
        write(ex);
        return;
    }
    if (pool.busy >= options_.max_connections_per_host) {
        // Taken by another exchange since send() looked: wait in line.
        pool.waiting.push_back(ex);
        return;
    }
    ++pool.busy;
    active_.insert(ex);
    open_connection(ex);
}

void http_client::impl::open_connection(const exchange_ptr& ex) {
    ex->connection = std::make_unique<pooled_connection>(executor_, options_.max_response_header_bytes);
    ex->reused = false;
    ex->resolver.async_resolve(
        ex->request.host, std::to_string(ex->request.port),
        [self = shared_from_this(), ex](boost::system::error_code ec,
                                        const tcp::resolver::results_type& results) {
            if (ec || ex->finished) {
                self->fail(ex, ec, http_client_error::unreachable);
                return;
            }
            asio::async_connect(ex->connection->socket, results,
                                [self, ex](boost::system::error_code connect_ec, const tcp::endpoint&) {
                                    if (connect_ec || ex->finished) {
                                        self->fail(ex, connect_ec, http_client_error::unreachable);
                                        return;
                                    }
                                    boost::system::error_code ignored;
                                    ex->connection->socket.set_option(tcp::no_delay(true), ignored);
                                    self->write(ex);
                                });
        });
}

void http_client::impl::write(const exchange_ptr& ex) {
    const auto& request = ex->request;
    auto& message = ex->message;
    message = {};
    message.method_string(request.method);
    message.target(request.target);
    message.version(11);
    const bool ipv6 = request.host.find(':') != std::string::npos;
    std::string host = ipv6 ? "[" + request.host + "]" : request.host;
    if (request.port != 80) {
        host += ":" + std::to_string(request.port);
    }
    message.set(http::field::host, host);
    message.set(http::field::user_agent, "hubcast");
    for (const auto& [name, value] : request.headers) {
        message.insert(name, value);
    }
    message.body() = request.body;
    message.keep_alive(true);
    message.prepare_payload();
    http::async_write(ex->connection->socket, message,
                      [self = shared_from_this(), ex](boost::system::error_code ec, std::size_t) {
                          if (ec || ex->finished) {
                              self->fail(ex, ec, http_client_error::connection_lost);
                              return;
                          }
                          self->read(ex);
                      });
}

void http_client::impl::read(const exchange_ptr& ex) {
    ex->parser.emplace();
    ex->parser->header_limit(static_cast<std::uint32_t>(options_.max_response_header_bytes));
    ex->parser->body_limit(options_.max_response_body_bytes);
    if (ex->request.method == "HEAD") {
        ex->parser->skip(true);
    }
    async_read_bounded_head(ex->connection->socket, ex->connection->buffer, *ex->parser,
                            options_.max_response_header_bytes,
                            [self = shared_from_this(), ex](boost::system::error_code ec) {
                                if (ec || ex->finished || ex->parser->is_done()) {
                                    self->on_response(ex, ec);
                                    return;
                                }
                                http::async_read(ex->connection->socket, ex->connection->buffer, *ex->parser,
                                                 [self, ex](boost::system::error_code read_ec, std::size_t) {
                                                     self->on_response(ex, read_ec);
                                                 });
                            });
}

void http_client::impl::on_response(const exchange_ptr& ex, boost::system::error_code ec) {
    if (ec || ex->finished) {
        fail(ex, ec, is_malformed(ec) ? http_client_error::bad_response : http_client_error::connection_lost);
        return;
    }
    auto message = ex->parser->release();
    http_client_response response;
    response.status = message.result_int();
    response.headers.reserve(8);
    for (const auto& field : message) {
        response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message.body());
    // Anything after the response would be a response to nothing: do not reuse the
    // connection.
    const bool keep = message.keep_alive() && ex->connection->buffer.size() == 0;
    finish(ex, std::move(response));
    release(ex, keep);
}

void http_client::impl::on_deadline(const exchange_ptr& ex) {
    if (ex->finished) {
        return;
    }
    auto& pool = pools_[ex->key];
    for (auto it = pool.waiting.begin(); it != pool.waiting.end(); ++it) {
        if (*it == ex) {
            pool.waiting.erase(it);
            break;
        }
    }
    finish(ex, util::fail(http_client_error::timeout));
    // The pending operation ends with an error and its handler frees the connection's slot.
    ex->resolver.cancel();
    if (ex->connection) {
        boost::system::error_code ignored;
        ex->connection->socket.close(ignored);
    }
}

void http_client::impl::finish(const exchange_ptr& ex, http_client_result result) {
    if (ex->finished || shut_down_) {
        return;
    }
    ex->finished = true;
    --pending_;
    ex->deadline.cancel();
    auto done = std::move(ex->done);
    if (done) {
        done(std::move(result));
    }
}

void http_client::impl::fail(const exchange_ptr& ex, boost::system::error_code ec, http_client_error error) {
    if (shut_down_) {
        return;
    }
    const bool nothing_received = !ex->parser || !ex->parser->got_some();
    if (!ex->finished && ex->reused && nothing_received && is_stale_connection_error(ec)) {
        boost::system::error_code ignored;
        ex->connection->socket.close(ignored);
        ex->parser.reset();
        open_connection(ex); // keeps the slot this exchange holds
        return;
    }
    finish(ex, util::fail(error)); // a no-op when the deadline already reported the timeout
    release(ex, false);
}

void http_client::impl::release(const exchange_ptr& ex, bool keep) {
    if (shut_down_) {
        return;
    }
    auto& pool = pools_[ex->key];
    --pool.busy;
    active_.erase(ex);
    auto connection = std::move(ex->connection);
    if (keep && connection && connection->socket.is_open()) {
        park(pool, ex->key, std::move(connection));
    } else if (connection) {
        boost::system::error_code ignored;
        connection->socket.close(ignored);
    }
    serve_waiting(ex->key);
}

void http_client::impl::park(host_pool& pool, const std::string& key,
                             std::unique_ptr<pooled_connection> connection) {
    auto* raw = connection.get();
    pool.idle.push_front(std::move(connection));
    raw->idle_timer.expires_after(options_.idle_timeout);
    raw->idle_timer.async_wait([self = shared_from_this(), key, raw](boost::system::error_code ec) {
        if (ec || self->shut_down_) {
            return;
        }
        auto& idle = self->pools_[key].idle;
        for (auto it = idle.begin(); it != idle.end(); ++it) {
            if (it->get() == raw) {
                boost::system::error_code ignored;
                (*it)->socket.close(ignored);
                idle.erase(it);
                return;
            }
        }
    });
}

void http_client::impl::serve_waiting(const std::string& key) {
    auto& pool = pools_[key];
    while (!pool.waiting.empty() && (!pool.idle.empty() || pool.busy < options_.max_connections_per_host)) {
        auto next = std::move(pool.waiting.front());
        pool.waiting.pop_front();
        start(next);
    }
    if (pool.busy == 0 && pool.idle.empty() && pool.waiting.empty()) {
        pools_.erase(key);
    }
}

void http_client::impl::shutdown() {
    if (shut_down_) {
        return;
    }
    shut_down_ = true;
    for (auto& [key, pool] : pools_) {
        for (auto& connection : pool.idle) {
            boost::system::error_code ignored;
            connection->idle_timer.cancel();
            connection->socket.close(ignored);
        }
        for (auto& waiting : pool.waiting) {
            waiting->finished = true;
            waiting->deadline.cancel();
            waiting->done = nullptr;
        }
    }
    for (const auto& ex : active_) {
        ex->finished = true;
        ex->done = nullptr;
        ex->deadline.cancel();
        ex->resolver.cancel();
        if (ex->connection) {
            boost::system::error_code ignored;
            ex->connection->socket.close(ignored);
        }
    }
    active_.clear();
    pools_.clear();
    pending_ = 0;
}

http_client::http_client(asio::any_io_executor executor, http_client_options options)
    : impl_(std::make_shared<impl>(std::move(executor), options)) {}

http_client::~http_client() {
    shutdown();
}

void http_client::send(http_client_request request, callback done) {
    impl_->send(std::move(request), std::move(done));
}

void http_client::shutdown() {
    impl_->shutdown();
}

std::size_t http_client::pending() const noexcept {
    return impl_->pending();
}

std::size_t http_client::connections_to(std::string_view host, std::uint16_t port) const {
    return impl_->connections_to(std::string(host) + ":" + std::to_string(port));
}

} // namespace hubcast::transport

#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "protocol/http_head.hpp"
#include "transport/handlers.hpp"
#include "transport/session_options.hpp"
#include "transport/worker_pool.hpp"

namespace hubcast::transport {

/// One HTTP/1.1 connection: reads requests with Beast's parser (head, body and buffer bounded in
/// bytes, the head checked against RFC 9112's framing and Host rules before the body is read, a
/// request deadline), hands each to the http_handler, writes the answer, and keeps the connection
/// alive for the next request, one at a time (a pipelined request waits in the buffer). An
/// accepted WebSocket upgrade turns the connection into a ws_session.
class http_session : public std::enable_shared_from_this<http_session>, public http_responder {
public:
    http_session(boost::asio::ip::tcp::socket socket, std::size_t worker, worker_pool& workers,
                 http_handler& handler, const session_options& options, session_counters& counters);
    ~http_session() override;

    void start();

    void respond(protocol::http_response response) override;
    void accept_websocket(std::string subprotocol, std::unique_ptr<ws_handler> handler) override;
    void accept_websocket_on(std::size_t worker, std::string subprotocol,
                             std::unique_ptr<ws_handler> handler) override;
    std::size_t worker_index() const noexcept override { return worker_; }

private:
    void read_request();
    void read_head();
    void on_head(boost::system::error_code ec);
    void on_read(boost::system::error_code ec);
    void reject_unreadable(boost::system::error_code ec);
    void write_response(protocol::http_response response, bool keep_alive);
    void upgrade(std::size_t worker, const std::string& subprotocol, std::unique_ptr<ws_handler> handler);
    void linger_then_close();
    void discard_input();
    void shutdown();

    /// After a final answer, input is read and dropped for at most this long and this much, so
    /// that the answer is not lost to a reset (see linger_then_close).
    static constexpr std::chrono::seconds linger_time{2};
    static constexpr std::size_t linger_bytes = 1024 * 1024;

    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer deadline_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    std::size_t worker_;
    worker_pool& workers_;
    http_handler& handler_;
    const session_options& options_;
    session_counters& counters_;
    std::size_t lingered_bytes_ = 0;
    protocol::header_list fields_; ///< the current request's head, as checked
    bool keep_alive_ = false;
    bool answered_ = true;
    std::string websocket_key_;
};

} // namespace hubcast::transport

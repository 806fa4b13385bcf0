#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace hubcast::bench {

/// One HTTP/1.1 keep-alive connection to 127.0.0.1 issuing REST calls one at a time (the way an app
/// server's SDK does), for the REST scenarios. Responses are read by Content-Length.
/// Not thread-safe: every call happens on the io_context's single thread.
class rest_client {
public:
    using response_handler = std::function<void(rest_client&, int status)>;

    rest_client(boost::asio::io_context& context, std::uint16_t port, response_handler on_response);
    rest_client(const rest_client&) = delete;
    rest_client& operator=(const rest_client&) = delete;

    /// Connects; `on_connected(ok)` follows.
    void start(std::function<void(bool)> on_connected);
    /// Sends a complete request (start line, headers and body already formatted).
    void send(std::string request);
    bool busy() const noexcept { return busy_; }

private:
    void read();
    void take_responses();

    boost::asio::ip::tcp::socket socket_;
    std::uint16_t port_;
    response_handler on_response_;
    std::string request_;
    std::string in_;
    char buffer_[16 * 1024];
    bool busy_ = false;
};

} // namespace hubcast::bench

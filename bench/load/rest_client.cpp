#include "rest_client.hpp"

#include <cstdlib>

#include <boost/asio/write.hpp>

namespace hubcast::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

rest_client::rest_client(asio::io_context& context, std::uint16_t port, response_handler on_response)
    : socket_(context), port_(port), on_response_(std::move(on_response)) {}

void rest_client::start(std::function<void(bool)> on_connected) {
    // Loopback only.
    socket_.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port_),
                          [this, on_connected = std::move(on_connected)](boost::system::error_code ec) {
                              if (!ec) {
                                  boost::system::error_code ignored;
                                  socket_.set_option(tcp::no_delay(true), ignored);
                                  read();
                              }
                              on_connected(!ec);
                          });
}

void rest_client::send(std::string request) {
    busy_ = true;
    request_ = std::move(request);
    asio::async_write(socket_, asio::buffer(request_), [this](boost::system::error_code ec, std::size_t) {
        if (ec) {
            busy_ = false;
            on_response_(*this, 0);
        }
    });
}

void rest_client::read() {
    socket_.async_read_some(asio::buffer(buffer_), [this](boost::system::error_code ec, std::size_t n) {
        if (ec) {
            if (busy_) {
                busy_ = false;
                on_response_(*this, 0);
            }
            return;
        }
        in_.append(buffer_, n);
        take_responses();
        read();
    });
}

void rest_client::take_responses() {
    for (;;) {
        const auto end = in_.find("\r\n\r\n");
        if (end == std::string::npos) {
            return;
        }
        std::size_t length = 0;
        std::size_t pos = 0;
        while ((pos = in_.find("\r\n", pos)) != std::string::npos && pos < end) {
            pos += 2;
            static constexpr std::string_view name = "content-length:";
            bool match = in_.size() - pos > name.size();
            for (std::size_t i = 0; match && i < name.size(); ++i) {
                match = std::tolower(static_cast<unsigned char>(in_[pos + i])) == name[i];
            }
            if (match) {
                length = std::strtoull(in_.c_str() + pos + name.size(), nullptr, 10);
            }
        }
        if (in_.size() < end + 4 + length) {
            return;
        }
        const int status = in_.size() > 12 ? std::atoi(in_.substr(9, 3).c_str()) : 0;
        in_.erase(0, end + 4 + length);
        busy_ = false;
        on_response_(*this, status);
    }
}

} // namespace hubcast::bench

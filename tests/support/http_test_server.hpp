#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

// A real HTTP server for tests of code that calls one: the HTTP client and webhook dispatcher (unit)
// and hubcast's event handlers (integration).

namespace hubcast::http_testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

/// What the test server does with one request.
struct server_action {
    enum class kind { respond, close, garbage, respond_then_close } what = kind::respond;
    http::response<http::string_body> response{http::status::ok, 11};
};

/// A small blocking HTTP/1.1 server on 127.0.0.1 (a thread per connection, Beast's synchronous API)
/// that answers with what `behaviour` decides. It records what it saw, so a test can check what the
/// client sent and how many connections it used.
class test_server {
public:
    using behaviour = std::function<server_action(const http::request<http::string_body>&)>;

    explicit test_server(behaviour handle)
        : handle_(std::move(handle)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
        port_ = acceptor_.local_endpoint().port();
        accept_thread_ = std::thread([this] { accept_loop(); });
    }

    ~test_server() {
        stopping_ = true;
        boost::system::error_code ignored;
        {
            // A blocking accept() does not return when another thread closes the acceptor: wake it.
            tcp::socket wake(io_);
            wake.connect({asio::ip::make_address("127.0.0.1"), port_}, ignored);
            accept_thread_.join();
        }
        acceptor_.close(ignored);
        {
            std::lock_guard lock(mutex_);
            for (auto* socket : sockets_) {
                socket->shutdown(tcp::socket::shutdown_both, ignored);
            }
        }
        for (auto& thread : connection_threads_) {
            thread.join();
        }
    }

    std::uint16_t port() const { return port_; }
    int accepted() const { return accepted_.load(); }
    int max_concurrent() const { return max_concurrent_.load(); }

    std::vector<http::request<http::string_body>> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }

    /// Closes, from the server side, every connection waiting for its next request.
    void close_idle_connections() {
        std::lock_guard lock(mutex_);
        boost::system::error_code ignored;
        for (auto* socket : idle_) {
            socket->shutdown(tcp::socket::shutdown_both, ignored);
        }
    }

    int idle_connections() const {
        std::lock_guard lock(mutex_);
        return static_cast<int>(idle_.size());
    }

private:
    void accept_loop() {
        while (!stopping_) {
            tcp::socket socket(io_);
            boost::system::error_code ec;
            acceptor_.accept(socket, ec);
            if (ec || stopping_) {
                return;
            }
            ++accepted_;
            connection_threads_.emplace_back(
                [this, s = std::move(socket)]() mutable { serve(std::move(s)); });
        }
    }

    void serve(tcp::socket socket) {
        {
            std::lock_guard lock(mutex_);
            sockets_.push_back(&socket);
        }
        boost::beast::flat_buffer buffer;
        for (;;) {
            {
                std::lock_guard lock(mutex_);
                idle_.push_back(&socket);
            }
            http::request<http::string_body> request;
            boost::system::error_code ec;
            http::read(socket, buffer, request, ec);
            {
                std::lock_guard lock(mutex_);
                idle_.remove(&socket);
            }
            if (ec) {
                break;
            }
            const int now = ++concurrent_;
            for (int seen = max_concurrent_.load();
                 now > seen && !max_concurrent_.compare_exchange_weak(seen, now);) {
            }
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(request);
            }
            auto action = handle_(request);
            --concurrent_;
            if (action.what == server_action::kind::close) {
                break;
            }
            if (action.what == server_action::kind::garbage) {
                asio::write(socket, asio::buffer(std::string_view("this is not HTTP\r\n\r\n")), ec);
                break;
            }
            action.response.prepare_payload();
            http::write(socket, action.response, ec);
            if (ec || action.what == server_action::kind::respond_then_close) {
                break;
            }
        }
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        std::lock_guard lock(mutex_);
        sockets_.remove(&socket);
        idle_.remove(&socket);
    }

    behaviour handle_;
    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> accepted_{0};
    std::atomic<int> concurrent_{0};
    std::atomic<int> max_concurrent_{0};
    mutable std::mutex mutex_;
    std::list<tcp::socket*> sockets_;
    std::list<tcp::socket*> idle_;
    std::vector<http::request<http::string_body>> requests_;
    std::thread accept_thread_;
    std::vector<std::thread> connection_threads_;
};

inline server_action reply(unsigned status, std::string body = "", std::string content_type = "text/plain") {
    server_action action;
    action.response.result(status);
    action.response.body() = std::move(body);
    if (!content_type.empty()) {
        action.response.set(http::field::content_type, content_type);
    }
    return action;
}

/// A gate the server's handler threads wait at until the test opens it (bounded, so a broken test
/// cannot hang).
class gate {
public:
    void wait() {
        std::unique_lock lock(mutex_);
        opened_.wait_for(lock, 10s, [this] { return open_; });
    }
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        opened_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable opened_;
    bool open_ = false;
};

} // namespace hubcast::http_testing

#include "transport/listener.hpp"

#include <cerrno>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "transport/http_session.hpp"

namespace hubcast::transport {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Sent to a client accepted only to be refused when the process is out of descriptors.
constexpr std::string_view descriptor_limit_response =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\n"
    "Content-Length: 52\r\n\r\nhubcast: connection limit reached, try again later.\n";
} // namespace

/// Accepts on one worker. On EMFILE/ENFILE it frees a reserved descriptor, accepts the waiting
/// client, answers 503 and closes it, so the process reports the cap instead of spinning or
/// crashing.
class acceptor_loop : public std::enable_shared_from_this<acceptor_loop> {
public:
    acceptor_loop(worker_pool& workers, std::size_t worker, http_handler& handler,
                  const session_options& options, session_counters& counters)
        : context_(workers.context(worker)), acceptor_(context_), backoff_(context_), workers_(workers),
          worker_(worker), handler_(handler), options_(options), counters_(counters) {
        reserve_descriptor();
    }
    ~acceptor_loop() {
        if (spare_fd_ >= 0) {
            ::close(spare_fd_);
        }
    }

    boost::system::error_code bind(const tcp::endpoint& endpoint) {
        boost::system::error_code ec;
        acceptor_.open(endpoint.protocol(), ec);
        if (!ec) {
            acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
        }
        if (!ec) {
            acceptor_.set_option(reuse_port(true), ec);
        }
        if (!ec) {
            acceptor_.bind(endpoint, ec);
        }
        if (!ec) {
            acceptor_.listen(asio::socket_base::max_listen_connections, ec);
        }
        return ec;
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    void start() {
        asio::post(context_, [self = shared_from_this()] { self->accept(); });
    }
    void stop() {
        asio::post(context_, [self = shared_from_this()] {
            self->stopped_ = true;
            boost::system::error_code ignored;
            self->acceptor_.close(ignored);
            self->backoff_.cancel();
        });
    }

private:
    void reserve_descriptor() { spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

    void accept() {
        if (stopped_) {
            return;
        }
        acceptor_.async_accept(context_,
                               [self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
                                   self->on_accept(ec, std::move(s));
                               });
    }

    void on_accept(boost::system::error_code ec, tcp::socket socket) {
        if (stopped_ || ec == asio::error::operation_aborted) {
            return;
        }
        if (ec) {
            handle_accept_error(ec);
            return;
        }
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<http_session>(std::move(socket), worker_, workers_, handler_, options_, counters_)
            ->start();
        accept();
    }

    void handle_accept_error(const boost::system::error_code& ec) {
        ++counters_.accept_failures;
        if (ec.value() == EMFILE || ec.value() == ENFILE) {
            refuse_one_at_limit();
        } else {
            spdlog::warn("accept failed on worker {}: {}", worker_, ec.message());
        }
        // Back off briefly so a persistent error cannot spin the worker.
        backoff_.expires_after(std::chrono::milliseconds(20));
        backoff_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
            if (!wait_ec) {
                self->accept();
            }
        });
    }

    void refuse_one_at_limit() {
        ++counters_.refused_at_descriptor_limit;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_limit_log_ > std::chrono::seconds(5)) {
            last_limit_log_ = now;
            spdlog::error("open descriptor limit reached: refusing new connections with 503 "
                          "(raise `ulimit -n` or lower the load; {} refused so far)",
                          counters_.refused_at_descriptor_limit.load());
        }
        if (spare_fd_ < 0) {
            return;
        }
        ::close(spare_fd_);
        spare_fd_ = -1;
        boost::system::error_code ec;
        tcp::socket refused(context_);
        acceptor_.accept(refused, ec);
        if (!ec) {
            refused.non_blocking(false, ec);
            asio::write(refused, asio::buffer(descriptor_limit_response), ec);
            refused.close(ec);
        }
        reserve_descriptor();
    }

    asio::io_context& context_;
    tcp::acceptor acceptor_;
    asio::steady_timer backoff_;
    worker_pool& workers_;
    std::size_t worker_;
    http_handler& handler_;
    const session_options& options_;
    session_counters& counters_;
    int spare_fd_ = -1;
    bool stopped_ = false;
    std::chrono::steady_clock::time_point last_limit_log_{};
};

util::result<std::unique_ptr<listener>, std::string>
listener::open(worker_pool& workers, const std::string& host, std::uint16_t port, http_handler& handler,
               const session_options& options, session_counters& counters) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) {
        return util::fail("invalid listen address '" + host + "': " + ec.message());
    }
    std::unique_ptr<listener> result(new listener());
    result->host_ = host;
    for (std::size_t i = 0; i < workers.size(); ++i) {
        auto loop = std::make_shared<acceptor_loop>(workers, i, handler, options, counters);
        // Port 0: the first bind picks the port; every other worker joins it through SO_REUSEPORT.
        const std::uint16_t bind_port = i == 0 ? port : result->port_;
        if (auto bind_ec = loop->bind(tcp::endpoint(address, bind_port))) {
            return util::fail("cannot listen on " + host + ":" + std::to_string(bind_port) + ": " +
                              bind_ec.message());
        }
        if (i == 0) {
            result->port_ = loop->port();
        }
        result->loops_.push_back(std::move(loop));
    }
    return result;
}

listener::~listener() = default;

void listener::start() {
    for (auto& loop : loops_) {
        loop->start();
    }
}

void listener::stop() {
    for (auto& loop : loops_) {
        loop->stop();
    }
}

} // namespace hubcast::transport

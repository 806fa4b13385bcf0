#include "transport/listener.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>

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

/// What the acceptors of one listener share about the descriptor limit, so that the log says once
/// that the limit was reached and once that service resumed, whichever workers meet it.
struct descriptor_limit_state {
    std::atomic<bool> at_limit{false};
    std::atomic<std::uint64_t> refused{0}; // clients answered 503 since the limit was reached
};

/// Accepts on one worker. At the descriptor limit (EMFILE/ENFILE) accepting pauses: every
/// `limit_retry` the acceptor answers the clients waiting in the backlog with 503, each through a
/// reserved descriptor it frees for the moment, and tries again. It never spins: an accept that
/// fails is retried only after the pause.
class acceptor_loop : public std::enable_shared_from_this<acceptor_loop> {
public:
    acceptor_loop(worker_pool& workers, std::size_t worker, http_handler& handler,
                  const session_options& options, session_counters& counters,
                  std::shared_ptr<descriptor_limit_state> limit)
        : context_(workers.context(worker)), acceptor_(context_), backoff_(context_), workers_(workers),
          worker_(worker), handler_(handler), options_(options), counters_(counters),
          limit_(std::move(limit)) {
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
        if (!ec) {
            // The refusals at the limit accept synchronously and must stop, not block, when the
            // backlog is empty.
            acceptor_.non_blocking(true, ec);
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
    // At the limit: the pause between attempts, and how many waiting clients one attempt answers.
    static constexpr std::chrono::milliseconds limit_retry{50};
    static constexpr int refusals_per_attempt = 64;

    void reserve_descriptor() {
        if (spare_fd_ < 0) {
            spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
    }

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
        // The spare may have been taken by another worker's accept while this one refused.
        reserve_descriptor();
        const bool at_limit = limit_->at_limit.load();
        if (spare_fd_ < 0 || (at_limit && !another_descriptor_free())) {
            // This connection took the last descriptor, one another worker freed for a moment to
            // refuse a client: it is a surplus client too, answered as the others are, so that
            // whichever acceptor a client reaches at the limit, the answer is the same.
            note_limit_reached();
            refuse(socket);
            accept();
            return;
        }
        if (at_limit) {
            note_resumed();
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
            note_limit_reached();
            refuse_waiting_clients();
        } else {
            spdlog::warn("accept failed on worker {}: {}", worker_, ec.message());
        }
        // Pause so that a persistent error cannot spin the worker.
        backoff_.expires_after(limit_retry);
        backoff_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
            if (!wait_ec) {
                self->reserve_descriptor();
                self->accept();
            }
        });
    }

    /// Answers up to refusals_per_attempt clients waiting in the backlog with 503, each through
    /// the reserved descriptor, freed for the moment.
    void refuse_waiting_clients() {
        for (int i = 0; i < refusals_per_attempt; ++i) {
            reserve_descriptor();
            if (spare_fd_ < 0) {
                return; // still nothing free: the next attempt tries again
            }
            ::close(spare_fd_);
            spare_fd_ = -1;
            boost::system::error_code ec;
            tcp::socket refused(context_);
            acceptor_.accept(refused, ec);
            if (ec) {
                // would_block: nobody is waiting; EMFILE: another worker took the descriptor.
                reserve_descriptor();
                return;
            }
            refuse(refused);
        }
        reserve_descriptor();
    }

    void note_limit_reached() {
        if (!limit_->at_limit.exchange(true)) {
            limit_->refused = 0;
            spdlog::error("open descriptor limit reached: accepting paused, new connections are refused "
                          "with 503 until descriptors free up (raise `ulimit -n` or lower the load)");
        }
    }

    /// Answers an accepted surplus client 503 and closes it.
    void refuse(tcp::socket& refused) {
        boost::system::error_code ec;
        refused.non_blocking(false, ec);
        asio::write(refused, asio::buffer(descriptor_limit_response), ec);
        refused.close(ec);
        ++counters_.refused_at_descriptor_limit;
        ++limit_->refused;
    }

    /// Whether the process could open one more descriptor now. At the limit, an accept that
    /// succeeded may have taken the descriptor another worker freed for a refusal, leaving the
    /// process at the limit still: service resumes only when this holds too.
    static bool another_descriptor_free() {
        const int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (probe < 0) {
            return false;
        }
        ::close(probe);
        return true;
    }

    /// An accept succeeded while the limit was flagged, with a descriptor to spare beyond it.
    void note_resumed() {
        if (limit_->at_limit.exchange(false)) {
            spdlog::info("descriptors available again: accepting connections again ({} refused with 503 "
                         "at the limit)",
                         limit_->refused.load());
        }
    }

    asio::io_context& context_;
    tcp::acceptor acceptor_;
    asio::steady_timer backoff_;
    worker_pool& workers_;
    std::size_t worker_;
    http_handler& handler_;
    const session_options& options_;
    session_counters& counters_;
    std::shared_ptr<descriptor_limit_state> limit_;
    int spare_fd_ = -1;
    bool stopped_ = false;
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
    auto limit = std::make_shared<descriptor_limit_state>();
    for (std::size_t i = 0; i < workers.size(); ++i) {
        auto loop = std::make_shared<acceptor_loop>(workers, i, handler, options, counters, limit);
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

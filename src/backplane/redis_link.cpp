#include "backplane/redis_link.hpp"

#include <algorithm>

#include <boost/asio/connect.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

namespace hubcast::backplane {

namespace asio = boost::asio;
using generic_endpoint = asio::generic::stream_protocol::endpoint;

namespace {

constexpr auto first_backoff = std::chrono::milliseconds(100);
constexpr auto max_backoff = std::chrono::seconds(5);
// A Redis that accepts nothing (a stopped process behind a live port, a black hole) must not
// hold a reconnect forever: the attempt is abandoned and retried after the back-off.
constexpr auto connect_deadline = std::chrono::seconds(2);

void free_reader(redisReader* reader) {
    redisReaderFree(reader);
}

std::string reply_text(const redisReply& reply) {
    return reply.str != nullptr ? std::string(reply.str, reply.len) : std::string{};
}

} // namespace

redis_link::redis_link(asio::io_context& io, redis_endpoint endpoint, std::string name, callbacks on)
    : io_(io), endpoint_(std::move(endpoint)), name_(std::move(name)), on_(std::move(on)), socket_(io),
      resolver_(io), timer_(io), reader_(redisReaderCreate(), &free_reader), backoff_(first_backoff) {}

redis_link::~redis_link() = default;

void redis_link::start() {
    if (state_ == state::idle) {
        connect();
    }
}

void redis_link::stop() {
    state_ = state::stopped;
    ++generation_;
    boost::system::error_code ignored;
    socket_.close(ignored);
    resolver_.cancel();
    timer_.cancel();
}

void redis_link::connect() {
    state_ = state::connecting;
    const std::uint64_t generation = ++generation_;
    timer_.expires_after(connect_deadline);
    timer_.async_wait([this, generation](boost::system::error_code ec) {
        if (!ec && current(generation) && state_ != state::ready) {
            fail("no answer within " + std::to_string(connect_deadline.count()) + " s");
        }
    });
    if (!endpoint_.socket_path.empty()) {
        connect_to(generic_endpoint(asio::local::stream_protocol::endpoint(endpoint_.socket_path)));
        return;
    }
    resolver_.async_resolve(
        endpoint_.host, std::to_string(endpoint_.port),
        [this, generation](boost::system::error_code ec, const asio::ip::tcp::resolver::results_type& found) {
            if (!current(generation)) {
                return;
            }
            if (ec || found.empty()) {
                fail("cannot resolve " + endpoint_.host + ": " + ec.message());
                return;
            }
            connect_to(generic_endpoint(found.begin()->endpoint()));
        });
}

void redis_link::connect_to(const generic_endpoint& where) {
    const std::uint64_t generation = generation_;
    socket_.async_connect(where, [this, generation](boost::system::error_code ec) {
        if (!current(generation)) {
            return;
        }
        if (ec) {
            fail("cannot connect: " + ec.message());
            return;
        }
        connected();
    });
}

void redis_link::connected() {
    if (endpoint_.socket_path.empty()) {
        boost::system::error_code ignored;
        socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
    read();
    handshake_replies_ = 0;
    if (!endpoint_.password.empty()) {
        if (endpoint_.user.empty()) {
            append({"AUTH", endpoint_.password});
        } else {
            append({"AUTH", endpoint_.user, endpoint_.password});
        }
        ++handshake_replies_;
    }
    if (endpoint_.database != 0) {
        const std::string database = std::to_string(endpoint_.database);
        append({"SELECT", database});
        ++handshake_replies_;
    }
    if (handshake_replies_ == 0) {
        became_ready();
        return;
    }
    state_ = state::authenticating;
}

void redis_link::became_ready() {
    state_ = state::ready;
    timer_.cancel();
    backoff_ = first_backoff;
    on_.ready();
}

void redis_link::read() {
    const std::uint64_t generation = generation_;
    socket_.async_read_some(asio::buffer(buffer_),
                            [this, generation](boost::system::error_code ec, std::size_t n) {
                                if (!current(generation)) {
                                    return;
                                }
                                if (ec) {
                                    fail(ec == asio::error::eof ? std::string("Redis closed the connection")
                                                                : "read: " + ec.message());
                                    return;
                                }
                                consume(n);
                                if (current(generation)) {
                                    read();
                                }
                            });
}

void redis_link::consume(std::size_t bytes) {
    const std::uint64_t generation = generation_;
    if (redisReaderFeed(reader_.get(), buffer_.data(), bytes) != REDIS_OK) {
        fail("cannot buffer the reply");
        return;
    }
    for (;;) {
        void* raw = nullptr;
        if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
            fail(std::string("malformed reply: ") + reader_->errstr);
            return;
        }
        if (raw == nullptr) {
            return;
        }
        const std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw),
                                                                 &freeReplyObject);
        handle(*reply);
        if (!current(generation)) {
            return; // the reply's handler ended this connection
        }
    }
}

void redis_link::handle(const redisReply& reply) {
    if (state_ == state::authenticating) {
        if (reply.type == REDIS_REPLY_ERROR) {
            fail("handshake refused (AUTH or SELECT): " + reply_text(reply));
            return;
        }
        if (--handshake_replies_ == 0) {
            became_ready();
        }
        return;
    }
    on_.reply(reply);
}

bool redis_link::command(const std::vector<std::string_view>& arguments) {
    if (state_ != state::ready) {
        return false;
    }
    append(arguments);
    return true;
}

void redis_link::append(const std::vector<std::string_view>& arguments) {
    std::vector<const char*> pointers;
    std::vector<std::size_t> lengths;
    pointers.reserve(arguments.size());
    lengths.reserve(arguments.size());
    for (const auto argument : arguments) {
        pointers.push_back(argument.data());
        lengths.push_back(argument.size());
    }
    char* formatted = nullptr;
    const int length = redisFormatCommandArgv(&formatted, static_cast<int>(arguments.size()), pointers.data(),
                                              lengths.data());
    if (length < 0) {
        fail("cannot format a command");
        return;
    }
    pending_.append(formatted, static_cast<std::size_t>(length));
    redisFreeCommand(formatted);
    // Everything appended in this loop turn goes out in one write.
    if (!flush_posted_ && writing_.empty()) {
        flush_posted_ = true;
        asio::post(io_, [this, generation = generation_] {
            flush_posted_ = false;
            if (current(generation)) {
                flush();
            }
        });
    }
}

void redis_link::flush() {
    if (pending_.empty() || !writing_.empty()) {
        return;
    }
    writing_.swap(pending_);
    const std::uint64_t generation = generation_;
    asio::async_write(socket_, asio::buffer(writing_),
                      [this, generation](boost::system::error_code ec, std::size_t) {
                          if (!current(generation)) {
                              return;
                          }
                          writing_.clear();
                          if (ec) {
                              fail("write: " + ec.message());
                              return;
                          }
                          flush();
                      });
}

void redis_link::fail(const std::string& why) {
    if (state_ == state::stopped) {
        return;
    }
    const bool was_ready = state_ == state::ready;
    ++failures_;
    ++generation_;
    boost::system::error_code ignored;
    socket_.close(ignored);
    socket_ = asio::generic::stream_protocol::socket(io_);
    resolver_.cancel();
    reader_.reset(redisReaderCreate());
    pending_.clear();
    writing_.clear();
    flush_posted_ = false;
    state_ = state::idle;
    if (!reconnect_) {
        timer_.cancel();
        spdlog::warn("backplane: Redis {} connection to {} {}: {}", name_, endpoint_.describe(),
                     was_ready ? "lost" : "failed", why);
    } else if (was_ready) {
        spdlog::warn("backplane: Redis {} connection to {} lost: {}; reconnecting", name_,
                     endpoint_.describe(), why);
    } else {
        spdlog::warn("backplane: Redis {} connection to {} failed: {}; retrying in {} ms", name_,
                     endpoint_.describe(), why, backoff_.count());
    }
    on_.lost(why);
    if (!reconnect_ || state_ == state::stopped) {
        return;
    }
    const std::uint64_t generation = generation_;
    timer_.expires_after(backoff_);
    timer_.async_wait([this, generation](boost::system::error_code ec) {
        if (!ec && current(generation) && state_ == state::idle) {
            connect();
        }
    });
    backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, max_backoff);
}

} // namespace hubcast::backplane

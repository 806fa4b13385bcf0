#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "backplane/redis_url.hpp"

struct redisReader;
struct redisReply;

namespace hubcast::backplane {

/// One connection to Redis, kept up: an Asio socket (TCP or unix) that writes commands formatted
/// by hiredis and reads replies with hiredis's reader, so no RESP is parsed here. It connects,
/// authenticates (AUTH when the URL has a password), selects the URL's database, and when the connection
/// breaks or cannot be made it reconnects with back-off (100 ms doubling to 5 s), forever, until stop().
///
/// Commands given during one event-loop turn go out in one write (pipelining). Replies come back
/// in command order; pub/sub pushes are replies too (the caller tells them apart).
///
/// Threading: every method, and every callback, runs on the thread of the io_context given;
/// nothing blocks (connect, resolve, read and write are asynchronous, connect has a deadline).
class redis_link {
public:
    struct callbacks {
        std::function<void()> ready;                      ///< connected and authenticated
        std::function<void(const redisReply&)> reply;     ///< each reply after the handshake
        std::function<void(const std::string& why)> lost; ///< the connection ended or failed
    };

    /// `name` appears in logs ("publisher", "subscriber").
    redis_link(boost::asio::io_context& io, redis_endpoint endpoint, std::string name, callbacks on);
    ~redis_link();
    redis_link(const redis_link&) = delete;
    redis_link& operator=(const redis_link&) = delete;

    void start();
    /// Closes the connection and stops reconnecting; `lost` is not called.
    void stop();
    bool ready() const noexcept { return state_ == state::ready; }

    /// Queues one command (its arguments, binary-safe). Only while ready(): otherwise nothing is
    /// sent and false is returned.
    bool command(const std::vector<std::string_view>& arguments);

    /// Off: a lost or failed connection is reported and left down (no reconnecting), for a
    /// connection whose owner decides where to connect next (a cluster's layout probe).
    void set_reconnect(bool on) noexcept { reconnect_ = on; }

    /// How many times a connection was lost or could not be made.
    std::uint64_t failures() const noexcept { return failures_; }

private:
    enum class state : std::uint8_t { idle, connecting, authenticating, ready, stopped };

    void connect();
    void connect_to(const boost::asio::generic::stream_protocol::endpoint& where);
    void connected();
    void became_ready();
    void read();
    void consume(std::size_t bytes);
    void handle(const redisReply& reply);
    void append(const std::vector<std::string_view>& arguments);
    void flush();
    /// Ends the connection (if any), reports `why` and schedules the next attempt.
    void fail(const std::string& why);
    /// A completion handler's guard: false when the connection it was started on is gone.
    bool current(std::uint64_t generation) const noexcept { return generation == generation_; }

    boost::asio::io_context& io_;
    redis_endpoint endpoint_;
    std::string name_;
    callbacks on_;
    boost::asio::generic::stream_protocol::socket socket_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::steady_timer timer_; // connect deadline, then the back-off wait
    std::unique_ptr<redisReader, void (*)(redisReader*)> reader_;
    state state_ = state::idle;
    std::uint64_t generation_ = 0; // bumped per connection attempt: stale handlers see a new value
    int handshake_replies_ = 0;    // AUTH and SELECT replies still awaited
    std::chrono::milliseconds backoff_;
    std::string pending_; // commands of this turn
    std::string writing_; // the write in flight
    bool flush_posted_ = false;
    std::array<char, 64 * 1024> buffer_{};
    std::uint64_t failures_ = 0;
    bool reconnect_ = true;
};

} // namespace hubcast::backplane

#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution_context.hpp>

namespace hubcast::transport {

class ws_session;

/// What the WebSocket sessions of one worker share, one per event loop (an Asio service of the
/// worker's io_context, so tests that run several loops on one thread stay apart):
/// - one receive buffer: a session waits for readability and then reads into this buffer, which
///   the frame parser consumes before the call returns, so an idle connection holds no buffer of
///   its own (bench/analysis.md, "One read buffer per worker": 16 KiB of the ~20 KB of heap an
///   idle connection cost);
/// - one flush list: a session that queued frames during this turn is listed once, and one posted
///   task flushes them all, instead of one post (allocation, scheduler lock) per session per turn.
class worker_io final : public boost::asio::execution_context::service {
public:
    using key_type = worker_io;
    static boost::asio::execution_context::id id;

    explicit worker_io(boost::asio::execution_context& context);

    /// The worker_io of the event loop `executor` belongs to.
    static worker_io& of(const boost::asio::any_io_executor& executor);

    /// The worker's receive buffer, at least `bytes` long. Valid until the caller returns to the loop.
    std::span<char> read_buffer(std::size_t bytes);

    /// Lists `session` for the next flush task on `executor` (its own worker's).
    void request_flush(std::shared_ptr<ws_session> session, const boost::asio::any_io_executor& executor);

private:
    void shutdown() override;
    void flush_listed();

    std::vector<char> read_buffer_;
    std::vector<std::shared_ptr<ws_session>> listed_;
    std::vector<std::shared_ptr<ws_session>> flushing_;
    bool flush_posted_ = false;
};

} // namespace hubcast::transport

#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>

namespace hubcast::transport {

class ws_session;

/// What the work of one worker shares, one per event loop (an Asio service of the worker's
/// io_context, so tests that run several loops on one thread stay apart):
/// - one receive buffer: a session waits for readability and then reads into this buffer, which
///   the frame parser consumes before the call returns, so an idle connection holds no buffer of
///   its own (bench/analysis.md, "One read buffer per worker": a buffer per session was 16 KiB of the ~20 KB
///   of heap an idle connection cost);
/// - the end of the loop turn: sessions that queued frames during this turn are listed once, and
///   work deferred with defer() waits beside them; one posted task then runs it all, instead of one
///   post (allocation, scheduler lock) per session or per wake-up per turn;
/// - which worker the calling thread is: current(), for code that runs on a worker thread without
///   an executor in hand (a cross-worker wake-up is deferred only when it is sent from one).
class worker_io final : public boost::asio::execution_context::service {
public:
    using key_type = worker_io;
    static boost::asio::execution_context::id id;

    explicit worker_io(boost::asio::io_context& loop);

    /// The worker_io of the event loop `executor` belongs to (an io_context's executor: every
    /// event loop of the server is one).
    static worker_io& of(const boost::asio::any_io_executor& executor);

    /// Marks the calling thread as the one running `loop` (a worker thread, before it runs it).
    static void bind_to_current_thread(boost::asio::io_context& loop);
    /// The worker_io of the loop the calling thread was bound to; null on any other thread.
    static worker_io* current() noexcept;
    /// True when this is the worker_io of `loop`.
    bool runs(const boost::asio::io_context& loop) const noexcept { return &loop_ == &loop; }

    /// The worker's receive buffer, at least `bytes` long. Valid until the caller returns to the loop.
    std::span<char> read_buffer(std::size_t bytes);

    /// Lists `session` for the flush at the end of this turn of the loop.
    void request_flush(std::shared_ptr<ws_session> session);
    /// Runs `task` on this loop once the handler running now has returned, at the end of this turn,
    /// before the listed sessions flush (sessions the task itself lists included). Work deferred
    /// while deferred work runs waits for the next turn. Call it on this loop's thread.
    void defer(std::function<void()> task);

private:
    void shutdown() override;
    void end_turn_soon();
    void end_turn();

    boost::asio::io_context& loop_;
    std::vector<char> read_buffer_;
    std::vector<std::function<void()>> deferred_;
    std::vector<std::function<void()>> running_;
    std::vector<std::shared_ptr<ws_session>> listed_;
    std::vector<std::shared_ptr<ws_session>> flushing_;
    bool end_posted_ = false;
};

} // namespace hubcast::transport

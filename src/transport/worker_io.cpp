#include "transport/worker_io.hpp"

#include <stdexcept>
#include <utility>

#include <boost/asio/post.hpp>

#include "transport/ws_session.hpp"

namespace hubcast::transport {

namespace asio = boost::asio;

namespace {

thread_local worker_io* bound_worker = nullptr;

} // namespace

asio::execution_context::id worker_io::id;

worker_io::worker_io(asio::io_context& loop) : asio::execution_context::service(loop), loop_(loop) {}

worker_io& worker_io::of(const asio::any_io_executor& executor) {
    const auto* loop_executor = executor.target<asio::io_context::executor_type>();
    if (loop_executor == nullptr) {
        throw std::logic_error("hubcast: a session's executor is not an io_context's");
    }
    return asio::use_service<worker_io>(loop_executor->context());
}

void worker_io::bind_to_current_thread(asio::io_context& loop) {
    bound_worker = &asio::use_service<worker_io>(loop);
}

worker_io* worker_io::current() noexcept {
    return bound_worker;
}

std::span<char> worker_io::read_buffer(std::size_t bytes) {
    if (read_buffer_.size() < bytes) {
        read_buffer_.resize(bytes);
    }
    return read_buffer_;
}

void worker_io::request_flush(std::shared_ptr<ws_session> session) {
    listed_.push_back(std::move(session));
    end_turn_soon();
}

void worker_io::defer(std::function<void()> task) {
    deferred_.push_back(std::move(task));
    end_turn_soon();
}

void worker_io::end_turn_soon() {
    if (!end_posted_) {
        end_posted_ = true;
        // Runs after the handler that is running now returns.
        asio::post(loop_, [this] { end_turn(); });
    }
}

void worker_io::end_turn() {
    end_posted_ = false;
    // Deferred work first: it wakes other workers, which then run alongside the writes, and it
    // delivers the sends held for the turn's end (core::shard::set_turn_end), whose sessions must
    // flush in this pass. Work deferred while it runs, and sessions listed while they flush (a
    // failed write closes, a close queues a frame), go to the next task, so this one only runs
    // what was there before it started.
    running_.swap(deferred_);
    for (const auto& task : running_) {
        task();
    }
    running_.clear();
    flushing_.swap(listed_);
    for (const auto& session : flushing_) {
        session->flush_from_list();
    }
    flushing_.clear();
}

void worker_io::shutdown() {
    deferred_.clear();
    running_.clear();
    listed_.clear();
    flushing_.clear();
    if (bound_worker == this) {
        bound_worker = nullptr;
    }
}

} // namespace hubcast::transport

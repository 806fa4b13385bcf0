#include "transport/worker_io.hpp"

#include <utility>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>

#include "transport/ws_session.hpp"

namespace hubcast::transport {

namespace asio = boost::asio;

asio::execution_context::id worker_io::id;

worker_io::worker_io(asio::execution_context& context) : asio::execution_context::service(context) {}

worker_io& worker_io::of(const asio::any_io_executor& executor) {
    return asio::use_service<worker_io>(asio::query(executor, asio::execution::context));
}

std::span<char> worker_io::read_buffer(std::size_t bytes) {
    if (read_buffer_.size() < bytes) {
        read_buffer_.resize(bytes);
    }
    return read_buffer_;
}

void worker_io::request_flush(std::shared_ptr<ws_session> session, const asio::any_io_executor& executor) {
    listed_.push_back(std::move(session));
    if (!flush_posted_) {
        flush_posted_ = true;
        asio::post(executor, [this] { flush_listed(); });
    }
}

void worker_io::flush_listed() {
    flush_posted_ = false;
    // A flush can list sessions again (a failed write closes, a close queues a frame): those go to
    // the next task, so this loop only walks what was listed before it started.
    flushing_.swap(listed_);
    for (const auto& session : flushing_) {
        session->flush_from_list();
    }
    flushing_.clear();
}

void worker_io::shutdown() {
    listed_.clear();
    flushing_.clear();
}

} // namespace hubcast::transport

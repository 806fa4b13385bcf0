#include "server/shard_wakes.hpp"

#include <functional>
#include <utility>

#include <boost/asio/post.hpp>

#include "transport/worker_io.hpp"

namespace hubcast::server {

namespace asio = boost::asio;

namespace {

void post_drain(asio::io_context& context, core::shard& shard) {
    asio::post(context, [&shard] { shard.inbox().drain(); });
}

} // namespace

void bind_shard_wakes_to_current_thread(asio::io_context& own) {
    transport::worker_io::bind_to_current_thread(own);
}

void hold_sends_to_turn_end(asio::io_context& shard_context, core::shard& shard) {
    shard.set_turn_end([&shard_context](std::function<void()> task) {
        auto* const here = transport::worker_io::current();
        if (here == nullptr || !here->runs(shard_context)) {
            return false;
        }
        here->defer(std::move(task));
        return true;
    });
}

void wake_shard(asio::io_context& shard_context, core::shard& shard) {
    auto* const here = transport::worker_io::current();
    if (here == nullptr || here->runs(shard_context)) {
        post_drain(shard_context, shard);
        return;
    }
    here->defer([&shard_context, &shard] { post_drain(shard_context, shard); });
}

} // namespace hubcast::server

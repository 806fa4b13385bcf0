#include "server/shard_wakes.hpp"

#include <utility>
#include <vector>

#include <boost/asio/post.hpp>

namespace hubcast::server {

namespace asio = boost::asio;

namespace {

struct pending_wake {
    asio::io_context* context;
    core::shard* shard;
};

struct deferred_wakes {
    asio::io_context* own = nullptr; // the loop of the worker on this thread; null elsewhere
    std::vector<pending_wake> pending;
    std::vector<pending_wake> sending;
    bool posted = false;
};

thread_local deferred_wakes wakes_here;

void post_drain(asio::io_context& context, core::shard& shard) {
    asio::post(context, [&shard] { shard.inbox().drain(); });
}

void send_pending_wakes() {
    auto& here = wakes_here;
    here.posted = false;
    here.sending.swap(here.pending);
    for (const auto& wake : here.sending) {
        post_drain(*wake.context, *wake.shard);
    }
    here.sending.clear();
}

} // namespace

void bind_shard_wakes_to_current_thread(asio::io_context& own) {
    wakes_here.own = &own;
}

void wake_shard(asio::io_context& shard_context, core::shard& shard) {
    auto& here = wakes_here;
    if (here.own == nullptr || here.own == &shard_context) {
        post_drain(shard_context, shard);
        return;
    }
    here.pending.push_back({&shard_context, &shard});
    if (!here.posted) {
        here.posted = true;
        // Runs after the handler that is running now returns.
        asio::post(*here.own, send_pending_wakes);
    }
}

} // namespace hubcast::server

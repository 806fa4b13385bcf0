#include "server/server.hpp"

#include <csignal>
#include <cstdio>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/client_endpoint.hpp"
#include "api/http_router.hpp"
#include "api/metrics.hpp"
#include "api/rest_router.hpp"
#include "core/node.hpp"
#include "protocol/websocket_frame.hpp"
#include "server/http_frontend.hpp"
#include "server/session_reaper.hpp"
#include "transport/listener.hpp"
#include "transport/worker_pool.hpp"

namespace hubcast::server {

namespace asio = boost::asio;

namespace {

// Clients are told why they were closed; 1001 (going away) lets reliable clients recover elsewhere.
constexpr std::string_view shutdown_reason = "ServiceShutdown";
constexpr auto shutdown_deadline = std::chrono::milliseconds(4500);

transport::session_options session_options_from(const server_options& options) {
    transport::session_options session;
    session.max_message_bytes = options.max_message_bytes;
    session.outbound_hard_bytes = options.max_outbound_bytes;
    session.outbound_soft_bytes = std::min(session.outbound_soft_bytes, options.max_outbound_bytes / 2);
    session.keepalive_interval = std::chrono::seconds(options.keepalive_seconds);
    return session;
}

core::reliable_options reliable_options_from(const server_options& options) {
    return core::reliable_options{.limits = {.max_messages = options.reliable_max_unacked_messages,
                                             .max_bytes = options.reliable_max_unacked_bytes},
                                  .recovery_window = std::chrono::seconds(options.reliable_recovery_seconds)};
}

std::string endpoint_host(const std::string& host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

void wait_for_clients(const transport::session_counters& counters) {
    const auto deadline = std::chrono::steady_clock::now() + shutdown_deadline;
    while (counters.websocket.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

} // namespace

int run_server(const server_options& options) {
    const auto address = parse_listen_address(options.listen);
    if (!address) {
        spdlog::critical("{}", address.error());
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);

    const std::size_t worker_count = options.effective_workers();
    core::node node(worker_count, core::mailbox::default_capacity, reliable_options_from(options));
    api::metrics metrics;
    metrics.reliable = &node.reliable_stats();
    transport::session_counters counters;
    metrics.extra = [&counters] {
        return fmt::format("# HELP hubcast_websocket_sessions Open WebSocket sessions.\n"
                           "# TYPE hubcast_websocket_sessions gauge\nhubcast_websocket_sessions {}\n"
                           "# HELP hubcast_refused_at_descriptor_limit_total Connections refused at the "
                           "descriptor limit.\n# TYPE hubcast_refused_at_descriptor_limit_total counter\n"
                           "hubcast_refused_at_descriptor_limit_total {}\n",
                           counters.websocket.load(), counters.refused_at_descriptor_limit.load());
    };
    api::client_endpoint clients(node, auth::access_keys{options.access_keys}, metrics);
    api::rest_router rest(node, auth::access_keys{options.access_keys});
    api::http_router router(clients, rest, metrics);
    std::atomic<bool> stopping{false};
    router.set_readiness([&stopping] { return !stopping.load(); });
    http_frontend frontend(router, clients);
    const auto sessions = session_options_from(options);

    // Installed before the address is printed: a script may signal us as soon as it reads it.
    asio::io_context signals_context;
    asio::signal_set signals(signals_context, SIGINT, SIGTERM);

    transport::worker_pool workers(worker_count);
    auto opened =
        transport::listener::open(workers, address->host, address->port, frontend, sessions, counters);
    if (!opened) {
        spdlog::critical("{}", opened.error());
        return 1;
    }
    auto listener = std::move(*opened);

    for (std::size_t i = 0; i < worker_count; ++i) {
        auto& shard = node.shard_at(i);
        auto& context = workers.context(i);
        shard.inbox().set_wake(
            [&shard, &context] { asio::post(context, [&shard] { shard.inbox().drain(); }); });
    }
    workers.start([&node](std::size_t index) { node.shard_at(index).bind_to_current_thread(); });
    session_reaper reaper(node, workers, session_reaper::tick_for(node.reliable().recovery_window));
    reaper.start();
    listener->start();

    const std::string host = endpoint_host(address->host);
    std::printf("hubcast listening on http://%s:%u\n", host.c_str(), listener->port());
    std::printf("Endpoint=http://%s;Port=%u;AccessKey=%s;Version=1.0;\n", host.c_str(), listener->port(),
                options.access_keys.front().c_str());
    std::fflush(stdout);
    spdlog::info("{} worker(s), keep-alive {} s, max message {} bytes", worker_count,
                 options.keepalive_seconds, options.max_message_bytes);

    int received = 0;
    signals.async_wait([&received](boost::system::error_code, int signal) { received = signal; });
    signals_context.run();

    spdlog::info("signal {} received: shutting down", received);
    stopping = true;
    listener->stop();
    node.close_everything(protocol::close_code::going_away, std::string(shutdown_reason));
    wait_for_clients(counters);
    reaper.stop();
    workers.stop(true);
    workers.join();
    spdlog::info("stopped");
    return 0;
}

} // namespace hubcast::server

#include "server/server.hpp"

#include <csignal>
#include <cstdio>
#include <functional>
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
#include "core/hub_settings.hpp"
#include "core/node.hpp"
#include "protocol/websocket_frame.hpp"
#include "server/http_frontend.hpp"
#include "server/lifetime_reaper.hpp"
#include "server/memory_returner.hpp"
#include "server/session_reaper.hpp"
#include "server/shard_wakes.hpp"
#include "transport/listener.hpp"
#include "transport/worker_pool.hpp"
#include "upstream/webhook_dispatcher.hpp"

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

/// The `disconnected` events of the clients just closed are owed to the app server: give them the
/// rest of the shutdown time.
void wait_for_webhooks(const upstream::webhook_dispatcher& webhooks,
                       std::chrono::steady_clock::time_point until) {
    while (webhooks.pending() > 0 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

/// SIGHUP: hub settings (and only they) are read again from the configuration file; connections
/// stay, and each one's next event follows the new settings.
void reload_hub_settings(const server_options& options, core::live_hub_settings& hubs,
                         upstream::webhook_dispatcher& webhooks) {
    if (options.config_file.empty()) {
        spdlog::warn("SIGHUP: no configuration file to reload (start with --config FILE)");
        return;
    }
    server_options fresh;
    if (auto loaded = load_config_file(options.config_file, fresh); !loaded) {
        spdlog::error("SIGHUP: {}; the hub settings in force are kept", loaded.error());
        return;
    }
    const auto named = fresh.hubs.named.size();
    hubs.replace(std::move(fresh.hubs));
    webhooks.forget_preflights();
    spdlog::info("SIGHUP: hub settings reloaded from {} ({} named hub(s)); other settings need a restart",
                 options.config_file, named);
}

} // namespace

int run_server(const server_options& options) {
    const auto address = parse_listen_address(options.listen);
    if (!address) {
        spdlog::critical("{}", address.error());
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);

    // Before the node: a connection's events reach the dispatcher until its connection is gone.
    core::live_hub_settings hubs(options.hubs);
    auto upstream_options = options.upstream;
    upstream_options.origin = webhook_origin(options);
    upstream::webhook_dispatcher webhooks(hubs, options.access_keys, upstream_options);

    const std::size_t worker_count = options.effective_workers();
    // The main thread's loop: signals, and returning memory after bursts.
    asio::io_context signals_context;
    memory_returner returner(signals_context);
    // Before the node: connections hold its per-user and per-token leases until they are gone.
    api::firewall firewall(options.firewall, worker_count);
    core::node node(worker_count, options.mailbox_max_bytes, reliable_options_from(options));
    node.set_max_groups_per_connection(options.max_groups_per_connection);
    api::metrics metrics;
    metrics.reliable = &node.reliable_stats();
    metrics.mailboxes = [&node] {
        return node.mailbox_stats();
    };
    transport::session_counters counters;
    metrics.extra = [&counters, &webhooks, &returner] {
        return fmt::format("# HELP hubcast_websocket_sessions Open WebSocket sessions.\n"
                           "# TYPE hubcast_websocket_sessions gauge\nhubcast_websocket_sessions {}\n"
                           "# HELP hubcast_refused_at_descriptor_limit_total Connections refused at the "
                           "descriptor limit.\n# TYPE hubcast_refused_at_descriptor_limit_total counter\n"
                           "hubcast_refused_at_descriptor_limit_total {}\n"
                           "# HELP hubcast_memory_trims_total Times free allocator memory was returned "
                           "to the system after a burst.\n# TYPE hubcast_memory_trims_total counter\n"
                           "hubcast_memory_trims_total {}\n",
                           counters.websocket.load(), counters.refused_at_descriptor_limit.load(),
                           returner.trims()) +
               webhooks.counters().render();
    };
    api::client_endpoint clients(node, auth::access_keys{options.access_keys}, metrics);
    clients.set_hub_settings(hubs, &webhooks);
    clients.set_firewall(firewall);
    api::rest_router rest(node, auth::access_keys{options.access_keys});
    api::http_router router(clients, rest, metrics);
    std::atomic<bool> stopping{false};
    router.set_readiness([&stopping] { return !stopping.load(); });
    http_frontend frontend(router, clients);
    const auto sessions = session_options_from(options);

    // Installed before the address is printed: a script may signal us as soon as it reads it.
    asio::signal_set signals(signals_context, SIGINT, SIGTERM, SIGHUP);

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
        shard.inbox().set_wake([&shard, &context] { wake_shard(context, shard); });
    }
    std::vector<asio::any_io_executor> executors;
    for (std::size_t i = 0; i < worker_count; ++i) {
        executors.push_back(workers.context(i).get_executor());
    }
    webhooks.start(executors);
    workers.start([&node, &workers](std::size_t index) {
        node.shard_at(index).bind_to_current_thread();
        bind_shard_wakes_to_current_thread(workers.context(index));
    });
    session_reaper reaper(node, workers, session_reaper::tick_for(node.reliable().recovery_window));
    reaper.start();
    lifetime_reaper lifetimes(clients, workers, options.firewall.max_connection_lifetime);
    lifetimes.start();
    listener->start();

    const std::string host = endpoint_host(address->host);
    std::printf("hubcast listening on http://%s:%u\n", host.c_str(), listener->port());
    std::printf("Endpoint=http://%s;Port=%u;AccessKey=%s;Version=1.0;\n", host.c_str(), listener->port(),
                options.access_keys.front().c_str());
    std::fflush(stdout);
    spdlog::info("{} worker(s), keep-alive {} s, max message {} bytes", worker_count,
                 options.keepalive_seconds, options.max_message_bytes);

    int received = 0;
    std::function<void()> wait_for_signal = [&] {
        signals.async_wait([&](boost::system::error_code ec, int signal) {
            if (ec) {
                return;
            }
            if (signal == SIGHUP) {
                reload_hub_settings(options, hubs, webhooks);
                wait_for_signal();
                return;
            }
            received = signal;
            returner.stop();
        });
    };
    wait_for_signal();
    returner.start();
    signals_context.run();

    spdlog::info("signal {} received: shutting down", received);
    stopping = true;
    listener->stop();
    node.close_everything(protocol::close_code::going_away, std::string(shutdown_reason));
    const auto webhooks_until = std::chrono::steady_clock::now() + shutdown_deadline;
    wait_for_clients(counters);
    wait_for_webhooks(webhooks, webhooks_until);
    reaper.stop();
    lifetimes.stop();
    workers.stop(true);
    workers.join();
    // Its HTTP clients live on the workers' event loops: they go before the loops do.
    webhooks.stop();
    spdlog::info("stopped");
    return 0;
}

} // namespace hubcast::server

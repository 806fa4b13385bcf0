#include "server/server.hpp"

#include <csignal>
#include <cstdio>
#include <functional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "api/client_endpoint.hpp"
#include "api/http_router.hpp"
#include "api/metrics.hpp"
#include "api/rest_router.hpp"
#include "api/trusted_proxies.hpp"
#include "auth/public_endpoint.hpp"
#include "backplane/redis_backplane.hpp"
#include "backplane/redis_url.hpp"
#include "core/hub_settings.hpp"
#include "core/router.hpp"
#include "core/router_metrics.hpp"
#include "protocol/websocket_frame.hpp"
#include "server/http_frontend.hpp"
#include "server/lifetime_reaper.hpp"
#include "server/memory_returner.hpp"
#include "server/session_reaper.hpp"
#include "server/shard_wakes.hpp"
#include "transport/listener.hpp"
#include "transport/session_metrics.hpp"
#include "transport/worker_pool.hpp"
#include "upstream/webhook_dispatcher.hpp"
#include "util/metrics_registry.hpp"

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

upstream::upstream_options upstream_options_from(const server_options& options) {
    auto upstream = options.upstream;
    upstream.origin = webhook_origin(options);
    return upstream;
}

/// What client tokens are checked against (validate() checked the public endpoint).
api::client_endpoint_options client_options_from(const server_options& options) {
    api::client_endpoint_options client_options;
    if (!options.public_endpoint.empty()) {
        client_options.public_authority =
            auth::parse_public_endpoint(options.public_endpoint).value().authority;
    }
    return client_options;
}

api::rest_options rest_options_from(const server_options& options) {
    api::rest_options rest_options;
    if (!options.public_endpoint.empty()) {
        rest_options.public_endpoint = auth::parse_public_endpoint(options.public_endpoint).value();
    }
    return rest_options;
}

/// The Redis backplane of `options`, not started yet, or null for a single node.
std::unique_ptr<backplane::redis_backplane> join_cluster(const server_options& options,
                                                         core::router& router) {
    if (options.cluster.redis.empty()) {
        return nullptr;
    }
    // validate() checked the URL.
    auto endpoint = backplane::parse_redis_url(options.cluster.redis);
    std::string node_id =
        options.cluster.node_id.empty() ? "node-" + router.node_key() : options.cluster.node_id;
    auto other_nodes =
        std::make_unique<backplane::redis_backplane>(router, std::move(endpoint).value(), std::move(node_id),
                                                     std::chrono::seconds(options.cluster.heartbeat_seconds));
    router.set_backplane(other_nodes.get());
    return other_nodes;
}

/// The parts that serve requests, declared in the order they must be built: members are destroyed
/// in reverse, so each part outlives every part built after it.
struct serving_parts {
    serving_parts(const server_options& options, asio::io_context& main_loop)
        : hubs(options.hubs), webhooks(hubs, options.access_keys, upstream_options_from(options)),
          returner(main_loop, options.effective_workers()),
          firewall(options.firewall, options.effective_workers()),
          router(options.effective_workers(), options.mailbox_max_bytes, reliable_options_from(options)),
          clients(router, auth::access_keys{options.access_keys}, metrics, client_options_from(options)),
          rest(router, auth::access_keys{options.access_keys}, rest_options_from(options)),
          http(clients, rest, registry),
          frontend(http, clients, api::trusted_proxies::parse(options.trusted_proxies).value()) {
        router.set_max_groups_per_connection(options.max_groups_per_connection);
        router.set_max_invocations_per_connection(options.max_invocations_per_connection);
        other_nodes = join_cluster(options, router);
        register_metrics();
        clients.set_hub_settings(hubs, &webhooks);
        clients.set_firewall(firewall);
        http.set_readiness([this] { return !stopping.load(); });
    }

    /// Everything /metrics shows, each layer naming its own, in the order the page lists them.
    void register_metrics() {
        metrics.register_into(registry);
        core::register_router_metrics(registry, router);
        transport::register_session_metrics(registry, sessions);
        registry.add_counter("hubcast_memory_trims_total",
                             "Times free allocator memory was returned to the system after a burst.",
                             [this] { return returner.trims(); });
        registry.add_counter("hubcast_memory_trims_deferred_total",
                             "Checks that found memory to return but left it, the process being busy.",
                             [this] { return returner.deferred(); });
        webhooks.counters().register_into(registry);
        if (other_nodes) {
            other_nodes->register_metrics(registry);
        }
    }

    /// After the workers stopped: the backplane's thread ends and the router forgets it, so that
    /// nothing reaches it once it is gone.
    void leave_cluster() {
        if (other_nodes) {
            other_nodes->stop();
            router.set_backplane(nullptr);
        }
    }

    // Before the router: a connection's events reach the dispatcher until its connection is gone.
    core::live_hub_settings hubs;
    upstream::webhook_dispatcher webhooks;
    memory_returner returner; ///< runs on the main thread's loop, after bursts
    // Before the router: connections hold its per-user and per-token leases until they are gone.
    api::firewall firewall;
    core::router router;
    // After the router, which it delivers into; stopped by leave_cluster() before either goes.
    std::unique_ptr<backplane::redis_backplane> other_nodes;
    api::metrics metrics;
    transport::session_counters sessions;
    util::metrics_registry registry;
    api::client_endpoint clients;
    api::rest_router rest;
    api::http_router http;
    std::atomic<bool> stopping{false}; ///< readiness answers 503 once set
    http_frontend frontend;
};

/// Wires each shard's mailbox wake to its worker, gives the dispatcher one HTTP client per worker
/// and starts the workers, each bound to its shard.
void start_workers(serving_parts& parts, transport::worker_pool& workers) {
    std::vector<asio::any_io_executor> executors;
    for (std::size_t i = 0; i < workers.size(); ++i) {
        auto& shard = parts.router.shard_at(i);
        auto& context = workers.context(i);
        shard.inbox().set_wake([&shard, &context] { wake_shard(context, shard); });
        hold_sends_to_turn_end(context, shard);
        executors.emplace_back(context.get_executor());
    }
    parts.webhooks.start(executors);
    workers.start([&router = parts.router, &workers](std::size_t index) {
        router.shard_at(index).bind_to_current_thread();
        bind_shard_wakes_to_current_thread(workers.context(index));
    });
}

/// Prints where to connect (scripts and tests read these two lines; a third names the node in a
/// cluster) and logs the main settings.
void announce(const server_options& options, const serving_parts& parts, const listen_address& address,
              unsigned port) {
    const std::string host = endpoint_host(address.host);
    std::printf("hubcast listening on http://%s:%u\n", host.c_str(), port);
    std::printf("Endpoint=http://%s;Port=%u;AccessKey=%s;Version=1.0;\n", host.c_str(), port,
                options.access_keys.front().c_str());
    if (parts.other_nodes) {
        std::printf("hubcast node %s (node key %s) in the cluster on %s\n",
                    parts.other_nodes->node_id().c_str(), parts.router.node_key().c_str(),
                    backplane::parse_redis_url(options.cluster.redis)->describe().c_str());
    }
    std::fflush(stdout);
    spdlog::info("{} worker(s), keep-alive {} s, max message {} bytes", options.effective_workers(),
                 options.keepalive_seconds, options.max_message_bytes);
}

/// Runs the main thread's loop until SIGINT or SIGTERM, reloading the hub settings on each SIGHUP;
/// returns the signal that ended it.
int serve_until_stopped(asio::io_context& main_loop, asio::signal_set& signals, const server_options& options,
                        serving_parts& parts) {
    int received = 0;
    std::function<void()> wait_for_signal = [&] {
        signals.async_wait([&](boost::system::error_code ec, int signal) {
            if (ec) {
                return;
            }
            if (signal == SIGHUP) {
                reload_hub_settings(options, parts.hubs, parts.webhooks);
                wait_for_signal();
                return;
            }
            received = signal;
            parts.returner.stop();
        });
    };
    wait_for_signal();
    parts.returner.start();
    main_loop.run();
    return received;
}

/// Closes every client with 1001 and gives the app server the rest of the shutdown time to hear
/// their `disconnected` events.
void say_goodbye(serving_parts& parts) {
    parts.router.close_everything(protocol::close_code::going_away, std::string(shutdown_reason));
    const auto webhooks_until = std::chrono::steady_clock::now() + shutdown_deadline;
    wait_for_clients(parts.sessions);
    wait_for_webhooks(parts.webhooks, webhooks_until);
}

} // namespace

int run_server(const server_options& options) {
    const auto address = parse_listen_address(options.listen);
    if (!address) {
        spdlog::critical("{}", address.error());
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);

    // The main thread's loop: signals, and returning memory after bursts.
    asio::io_context main_loop;
    serving_parts parts(options, main_loop);
    // Installed before the address is printed: a script may signal us as soon as it reads it.
    asio::signal_set signals(main_loop, SIGINT, SIGTERM, SIGHUP);

    // The listener keeps a reference to these: they live as long as it does.
    const auto sessions = session_options_from(options);
    transport::worker_pool workers(options.effective_workers());
    auto opened = transport::listener::open(workers, address->host, address->port, parts.frontend, sessions,
                                            parts.sessions);
    if (!opened) {
        spdlog::critical("{}", opened.error());
        return 1;
    }
    auto listener = std::move(*opened);
    start_workers(parts, workers);
    if (parts.other_nodes) {
        // After the mailboxes can wake their workers: it delivers into them from its own thread.
        parts.other_nodes->start();
    }
    session_reaper reaper(parts.router, workers,
                          session_reaper::tick_for(parts.router.reliable().recovery_window));
    reaper.start();
    lifetime_reaper lifetimes(parts.clients, workers, options.firewall.max_connection_lifetime);
    lifetimes.start();
    listener->start();
    announce(options, parts, *address, listener->port());

    const int received = serve_until_stopped(main_loop, signals, options, parts);
    spdlog::info("signal {} received: shutting down", received);
    parts.stopping = true;
    listener->stop();
    say_goodbye(parts);
    reaper.stop();
    lifetimes.stop();
    workers.stop(true);
    workers.join();
    parts.leave_cluster();
    // Its HTTP clients live on the workers' event loops: they go before the loops do.
    parts.webhooks.stop();
    spdlog::info("stopped");
    return 0;
}

} // namespace hubcast::server

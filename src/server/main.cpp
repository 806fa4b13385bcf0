// hubcast: a self-hosted real-time messaging server that speaks the Azure Web PubSub protocols.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "server/firewall_config.hpp"
#include "server/options.hpp"
#include "server/server.hpp"
#include "server/token_command.hpp"

namespace {

using hubcast::server::server_options;

/// The abuse-limit flags, one value per setting of firewall_settings(), applied only when given.
struct firewall_flags {
    std::vector<std::uint64_t> values =
        std::vector<std::uint64_t>(hubcast::server::firewall_settings().size());

    void add_to(CLI::App& app) {
        const auto settings = hubcast::server::firewall_settings();
        const hubcast::api::firewall_options defaults;
        for (std::size_t i = 0; i < settings.size(); ++i) {
            app.add_option(std::string(settings[i].flag), values[i], std::string(settings[i].help))
                ->default_str(std::to_string(settings[i].get(defaults)));
        }
    }

    void apply(const CLI::App& app, hubcast::api::firewall_options& options) const {
        const auto settings = hubcast::server::firewall_settings();
        for (std::size_t i = 0; i < settings.size(); ++i) {
            if (app.count(std::string(settings[i].flag)) > 0) {
                // Past the range, validate() names the setting and its range.
                settings[i].set(options, std::min(values[i], settings[i].max + 1));
            }
        }
    }
};

void add_server_flags(CLI::App& app, server_options& flags) {
    app.add_option("--listen", flags.listen, "Address to listen on, HOST:PORT (port 0: any free port)")
        ->default_str("127.0.0.1:8080");
    app.add_option("--access-key", flags.access_keys,
                   "Access key (repeatable): the first signs tokens, all verify them (key rotation)");
    app.add_option("--config", flags.config_file, "TOML configuration file (see docs/configuration.md)");
    app.add_option("--workers", flags.workers, "Worker threads, one shard each (default: one per core)");
    app.add_option("--keepalive-seconds", flags.keepalive_seconds,
                   "WebSocket ping interval; a client silent for 3 intervals is closed (0: off)")
        ->default_str("20");
    app.add_option("--max-message-bytes", flags.max_message_bytes,
                   "Largest message a client may send; larger ones close the connection with 1009")
        ->default_str("1048576");
    app.add_option("--max-outbound-bytes", flags.max_outbound_bytes,
                   "Per-client outbound queue bound; past it the client is closed as a slow consumer")
        ->default_str("16777216");
    app.add_option("--mailbox-max-bytes", flags.mailbox_max_bytes,
                   "Per-worker bound on cross-worker fan-outs waiting to run; past it they are dropped "
                   "and counted")
        ->default_str("67108864");
    app.add_option("--reliable-recovery-seconds", flags.reliable_recovery_seconds,
                   "How long a reliable client's session waits for a recovery after its connection is "
                   "lost (0: no recovery)")
        ->default_str("30");
    app.add_option("--reliable-max-unacked-messages", flags.reliable_max_unacked_messages,
                   "Unacknowledged messages a reliable session may hold before it is closed for good")
        ->default_str("1000");
    app.add_option(
           "--reliable-max-unacked-bytes", flags.reliable_max_unacked_bytes,
           "Bytes of unacknowledged messages a reliable session may hold before it is closed for good")
        ->default_str("16777216");
    app.add_option("--max-groups-per-connection", flags.max_groups_per_connection,
                   "Groups one connection may be in; joins past it are refused")
        ->default_str("1000");
    app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error, critical or off")
        ->default_str("info");
}

/// Merges defaults < config file < environment < flags given on the command line.
int resolve_options(const CLI::App& app, const server_options& flags, const firewall_flags& limits,
                    server_options& options) {
    const std::string config_file = !flags.config_file.empty()                 ? flags.config_file
                                    : std::getenv("HUBCAST_CONFIG") != nullptr ? std::getenv("HUBCAST_CONFIG")
                                                                               : "";
    if (!config_file.empty()) {
        options.config_file = config_file;
        if (auto loaded = hubcast::server::load_config_file(config_file, options); !loaded) {
            std::fprintf(stderr, "hubcast: %s\n", loaded.error().c_str());
            return 2;
        }
    }
    if (auto applied = hubcast::server::apply_environment(options); !applied) {
        std::fprintf(stderr, "hubcast: %s\n", applied.error().c_str());
        return 2;
    }
    auto given = [&app](const char* name) {
        return app.count(name) > 0;
    };
    if (given("--listen")) {
        options.listen = flags.listen;
    }
    if (given("--access-key")) {
        options.access_keys = flags.access_keys;
    }
    if (given("--workers")) {
        options.workers = flags.workers;
    }
    if (given("--keepalive-seconds")) {
        options.keepalive_seconds = flags.keepalive_seconds;
    }
    if (given("--max-message-bytes")) {
        options.max_message_bytes = flags.max_message_bytes;
    }
    if (given("--max-outbound-bytes")) {
        options.max_outbound_bytes = flags.max_outbound_bytes;
    }
    if (given("--mailbox-max-bytes")) {
        options.mailbox_max_bytes = flags.mailbox_max_bytes;
    }
    if (given("--reliable-recovery-seconds")) {
        options.reliable_recovery_seconds = flags.reliable_recovery_seconds;
    }
    if (given("--reliable-max-unacked-messages")) {
        options.reliable_max_unacked_messages = flags.reliable_max_unacked_messages;
    }
    if (given("--reliable-max-unacked-bytes")) {
        options.reliable_max_unacked_bytes = flags.reliable_max_unacked_bytes;
    }
    if (given("--max-groups-per-connection")) {
        options.max_groups_per_connection = flags.max_groups_per_connection;
    }
    if (given("--log-level")) {
        options.log_level = flags.log_level;
    }
    limits.apply(app, options.firewall);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "hubcast: a self-hosted real-time messaging server that speaks the Azure Web PubSub protocols.\n"
        "Clients connect to ws://HOST:PORT/client/hubs/{hub}; see docs/ for the protocols."};
    app.set_version_flag("--version", "hubcast 0.1.0");
    server_options flags;
    add_server_flags(app, flags);
    firewall_flags limits;
    limits.add_to(app);
    bool print_config = false;
    app.add_flag("--print-config", print_config, "Print the effective configuration as TOML and exit");

    hubcast::server::token_command token;
    auto* token_app = app.add_subcommand("token", "Print a client access URL with a signed token");
    token_app->add_option("--endpoint", token.endpoint, "Server URL the token is for")
        ->default_str("http://127.0.0.1:8080");
    token_app->add_option("--connection-string", token.connection_string,
                          "Connection string (sets the endpoint and the key)");
    token_app->add_option("--access-key", token.access_key, "Key that signs the token");
    token_app->add_option("--hub", token.hub, "Hub the client connects to")->required();
    token_app->add_option("--user", token.user_id, "User id (the token's sub claim)");
    token_app->add_option("--role", token.roles,
                          "Role (repeatable), e.g. webpubsub.joinLeaveGroup or webpubsub.sendToGroup.chat");
    token_app->add_option("--group", token.groups, "Group joined at connect (repeatable)");
    token_app->add_option("--minutes", token.minutes, "Lifetime of the token in minutes")->default_str("60");

    CLI11_PARSE(app, argc, argv);

    if (*token_app) {
        return hubcast::server::run_token_command(token);
    }

    server_options options;
    if (int code = resolve_options(app, flags, limits, options); code != 0) {
        return code;
    }
    if (print_config) {
        std::fputs(hubcast::server::to_toml(options).c_str(), stdout);
        return 0;
    }
    if (auto valid = hubcast::server::validate(options); !valid) {
        std::fprintf(stderr, "hubcast: %s\n", valid.error().c_str());
        return 2;
    }
    auto logger = spdlog::stderr_color_mt("hubcast");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(options.log_level));
    return hubcast::server::run_server(options);
}

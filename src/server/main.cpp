// hubcast: a self-hosted real-time messaging server that speaks the Azure Web PubSub protocols.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "server/config_template.hpp"
#include "server/logging.hpp"
#include "server/options.hpp"
#include "server/server.hpp"
#include "server/settings_table.hpp"
#include "server/token_command.hpp"

int main(int argc, char** argv) {
    CLI::App app{
        "hubcast: a self-hosted real-time messaging server that speaks the Azure Web PubSub protocols.\n"
        "Clients connect to ws://HOST:PORT/client/hubs/{hub}; see docs/ for the protocols.",
        // Named, so that --help (and the man page made from it) says `hubcast`, not the path it ran as.
        "hubcast"};
    app.set_version_flag("--version", "hubcast " HUBCAST_VERSION);
    const hubcast::server::setting_flags flags(app);
    bool print_config = false;
    app.add_flag("--print-config", print_config, "Print the effective configuration as TOML and exit");
    bool print_template = false;
    app.add_flag("--print-config-template", print_template,
                 "Print a commented configuration file with every setting at its default and exit");
    std::string settings_table;
    const auto tables = hubcast::server::settings_table_names();
    app.add_option("--print-settings-table", settings_table,
                   "Print one settings table of docs/configuration.md (generated from the code) and exit")
        ->check(CLI::IsMember(std::vector<std::string>(tables.begin(), tables.end())));

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

    if (print_template) {
        std::fputs(hubcast::server::config_template().c_str(), stdout);
        return 0;
    }
    if (!settings_table.empty()) {
        std::fputs(hubcast::server::settings_markdown(settings_table).value_or("").c_str(), stdout);
        return 0;
    }
    auto resolved = hubcast::server::resolve_options(flags);
    if (!resolved) {
        std::fprintf(stderr, "hubcast: %s\n", resolved.error().c_str());
        return 2;
    }
    const auto& options = *resolved;
    if (print_config) {
        std::fputs(hubcast::server::to_toml(options).c_str(), stdout);
        return 0;
    }
    if (auto valid = hubcast::server::validate(options); !valid) {
        std::fprintf(stderr, "hubcast: %s\n", valid.error().c_str());
        return 2;
    }
    hubcast::server::start_logging(options.log_level, options.log_format, options.access_log == "on");
    return hubcast::server::run_server(options);
}

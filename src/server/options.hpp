#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/firewall.hpp"
#include "core/hub_settings.hpp"
#include "core/router.hpp"
#include "upstream/upstream_options.hpp"
#include "util/result.hpp"

namespace CLI { // NOLINT(readability-identifier-naming): CLI11 names it
class App;
class Option;
} // namespace CLI

namespace hubcast::server {

/// [cluster]: scale-out over Redis (docs/scale-out.md). Without `redis` the node is the whole
/// service and nothing crosses to other processes.
struct cluster_options {
    std::string redis;         // none: a single node, the default (no backplane, no cost)
    std::string node_id;       // none: generated from the node key at start, and printed
    int heartbeat_seconds = 2; // presence expires after 3 missed heartbeats: a dead node goes in 6 s
};

/// Every setting of the server process. Precedence: defaults < TOML file < HUBCAST_* environment
/// < command-line flags (docs/configuration.md). The defaults are the ones below and those of the
/// aggregates held here; server/settings_table says how each setting is read, checked and printed.
struct server_options {
    std::string listen = "127.0.0.1:8080"; // loopback unless asked: safe on a developer machine
    std::string public_endpoint;           // none: tokens may name any host (the key's signature proves them)
    std::vector<std::string> trusted_proxies;            // none: X-Forwarded-* from anyone are ignored
    std::vector<std::string> access_keys;                // first signs, all verify (key rotation)
    std::size_t workers = 0;                             // 0: one per core (one shard per core)
    int keepalive_seconds = 20;                          // Azure's default ping interval; 0 disables pings
    std::size_t max_message_bytes = 1024UL * 1024;       // Azure's 1 MiB client message limit
    std::size_t max_outbound_bytes = 16UL * 1024 * 1024; // per-client queue before SlowClient close
    std::size_t mailbox_max_bytes = 64UL * 1024 * 1024;  // per worker: cross-worker fan-outs, then drops
    int reliable_recovery_seconds = 30;                  // spec 5.3: Azure keeps a lost session >= 30 s
    std::size_t reliable_max_unacked_messages = 1000;    // Azure's bound on unacknowledged messages
    std::size_t reliable_max_unacked_bytes = 16UL * 1024 * 1024; // ... and on their bytes (16 MB)
    std::size_t max_groups_per_connection = core::default_max_groups_per_connection; // joins past it refused
    // invokes past it answered with an error
    std::size_t max_invocations_per_connection = core::default_max_invocations_per_connection;
    std::string log_level = "info";      // what an operator wants to see by default
    std::string log_format = "text";     // for people; json for log shippers
    std::string access_log = "off";      // a line per request and per connection end costs at load
    std::string config_file;             // none: flags and environment only
    core::hub_settings_table hubs;       // [hubs.<name>], [hubs."*"]: reloaded on SIGHUP
    upstream::upstream_options upstream; // [upstream]: how event handlers are called

    api::firewall_options firewall; // [firewall]: abuse limits, flat HUBCAST_* variables and flags
    cluster_options cluster;        // [cluster]: other nodes, over Redis

    std::size_t effective_workers() const;
};

struct listen_address {
    std::string host;
    std::uint16_t port = 0;
};

/// "HOST:PORT" or "[IPv6]:PORT"; the error names the problem.
util::result<listen_address, std::string> parse_listen_address(const std::string& text);

/// Reads `path` into `options` (keys as in docs/configuration.md). Unknown keys, wrong types and
/// values out of range are errors naming the key.
util::result<bool, std::string> load_config_file(const std::string& path, server_options& options);
/// The same for TOML `text` already in memory; errors name `source` where they would name the file.
util::result<bool, std::string> load_config_text(std::string_view text, const std::string& source,
                                                 server_options& options);

/// Applies the HUBCAST_* variable of every setting that is set and not empty (lists
/// comma-separated). A value that is not a number or out of range is an error naming the variable.
util::result<bool, std::string> apply_environment(server_options& options);

/// Checks every setting's range, the rules between settings and required values; the error names
/// the setting.
util::result<bool, std::string> validate(const server_options& options);

/// The command-line flag of every setting, bound to a CLI11 app. Holds the text CLI11 writes into,
/// so it must not move while `app` parses.
class setting_flags {
public:
    explicit setting_flags(CLI::App& app);
    setting_flags(const setting_flags&) = delete;
    setting_flags& operator=(const setting_flags&) = delete;

    /// The text of `flag` if it was given on the command line.
    std::optional<std::string> given(std::string_view flag) const;

    /// Applies every flag given on the command line; a value that is not a number or out of range
    /// is an error naming the flag and the setting.
    util::result<bool, std::string> apply(server_options& options) const;

private:
    std::vector<CLI::Option*> options_;           // per setting; null without a flag
    std::vector<std::string> texts_;              // per setting: a single-valued flag's text
    std::vector<std::vector<std::string>> lists_; // per setting: a repeatable flag's values
};

/// The settings in force: defaults < the file (--config, else HUBCAST_CONFIG) < environment <
/// the flags given. Not validated, so that --print-config shows what would be checked.
util::result<server_options, std::string> resolve_options(const setting_flags& flags);

/// `WebHook-Request-Origin` (server spec 5): upstream.origin, else the host of `listen`, as the
/// printed connection string names it.
std::string webhook_origin(const server_options& options);

/// The effective configuration as TOML (access keys masked).
std::string to_toml(const server_options& options);

} // namespace hubcast::server

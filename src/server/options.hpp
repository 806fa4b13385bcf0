#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/hub_settings.hpp"
#include "upstream/upstream_options.hpp"
#include "util/result.hpp"

namespace hubcast::server {

/// Every setting of the server process. Precedence: defaults < TOML file < HUBCAST_* environment
/// < command-line flags (docs/configuration.md).
struct server_options {
    std::string listen = "127.0.0.1:8080";             // loopback unless asked: safe on a developer machine
    std::vector<std::string> access_keys;              // first signs, all verify (key rotation)
    std::size_t workers = 0;                           // 0: one per core (one shard per core)
    int keepalive_seconds = 20;                        // Azure's default ping interval; 0 disables pings
    std::size_t max_message_bytes = 1024 * 1024;       // Azure's 1 MiB client message limit
    std::size_t max_outbound_bytes = 16 * 1024 * 1024; // per-client queue before SlowClient close
    int reliable_recovery_seconds = 30;                // spec 5.3: Azure keeps a lost session >= 30 s
    std::size_t reliable_max_unacked_messages = 1000;  // Azure's bound on unacknowledged messages
    std::size_t reliable_max_unacked_bytes = 16 * 1024 * 1024; // ... and on their bytes (16 MB)
    std::string log_level = "info";
    std::string config_file;
    core::hub_settings_table hubs;       // [hubs.<name>], [hubs."*"]: reloaded on SIGHUP
    upstream::upstream_options upstream; // [upstream]: how event handlers are called

    std::size_t effective_workers() const;
};

struct listen_address {
    std::string host;
    std::uint16_t port = 0;
};

/// "HOST:PORT" or "[IPv6]:PORT"; the error names the problem.
util::result<listen_address, std::string> parse_listen_address(const std::string& text);

/// Reads `path` into `options` (keys as in docs/configuration.md). Unknown keys and wrong types are
/// errors naming the key.
util::result<bool, std::string> load_config_file(const std::string& path, server_options& options);
/// The same for TOML `text` already in memory; errors name `source` where they would name the file.
util::result<bool, std::string> load_config_text(std::string_view text, const std::string& source,
                                                 server_options& options);

/// Applies HUBCAST_LISTEN, HUBCAST_ACCESS_KEYS (comma-separated), HUBCAST_WORKERS,
/// HUBCAST_KEEPALIVE_SECONDS, HUBCAST_MAX_MESSAGE_BYTES, HUBCAST_MAX_OUTBOUND_BYTES,
/// HUBCAST_RELIABLE_RECOVERY_SECONDS, HUBCAST_RELIABLE_MAX_UNACKED_MESSAGES,
/// HUBCAST_RELIABLE_MAX_UNACKED_BYTES, HUBCAST_LOG_LEVEL.
util::result<bool, std::string> apply_environment(server_options& options);

/// Checks ranges and required values; the error names the setting.
util::result<bool, std::string> validate(const server_options& options);

/// `WebHook-Request-Origin` (server spec 5): upstream.origin, else the host of `listen`, as the
/// printed connection string names it.
std::string webhook_origin(const server_options& options);

/// The effective configuration as TOML (access keys masked).
std::string to_toml(const server_options& options);

} // namespace hubcast::server

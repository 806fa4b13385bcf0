#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <toml++/toml.h>

#include "core/hub_settings.hpp"
#include "upstream/upstream_options.hpp"
#include "util/result.hpp"

namespace hubcast::server {

// The per-hub and upstream tables of the configuration file (docs/configuration.md, "Hubs" and
// docs/webhooks.md). Errors name the key as a path, e.g.
// "hubs.chat.event_handlers[0].url_template: ...".

/// The value of a TOML integer; nullopt for any other type. Never converts: toml++'s
/// value<std::int64_t>() of a float out of the integer's range is undefined behaviour.
std::optional<std::int64_t> toml_integer(const toml::node& node) noexcept;

/// `[hubs.<name>]` and `[hubs."*"]`: anonymous_connect, keepalive_seconds (0..120) and
/// `[[hubs.<name>.event_handlers]]` with url_template (required; checked as
/// upstream::check_url_template), user_event_pattern ("*", or a comma list of event names) and
/// system_events (connect, connected, disconnected). Hub names are valid hub names and compare
/// case-insensitively; unknown keys and wrong types are errors.
util::result<core::hub_settings_table, std::string> read_hubs(const toml::node& hubs);

/// `[upstream]`: origin, connect_timeout_seconds, user_event_timeout_seconds,
/// notification_timeout_seconds, notification_retries, max_requests_per_host, max_queued_events.
util::result<upstream::upstream_options, std::string> read_upstream(const toml::node& node);

/// The effective tables for --print-config; a hub without its own keepalive_seconds shows
/// `default_keepalive_seconds`, the server-wide value it uses.
toml::table hubs_to_toml(const core::hub_settings_table& hubs, int default_keepalive_seconds);
toml::table upstream_to_toml(const upstream::upstream_options& options);

} // namespace hubcast::server

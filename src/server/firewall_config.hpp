#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "api/firewall.hpp"
#include "util/result.hpp"

namespace hubcast::server {

/// One abuse-limit setting: the key in the `[firewall]` table, its `--flag` and `HUBCAST_*`
/// variable, its range, and how it reads and writes `api::firewall_options`. Every one is a
/// non-negative integer; 0 turns a limit off where the range allows it.
struct firewall_setting {
    std::string_view key;         ///< `[firewall]` key, e.g. max_connections_per_user
    std::string_view flag;        ///< e.g. --max-connections-per-user
    std::string_view environment; ///< e.g. HUBCAST_MAX_CONNECTIONS_PER_USER
    std::string_view help;
    std::uint64_t min;
    std::uint64_t max;
    std::uint64_t (*get)(const api::firewall_options&);
    void (*set)(api::firewall_options&, std::uint64_t);
};

/// Every abuse-limit setting, in the order docs/configuration.md lists them.
std::span<const firewall_setting> firewall_settings();

/// Reads the `[firewall]` table onto `options` (keys absent keep their value). Unknown keys, wrong
/// types and values out of range are errors naming the key.
util::result<bool, std::string> read_firewall(const toml::node& node, api::firewall_options& options);

/// Applies the HUBCAST_* variable of each setting that is set and not empty.
util::result<bool, std::string> apply_firewall_environment(api::firewall_options& options);

/// Checks every setting's range; the error names the setting.
util::result<bool, std::string> validate_firewall(const api::firewall_options& options);

toml::table firewall_to_toml(const api::firewall_options& options);

} // namespace hubcast::server

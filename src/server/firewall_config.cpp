#include "server/firewall_config.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>

#include "util/decimal.hpp"

namespace hubcast::server {

namespace {

using api::firewall_options;

// Ranges: wide enough for any real deployment, narrow enough that no arithmetic on them
// (now + lifetime, window totals, token refill) can overflow.
constexpr std::uint64_t max_count = 1'000'000;
constexpr std::uint64_t max_lifetime_seconds = 366ULL * 24 * 3600;
constexpr std::uint64_t max_window_seconds = 3600;
constexpr std::uint64_t max_bytes = 1ULL << 50;

const std::array<firewall_setting, 8> settings{{
    {"max_connections_per_user", "--max-connections-per-user", "HUBCAST_MAX_CONNECTIONS_PER_USER",
     "Concurrent connections one user id may hold on this node; more are refused with 429 (0: no limit)", 0,
     max_count, [](const firewall_options& o) -> std::uint64_t { return o.max_connections_per_user; },
     [](firewall_options& o, std::uint64_t v) {
         o.max_connections_per_user = v;
     }},
    {"max_connections_per_token", "--max-connections-per-token", "HUBCAST_MAX_CONNECTIONS_PER_TOKEN",
     "Concurrent connections one access token may hold on this node; more are refused with 429 (0: no limit)",
     0, max_count, [](const firewall_options& o) -> std::uint64_t { return o.max_connections_per_token; },
     [](firewall_options& o, std::uint64_t v) {
         o.max_connections_per_token = v;
     }},
    {"max_connection_lifetime_seconds", "--max-connection-lifetime-seconds",
     "HUBCAST_MAX_CONNECTION_LIFETIME_SECONDS",
     "Seconds after which a client connection is closed with 1008 (0: no limit)", 0, max_lifetime_seconds,
     [](const firewall_options& o) -> std::uint64_t {
         return static_cast<std::uint64_t>(o.max_connection_lifetime.count());
     },
     [](firewall_options& o, std::uint64_t v) {
         o.max_connection_lifetime = std::chrono::seconds(v);
     }},
    {"inbound_window_seconds", "--inbound-window-seconds", "HUBCAST_INBOUND_WINDOW_SECONDS",
     "Aggregation window of the inbound message and byte limits, in seconds", 1, max_window_seconds,
     [](const firewall_options& o) -> std::uint64_t {
         return static_cast<std::uint64_t>(o.inbound_window.count());
     },
     [](firewall_options& o, std::uint64_t v) {
         o.inbound_window = std::chrono::seconds(v);
     }},
    {"max_inbound_messages_per_window", "--max-inbound-messages-per-window",
     "HUBCAST_MAX_INBOUND_MESSAGES_PER_WINDOW",
     "Messages one connection may send per inbound window; more close it with 1008 (0: no limit)", 0,
     1'000'000'000, [](const firewall_options& o) -> std::uint64_t { return o.max_inbound_messages; },
     [](firewall_options& o, std::uint64_t v) {
         o.max_inbound_messages = v;
     }},
    {"max_inbound_bytes_per_window", "--max-inbound-bytes-per-window", "HUBCAST_MAX_INBOUND_BYTES_PER_WINDOW",
     "Message bytes one connection may send per inbound window; more close it with 1008 (0: no limit)", 0,
     max_bytes, [](const firewall_options& o) -> std::uint64_t { return o.max_inbound_bytes; },
     [](firewall_options& o, std::uint64_t v) {
         o.max_inbound_bytes = v;
     }},
    {"handshakes_per_ip_per_second", "--handshakes-per-ip-per-second", "HUBCAST_HANDSHAKES_PER_IP_PER_SECOND",
     "Client upgrade requests one address (an IPv6 /64) may make per second; more get 429 with "
     "Retry-After (0: no limit)",
     0, max_count, [](const firewall_options& o) -> std::uint64_t { return o.handshakes_per_ip_per_second; },
     [](firewall_options& o, std::uint64_t v) {
         o.handshakes_per_ip_per_second = static_cast<std::uint32_t>(v);
     }},
    {"handshake_burst_per_ip", "--handshake-burst-per-ip", "HUBCAST_HANDSHAKE_BURST_PER_IP",
     "Upgrade requests one address may make back to back before its per-second rate applies", 1, max_count,
     [](const firewall_options& o) -> std::uint64_t { return o.handshake_burst_per_ip; },
     [](firewall_options& o, std::uint64_t v) {
         o.handshake_burst_per_ip = static_cast<std::uint32_t>(v);
     }},
}};

std::string range_of(const firewall_setting& setting) {
    return std::to_string(setting.min) + ".." + std::to_string(setting.max);
}

} // namespace

std::span<const firewall_setting> firewall_settings() {
    return settings;
}

util::result<bool, std::string> read_firewall(const toml::node& node, api::firewall_options& options) {
    const auto* table = node.as_table();
    if (table == nullptr) {
        return util::fail(std::string("firewall: must be a table"));
    }
    for (const auto& [name_key, value] : *table) {
        const std::string_view name = name_key.str();
        const auto* setting = std::find_if(settings.begin(), settings.end(),
                                           [&](const firewall_setting& s) { return s.key == name; });
        if (setting == settings.end()) {
            std::string known;
            for (const auto& s : settings) {
                known += (known.empty() ? "" : ", ") + std::string(s.key);
            }
            return util::fail("firewall." + std::string(name) + ": unknown key (expected " + known + ")");
        }
        const auto number = value.value<std::int64_t>();
        if (!value.is_integer() || !number || *number < 0 ||
            static_cast<std::uint64_t>(*number) < setting->min ||
            static_cast<std::uint64_t>(*number) > setting->max) {
            return util::fail("firewall." + std::string(name) + ": must be an integer in " +
                              range_of(*setting));
        }
        setting->set(options, static_cast<std::uint64_t>(*number));
    }
    return true;
}

util::result<bool, std::string> apply_firewall_environment(api::firewall_options& options) {
    for (const auto& setting : settings) {
        const char* text = std::getenv(std::string(setting.environment).c_str());
        if (text == nullptr || *text == '\0') {
            continue;
        }
        const std::string_view view(text);
        const auto value = util::parse_decimal<std::uint64_t>(view);
        if (!value) {
            return util::fail(std::string(setting.environment) + ": '" + std::string(view) +
                              "' is not a valid number");
        }
        setting.set(options, *value > setting.max ? setting.max + 1 : *value); // validate() names the range
    }
    return true;
}

util::result<bool, std::string> validate_firewall(const api::firewall_options& options) {
    for (const auto& setting : settings) {
        const auto value = setting.get(options);
        if (value < setting.min || value > setting.max) {
            return util::fail(std::string(setting.key) + ": must be in " + range_of(setting));
        }
    }
    return true;
}

toml::table firewall_to_toml(const api::firewall_options& options) {
    toml::table table;
    for (const auto& setting : settings) {
        table.insert(setting.key, static_cast<std::int64_t>(setting.get(options)));
    }
    return table;
}

} // namespace hubcast::server

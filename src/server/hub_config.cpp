#include "server/hub_config.hpp"

#include <fmt/format.h>

#include "protocol/ascii.hpp"
#include "protocol/names.hpp"
#include "upstream/webhook_url.hpp"

namespace hubcast::server {

namespace {

using error = util::failure<std::string>;

error problem(const std::string& key, const std::string& what) {
    return util::fail(key + ": " + what);
}

/// A host as `WebHook-Request-Origin` carries it: a name or IPv4 address, or an IPv6 address in
/// brackets (the default for an IPv6 `listen`, so --print-config output loads again); never a
/// scheme, a port or a path.
bool is_origin_host(std::string_view text) {
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
        return text.substr(1, text.size() - 2).find_first_of("[]/ ") == std::string_view::npos;
    }
    return !text.empty() && text.find_first_of(":/ []") == std::string_view::npos;
}

util::result<core::event_handler_settings, std::string> read_handler(const toml::node& node,
                                                                     const std::string& key) {
    const auto* table = node.as_table();
    if (table == nullptr) {
        return problem(key, "must be a table with url_template, user_event_pattern and system_events");
    }
    core::event_handler_settings handler;
    bool has_url = false;
    for (const auto& [name_key, value] : *table) {
        const std::string name(name_key.str());
        const std::string path = fmt::format("{}.{}", key, name);
        if (name == "url_template") {
            if (!value.is_string()) {
                return problem(path, "must be a string");
            }
            handler.url_template = *value.value<std::string>();
            if (auto checked = upstream::check_url_template(handler.url_template); !checked) {
                return problem(path, checked.error());
            }
            has_url = true;
        } else if (name == "user_event_pattern") {
            if (!value.is_string()) {
                return problem(path, "must be a string: \"*\", or a comma-separated list of event names");
            }
            handler.user_event_pattern = *value.value<std::string>();
            std::string bad;
            protocol::any_listed(handler.user_event_pattern, [&](std::string_view item) {
                if (item != "*" && !protocol::is_valid_event_name(item)) {
                    bad = item;
                }
                return !bad.empty();
            });
            if (!bad.empty()) {
                return problem(path, "'" + bad +
                                         "' is neither \"*\" nor an event name (^[a-z][a-z0-9_.-]{0,127}$)");
            }
        } else if (name == "system_events") {
            const auto* array = value.as_array();
            if (array == nullptr) {
                return problem(path, R"(must be an array of "connect", "connected", "disconnected")");
            }
            for (const auto& item : *array) {
                const auto text = item.value<std::string>();
                const auto event = text && item.is_string() ? core::parse_system_event(*text) : std::nullopt;
                if (!event) {
                    return problem(path, R"(must be an array of "connect", "connected", "disconnected")");
                }
                if (!handler.handles(*event)) {
                    handler.system_events.push_back(*event);
                }
            }
        } else if (name == "auth") {
            return problem(path, "is not supported: hubcast signs every request with ce-signature instead");
        } else {
            return problem(path, "unknown key (expected url_template, user_event_pattern, system_events)");
        }
    }
    if (!has_url) {
        return problem(key + ".url_template", "is required");
    }
    return handler;
}

util::result<core::hub_settings, std::string> read_hub(const toml::node& node, const std::string& key) {
    const auto* table = node.as_table();
    if (table == nullptr) {
        return problem(key, "must be a table");
    }
    core::hub_settings hub;
    for (const auto& [name_key, value] : *table) {
        const std::string name(name_key.str());
        const std::string path = fmt::format("{}.{}", key, name);
        if (name == "anonymous_connect") {
            if (!value.is_boolean()) {
                return problem(path, "must be true or false");
            }
            hub.anonymous_connect = *value.value<bool>();
        } else if (name == "keepalive_seconds") {
            const auto seconds = toml_integer(value);
            if (!seconds || *seconds < 0 || *seconds > 120) {
                return problem(path, "must be 0 (off) or 1..120");
            }
            hub.keepalive_seconds = static_cast<int>(*seconds);
        } else if (name == "event_handlers") {
            const auto* array = value.as_array();
            if (array == nullptr) {
                return problem(path, "must be an array of tables ([[" + path + "]])");
            }
            for (std::size_t i = 0; i < array->size(); ++i) {
                auto handler = read_handler(*array->get(i), path + "[" + std::to_string(i) + "]");
                if (!handler) {
                    return util::fail(handler.error());
                }
                hub.event_handlers.push_back(std::move(*handler));
            }
        } else {
            return problem(path,
                           "unknown key (expected anonymous_connect, keepalive_seconds, event_handlers)");
        }
    }
    return hub;
}

util::result<int, std::string> read_seconds(const toml::node& value, const std::string& path, int low,
                                            int high) {
    const auto number = toml_integer(value);
    if (!number || *number < low || *number > high) {
        return problem(path,
                       "must be an integer from " + std::to_string(low) + " to " + std::to_string(high));
    }
    return static_cast<int>(*number);
}

toml::table hub_to_toml(const core::hub_settings& hub, int default_keepalive_seconds) {
    toml::array handlers;
    for (const auto& handler : hub.event_handlers) {
        toml::array events;
        for (const auto event : handler.system_events) {
            events.push_back(std::string(core::to_string(event)));
        }
        handlers.push_back(toml::table{{"url_template", handler.url_template},
                                       {"user_event_pattern", handler.user_event_pattern},
                                       {"system_events", events}});
    }
    toml::table table{{"anonymous_connect", hub.anonymous_connect},
                      {"keepalive_seconds", hub.keepalive_seconds.value_or(default_keepalive_seconds)}};
    if (!handlers.empty()) {
        table.insert("event_handlers", handlers);
    }
    return table;
}

} // namespace

std::optional<std::int64_t> toml_integer(const toml::node& node) noexcept {
    const auto* integer = node.as_integer();
    if (integer == nullptr) {
        return std::nullopt;
    }
    return integer->get();
}

util::result<core::hub_settings_table, std::string> read_hubs(const toml::node& hubs) {
    const auto* table = hubs.as_table();
    if (table == nullptr) {
        return problem("hubs", "must be a table of hubs: [hubs.<name>] or [hubs.\"*\"]");
    }
    core::hub_settings_table result;
    for (const auto& [name_key, value] : *table) {
        const std::string name(name_key.str());
        const std::string path = name == "*" ? "hubs.\"*\"" : "hubs." + name;
        if (name != "*" && !protocol::is_valid_hub_name(name)) {
            return problem(path, "'" + name + "' is not a valid hub name");
        }
        auto hub = read_hub(value, path);
        if (!hub) {
            return util::fail(hub.error());
        }
        if (name == "*") {
            result.any = std::move(*hub);
        } else if (!result.named.emplace(protocol::to_lower_ascii(name), std::move(*hub)).second) {
            // Hub names are case-insensitive: [hubs.Chat] and [hubs.chat] would be the same hub.
            return problem(path, "names the same hub as another table (hub names are case-insensitive)");
        }
    }
    return result;
}

util::result<upstream::upstream_options, std::string> read_upstream(const toml::node& node) {
    const auto* table = node.as_table();
    if (table == nullptr) {
        return problem("upstream", "must be a table");
    }
    upstream::upstream_options options;
    for (const auto& [name_key, value] : *table) {
        const std::string name(name_key.str());
        const std::string path = "upstream." + name;
        if (name == "origin") {
            const auto text = value.value<std::string>();
            if (!value.is_string() || !text || !is_origin_host(*text)) {
                return problem(path,
                               "must be a host name without scheme or port, e.g. \"hubcast.example.com\"");
            }
            options.origin = *text;
        } else if (name == "connect_timeout_seconds" || name == "user_event_timeout_seconds" ||
                   name == "notification_timeout_seconds") {
            auto seconds = read_seconds(value, path, 1, 600);
            if (!seconds) {
                return util::fail(seconds.error());
            }
            (name == "connect_timeout_seconds"      ? options.connect_timeout
             : name == "user_event_timeout_seconds" ? options.user_event_timeout
                                                    : options.notification_timeout) =
                std::chrono::seconds{*seconds};
        } else if (name == "notification_retries") {
            auto retries = read_seconds(value, path, 0, 10);
            if (!retries) {
                return util::fail(retries.error());
            }
            options.notification_retries = *retries;
        } else if (name == "max_requests_per_host" || name == "max_queued_events") {
            auto count = read_seconds(value, path, 1, 100000);
            if (!count) {
                return util::fail(count.error());
            }
            (name == "max_requests_per_host" ? options.max_requests_per_host : options.max_queued_events) =
                static_cast<std::size_t>(*count);
        } else if (name == "max_queued_event_bytes") {
            const auto bytes = toml_integer(value);
            if (!bytes || *bytes < 1024 || *bytes > (std::int64_t{1} << 30)) {
                return problem(path, "must be an integer from 1024 to 1073741824");
            }
            options.max_queued_event_bytes = static_cast<std::size_t>(*bytes);
        } else {
            return problem(
                path, "unknown key (expected origin, connect_timeout_seconds, user_event_timeout_seconds, "
                      "notification_timeout_seconds, notification_retries, max_requests_per_host, "
                      "max_queued_events, max_queued_event_bytes)");
        }
    }
    return options;
}

toml::table hubs_to_toml(const core::hub_settings_table& hubs, int default_keepalive_seconds) {
    toml::table table;
    for (const auto& [name, hub] : hubs.named) {
        table.insert(name, hub_to_toml(hub, default_keepalive_seconds));
    }
    table.insert("*", hub_to_toml(hubs.any, default_keepalive_seconds));
    return table;
}

toml::table upstream_to_toml(const upstream::upstream_options& options) {
    return toml::table{
        {"origin", options.origin},
        {"connect_timeout_seconds", static_cast<std::int64_t>(options.connect_timeout.count())},
        {"user_event_timeout_seconds", static_cast<std::int64_t>(options.user_event_timeout.count())},
        {"notification_timeout_seconds", static_cast<std::int64_t>(options.notification_timeout.count())},
        {"notification_retries", options.notification_retries},
        {"max_requests_per_host", static_cast<std::int64_t>(options.max_requests_per_host)},
        {"max_queued_events", static_cast<std::int64_t>(options.max_queued_events)},
        {"max_queued_event_bytes", static_cast<std::int64_t>(options.max_queued_event_bytes)},
    };
}

} // namespace hubcast::server

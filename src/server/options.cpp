#include "server/options.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <sstream>
#include <thread>

#include <toml++/toml.h>

#include "server/hub_config.hpp"

namespace hubcast::server {

namespace {

template <typename T>
util::result<T, std::string> parse_number(std::string_view text, std::string_view name) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return util::fail(std::string(name) + ": '" + std::string(text) + "' is not a valid number");
    }
    return value;
}

std::vector<std::string> split_commas(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        auto item = text.substr(0, comma);
        if (!item.empty()) {
            out.emplace_back(item);
        }
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    return out;
}

std::string mask(const std::string& key) {
    if (key.size() <= 4) {
        return "****";
    }
    // At most four bytes shown, never part of a character: a cut UTF-8 sequence would print a
    // configuration that reads back differently.
    std::size_t shown = 4;
    while (shown > 0 && (static_cast<unsigned char>(key[shown]) & 0xC0) == 0x80) {
        --shown;
    }
    return key.substr(0, shown) + std::string(key.size() - shown, '*');
}

} // namespace

std::size_t server_options::effective_workers() const {
    if (workers != 0) {
        return workers;
    }
    const auto cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1 : cores;
}

util::result<listen_address, std::string> parse_listen_address(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        return util::fail("listen address '" + text + "' must be HOST:PORT");
    }
    std::string host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    // A name, an IPv4 address or an IPv6 one (with a zone): anything else can never be bound, and
    // as the default webhook origin it would print a configuration the server refuses.
    if (host.empty() || host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "0123456789.-_:%") != std::string::npos) {
        return util::fail("listen address '" + text + "': invalid host");
    }
    auto port = parse_number<std::uint16_t>(std::string_view(text).substr(colon + 1), "listen port");
    if (!port) {
        return util::fail("listen address '" + text + "': invalid port");
    }
    return listen_address{host, *port};
}

namespace {

std::string syntax_error(const std::string& path, const toml::parse_error& error) {
    std::ostringstream message;
    message << "config file " << path << ": " << error.description() << " (line " << error.source().begin.line
            << ")";
    return message.str();
}

/// The keys of a parsed configuration file into `options`; errors name `path` and the key.
util::result<bool, std::string> apply_config_table(const toml::table& table, const std::string& path,
                                                   server_options& options) {
    for (const auto& [key, node] : table) {
        const std::string name(key.str());
        auto wrong_type = [&](const char* expected) {
            return util::fail("config file " + path + ": '" + name + "' must be " + expected);
        };
        if (name == "listen") {
            if (!node.is_string()) {
                return wrong_type("a string \"HOST:PORT\"");
            }
            options.listen = *node.value<std::string>();
        } else if (name == "access_keys") {
            const auto* array = node.as_array();
            if (array == nullptr) {
                return wrong_type("an array of strings");
            }
            options.access_keys.clear();
            for (const auto& item : *array) {
                if (!item.is_string()) {
                    return wrong_type("an array of strings");
                }
                options.access_keys.push_back(*item.value<std::string>());
            }
        } else if (name == "workers" || name == "keepalive_seconds" || name == "max_message_bytes" ||
                   name == "max_outbound_bytes" || name == "reliable_recovery_seconds" ||
                   name == "reliable_max_unacked_messages" || name == "reliable_max_unacked_bytes") {
            const auto value = toml_integer(node);
            if (!value || *value < 0) {
                return wrong_type("a non-negative integer");
            }
            if (name == "workers") {
                options.workers = static_cast<std::size_t>(*value);
            } else if (name == "keepalive_seconds") {
                options.keepalive_seconds = static_cast<int>(*value);
            } else if (name == "max_message_bytes") {
                options.max_message_bytes = static_cast<std::size_t>(*value);
            } else if (name == "max_outbound_bytes") {
                options.max_outbound_bytes = static_cast<std::size_t>(*value);
            } else if (name == "reliable_recovery_seconds") {
                // Clamped here only to fit the int; validate() names the real range.
                options.reliable_recovery_seconds = static_cast<int>(std::min<std::int64_t>(*value, 1 << 30));
            } else if (name == "reliable_max_unacked_messages") {
                options.reliable_max_unacked_messages = static_cast<std::size_t>(*value);
            } else {
                options.reliable_max_unacked_bytes = static_cast<std::size_t>(*value);
            }
        } else if (name == "log_level") {
            if (!node.is_string()) {
                return wrong_type("a string");
            }
            options.log_level = *node.value<std::string>();
        } else if (name == "hubs") {
            auto hubs = read_hubs(node);
            if (!hubs) {
                return util::fail("config file " + path + ": " + hubs.error());
            }
            options.hubs = std::move(*hubs);
        } else if (name == "upstream") {
            auto upstream = read_upstream(node);
            if (!upstream) {
                return util::fail("config file " + path + ": " + upstream.error());
            }
            options.upstream = std::move(*upstream);
        } else {
            return util::fail("config file " + path + ": unknown key '" + name + "'");
        }
    }
    return true;
}

} // namespace

util::result<bool, std::string> load_config_file(const std::string& path, server_options& options) {
    toml::table table;
    try {
        table = toml::parse_file(path);
    } catch (const toml::parse_error& error) {
        return util::fail(syntax_error(path, error));
    }
    return apply_config_table(table, path, options);
}

util::result<bool, std::string> load_config_text(std::string_view text, const std::string& source,
                                                 server_options& options) {
    toml::table table;
    try {
        table = toml::parse(text, source);
    } catch (const toml::parse_error& error) {
        return util::fail(syntax_error(source, error));
    }
    return apply_config_table(table, source, options);
}

util::result<bool, std::string> apply_environment(server_options& options) {
    auto env = [](const char* name) -> const char* {
        const char* value = std::getenv(name);
        return value != nullptr && *value != '\0' ? value : nullptr;
    };
    if (const char* v = env("HUBCAST_LISTEN")) {
        options.listen = v;
    }
    if (const char* v = env("HUBCAST_ACCESS_KEYS")) {
        options.access_keys = split_commas(v);
    }
    if (const char* v = env("HUBCAST_LOG_LEVEL")) {
        options.log_level = v;
    }
    if (const char* v = env("HUBCAST_WORKERS")) {
        auto n = parse_number<std::size_t>(v, "HUBCAST_WORKERS");
        if (!n) {
            return util::fail(n.error());
        }
        options.workers = *n;
    }
    if (const char* v = env("HUBCAST_KEEPALIVE_SECONDS")) {
        auto n = parse_number<int>(v, "HUBCAST_KEEPALIVE_SECONDS");
        if (!n) {
            return util::fail(n.error());
        }
        options.keepalive_seconds = *n;
    }
    if (const char* v = env("HUBCAST_MAX_MESSAGE_BYTES")) {
        auto n = parse_number<std::size_t>(v, "HUBCAST_MAX_MESSAGE_BYTES");
        if (!n) {
            return util::fail(n.error());
        }
        options.max_message_bytes = *n;
    }
    if (const char* v = env("HUBCAST_MAX_OUTBOUND_BYTES")) {
        auto n = parse_number<std::size_t>(v, "HUBCAST_MAX_OUTBOUND_BYTES");
        if (!n) {
            return util::fail(n.error());
        }
        options.max_outbound_bytes = *n;
    }
    if (const char* v = env("HUBCAST_RELIABLE_RECOVERY_SECONDS")) {
        auto n = parse_number<int>(v, "HUBCAST_RELIABLE_RECOVERY_SECONDS");
        if (!n) {
            return util::fail(n.error());
        }
        options.reliable_recovery_seconds = *n;
    }
    if (const char* v = env("HUBCAST_RELIABLE_MAX_UNACKED_MESSAGES")) {
        auto n = parse_number<std::size_t>(v, "HUBCAST_RELIABLE_MAX_UNACKED_MESSAGES");
        if (!n) {
            return util::fail(n.error());
        }
        options.reliable_max_unacked_messages = *n;
    }
    if (const char* v = env("HUBCAST_RELIABLE_MAX_UNACKED_BYTES")) {
        auto n = parse_number<std::size_t>(v, "HUBCAST_RELIABLE_MAX_UNACKED_BYTES");
        if (!n) {
            return util::fail(n.error());
        }
        options.reliable_max_unacked_bytes = *n;
    }
    return true;
}

util::result<bool, std::string> validate(const server_options& options) {
    if (options.access_keys.empty()) {
        return util::fail(
            std::string("no access key: pass --access-key KEY (or access_keys in the config file, "
                        "or HUBCAST_ACCESS_KEYS)"));
    }
    for (const auto& key : options.access_keys) {
        if (key.empty()) {
            return util::fail(std::string("access keys must not be empty"));
        }
    }
    if (auto address = parse_listen_address(options.listen); !address) {
        return util::fail(address.error());
    }
    if (options.workers > 256) {
        return util::fail(std::string("workers: at most 256"));
    }
    if (options.keepalive_seconds < 0 || options.keepalive_seconds > 120) {
        return util::fail(std::string("keepalive_seconds: must be 0 (off) or 1..120"));
    }
    if (options.max_message_bytes < 1024 || options.max_message_bytes > 64 * 1024 * 1024) {
        return util::fail(std::string("max_message_bytes: must be between 1 KiB and 64 MiB"));
    }
    if (options.max_outbound_bytes < options.max_message_bytes) {
        return util::fail(std::string("max_outbound_bytes: must be at least max_message_bytes"));
    }
    if (options.reliable_recovery_seconds < 0 || options.reliable_recovery_seconds > 3600) {
        return util::fail(std::string("reliable_recovery_seconds: must be 0 (no recovery) or 1..3600"));
    }
    if (options.reliable_max_unacked_messages < 1 || options.reliable_max_unacked_messages > 1'000'000) {
        return util::fail(std::string("reliable_max_unacked_messages: must be between 1 and 1000000"));
    }
    if (options.reliable_max_unacked_bytes < options.max_message_bytes) {
        return util::fail(std::string("reliable_max_unacked_bytes: must be at least max_message_bytes"));
    }
    static constexpr std::string_view levels[] = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
    if (std::find(std::begin(levels), std::end(levels), options.log_level) == std::end(levels)) {
        return util::fail("log_level: unknown level '" + options.log_level + "'");
    }
    return true;
}

std::string webhook_origin(const server_options& options) {
    if (!options.upstream.origin.empty()) {
        return options.upstream.origin;
    }
    // The host of the printed connection string's Endpoint, which app servers are given.
    const auto address = parse_listen_address(options.listen);
    if (!address) {
        return "localhost";
    }
    return address->host.find(':') != std::string::npos ? "[" + address->host + "]" : address->host;
}

std::string to_toml(const server_options& options) {
    toml::array keys;
    for (const auto& key : options.access_keys) {
        keys.push_back(mask(key));
    }
    toml::table table{
        {"listen", options.listen},
        {"access_keys", keys},
        {"workers", static_cast<std::int64_t>(options.effective_workers())},
        {"keepalive_seconds", options.keepalive_seconds},
        {"max_message_bytes", static_cast<std::int64_t>(options.max_message_bytes)},
        {"max_outbound_bytes", static_cast<std::int64_t>(options.max_outbound_bytes)},
        {"reliable_recovery_seconds", options.reliable_recovery_seconds},
        {"reliable_max_unacked_messages", static_cast<std::int64_t>(options.reliable_max_unacked_messages)},
        {"reliable_max_unacked_bytes", static_cast<std::int64_t>(options.reliable_max_unacked_bytes)},
        {"log_level", options.log_level},
    };
    auto upstream = options.upstream;
    upstream.origin = webhook_origin(options);
    table.insert("upstream", upstream_to_toml(upstream));
    table.insert("hubs", hubs_to_toml(options.hubs, options.keepalive_seconds));
    std::ostringstream out;
    out << table << "\n";
    return out.str();
}

} // namespace hubcast::server

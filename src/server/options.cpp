#include "server/options.hpp"

#include <charconv>
#include <cstdlib>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include "server/config_template.hpp"
#include "server/hub_config.hpp"
#include "server/settings_table.hpp"
#include "util/decimal.hpp"

namespace hubcast::server {

namespace {

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

std::string in_quotes(std::string_view text) {
    return "'" + std::string(text) + "'";
}

/// The value of a TOML node, if it has the setting's type.
std::optional<setting_value> read_node(const setting& setting, const toml::node& node) {
    switch (setting.field.kind) {
    case setting_kind::integer:
        // toml_integer: value<std::int64_t>() of a float out of range is undefined behaviour.
        if (const auto number = toml_integer(node)) {
            return setting_value(*number);
        }
        return std::nullopt;
    case setting_kind::text:
        if (node.is_string()) {
            return setting_value(*node.value<std::string>());
        }
        return std::nullopt;
    case setting_kind::text_list: {
        const auto* array = node.as_array();
        if (array == nullptr) {
            return std::nullopt;
        }
        std::vector<std::string> items;
        for (const auto& item : *array) {
            if (!item.is_string()) {
                return std::nullopt;
            }
            items.push_back(*item.value<std::string>());
        }
        return setting_value(std::move(items));
    }
    }
    return std::nullopt;
}

const char* type_of(const setting& setting) {
    switch (setting.field.kind) {
    case setting_kind::integer:
        return "an integer";
    case setting_kind::text:
        return "a string";
    case setting_kind::text_list:
        return "an array of strings";
    }
    return "a value";
}

/// Reads one key of the file into `options`; the error names the key as `section.key`.
util::result<bool, std::string> read_key(const setting& setting, const toml::node& node,
                                         server_options& options) {
    const auto value = read_node(setting, node);
    if (!value) {
        return util::fail(in_quotes(setting_name(setting)) + " must be " + type_of(setting));
    }
    if (auto problem = check_value(setting, *value)) {
        return util::fail(in_quotes(setting_name(setting)) + " " + *problem);
    }
    setting.field.set(options, *value);
    return true;
}

std::string keys_of(std::string_view section) {
    std::string keys;
    for (const auto& setting : settings()) {
        if (setting.section == section && setting.in_file) {
            keys += (keys.empty() ? "" : ", ") + std::string(setting.key);
        }
    }
    return keys;
}

bool is_section(std::string_view name) {
    for (const auto& setting : settings()) {
        if (!setting.section.empty() && setting.section == name) {
            return true;
        }
    }
    return false;
}

util::result<bool, std::string> read_section(std::string_view section, const toml::node& node,
                                             server_options& options) {
    const auto* table = node.as_table();
    if (table == nullptr) {
        return util::fail(in_quotes(section) + " must be a table");
    }
    for (const auto& [key, value] : *table) {
        const auto* setting = find_setting(section, key.str());
        if (setting == nullptr) {
            return util::fail("unknown key '" + std::string(section) + "." + std::string(key.str()) +
                              "' (expected " + keys_of(section) + ")");
        }
        if (auto read = read_key(*setting, value, options); !read) {
            return read;
        }
    }
    return true;
}

/// `value` from `origin` (a variable or a flag) into the setting; errors name both.
util::result<bool, std::string> apply_value(const setting& setting, const setting_value& value,
                                            const std::string& origin, server_options& options) {
    if (auto problem = check_value(setting, value)) {
        return util::fail(origin + ": " + in_quotes(setting_name(setting)) + " " + *problem);
    }
    setting.field.set(options, value);
    return true;
}

util::result<bool, std::string> apply_text(const setting& setting, std::string_view text,
                                           std::string_view origin, server_options& options) {
    auto value = parse_text(setting, text);
    if (!value) {
        return util::fail(std::string(origin) + ": " + value.error());
    }
    return apply_value(setting, *value, std::string(origin) + "=" + in_quotes(text), options);
}

/// A server started with the template's key would accept tokens signed by anyone who has read
/// the template: it must not start until the operator has set a key of their own.
util::result<bool, std::string> refuse_placeholder_key(const server_options& options) {
    for (const auto& key : options.access_keys) {
        if (key == placeholder_access_key) {
            return util::fail("access key " + in_quotes(key) +
                              " is the placeholder of the configuration file template: set a secret key of "
                              "your own");
        }
    }
    return true;
}

const char* environment_value(std::string_view name) {
    const char* value = std::getenv(std::string(name).c_str());
    return value != nullptr && *value != '\0' ? value : nullptr;
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
    const auto port = util::parse_decimal<std::uint16_t>(std::string_view(text).substr(colon + 1));
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
    std::string where = "config file " + path + ": ";
    for (const auto& [key, node] : table) {
        const std::string name(key.str());
        if (name == "hubs") {
            auto hubs = read_hubs(node);
            if (!hubs) {
                return util::fail(where + hubs.error());
            }
            options.hubs = std::move(*hubs);
        } else if (name == "upstream") {
            auto upstream = read_upstream(node);
            if (!upstream) {
                return util::fail(where + upstream.error());
            }
            options.upstream = std::move(*upstream);
        } else if (is_section(name)) {
            if (auto read = read_section(name, node, options); !read) {
                return util::fail(where + read.error());
            }
        } else if (const auto* setting = find_setting("", name); setting != nullptr && setting->in_file) {
            if (auto read = read_key(*setting, node, options); !read) {
                return util::fail(where + read.error());
            }
        } else {
            return util::fail(where.append("unknown key '").append(name).append("'"));
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
    for (const auto& setting : settings()) {
        if (setting.environment.empty()) {
            continue;
        }
        if (const char* text = environment_value(setting.environment)) {
            if (auto applied = apply_text(setting, text, setting.environment, options); !applied) {
                return applied;
            }
        }
    }
    return true;
}

util::result<bool, std::string> validate(const server_options& options) {
    // A missing key first: it is what a first start without configuration lacks.
    for (const auto& setting : settings()) {
        if (!setting.required.empty() &&
            std::get<std::vector<std::string>>(setting.field.get(options)).empty()) {
            return util::fail("no " + std::string(setting.required) + ": pass " + std::string(setting.flag) +
                              " " + std::string(setting.value_name) + " (or " + std::string(setting.key) +
                              " in the config file, or " + std::string(setting.environment) + ")");
        }
    }
    if (auto refused = refuse_placeholder_key(options); !refused) {
        return refused;
    }
    for (const auto& setting : settings()) {
        const auto value = setting.field.get(options);
        if (auto problem = check_value(setting, value)) {
            return util::fail(in_quotes(setting_name(setting)) + " " + *problem);
        }
        if (setting.at_least.empty()) {
            continue;
        }
        const auto* bound = find_setting(setting.section, setting.at_least);
        const auto least = std::get<std::int64_t>(bound->field.get(options));
        if (std::get<std::int64_t>(value) < least) {
            return util::fail(in_quotes(setting_name(setting)) + " must be at least " +
                              std::string(setting.at_least) + " (" + std::to_string(least) + ")");
        }
    }
    return true;
}

setting_flags::setting_flags(CLI::App& app)
    : options_(settings().size()), texts_(settings().size()), lists_(settings().size()) {
    for (std::size_t i = 0; i < settings().size(); ++i) {
        const auto& setting = settings()[i];
        if (setting.flag.empty()) {
            continue;
        }
        const std::string flag(setting.flag);
        const std::string help(setting.summary);
        auto* option = setting.field.kind == setting_kind::text_list ? app.add_option(flag, lists_[i], help)
                                                                     : app.add_option(flag, texts_[i], help);
        option->type_name(std::string(setting.value_name));
        if (const auto shown = default_text(setting); !shown.empty()) {
            option->default_str(shown);
        }
        options_[i] = option;
    }
}

std::optional<std::string> setting_flags::given(std::string_view flag) const {
    for (std::size_t i = 0; i < settings().size(); ++i) {
        if (settings()[i].flag == flag && options_[i] != nullptr && options_[i]->count() > 0) {
            return texts_[i];
        }
    }
    return std::nullopt;
}

util::result<bool, std::string> setting_flags::apply(server_options& options) const {
    for (std::size_t i = 0; i < settings().size(); ++i) {
        const auto& setting = settings()[i];
        if (options_[i] == nullptr || options_[i]->count() == 0) {
            continue;
        }
        auto applied = setting.field.kind == setting_kind::text_list
                           ? apply_value(setting, lists_[i], std::string(setting.flag), options)
                           : apply_text(setting, texts_[i], setting.flag, options);
        if (!applied) {
            return applied;
        }
    }
    return true;
}

util::result<server_options, std::string> resolve_options(const setting_flags& flags) {
    server_options options;
    // The file is read first, so it is named before anything else: by the flag, else the variable.
    const auto& file = *find_setting("", "config");
    std::string path = flags.given(file.flag).value_or("");
    if (path.empty()) {
        const char* text = environment_value(file.environment);
        path = text != nullptr ? text : "";
    }
    if (!path.empty()) {
        options.config_file = path;
        if (auto loaded = load_config_file(path, options); !loaded) {
            return util::fail(loaded.error());
        }
    }
    if (auto applied = apply_environment(options); !applied) {
        return util::fail(applied.error());
    }
    if (auto applied = flags.apply(options); !applied) {
        return util::fail(applied.error());
    }
    return options;
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
    toml::table table;
    for (const auto& setting : settings()) {
        if (!setting.in_file) {
            continue;
        }
        const auto value = setting.printed != nullptr ? setting.printed(options) : setting.field.get(options);
        toml::table* section = &table;
        if (!setting.section.empty()) {
            section = table.emplace(setting.section, toml::table{}).first->second.as_table();
        }
        if (const auto* number = std::get_if<std::int64_t>(&value)) {
            section->insert(setting.key, *number);
        } else if (const auto* text = std::get_if<std::string>(&value)) {
            section->insert(setting.key, *text);
        } else {
            toml::array items;
            for (const auto& item : std::get<std::vector<std::string>>(value)) {
                items.push_back(setting.secret ? mask(item) : item);
            }
            section->insert(setting.key, std::move(items));
        }
    }
    auto upstream = options.upstream;
    upstream.origin = webhook_origin(options);
    table.insert("upstream", upstream_to_toml(upstream));
    table.insert("hubs", hubs_to_toml(options.hubs, options.keepalive_seconds));
    std::ostringstream out;
    out << table << "\n";
    return out.str();
}

} // namespace hubcast::server

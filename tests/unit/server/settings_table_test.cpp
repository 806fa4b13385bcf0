// The settings table (server/settings_table): every setting read from each source the same way,
// and docs/configuration.md's tables as the code generates them.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include "server/options.hpp"
#include "server/settings_table.hpp"
#include "support/temp_file.hpp"

namespace hubcast::server {
namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// What docs/configuration.md holds between the markers of table `name` (without the markers).
std::optional<std::string> docs_region(const std::string& docs, std::string_view name) {
    const std::string begin = "<!-- settings-table " + std::string(name) + ":";
    const std::string end = "<!-- end settings-table " + std::string(name) + " -->";
    const auto first = docs.find(begin);
    const auto last = docs.find(end);
    if (first == std::string::npos || last == std::string::npos || last < first) {
        return std::nullopt;
    }
    const auto body = docs.find('\n', first) + 1;
    return docs.substr(body, last - body);
}

/// A valid value other than the default, as the setting's kind holds it.
setting_value sample_value(const setting& setting) {
    switch (setting.field.kind) {
    case setting_kind::integer: {
        const auto fallback = std::get<std::int64_t>(setting.field.get(server_options{}));
        if (fallback != setting.min) {
            return setting.min;
        }
        return setting.max == unbounded ? setting.min + 1 : setting.max;
    }
    case setting_kind::text: {
        static const std::map<std::string_view, std::string> samples{
            {"listen", "0.0.0.0:9"},
            {"log_level", "warn"},
            {"config", "elsewhere.toml"},
            {"redis", "redis://127.0.0.1:6380/1"}, // printed as given: it has no password to mask
            {"node_id", "node-a"},
            {"public_endpoint", "https://chat.example.com"},
            {"log_format", "json"},
            {"access_log", "on"}};
        return samples.at(setting.key);
    }
    case setting_kind::text_list:
        if (setting.key == "trusted_proxies") {
            return std::vector<std::string>{"10.0.0.0/8", "::1"};
        }
        return std::vector<std::string>{"first", "second"};
    }
    return {};
}

std::string toml_text(const setting_value& value) {
    if (const auto* number = std::get_if<std::int64_t>(&value)) {
        return std::to_string(*number);
    }
    if (const auto* text = std::get_if<std::string>(&value)) {
        return "\"" + *text + "\"";
    }
    std::string items;
    for (const auto& item : std::get<std::vector<std::string>>(value)) {
        items += (items.empty() ? "\"" : ", \"") + item + "\"";
    }
    return "[" + items + "]";
}

std::string plain_text(const setting_value& value) {
    if (const auto* number = std::get_if<std::int64_t>(&value)) {
        return std::to_string(*number);
    }
    if (const auto* text = std::get_if<std::string>(&value)) {
        return *text;
    }
    std::string items;
    for (const auto& item : std::get<std::vector<std::string>>(value)) {
        items += (items.empty() ? "" : ",") + item;
    }
    return items;
}

/// Parses `args` as the hubcast command line and applies the flags onto `options`.
util::result<bool, std::string> apply_flags(std::vector<std::string> args, server_options& options) {
    CLI::App app;
    const setting_flags flags(app);
    args.insert(args.begin(), "hubcast");
    std::vector<const char*> argv;
    for (const auto& arg : args) {
        argv.push_back(arg.c_str());
    }
    app.parse(static_cast<int>(argv.size()), argv.data());
    return flags.apply(options);
}

TEST(SettingsTable, DocsMatchTheCode) {
    const auto docs_path =
        std::filesystem::path(HUBCAST_TEST_DATA).parent_path().parent_path() / "docs" / "configuration.md";
    const auto docs = read_file(docs_path);
    ASSERT_FALSE(docs.empty()) << docs_path;
    for (const auto name : settings_table_names()) {
        const auto region = docs_region(docs, name);
        ASSERT_TRUE(region) << "no settings-table " << name << " markers in " << docs_path;
        EXPECT_EQ(*region, settings_markdown(name).value())
            << "docs/configuration.md is out of date; regenerate it with the command in its "
               "\"Settings\" section";
    }
}

TEST(SettingsTable, NamesAreUniqueAndCrossReferencesResolve) {
    std::set<std::string> names;
    std::set<std::string_view> flags;
    std::set<std::string_view> variables;
    for (const auto& setting : settings()) {
        EXPECT_TRUE(names.insert(setting_name(setting)).second) << setting_name(setting);
        EXPECT_TRUE(setting.flag.starts_with("--") && flags.insert(setting.flag).second) << setting.flag;
        EXPECT_TRUE(setting.environment.starts_with("HUBCAST_") &&
                    variables.insert(setting.environment).second)
            << setting.environment;
        EXPECT_FALSE(setting.summary.empty()) << setting.key;
        if (!setting.at_least.empty()) {
            const auto* bound = find_setting(setting.section, setting.at_least);
            ASSERT_NE(bound, nullptr) << setting.key;
            EXPECT_EQ(bound->field.kind, setting_kind::integer) << setting.key;
        }
    }
}

// The range is what the field can hold: a value that passes check_value reads back unchanged.
TEST(SettingsTable, EveryRangeFitsItsFieldAndEveryDefaultIsInIt) {
    for (const auto& setting : settings()) {
        const server_options defaults;
        if (setting.required.empty()) {
            EXPECT_FALSE(check_value(setting, setting.field.get(defaults))) << setting_name(setting);
        }
        if (setting.field.kind != setting_kind::integer) {
            continue;
        }
        for (const std::int64_t value : {setting.min, setting.max}) {
            server_options options;
            setting.field.set(options, value);
            EXPECT_EQ(std::get<std::int64_t>(setting.field.get(options)), value) << setting_name(setting);
        }
        if (setting.zero_means.empty() || setting.min > 1) {
            EXPECT_TRUE(check_value(setting, setting.min - 1)) << setting_name(setting);
        }
        if (setting.max != unbounded) {
            EXPECT_TRUE(check_value(setting, setting.max + 1)) << setting_name(setting);
        }
    }
}

TEST(SettingsTable, EverySettingComesFromTheFileTheEnvironmentAndItsFlag) {
    for (const auto& setting : settings()) {
        const auto value = sample_value(setting);
        ASSERT_FALSE(check_value(setting, value)) << setting_name(setting);
        ASSERT_NE(setting.field.get(server_options{}), value) << setting_name(setting);

        if (setting.in_file) {
            const std::string line = std::string(setting.key) + " = " + toml_text(value) + "\n";
            const auto path = test::write_temp_file(
                "settings_each",
                setting.section.empty() ? line : "[" + std::string(setting.section) + "]\n" + line);
            server_options from_file;
            const auto loaded = load_config_file(path, from_file);
            ASSERT_TRUE(loaded) << loaded.error();
            EXPECT_EQ(setting.field.get(from_file), value) << setting_name(setting) << " from the file";

            // --print-config writes what the file reads back (keys masked aside).
            if (!setting.secret) {
                server_options printed;
                const auto reloaded =
                    load_config_file(test::write_temp_file("settings_printed", to_toml(from_file)), printed);
                ASSERT_TRUE(reloaded) << reloaded.error();
                EXPECT_EQ(setting.field.get(printed), value) << setting_name(setting) << " printed";
            }
        }

        const std::string variable(setting.environment);
        ::setenv(variable.c_str(), plain_text(value).c_str(), 1);
        server_options from_environment;
        const auto applied = apply_environment(from_environment);
        ::unsetenv(variable.c_str());
        ASSERT_TRUE(applied) << applied.error();
        EXPECT_EQ(setting.field.get(from_environment), value) << variable;

        std::vector<std::string> args;
        if (const auto* items = std::get_if<std::vector<std::string>>(&value)) {
            for (const auto& item : *items) {
                args.insert(args.end(), {std::string(setting.flag), item});
            }
        } else {
            args = {std::string(setting.flag), plain_text(value)};
        }
        server_options from_flags;
        const auto flagged = apply_flags(args, from_flags);
        ASSERT_TRUE(flagged) << flagged.error();
        EXPECT_EQ(setting.field.get(from_flags), value) << setting.flag;
    }
}

TEST(SettingsTable, ValuesOutOfRangeAreRefusedBySourceNamingTheSetting) {
    const auto file = test::write_temp_file("settings_range", "[firewall]\ninbound_window_seconds = 0\n");
    server_options options;
    auto loaded = load_config_file(file, options);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().find("'firewall.inbound_window_seconds' must be an integer from 1 to 3600"),
              std::string::npos)
        << loaded.error();

    ::setenv("HUBCAST_KEEPALIVE_SECONDS", "121", 1);
    auto applied = apply_environment(options);
    ::unsetenv("HUBCAST_KEEPALIVE_SECONDS");
    ASSERT_FALSE(applied);
    EXPECT_NE(applied.error().find("HUBCAST_KEEPALIVE_SECONDS"), std::string::npos) << applied.error();
    EXPECT_NE(applied.error().find("'keepalive_seconds'"), std::string::npos) << applied.error();

    auto flagged = apply_flags({"--workers", "257"}, options);
    ASSERT_FALSE(flagged);
    EXPECT_NE(flagged.error().find("--workers"), std::string::npos) << flagged.error();
    EXPECT_NE(flagged.error().find("'workers' must be an integer from 1 to 256, or 0 (one per core)"),
              std::string::npos)
        << flagged.error();

    auto not_a_number = apply_flags({"--max-message-bytes", "1MB"}, options);
    ASSERT_FALSE(not_a_number);
    EXPECT_NE(not_a_number.error().find("'1MB' is not a valid number"), std::string::npos)
        << not_a_number.error();
}

// Precedence: defaults < file < environment < flags, each source only for what it names.
TEST(SettingsTable, FlagsOverTheEnvironmentOverTheFile) {
    const auto file = test::write_temp_file("settings_precedence",
                                            "keepalive_seconds = 5\nworkers = 2\nlog_level = \"debug\"\n");
    ::setenv("HUBCAST_CONFIG", file.c_str(), 1);
    ::setenv("HUBCAST_KEEPALIVE_SECONDS", "6", 1);
    ::setenv("HUBCAST_WORKERS", "3", 1);
    CLI::App app;
    const setting_flags flags(app);
    const char* argv[] = {"hubcast", "--keepalive-seconds", "7"};
    app.parse(3, argv);
    const auto resolved = resolve_options(flags);
    ::unsetenv("HUBCAST_CONFIG");
    ::unsetenv("HUBCAST_KEEPALIVE_SECONDS");
    ::unsetenv("HUBCAST_WORKERS");
    ASSERT_TRUE(resolved) << resolved.error();
    EXPECT_EQ(resolved->config_file, file);
    EXPECT_EQ(resolved->keepalive_seconds, 7);
    EXPECT_EQ(resolved->workers, 3u);
    EXPECT_EQ(resolved->log_level, "debug");
    EXPECT_EQ(resolved->max_message_bytes, server_options{}.max_message_bytes);
}

} // namespace
} // namespace hubcast::server

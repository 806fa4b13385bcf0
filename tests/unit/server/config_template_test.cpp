// The configuration file template (server/config_template), which the Debian package installs as
// /etc/hubcast/hubcast.toml: it loads, names every file setting at its default, and its placeholder
// key keeps the server from starting until an operator sets a key of their own.

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "server/config_template.hpp"
#include "server/options.hpp"
#include "server/settings_table.hpp"

namespace hubcast::server {
namespace {

bool names_a_setting(const std::string& key) {
    const auto settings_list = settings();
    return std::any_of(settings_list.begin(), settings_list.end(),
                       [&](const setting& setting) { return setting.in_file && setting.key == key; });
}

/// The template with every `# key = value` line of a setting uncommented (and its trailing note
/// dropped); the commented example of a hub stays a comment.
std::string uncommented(const std::string& text) {
    static const std::regex commented_key(R"(^# (([a-z_]+) = [^#]*?)(  # .*)?$)");
    std::istringstream lines(text);
    std::string out;
    for (std::string line; std::getline(lines, line);) {
        std::smatch match;
        const bool setting_line = std::regex_match(line, match, commented_key) && names_a_setting(match[2]);
        out += setting_line ? match[1].str() : line;
        out += "\n";
    }
    return out;
}

TEST(ConfigTemplate, LoadsAsAConfigFileWithThePlaceholderKey) {
    server_options options;
    const auto loaded = load_config_text(config_template(), "hubcast.toml", options);
    ASSERT_TRUE(loaded) << loaded.error() << "\n" << config_template();
    EXPECT_EQ(options.access_keys, std::vector<std::string>{std::string(placeholder_access_key)});
}

TEST(ConfigTemplate, NamesEveryFileSetting) {
    const auto text = config_template();
    for (const auto& setting : settings()) {
        if (setting.in_file) {
            EXPECT_NE(text.find(std::string(setting.key) + " = "), std::string::npos)
                << setting_name(setting);
        }
    }
}

TEST(ConfigTemplate, CommentedValuesAreTheDefaults) {
    server_options options;
    const auto loaded = load_config_text(uncommented(config_template()), "uncommented.toml", options);
    ASSERT_TRUE(loaded) << loaded.error();
    const server_options defaults;
    for (const auto& setting : settings()) {
        if (setting.in_file && setting.required.empty()) {
            EXPECT_EQ(setting.field.get(options), setting.field.get(defaults)) << setting_name(setting);
        }
    }
}

TEST(ConfigTemplate, LinesFitOneHundredColumns) {
    std::istringstream lines(config_template());
    for (std::string line; std::getline(lines, line);) {
        EXPECT_LE(line.size(), 100U) << line;
    }
}

TEST(ConfigTemplate, ThePlaceholderKeyIsRefusedAtStart) {
    server_options options;
    options.access_keys = {"a-real-key", std::string(placeholder_access_key)};
    const auto valid = validate(options);
    ASSERT_FALSE(valid);
    EXPECT_NE(valid.error().find("placeholder"), std::string::npos) << valid.error();
}

} // namespace
} // namespace hubcast::server

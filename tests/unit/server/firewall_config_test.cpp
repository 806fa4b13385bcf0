// The abuse-limit settings: [firewall] keys, HUBCAST_* variables, ranges, --print-config.

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "server/options.hpp"
#include "support/temp_file.hpp"

namespace hubcast::server {
namespace {

using namespace std::chrono_literals;

/// Loads `text` as a configuration file onto `options`.
util::result<bool, std::string> load(const std::string& text, server_options& options) {
    return load_config_file(test::write_temp_file("firewall_config", text), options);
}

server_options with_key() {
    server_options options;
    options.access_keys = {"key"};
    return options;
}

TEST(FirewallConfig, EveryLimitIsOffByDefault) {
    const api::firewall_options defaults;
    EXPECT_EQ(defaults.max_connections_per_user, 0u);
    EXPECT_EQ(defaults.max_connections_per_token, 0u);
    EXPECT_FALSE(defaults.limits_lifetime());
    EXPECT_FALSE(defaults.limits_inbound());
    EXPECT_EQ(defaults.handshakes_per_ip_per_second, 0u);
    EXPECT_TRUE(validate(with_key()));
}

TEST(FirewallConfig, ReadsEveryKeyOfTheTable) {
    server_options read;
    ASSERT_TRUE(load(R"(
        [firewall]
        max_connections_per_user = 5
        max_connections_per_token = 10
        max_connection_lifetime_seconds = 3600
        inbound_window_seconds = 30
        max_inbound_messages_per_window = 1000
        max_inbound_bytes_per_window = 5242880
        handshakes_per_ip_per_second = 10
        handshake_burst_per_ip = 50
    )",
                     read));
    const auto& options = read.firewall;
    EXPECT_EQ(options.max_connections_per_user, 5u);
    EXPECT_EQ(options.max_connections_per_token, 10u);
    EXPECT_EQ(options.max_connection_lifetime, 3600s);
    EXPECT_EQ(options.inbound_window, 30s);
    EXPECT_EQ(options.max_inbound_messages, 1000u);
    EXPECT_EQ(options.max_inbound_bytes, 5242880u);
    EXPECT_EQ(options.handshakes_per_ip_per_second, 10u);
    EXPECT_EQ(options.handshake_burst_per_ip, 50u);
}

TEST(FirewallConfig, UnknownKeysWrongTypesAndRangesAreNamed) {
    server_options options;
    auto error_of = [&](const char* text) {
        auto result = load(text, options);
        return result ? std::string() : result.error();
    };
    EXPECT_NE(error_of("[firewall]\nmax_connection_per_user = 1").find("firewall.max_connection_per_user"),
              std::string::npos);
    EXPECT_NE(error_of("[firewall]\nmax_connections_per_user = \"5\"").find("max_connections_per_user"),
              std::string::npos);
    EXPECT_NE(error_of("[firewall]\nmax_connections_per_user = -1").find("max_connections_per_user"),
              std::string::npos);
    EXPECT_NE(error_of("[firewall]\ninbound_window_seconds = 0").find("inbound_window_seconds"),
              std::string::npos);
    EXPECT_NE(error_of("[firewall]\nhandshake_burst_per_ip = 0").find("handshake_burst_per_ip"),
              std::string::npos);
}

TEST(FirewallConfig, EnvironmentVariablesApply) {
    ::setenv("HUBCAST_MAX_CONNECTIONS_PER_TOKEN", "3", 1);
    ::setenv("HUBCAST_MAX_INBOUND_BYTES_PER_WINDOW", "4096", 1);
    server_options options;
    const auto applied = apply_environment(options);
    ::unsetenv("HUBCAST_MAX_CONNECTIONS_PER_TOKEN");
    ::unsetenv("HUBCAST_MAX_INBOUND_BYTES_PER_WINDOW");
    ASSERT_TRUE(applied);
    EXPECT_EQ(options.firewall.max_connections_per_token, 3u);
    EXPECT_EQ(options.firewall.max_inbound_bytes, 4096u);
}

// Out of range is refused where it is read (as a file's value is), naming the variable and the
// setting; it never reaches the field.
TEST(FirewallConfig, EnvironmentValueOutOfRangeIsAnErrorNamingTheSetting) {
    ::setenv("HUBCAST_HANDSHAKES_PER_IP_PER_SECOND", "99999999999", 1);
    server_options options;
    const auto applied = apply_environment(options);
    ::unsetenv("HUBCAST_HANDSHAKES_PER_IP_PER_SECOND");
    ASSERT_FALSE(applied);
    EXPECT_NE(applied.error().find("handshakes_per_ip_per_second"), std::string::npos);
    EXPECT_EQ(options.firewall.handshakes_per_ip_per_second, 0u);
}

TEST(FirewallConfig, ValidateNamesASettingOutOfRange) {
    auto options = with_key();
    options.firewall.handshakes_per_ip_per_second = 1'000'001;
    const auto valid = validate(options);
    ASSERT_FALSE(valid);
    EXPECT_NE(valid.error().find("handshakes_per_ip_per_second"), std::string::npos);
}

TEST(FirewallConfig, ToTomlRoundTrips) {
    auto options = with_key();
    options.firewall.max_connections_per_user = 20;
    options.firewall.max_connection_lifetime = 90s;
    server_options read;
    ASSERT_TRUE(load(to_toml(options), read));
    EXPECT_EQ(read.firewall.max_connections_per_user, 20u);
    EXPECT_EQ(read.firewall.max_connection_lifetime, 90s);
    EXPECT_EQ(read.firewall.handshake_burst_per_ip, options.firewall.handshake_burst_per_ip);
}

} // namespace
} // namespace hubcast::server

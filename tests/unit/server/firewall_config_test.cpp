// The abuse-limit settings: [firewall] keys, HUBCAST_* variables, ranges, --print-config.

#include <cstdlib>
#include <sstream>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "server/firewall_config.hpp"

namespace hubcast::server {
namespace {

using namespace std::chrono_literals;

TEST(FirewallConfig, EveryLimitIsOffByDefault) {
    const api::firewall_options defaults;
    EXPECT_EQ(defaults.max_connections_per_user, 0u);
    EXPECT_EQ(defaults.max_connections_per_token, 0u);
    EXPECT_FALSE(defaults.limits_lifetime());
    EXPECT_FALSE(defaults.limits_inbound());
    EXPECT_EQ(defaults.handshakes_per_ip_per_second, 0u);
    EXPECT_TRUE(validate_firewall(defaults));
}

TEST(FirewallConfig, ReadsEveryKeyOfTheTable) {
    const auto table = toml::parse(R"(
        [firewall]
        max_connections_per_user = 5
        max_connections_per_token = 10
        max_connection_lifetime_seconds = 3600
        inbound_window_seconds = 30
        max_inbound_messages_per_window = 1000
        max_inbound_bytes_per_window = 5242880
        handshakes_per_ip_per_second = 10
        handshake_burst_per_ip = 50
    )");
    api::firewall_options options;
    ASSERT_TRUE(read_firewall(*table.get("firewall"), options));
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
    api::firewall_options options;
    auto error_of = [&](const char* text) {
        const auto table = toml::parse(text);
        auto result = read_firewall(*table.get("firewall"), options);
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
    api::firewall_options options;
    const auto applied = apply_firewall_environment(options);
    ::unsetenv("HUBCAST_MAX_CONNECTIONS_PER_TOKEN");
    ::unsetenv("HUBCAST_MAX_INBOUND_BYTES_PER_WINDOW");
    ASSERT_TRUE(applied);
    EXPECT_EQ(options.max_connections_per_token, 3u);
    EXPECT_EQ(options.max_inbound_bytes, 4096u);
}

TEST(FirewallConfig, EnvironmentValueOutOfRangeFailsValidation) {
    ::setenv("HUBCAST_HANDSHAKES_PER_IP_PER_SECOND", "99999999999", 1);
    api::firewall_options options;
    const auto applied = apply_firewall_environment(options);
    ::unsetenv("HUBCAST_HANDSHAKES_PER_IP_PER_SECOND");
    ASSERT_TRUE(applied);
    const auto valid = validate_firewall(options);
    ASSERT_FALSE(valid);
    EXPECT_NE(valid.error().find("handshakes_per_ip_per_second"), std::string::npos);
}

TEST(FirewallConfig, ToTomlRoundTrips) {
    api::firewall_options options;
    options.max_connections_per_user = 20;
    options.max_connection_lifetime = 90s;
    std::ostringstream text;
    text << toml::table{{"firewall", firewall_to_toml(options)}};
    const auto table = toml::parse(text.str());
    api::firewall_options read;
    ASSERT_TRUE(read_firewall(*table.get("firewall"), read));
    EXPECT_EQ(read.max_connections_per_user, 20u);
    EXPECT_EQ(read.max_connection_lifetime, 90s);
    EXPECT_EQ(read.handshake_burst_per_ip, options.handshake_burst_per_ip);
}

} // namespace
} // namespace hubcast::server

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "server/options.hpp"

namespace hubcast::server {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() / name;
    std::ofstream(path) << text;
    return path.string();
}

server_options valid_options() {
    server_options options;
    options.access_keys = {"key"};
    return options;
}

TEST(ParseListenAddress, AcceptsHostAndPortIncludingZero) {
    auto address = parse_listen_address("127.0.0.1:0");
    ASSERT_TRUE(address);
    EXPECT_EQ(address->host, "127.0.0.1");
    EXPECT_EQ(address->port, 0);
}

TEST(ParseListenAddress, AcceptsBracketedIpv6) {
    auto address = parse_listen_address("[::1]:8080");
    ASSERT_TRUE(address);
    EXPECT_EQ(address->host, "::1");
    EXPECT_EQ(address->port, 8080);
}

TEST(ParseListenAddress, RejectsMissingOrBadPort) {
    EXPECT_FALSE(parse_listen_address("127.0.0.1"));
    EXPECT_FALSE(parse_listen_address("127.0.0.1:http"));
    EXPECT_FALSE(parse_listen_address("127.0.0.1:70000"));
    EXPECT_FALSE(parse_listen_address(":80"));
}

TEST(LoadConfigFile, ReadsEveryKey) {
    const auto path = write_temp("hubcast_options_all.toml", R"(
listen = "127.0.0.1:9000"
access_keys = ["a", "b"]
workers = 3
keepalive_seconds = 7
max_message_bytes = 4096
max_outbound_bytes = 65536
log_level = "debug"
)");
    server_options options;
    ASSERT_TRUE(load_config_file(path, options));
    EXPECT_EQ(options.listen, "127.0.0.1:9000");
    EXPECT_EQ(options.access_keys, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(options.workers, 3u);
    EXPECT_EQ(options.keepalive_seconds, 7);
    EXPECT_EQ(options.max_message_bytes, 4096u);
    EXPECT_EQ(options.max_outbound_bytes, 65536u);
    EXPECT_EQ(options.log_level, "debug");
}

TEST(LoadConfigFile, UnknownKeyIsAnErrorNamingIt) {
    const auto path = write_temp("hubcast_options_unknown.toml", "listen = \"127.0.0.1:1\"\nlisen = 3\n");
    server_options options;
    auto loaded = load_config_file(path, options);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().find("'lisen'"), std::string::npos) << loaded.error();
}

TEST(LoadConfigFile, WrongTypeIsAnErrorNamingTheKey) {
    const auto path = write_temp("hubcast_options_type.toml", "workers = \"two\"\n");
    server_options options;
    auto loaded = load_config_file(path, options);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().find("'workers'"), std::string::npos) << loaded.error();
}

TEST(LoadConfigFile, SyntaxErrorNamesTheLine) {
    const auto path = write_temp("hubcast_options_syntax.toml", "listen = \n");
    server_options options;
    auto loaded = load_config_file(path, options);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().find("line 1"), std::string::npos) << loaded.error();
}

TEST(ApplyEnvironment, OverridesFileValues) {
    server_options options;
    options.workers = 1;
    ::setenv("HUBCAST_WORKERS", "5", 1);
    ::setenv("HUBCAST_ACCESS_KEYS", "k1,k2", 1);
    auto applied = apply_environment(options);
    ::unsetenv("HUBCAST_WORKERS");
    ::unsetenv("HUBCAST_ACCESS_KEYS");
    ASSERT_TRUE(applied);
    EXPECT_EQ(options.workers, 5u);
    EXPECT_EQ(options.access_keys, (std::vector<std::string>{"k1", "k2"}));
}

TEST(ApplyEnvironment, BadNumberIsAnError) {
    server_options options;
    ::setenv("HUBCAST_KEEPALIVE_SECONDS", "soon", 1);
    auto applied = apply_environment(options);
    ::unsetenv("HUBCAST_KEEPALIVE_SECONDS");
    ASSERT_FALSE(applied);
    EXPECT_NE(applied.error().find("HUBCAST_KEEPALIVE_SECONDS"), std::string::npos);
}

TEST(Validate, RequiresAnAccessKey) {
    server_options options;
    auto valid = validate(options);
    ASSERT_FALSE(valid);
    EXPECT_NE(valid.error().find("access key"), std::string::npos);
    EXPECT_TRUE(validate(valid_options()));
}

TEST(Validate, ChecksRanges) {
    auto options = valid_options();
    options.keepalive_seconds = 121;
    EXPECT_FALSE(validate(options));
    options = valid_options();
    options.max_outbound_bytes = options.max_message_bytes - 1;
    EXPECT_FALSE(validate(options));
    options = valid_options();
    options.log_level = "loud";
    EXPECT_FALSE(validate(options));
}

TEST(ToToml, MasksAccessKeys) {
    auto options = valid_options();
    options.access_keys = {"supersecretkey"};
    const auto text = to_toml(options);
    EXPECT_EQ(text.find("supersecretkey"), std::string::npos) << text;
    EXPECT_NE(text.find("supe"), std::string::npos) << text;
}

} // namespace
} // namespace hubcast::server

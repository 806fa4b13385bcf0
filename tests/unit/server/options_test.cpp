#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "server/options.hpp"
#include "support/temp_file.hpp"

namespace hubcast::server {
namespace {

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

TEST(ParseListenAddress, RejectsAHostThatIsNoHostName) {
    // Such a host could never be bound, and as the default webhook origin it would make the
    // printed configuration one the server refuses.
    EXPECT_FALSE(parse_listen_address("0.0.0 = x:8080"));
    EXPECT_FALSE(parse_listen_address("a/b:8080"));
    EXPECT_FALSE(parse_listen_address("[]:8080"));
    EXPECT_FALSE(parse_listen_address("[[::1]]:8080"));
    EXPECT_TRUE(parse_listen_address("my-host_1.example.org:8080"));
    EXPECT_TRUE(parse_listen_address("[fe80::1%eth0]:8080"));
}

TEST(ParseListenAddress, RejectsMissingOrBadPort) {
    EXPECT_FALSE(parse_listen_address("127.0.0.1"));
    EXPECT_FALSE(parse_listen_address("127.0.0.1:http"));
    EXPECT_FALSE(parse_listen_address("127.0.0.1:70000"));
    EXPECT_FALSE(parse_listen_address(":80"));
}

TEST(LoadConfigFile, ReadsEveryKey) {
    const auto path = test::write_temp_file("options_all", R"(
listen = "127.0.0.1:9000"
access_keys = ["a", "b"]
workers = 3
keepalive_seconds = 7
max_message_bytes = 4096
max_outbound_bytes = 65536
mailbox_max_bytes = 1048576
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
    EXPECT_EQ(options.mailbox_max_bytes, 1048576u);
    EXPECT_EQ(options.log_level, "debug");
}

TEST(LoadConfigFile, UnknownKeyIsAnErrorNamingIt) {
    const auto path = test::write_temp_file("options_unknown", "listen = \"127.0.0.1:1\"\nlisen = 3\n");
    server_options options;
    auto loaded = load_config_file(path, options);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().find("'lisen'"), std::string::npos) << loaded.error();
}

TEST(LoadConfigFile, WrongTypeIsAnErrorNamingTheKey) {
    const auto path = test::write_temp_file("options_type", "workers = \"two\"\n");
    server_options options;
    auto loaded = load_config_file(path, options);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().find("'workers'"), std::string::npos) << loaded.error();
}

TEST(LoadConfigFile, SyntaxErrorNamesTheLine) {
    const auto path = test::write_temp_file("options_syntax", "listen = \n");
    server_options options;
    auto loaded = load_config_file(path, options);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().find("line 1"), std::string::npos) << loaded.error();
}

TEST(LoadConfigText, ReadsTheSameKeysAsAFileAndNamesTheSourceInErrors) {
    server_options options;
    ASSERT_TRUE(load_config_text("listen = \"127.0.0.1:9000\"\nworkers = 3\n", "inline.toml", options));
    EXPECT_EQ(options.listen, "127.0.0.1:9000");
    EXPECT_EQ(options.workers, 3u);

    auto syntax = load_config_text("listen = \n", "inline.toml", options);
    ASSERT_FALSE(syntax);
    EXPECT_EQ(syntax.error().rfind("config file inline.toml: ", 0), 0u) << syntax.error();
    EXPECT_NE(syntax.error().find("line 1"), std::string::npos) << syntax.error();
    auto unknown = load_config_text("lisen = 3\n", "inline.toml", options);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error(), "config file inline.toml: unknown key 'lisen'");
}

TEST(LoadConfigText, AFloatWhereAnIntegerBelongsIsAWrongType) {
    // Found by fuzzing: a float out of the integer's range was converted, undefined behaviour.
    for (const char* text :
         {"keepalive_seconds = 9.2e96\n", "workers = -1e300\n", "workers = 2.0\n", "workers = inf\n"}) {
        server_options options;
        auto loaded = load_config_text(text, "inline.toml", options);
        ASSERT_FALSE(loaded) << text;
        EXPECT_NE(loaded.error().find("must be an integer"), std::string::npos) << loaded.error();
    }
}

TEST(ToToml, AMaskedKeyNeverEndsInPartOfACharacter) {
    // Found by fuzzing: the first four bytes of "abcé" cut the é in two.
    server_options options = valid_options();
    options.access_keys = {"abc\xc3\xa9", "\xc3\xa9\xc3\xa9xyz"};
    const auto text = to_toml(options);
    EXPECT_NE(text.find("'abc**'"), std::string::npos) << text;
    EXPECT_NE(text.find("'\xc3\xa9\xc3\xa9***'"), std::string::npos) << text;
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
    options.mailbox_max_bytes = 64 * 1024 - 1;
    EXPECT_FALSE(validate(options));
    options.mailbox_max_bytes = 64 * 1024;
    EXPECT_TRUE(validate(options));
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

// The reliable-session settings (docs/configuration.md): file, environment, ranges, --print-config.
TEST(ToToml, MasksTheRedisPassword) {
    server_options options;
    options.cluster.redis = "redis://app:hunter2@10.0.0.5:6379/3";
    const auto text = to_toml(options);
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
    EXPECT_NE(text.find("redis://app:***@10.0.0.5:6379/3"), std::string::npos) << text;
}

TEST(Validate, RefusesARedisUrlItCannotUse) {
    server_options options;
    options.access_keys = {"key"};
    options.cluster.redis = "rediss://10.0.0.5:6379";
    const auto checked = validate(options);
    ASSERT_FALSE(checked);
    EXPECT_NE(checked.error().find("cluster.redis"), std::string::npos) << checked.error();
}

TEST(ReliableSettings, DefaultToAzuresBounds) {
    const server_options options;
    EXPECT_EQ(options.reliable_recovery_seconds, 30);
    EXPECT_EQ(options.reliable_max_unacked_messages, 1000u);
    EXPECT_EQ(options.reliable_max_unacked_bytes, 16u * 1024 * 1024);
}

TEST(ReliableSettings, ComeFromTheFileAndTheEnvironment) {
    const auto path = test::write_temp_file("options_reliable", R"(
reliable_recovery_seconds = 5
reliable_max_unacked_messages = 50
reliable_max_unacked_bytes = 2097152
)");
    server_options options;
    ASSERT_TRUE(load_config_file(path, options));
    EXPECT_EQ(options.reliable_recovery_seconds, 5);
    EXPECT_EQ(options.reliable_max_unacked_messages, 50u);
    EXPECT_EQ(options.reliable_max_unacked_bytes, 2097152u);

    ::setenv("HUBCAST_RELIABLE_RECOVERY_SECONDS", "0", 1);
    ::setenv("HUBCAST_RELIABLE_MAX_UNACKED_MESSAGES", "7", 1);
    ::setenv("HUBCAST_RELIABLE_MAX_UNACKED_BYTES", "3000000", 1);
    auto applied = apply_environment(options);
    ::unsetenv("HUBCAST_RELIABLE_RECOVERY_SECONDS");
    ::unsetenv("HUBCAST_RELIABLE_MAX_UNACKED_MESSAGES");
    ::unsetenv("HUBCAST_RELIABLE_MAX_UNACKED_BYTES");
    ASSERT_TRUE(applied);
    EXPECT_EQ(options.reliable_recovery_seconds, 0);
    EXPECT_EQ(options.reliable_max_unacked_messages, 7u);
    EXPECT_EQ(options.reliable_max_unacked_bytes, 3000000u);
}

TEST(ReliableSettings, AreRangeChecked) {
    auto options = valid_options();
    options.reliable_recovery_seconds = 0;
    EXPECT_TRUE(validate(options)) << "0 turns recovery off";
    options.reliable_recovery_seconds = 3601;
    EXPECT_FALSE(validate(options));
    options = valid_options();
    options.reliable_max_unacked_messages = 0;
    EXPECT_FALSE(validate(options));
    options = valid_options();
    options.reliable_max_unacked_bytes = options.max_message_bytes - 1;
    EXPECT_FALSE(validate(options)) << "one maximal message must fit";
    options.reliable_max_unacked_bytes = options.max_message_bytes;
    EXPECT_TRUE(validate(options));
}

TEST(ReliableSettings, ArePrintedAndReadBack) {
    auto options = valid_options();
    options.reliable_recovery_seconds = 12;
    options.reliable_max_unacked_messages = 34;
    const auto path = test::write_temp_file("options_reliable_printed", to_toml(options));
    server_options read;
    ASSERT_TRUE(load_config_file(path, read));
    EXPECT_EQ(read.reliable_recovery_seconds, 12);
    EXPECT_EQ(read.reliable_max_unacked_messages, 34u);
}

// max_groups_per_connection (docs/configuration.md): default, file, environment, range, printed.
TEST(GroupLimitSetting, ComesFromEverySourceAndIsRangeChecked) {
    EXPECT_EQ(server_options{}.max_groups_per_connection, 1000u);
    const auto path = test::write_temp_file("options_group_limit", "max_groups_per_connection = 25\n");
    server_options options = valid_options();
    ASSERT_TRUE(load_config_file(path, options));
    EXPECT_EQ(options.max_groups_per_connection, 25u);
    ::setenv("HUBCAST_MAX_GROUPS_PER_CONNECTION", "40", 1);
    auto applied = apply_environment(options);
    ::unsetenv("HUBCAST_MAX_GROUPS_PER_CONNECTION");
    ASSERT_TRUE(applied);
    EXPECT_EQ(options.max_groups_per_connection, 40u);
    EXPECT_TRUE(validate(options));

    const auto printed = test::write_temp_file("options_group_limit_printed", to_toml(options));
    server_options read;
    ASSERT_TRUE(load_config_file(printed, read));
    EXPECT_EQ(read.max_groups_per_connection, 40u);

    for (const std::size_t bad : {std::size_t{0}, std::size_t{100'001}}) {
        options.max_groups_per_connection = bad;
        const auto checked = validate(options);
        ASSERT_FALSE(checked) << bad;
        EXPECT_NE(checked.error().find("max_groups_per_connection"), std::string::npos);
    }
    options.max_groups_per_connection = 100'000;
    EXPECT_TRUE(validate(options));
}

} // namespace
} // namespace hubcast::server

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "server/hub_config.hpp"
#include "server/options.hpp"

namespace hubcast::server {
namespace {

util::result<bool, std::string> load(const std::string& text, server_options& options) {
    // ctest runs each test in its own process, in parallel: one file per test.
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    const auto path =
        std::filesystem::temp_directory_path() /
        ("hubcast_hub_config_" + std::string(test->name()) + "_" + std::to_string(::getpid()) + ".toml");
    std::ofstream(path) << text;
    return load_config_file(path.string(), options);
}

std::string error_of(const std::string& text) {
    server_options options;
    auto loaded = load(text, options);
    return loaded ? std::string("(accepted)") : loaded.error();
}

TEST(HubConfig, ReadsHubsHandlersAndTheWildcard) {
    server_options options;
    auto loaded = load(R"(
[hubs.Chat]
anonymous_connect = true
keepalive_seconds = 7
[[hubs.Chat.event_handlers]]
url_template = "http://127.0.0.1:3000/api/webpubsub/hubs/{hub}/"
user_event_pattern = "*"
system_events = ["connect", "connected", "disconnected"]
[[hubs.Chat.event_handlers]]
url_template = "http://other:8080/{event}?code=1"
user_event_pattern = "message, ping"
[hubs."*"]
anonymous_connect = true
)",
                       options);
    ASSERT_TRUE(loaded) << loaded.error();
    ASSERT_EQ(options.hubs.named.count("chat"), 1u) << "hub names are kept lowercase";
    const auto& chat = options.hubs.of("chat");
    EXPECT_TRUE(chat.anonymous_connect);
    EXPECT_EQ(chat.keepalive_seconds, 7);
    ASSERT_EQ(chat.event_handlers.size(), 2u);
    EXPECT_EQ(chat.event_handlers[0].system_events.size(), 3u);
    EXPECT_EQ(chat.handler_for_user_event("ping")->url_template,
              "http://127.0.0.1:3000/api/webpubsub/hubs/{hub}/");
    EXPECT_TRUE(chat.event_handlers[1].system_events.empty());
    EXPECT_TRUE(options.hubs.of("anything").anonymous_connect);
    EXPECT_TRUE(options.hubs.of("anything").event_handlers.empty());
}

TEST(HubConfig, ReadsTheUpstreamTable) {
    server_options options;
    auto loaded = load(R"(
[upstream]
origin = "hubcast.example.com"
connect_timeout_seconds = 5
user_event_timeout_seconds = 6
notification_timeout_seconds = 7
notification_retries = 0
max_requests_per_host = 8
max_queued_events = 9
)",
                       options);
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(options.upstream.origin, "hubcast.example.com");
    EXPECT_EQ(options.upstream.connect_timeout.count(), 5);
    EXPECT_EQ(options.upstream.user_event_timeout.count(), 6);
    EXPECT_EQ(options.upstream.notification_timeout.count(), 7);
    EXPECT_EQ(options.upstream.notification_retries, 0);
    EXPECT_EQ(options.upstream.max_requests_per_host, 8u);
    EXPECT_EQ(options.upstream.max_queued_events, 9u);
}

TEST(HubConfig, ErrorsNameTheKey) {
    const std::pair<const char*, const char*> cases[] = {
        {"hubs = 1", "hubs: must be a table"},
        {"[hubs.9chat]", "hubs.9chat: '9chat' is not a valid hub name"},
        {"[hubs.chat]\nanonymous = true", "hubs.chat.anonymous: unknown key"},
        {"[hubs.chat]\nanonymous_connect = 1", "hubs.chat.anonymous_connect: must be true or false"},
        {"[hubs.chat]\nkeepalive_seconds = 121", "hubs.chat.keepalive_seconds: must be 0 (off) or 1..120"},
        {"[hubs.chat]\nevent_handlers = 1", "hubs.chat.event_handlers: must be an array of tables"},
        {"[[hubs.chat.event_handlers]]\nuser_event_pattern = \"*\"",
         "hubs.chat.event_handlers[0].url_template: is required"},
        {"[[hubs.chat.event_handlers]]\nurl_template = \"https://x/\"",
         "hubs.chat.event_handlers[0].url_template: 'https://x/': only http://"},
        {"[[hubs.chat.event_handlers]]\nurl_template = \"http://{hub}/\"",
         "hubs.chat.event_handlers[0].url_template: 'http://{hub}/': placeholders are not allowed in the "
         "host"},
        {"[[hubs.chat.event_handlers]]\nurl_template = \"http://x/\"\nuser_event_pattern = \"a,9b\"",
         "hubs.chat.event_handlers[0].user_event_pattern: '9b' is neither"},
        {"[[hubs.chat.event_handlers]]\nurl_template = \"http://x/\"\nsystem_events = [\"disconnect\"]",
         "hubs.chat.event_handlers[0].system_events: must be an array of \"connect\""},
        {"[[hubs.chat.event_handlers]]\nurl_template = \"http://x/\"\nauth = {type = \"None\"}",
         "hubs.chat.event_handlers[0].auth: is not supported"},
        {"[hubs.chat]\n[hubs.CHAT]", "names the same hub as another table"},
        {"[upstream]\norigin = \"http://x\"", "upstream.origin: must be a host name"},
        {"[upstream]\nconnect_timeout_seconds = 0",
         "upstream.connect_timeout_seconds: must be an integer from 1 to 600"},
        {"[upstream]\nretries = 1", "upstream.retries: unknown key"},
        // Floats, even ones no integer can hold, are a wrong type (found by fuzzing: reading them
        // as integers was undefined behaviour).
        {"[hubs.chat]\nkeepalive_seconds = 9.2e96", "hubs.chat.keepalive_seconds: must be 0 (off) or 1..120"},
        {"[hubs.chat]\nkeepalive_seconds = 5.0", "hubs.chat.keepalive_seconds: must be 0 (off) or 1..120"},
        {"[upstream]\nmax_queued_events = -1e300",
         "upstream.max_queued_events: must be an integer from 1 to 100000"},
    };
    for (const auto& [text, expected] : cases) {
        const auto error = error_of(text);
        EXPECT_NE(error.find(expected), std::string::npos) << text << "\n→ " << error;
    }
}

TEST(HubConfig, PrintConfigShowsTheEffectiveHubsAndUpstream) {
    server_options options;
    options.access_keys = {"key"};
    options.keepalive_seconds = 15;
    ASSERT_TRUE(load(R"(
[[hubs.chat.event_handlers]]
url_template = "http://127.0.0.1:3000/{event}"
system_events = ["connect"]
)",
                     options));
    const auto text = to_toml(options);
    // Read back with the same reader: what is printed is a valid configuration of the same hubs.
    const auto parsed = toml::parse(text);
    auto hubs = read_hubs(*parsed.get("hubs"));
    ASSERT_TRUE(hubs) << hubs.error() << "\n" << text;
    const auto& chat = hubs->of("chat");
    ASSERT_EQ(chat.event_handlers.size(), 1u);
    EXPECT_EQ(chat.event_handlers[0].url_template, "http://127.0.0.1:3000/{event}");
    EXPECT_EQ(chat.keepalive_seconds, 15) << "a hub without its own interval shows the one it uses";
    EXPECT_EQ(hubs->any.keepalive_seconds, 15);
    auto upstream = read_upstream(*parsed.get("upstream"));
    ASSERT_TRUE(upstream) << upstream.error();
    EXPECT_EQ(upstream->origin, "127.0.0.1") << "the host of listen";
}

TEST(HubConfig, PrintConfigOfAnIpv6ListenReadsBack) {
    // The default origin of an IPv6 listen is the bracketed address; printed, it must load again.
    server_options options;
    options.access_keys = {"key"};
    options.listen = "[::1]:9000";
    server_options reread;
    auto loaded = load_config_text(to_toml(options), "printed.toml", reread);
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(reread.upstream.origin, "[::1]");
    EXPECT_FALSE(load("[upstream]\norigin = \"[::1]:80\"", reread)) << "a port is still refused";
    EXPECT_FALSE(load("[upstream]\norigin = \"[]\"", reread));
}

TEST(HubConfig, TheOriginIsTheListenHostUnlessSet) {
    server_options options;
    options.listen = "[::1]:9000";
    EXPECT_EQ(webhook_origin(options), "[::1]");
    options.upstream.origin = "hubcast.example.com";
    EXPECT_EQ(webhook_origin(options), "hubcast.example.com");
}

} // namespace
} // namespace hubcast::server

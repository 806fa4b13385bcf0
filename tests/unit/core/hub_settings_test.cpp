#include <thread>

#include <gtest/gtest.h>

#include "core/hub_settings.hpp"

namespace hubcast::core {
namespace {

event_handler_settings handler(std::string url, std::string pattern, std::vector<system_event> events = {}) {
    return {.url_template = std::move(url),
            .user_event_pattern = std::move(pattern),
            .system_events = std::move(events)};
}

TEST(SystemEvent, NamesRoundTrip) {
    for (const auto event : {system_event::connect, system_event::connected, system_event::disconnected}) {
        EXPECT_EQ(parse_system_event(to_string(event)), event);
    }
    EXPECT_FALSE(parse_system_event("disconnect"));
    EXPECT_FALSE(parse_system_event("Connect")) << "the exact words, as ce-eventName carries them";
}

TEST(EventHandlerSettings, UserEventPatterns) {
    EXPECT_TRUE(handler("u", "*").handles_user_event("anything"));
    const auto listed = handler("u", "message, chat ,Ping");
    EXPECT_TRUE(listed.handles_user_event("message"));
    EXPECT_TRUE(listed.handles_user_event("chat"));
    EXPECT_TRUE(listed.handles_user_event("ping")) << "event names compare case-insensitively";
    EXPECT_FALSE(listed.handles_user_event("mess"));
    EXPECT_FALSE(handler("u", "").handles_user_event("message")) << "an empty pattern takes no user event";
    EXPECT_FALSE(handler("u", ",").handles_user_event(""));
}

TEST(HubSettings, TheFirstMatchingHandlerWins) {
    hub_settings hub;
    hub.event_handlers = {handler("a", "chat", {system_event::connected}),
                          handler("b", "*", {system_event::connect}),
                          handler("c", "*", {system_event::connect, system_event::disconnected})};
    EXPECT_EQ(hub.handler_for_user_event("chat")->url_template, "a");
    EXPECT_EQ(hub.handler_for_user_event("other")->url_template, "b");
    EXPECT_EQ(hub.handler_for(system_event::connect)->url_template, "b");
    EXPECT_EQ(hub.handler_for(system_event::connected)->url_template, "a");
    EXPECT_EQ(hub.handler_for(system_event::disconnected)->url_template, "c");
    EXPECT_EQ(hub_settings{}.handler_for(system_event::connect), nullptr);
}

TEST(HubSettingsTable, NamedHubsElseTheWildcard) {
    hub_settings_table table;
    table.named["chat"].anonymous_connect = true;
    table.any.keepalive_seconds = 7;
    EXPECT_TRUE(table.of("chat").anonymous_connect);
    EXPECT_FALSE(table.of("chat").keepalive_seconds) << "a named hub does not inherit from *";
    EXPECT_EQ(table.of("other").keepalive_seconds, 7);
}

TEST(LiveHubSettings, ReadersKeepTheirSnapshotAcrossAReplace) {
    hub_settings_table first;
    first.named["chat"].anonymous_connect = true;
    live_hub_settings live(std::move(first));
    const auto before = live.snapshot();
    live.replace({});
    EXPECT_TRUE(before->of("chat").anonymous_connect);
    EXPECT_FALSE(live.snapshot()->of("chat").anonymous_connect);
}

TEST(LiveHubSettings, ConcurrentReadersAndReplacesAreSafe) {
    live_hub_settings live;
    std::atomic<bool> stop{false};
    std::thread reader([&] {
        while (!stop) {
            const auto table = live.snapshot();
            EXPECT_LE(table->of("chat").event_handlers.size(), 1u);
        }
    });
    for (int i = 0; i < 2000; ++i) {
        hub_settings_table table;
        table.named["chat"].event_handlers.push_back(handler("u", "*"));
        live.replace(std::move(table));
    }
    stop = true;
    reader.join();
}

} // namespace
} // namespace hubcast::core

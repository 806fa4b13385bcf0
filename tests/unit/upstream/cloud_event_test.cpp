#include <gtest/gtest.h>

#include "upstream/cloud_event.hpp"

namespace hubcast::upstream {
namespace {

TEST(CloudEvent, HeadersOfAUserEventOfAPubSubClient) {
    const cloud_event event{.type = user_event_type("chat"),
                            .name = "chat",
                            .content_type = "text/plain",
                            .id = "7",
                            .time = "2024-01-01T00:00:00.000Z"};
    const core::event_source source{
        .hub = "lobby", .connection_id = "c1", .user_id = "u1", .subprotocol = "json.webpubsub.azure.v1"};
    const auto headers =
        event_headers(event, source, std::string("c3RhdGU="), "sha256=ab", "hubcast.example");
    EXPECT_EQ(headers, (header_list{{"Content-Type", "text/plain"},
                                    {"ce-specversion", "1.0"},
                                    {"ce-type", "azure.webpubsub.user.chat"},
                                    {"ce-source", "/hubs/lobby/client/c1"},
                                    {"ce-id", "7"},
                                    {"ce-time", "2024-01-01T00:00:00.000Z"},
                                    {"ce-awpsversion", "1.0"},
                                    {"ce-hub", "lobby"},
                                    {"ce-connectionId", "c1"},
                                    {"ce-eventName", "chat"},
                                    {"ce-userId", "u1"},
                                    {"ce-subprotocol", "json.webpubsub.azure.v1"},
                                    {"ce-connectionState", "c3RhdGU="},
                                    {"ce-signature", "sha256=ab"},
                                    {"WebHook-Request-Origin", "hubcast.example"}}));
}

TEST(CloudEvent, AUserEventCarriesItsMetadataAsLowercaseHeaders) {
    const cloud_event event{.type = user_event_type("chat"),
                            .name = "chat",
                            .content_type = "text/plain",
                            .metadata = {{"Trace-Id", "t 1"}, {"kind", ""}}};
    const core::event_source source{.hub = "h", .connection_id = "c"};
    const auto headers = event_headers(event, source, std::nullopt, "", "o");
    ASSERT_GE(headers.size(), 2U);
    EXPECT_EQ(headers[headers.size() - 2],
              (std::pair<std::string, std::string>{"x-webpubsub-metadata-trace-id", "t 1"}));
    EXPECT_EQ(headers.back(), (std::pair<std::string, std::string>{"x-webpubsub-metadata-kind", ""}));
}

TEST(CloudEvent, OptionalHeadersAreLeftOutNotSentEmpty) {
    const cloud_event event{
        .type = system_event_type("connect"), .name = "connect", .content_type = "application/json"};
    const core::event_source source{.hub = "h", .connection_id = "c"};
    for (const auto& [name, value] : event_headers(event, source, std::nullopt, "", "o")) {
        EXPECT_NE(name, "ce-userId");
        EXPECT_NE(name, "ce-subprotocol");
        EXPECT_NE(name, "ce-connectionState");
        EXPECT_NE(name, "ce-signature");
    }
}

TEST(CloudEvent, ValuesFromOutsideCannotBreakTheHeaderBlock) {
    const cloud_event event{.type = system_event_type("connected"), .name = "connected", .content_type = "x"};
    const core::event_source source{.hub = "h", .connection_id = "c", .user_id = "eve\r\nce-userId: admin"};
    for (const auto& [name, value] : event_headers(event, source, std::string("s\n"), "", "o")) {
        EXPECT_EQ(value.find_first_of("\r\n"), std::string::npos) << name;
    }
}

TEST(CloudEvent, PreflightHeaders) {
    EXPECT_EQ(preflight_headers("hubcast.example"),
              (header_list{{"WebHook-Request-Origin", "hubcast.example"}, {"ce-awpsversion", "1.0"}}));
}

} // namespace
} // namespace hubcast::upstream

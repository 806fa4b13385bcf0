#include <gtest/gtest.h>

#include "protocol/cloud_events.hpp"

namespace hubcast::protocol {
namespace {

TEST(CloudEvents, ConnectBodyHasEveryMapAsStringArrays) {
    EXPECT_EQ(encode_connect_body({{"sub", {"a\"b"}}, {"role", {"r1", "r2"}}}, {{"q", {}}}, {},
                                  {"json.webpubsub.azure.v1", "custom"}),
              R"({"claims":{"sub":["a\"b"],"role":["r1","r2"]},"query":{"q":[]},"headers":{},)"
              R"("subprotocols":["json.webpubsub.azure.v1","custom"]})");
    EXPECT_EQ(encode_connect_body({}, {}, {}, {}),
              R"({"claims":{},"query":{},"headers":{},"subprotocols":[]})");
}

TEST(CloudEvents, DisconnectedBody) {
    EXPECT_EQ(encode_disconnected_body(""), R"({"reason":""})");
    EXPECT_EQ(encode_disconnected_body("bye \"now\"\n"), R"({"reason":"bye \"now\"\n"})");
}

TEST(CloudEvents, ConnectResponseMembers) {
    auto response = decode_connect_response(
        R"({"userId":"u1","groups":["g1","g2"],"roles":["webpubsub.sendToGroup"],"subprotocol":"json.webpubsub.azure.v1","mqtt":{"x":1}})");
    ASSERT_TRUE(response) << response.error();
    EXPECT_EQ(response->user_id, "u1");
    EXPECT_EQ(response->groups, (std::vector<std::string>{"g1", "g2"}));
    EXPECT_EQ(response->roles, (std::vector<std::string>{"webpubsub.sendToGroup"}));
    EXPECT_EQ(response->subprotocol, "json.webpubsub.azure.v1");
}

TEST(CloudEvents, EmptyBodiesAndNullMembersSetNothing) {
    for (const char* body :
         {"", "  \r\n", "{}", R"({"userId":null,"groups":null,"roles":null,"subprotocol":null})"}) {
        auto response = decode_connect_response(body);
        ASSERT_TRUE(response) << body;
        EXPECT_FALSE(response->user_id || response->groups || response->roles || response->subprotocol)
            << body;
    }
    auto cleared = decode_connect_response(R"({"groups":[],"roles":[]})");
    ASSERT_TRUE(cleared);
    EXPECT_EQ(cleared->groups, std::vector<std::string>{}) << "present but empty replaces with nothing";
}

TEST(CloudEvents, BadConnectResponsesSayWhy) {
    const std::pair<const char*, const char*> cases[] = {
        {"{", "not valid JSON"},
        {"[1]", "not a JSON object"},
        {R"({"userId":5})", "'userId'"},
        {R"({"userId":""})", "'userId'"},
        {R"({"groups":"g1"})", "'groups'"},
        {R"({"groups":[1]})", "'groups'"},
        {R"({"groups":["  "]})", "invalid group name"},
        {R"({"roles":{}})", "'roles'"},
        {R"({"subprotocol":""})", "'subprotocol'"},
        {R"({"subprotocol":1})", "'subprotocol'"},
    };
    for (const auto& [body, why] : cases) {
        auto response = decode_connect_response(body);
        ASSERT_FALSE(response) << body;
        EXPECT_NE(response.error().find(why), std::string::npos) << body << " → " << response.error();
    }
}

TEST(CloudEvents, ContentTypesOfUserEvents) {
    EXPECT_EQ(content_type_of(data_type::text), "text/plain");
    EXPECT_EQ(content_type_of(data_type::json), "application/json");
    EXPECT_EQ(content_type_of(data_type::binary), "application/octet-stream");
    EXPECT_EQ(content_type_of(data_type::protobuf), "application/octet-stream");
}

TEST(CloudEvents, RepliesByMediaType) {
    auto json = decode_reply("Application/JSON; charset=utf-8", " {\"a\":1}\n");
    ASSERT_TRUE(json);
    EXPECT_EQ(json->type, data_type::json);
    EXPECT_EQ(json->bytes, "{\"a\":1}") << "surrounding white space is not part of the value";
    auto text = decode_reply("text/plain; charset=utf-8", "héllo");
    ASSERT_TRUE(text);
    EXPECT_EQ(text->type, data_type::text);
    EXPECT_EQ(text->bytes, "héllo");
    for (const char* type : {"application/octet-stream", "", "image/png"}) {
        auto binary = decode_reply(type, std::string("\x00\xff", 2));
        ASSERT_TRUE(binary) << type;
        EXPECT_EQ(binary->type, data_type::binary) << type;
    }
    EXPECT_FALSE(decode_reply("application/json", "{\"a\":"));
    EXPECT_FALSE(decode_reply("application/json", "null")) << "json data is never null";
    EXPECT_FALSE(decode_reply("application/json", "1 2"));
    EXPECT_FALSE(decode_reply("text/plain", "\xff")) << "a text frame must be UTF-8";
}

} // namespace
} // namespace hubcast::protocol

// Query and body parsing of the REST data plane (spec 2.1-2.4): what the SDKs send is accepted in
// every form they use, and everything else is a 400 (or 415) naming the problem.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/rest_params.hpp"

namespace hubcast::api {
namespace {

query_parameters query(std::vector<std::pair<std::string, std::string>> pairs) {
    return query_parameters(std::move(pairs));
}

TEST(RestParams, EveryKnownApiVersionIsAcceptedAndOthersAre400) {
    for (const char* version : {"2024-12-01", "2024-01-01", "2023-07-01", "2022-11-01", "2021-10-01",
                                "2021-08-01-preview", "2022-10-01-preview"}) {
        EXPECT_FALSE(check_api_version(query({{"api-version", version}}))) << version;
    }
    for (const char* version : {"2025-01-01", "", "2024-12-1", "latest"}) {
        const auto error = check_api_version(query({{"api-version", version}}));
        ASSERT_TRUE(error) << version;
        EXPECT_EQ(error->status, 400u);
        EXPECT_EQ(error->code, "InvalidApiVersion");
    }
    const auto missing = check_api_version(query({}));
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 400u);
}

TEST(RestParams, QueryNamesMatchCaseInsensitively) {
    const auto q = query({{"API-Version", "2024-12-01"}, {"Excluded", "a"}, {"excluded", "b"}});
    EXPECT_FALSE(check_api_version(q));
    EXPECT_EQ(q.all("excluded"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(q.first("EXCLUDED"), "a");
    EXPECT_FALSE(q.first("filter"));
}

TEST(RestParams, ExcludedInBothCollectionForms) {
    EXPECT_EQ(excluded_connections(query({{"excluded", "c1"}, {"excluded", "c2"}})),
              (std::vector<std::string>{"c1", "c2"}));
    EXPECT_EQ(excluded_connections(query({{"excluded", "c1,c2"}, {"excluded", "c3"}})),
              (std::vector<std::string>{"c1", "c2", "c3"}));
    EXPECT_EQ(excluded_connections(query({{"excluded", ",c1,,"}, {"excluded", ""}})),
              (std::vector<std::string>{"c1"}));
    EXPECT_TRUE(excluded_connections(query({})).empty());
}

TEST(RestParams, MessageTtlIsAnIntegerFromZeroTo300) {
    EXPECT_EQ(*message_ttl(query({})), std::chrono::seconds{0});
    EXPECT_EQ(*message_ttl(query({{"messageTtlSeconds", "0"}})), std::chrono::seconds{0});
    EXPECT_EQ(*message_ttl(query({{"messageTtlSeconds", "300"}})), std::chrono::seconds{300});
    for (const char* bad : {"301", "-1", "1.5", "", " 5", "5s", "+5", "99999999999999999999"}) {
        const auto ttl = message_ttl(query({{"messageTtlSeconds", bad}}));
        ASSERT_FALSE(ttl) << bad;
        EXPECT_EQ(ttl.error().status, 400u);
        EXPECT_NE(ttl.error().message.find("messageTtlSeconds"), std::string::npos);
    }
}

TEST(RestParams, SendBodiesByMediaType) {
    const auto json = message_body("application/json; charset=utf-8", R"({"a":[1,2]})");
    ASSERT_TRUE(json);
    EXPECT_EQ(json->type, protocol::data_type::json);
    EXPECT_EQ(json->bytes, R"({"a":[1,2]})");

    const auto text = message_body("Text/Plain", "héllo");
    ASSERT_TRUE(text);
    EXPECT_EQ(text->type, protocol::data_type::text);
    EXPECT_EQ(text->bytes, "héllo");
    EXPECT_TRUE(message_body("text/plain", "")) << "an empty text message is a message";

    const auto binary = message_body("application/octet-stream", std::string("\x00\xff", 2));
    ASSERT_TRUE(binary);
    EXPECT_EQ(binary->type, protocol::data_type::binary);
    EXPECT_EQ(binary->bytes.size(), 2u);
    const auto untyped = message_body("", "raw");
    ASSERT_TRUE(untyped);
    EXPECT_EQ(untyped->type, protocol::data_type::binary);

    // JSON.stringify of a string is a JSON string: kept with its quotes.
    EXPECT_EQ(message_body("application/json", R"("hi")")->bytes, R"("hi")");
}

TEST(RestParams, InvalidSendBodiesAre400And415) {
    for (const char* bad : {"", "{", "{\"a\":tru}", "null", "1 2", "[1,]"}) {
        const auto body = message_body("application/json", bad);
        ASSERT_FALSE(body) << bad;
        EXPECT_EQ(body.error().status, 400u) << bad;
        EXPECT_EQ(body.error().code, "InvalidRequestBody");
    }
    std::string deep(65, '[');
    deep += std::string(65, ']');
    EXPECT_FALSE(message_body("application/json", deep)) << "deeper than .NET clients read";
    std::string deepest_allowed(64, '[');
    deepest_allowed += std::string(64, ']');
    EXPECT_TRUE(message_body("application/json", deepest_allowed));

    const auto text = message_body("text/plain", "\xc3\x28");
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().status, 400u);

    const auto xml = message_body("application/xml", "<a/>");
    ASSERT_FALSE(xml);
    EXPECT_EQ(xml.error().status, 415u);
    EXPECT_EQ(xml.error().code, "UnsupportedMediaType");
}

TEST(RestParams, GroupsRequestBody) {
    const auto request = parse_groups_request(R"({"groups":["a","b c"],"filter":"userId eq 'u'"})");
    ASSERT_TRUE(request);
    EXPECT_EQ(request->groups, (std::vector<std::string>{"a", "b c"}));
    EXPECT_EQ(request->filter, "userId eq 'u'");

    const auto no_filter = parse_groups_request(R"({"groups":[],"filter":null,"extra":1})");
    ASSERT_TRUE(no_filter);
    EXPECT_TRUE(no_filter->groups.empty());
    EXPECT_FALSE(no_filter->filter);

    for (const char* bad : {"", "[]", R"({"filter":"x"})", R"({"groups":"a"})", R"({"groups":[" "]})",
                            R"({"groups":[1]})", R"({"groups":["a"],"filter":3})"}) {
        const auto parsed = parse_groups_request(bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_EQ(parsed.error().status, 400u) << bad;
    }
}

TEST(RestParams, BadFiltersAre400WithWhereTheProblemIs) {
    EXPECT_EQ(*parse_filter(std::nullopt), nullptr);
    EXPECT_EQ(*parse_filter("  "), nullptr);
    const auto good = parse_filter("userId eq 'alice' and 'g1' in groups");
    ASSERT_TRUE(good);
    EXPECT_NE(*good, nullptr);

    const auto bad = parse_filter("userId eq");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().status, 400u);
    EXPECT_EQ(bad.error().code, "InvalidFilter");
    EXPECT_NE(bad.error().message.find("position 9"), std::string::npos) << bad.error().message;
}

TEST(RestParams, CloseReasonAndPermissionTarget) {
    EXPECT_EQ(*close_reason(query({})), "");
    EXPECT_EQ(*close_reason(query({{"reason", "going home"}})), "going home");
    EXPECT_FALSE(close_reason(query({{"reason", "\xff"}})));

    EXPECT_FALSE(*permission_target(query({})));
    EXPECT_EQ(**permission_target(query({{"targetName", "room"}})), "room");
    EXPECT_FALSE(permission_target(query({{"targetName", " "}})));
}

TEST(RestParams, PagingParameters) {
    const auto defaults = parse_page_request(query({}));
    ASSERT_TRUE(defaults);
    EXPECT_EQ(defaults->page_size, 200u);
    EXPECT_FALSE(defaults->top);
    EXPECT_TRUE(defaults->after.empty());

    const auto page = parse_page_request(query(
        {{"maxpagesize", "1"}, {"top", "2147483647"}, {"continuationToken", continuation_token("abc")}}));
    ASSERT_TRUE(page);
    EXPECT_EQ(page->page_size, 1u);
    EXPECT_EQ(page->top, 2147483647);
    EXPECT_EQ(page->after, "abc");

    for (const auto& [name, value] :
         std::vector<std::pair<std::string, std::string>>{{"maxpagesize", "0"},
                                                          {"maxpagesize", "201"},
                                                          {"top", "0"},
                                                          {"top", "2147483648"},
                                                          {"continuationToken", "!!"}}) {
        const auto bad = parse_page_request(query({{name, value}}));
        ASSERT_FALSE(bad) << name << "=" << value;
        EXPECT_EQ(bad.error().status, 400u);
    }
}

TEST(RestParams, ContinuationTokensRoundTripAndAreUrlSafe) {
    const std::string id = "Zm9v-YmFy_AAEAAAAAAAAAAA";
    const std::string token = continuation_token(id);
    EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_EQ(connection_after(token), id);
    EXPECT_FALSE(connection_after(""));
}

TEST(RestParams, TokenParameters) {
    const auto defaults = parse_token_parameters(query({}));
    ASSERT_TRUE(defaults);
    EXPECT_FALSE(defaults->user_id);
    EXPECT_EQ(defaults->lifetime, std::chrono::minutes{60});
    EXPECT_EQ(defaults->type, client_type::default_client);

    const auto full = parse_token_parameters(query({{"userId", "alice"},
                                                    {"role", "webpubsub.joinLeaveGroup"},
                                                    {"role", "webpubsub.sendToGroup.g,1"},
                                                    {"group", "g,1"},
                                                    {"group", "g2"},
                                                    {"minutesToExpire", "5"},
                                                    {"clientType", "mqtt"}}));
    ASSERT_TRUE(full);
    EXPECT_EQ(full->user_id, "alice");
    EXPECT_EQ(full->roles,
              (std::vector<std::string>{"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.g,1"}));
    EXPECT_EQ(full->groups, (std::vector<std::string>{"g,1", "g2"})) << "group names may hold commas";
    EXPECT_EQ(full->lifetime, std::chrono::minutes{5});
    EXPECT_EQ(full->type, client_type::mqtt);

    for (const char* type : {"Default", "DEFAULT", "default"}) {
        EXPECT_EQ(parse_token_parameters(query({{"clientType", type}}))->type, client_type::default_client);
    }
    EXPECT_EQ(parse_token_parameters(query({{"clientType", "SocketIO"}}))->type, client_type::socketio);
    EXPECT_FALSE(parse_token_parameters(query({{"userId", ""}}))->user_id) << "empty means anonymous";

    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"clientType", "browser"}, {"minutesToExpire", "0"}, {"minutesToExpire", "x"}, {"group", " "}}) {
        const auto bad = parse_token_parameters(query({{name, value}}));
        ASSERT_FALSE(bad) << name << "=" << value;
        EXPECT_EQ(bad.error().status, 400u);
    }
}

TEST(RestParams, MediaTypeAndPercentEncoding) {
    EXPECT_EQ(media_type(" Application/JSON ; charset=utf-8"), "application/json");
    EXPECT_EQ(media_type(""), "");
    EXPECT_EQ(percent_encode("a b/c:d~e_f.g-h"), "a%20b%2Fc%3Ad~e_f.g-h");
    EXPECT_EQ(percent_encode("\xc3\xa9"), "%C3%A9");
}

} // namespace
} // namespace hubcast::api

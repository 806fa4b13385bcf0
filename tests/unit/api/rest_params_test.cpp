// Query and body parsing of the REST data plane (spec 2.1-2.4): what the SDKs send is accepted in
// every form they use, and everything else is a 400 (or 415) naming the problem.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/rest_params.hpp"
#include "util/base64.hpp"

namespace hubcast::api {
namespace {

const auth::access_keys keys{{"rest-params-test-key-0123456789"}};

query_parameters query(std::vector<std::pair<std::string, std::string>> pairs) {
    return query_parameters(std::move(pairs));
}

TEST(RestParams, EveryKnownApiVersionIsAcceptedAndOthersAre400) {
    for (const char* version : {"2024-12-01", "2024-01-01", "2023-07-01", "2022-11-01", "2021-10-01",
                                "2021-08-01-preview", "2022-10-01-preview"}) {
        EXPECT_FALSE(check_api_version(query({{"api-version", version}}))) << version;
    }
    for (const char* version :
         {"", "2024-12-1", "latest", "2024-06-01", "2019-01-01", "2025-13-01", "2025-01-00",
          "2025-01-01-beta", "2025-01-01 ", "20250-01-01", "2025-1a-01"}) {
        const auto error = check_api_version(query({{"api-version", version}}));
        ASSERT_TRUE(error) << version;
        EXPECT_EQ(error->status, 400u);
        EXPECT_EQ(error->code, "InvalidApiVersion");
    }
    const auto missing = check_api_version(query({}));
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 400u);
}

// A newer server SDK sends its newer api-version for the operations hubcast serves: a version
// later than the newest known, stable or preview, is not a 400 (docs/rest-api.md).
TEST(RestParams, ALaterWellFormedApiVersionIsAccepted) {
    for (const char* version : {"2024-12-02", "2025-01-01", "2025-05-01-preview", "2099-12-31"}) {
        EXPECT_FALSE(check_api_version(query({{"api-version", version}}))) << version;
    }
}

// X-WebPubSub-Metadata-<key> request headers become the message's metadata (docs/rest-api.md).
TEST(RestParams, MetadataHeaders) {
    using headers = std::vector<std::pair<std::string, std::string>>;
    const auto metadata = message_metadata_of(headers{{"Content-Type", "text/plain"},
                                                      {"X-WebPubSub-Metadata-Trace", " t-1 "},
                                                      {"x-webpubsub-metadata-KIND", "a"},
                                                      {"X-WebPubSub-Metadata-", "ignored"},
                                                      {"X-WebPubSub-Metadata-kind", "b"}});
    ASSERT_TRUE(metadata);
    EXPECT_EQ(*metadata, (protocol::message_metadata{{"trace", "t-1"}, {"kind", "b"}}));
    EXPECT_TRUE(message_metadata_of(headers{})->empty());
    const auto refused = message_metadata_of(headers{{"X-WebPubSub-Metadata-k", std::string(1025, 'v')}});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().status, 400u);
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
    // Parameters are read as RFC 9110 8.3.1 spells them; charset may name UTF-8 (or its ASCII subset).
    for (const char* type : {"application/json;charset=UTF-8", "text/plain; charset=\"utf-8\"", "text/plain;",
                             "TEXT/PLAIN ; charset=us-ascii", "application/octet-stream; x=1 ;y=\"a;b\""}) {
        EXPECT_TRUE(message_body(type, "[1]")) << type;
    }

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

// The swagger makes Content-Type a required part of every send: none, an empty one or one that is
// not a media type is a 415, never a binary message.
TEST(RestParams, ASendWithoutAValidContentTypeIs415) {
    for (const char* type : {"",
                             " ",
                             ";",
                             " ; charset=utf-8",
                             "garbage",
                             "text",
                             "/plain",
                             "text/",
                             "text/plain/x",
                             "application/json x",
                             "text/pl ain",
                             "text/plain; charset",
                             "text/plain; =x",
                             "text/plain; charset=\"utf-8",
                             "text/plain; charset=\"a\"b",
                             "text/plain; charset=iso-8859-1",
                             "application/json; charset=utf-16",
                             "application/x-www-form-urlencoded",
                             "text/html",
                             "application/json\x01"}) {
        const auto body = message_body(type, "x");
        ASSERT_FALSE(body) << '"' << type << '"';
        EXPECT_EQ(body.error().status, 415u) << type;
        EXPECT_EQ(body.error().code, "UnsupportedMediaType") << type;
        EXPECT_NE(body.error().message.find("application/octet-stream"), std::string::npos) << type;
    }
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

// Each listed group is applied to every matching connection on every worker: the list is bounded
// (a 1 MiB body holds some 200,000 one-letter names).
TEST(RestParams, AGroupsRequestNamesAtMost1000Groups) {
    std::string body = R"({"groups":[)";
    for (std::size_t i = 0; i < max_groups_per_request; ++i) {
        body += (i == 0 ? "\"g" : ",\"g") + std::to_string(i) + "\"";
    }
    EXPECT_EQ(max_groups_per_request, 1000u);
    const auto most = parse_groups_request(body + "]}");
    ASSERT_TRUE(most);
    EXPECT_EQ(most->groups.size(), max_groups_per_request);
    const auto over = parse_groups_request(body + R"(,"one-more"]})");
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().status, 400u);
    EXPECT_EQ(over.error().code, "InvalidRequestBody");
    EXPECT_NE(over.error().message.find("1000"), std::string::npos) << over.error().message;
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
    const auto defaults = parse_page_request(query({}), keys, {"chat", "room"});
    ASSERT_TRUE(defaults);
    EXPECT_EQ(defaults->page_size, 200u);
    EXPECT_FALSE(defaults->top);
    EXPECT_TRUE(defaults->after.empty());

    const auto page =
        parse_page_request(query({{"maxpagesize", "1"},
                                  {"top", "2147483647"},
                                  {"continuationToken", continuation_token(keys, {"chat", "room"}, "abc")}}),
                           keys, {"chat", "room"});
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
        const auto bad = parse_page_request(query({{name, value}}), keys, {"chat", "room"});
        ASSERT_FALSE(bad) << name << "=" << value;
        EXPECT_EQ(bad.error().status, 400u);
    }
}

TEST(RestParams, ContinuationTokensRoundTripAndAreUrlSafe) {
    const std::string id = "Zm9v-YmFy_AAEAAAAAAAAAAA";
    const std::string token = continuation_token(keys, {"chat", "room"}, id);
    EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_EQ(connection_after(keys, {"chat", "room"}, token), id);
    // Key rotation: a token signed with the key now second in the list is still recognised.
    const auth::access_keys rotated{{"next-key-0123456789abcdef", keys.keys.front()}};
    EXPECT_EQ(connection_after(rotated, {"chat", "room"}, token), id);
}

// docs/rest-api.md: a continuation token hubcast did not issue, for this hub and group, is a 400.
TEST(RestParams, OnlyContinuationTokensThisServerIssuedForThisGroupAreAccepted) {
    const std::string token = continuation_token(keys, {"chat", "room"}, "conn-1");
    EXPECT_FALSE(connection_after(keys, {"chat", "other"}, token)) << "another group";
    EXPECT_FALSE(connection_after(keys, {"lobby", "room"}, token)) << "another hub";
    EXPECT_FALSE(
        connection_after(auth::access_keys{{"another-key-0123456789abcdef"}}, {"chat", "room"}, token))
        << "signed with a key this server does not have";
    // The form hubcast issued before tokens were signed: the last id, base64url-encoded.
    EXPECT_FALSE(connection_after(keys, {"chat", "room"}, util::base64url_encode("conn-1")));
    // A character inside the id's bytes (the last one may carry unused bits only).
    std::string tampered = token;
    char& inside = tampered[tampered.size() - 3];
    inside = inside == 'A' ? 'B' : 'A';
    EXPECT_FALSE(connection_after(keys, {"chat", "room"}, tampered)) << "the id changed";
    for (const std::string& bad : {std::string(""), std::string("!!"), std::string("AAAA"),
                                   std::string(token.size() - 2, 'A'), std::string(4096, 'A')}) {
        EXPECT_FALSE(connection_after(keys, {"chat", "room"}, bad)) << bad.substr(0, 40);
        const auto page = parse_page_request(query({{"continuationToken", bad}}), keys, {"chat", "room"});
        if (!bad.empty()) {
            ASSERT_FALSE(page) << bad.substr(0, 40);
            EXPECT_EQ(page.error().status, 400u);
            EXPECT_NE(page.error().message.find("continuationToken"), std::string::npos);
        }
    }
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

    EXPECT_EQ(parse_token_parameters(query({{"minutesToExpire", "525600"}}))->lifetime,
              std::chrono::minutes{525600})
        << "365 days is the longest lifetime";
    for (const auto& [name, value] :
         std::vector<std::pair<std::string, std::string>>{{"clientType", "browser"},
                                                          {"minutesToExpire", "0"},
                                                          {"minutesToExpire", "x"},
                                                          {"minutesToExpire", "525601"},
                                                          {"minutesToExpire", "2147483647"},
                                                          {"minutesToExpire", "9223372036854775807"},
                                                          {"group", " "}}) {
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

#include <limits>
#include <set>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "auth/client_token.hpp"
#include "auth/connection_string.hpp"
#include "auth/jwt.hpp"
#include "independent_jwt.hpp"

namespace hubcast::auth {
namespace {

const std::string key = "primary-key-0123456789abcdefghijklmnopqrstuv";
constexpr std::int64_t now = 1'700'000'000;
const std::string aud = "http://localhost:8080/client/hubs/chat";

access_keys keys() {
    return access_keys{{key}};
}

/// `required_authority`: a public endpoint's "host:port"; empty: any host.
client_token_context context(std::string_view hub = "chat", std::string_view required_authority = {}) {
    return client_token_context{.hub = hub, .required_authority = required_authority, .now = now};
}

boost::json::object base_claims() {
    return boost::json::object{{"aud", aud}, {"iat", now}, {"exp", now + 3600}};
}

util::result<client_identity, token_error> verify(const boost::json::object& claims,
                                                  const client_token_context& ctx = context()) {
    return verify_client_token(sign_hs256(claims, key), keys(), ctx);
}

std::optional<token_error> error_of(const boost::json::object& claims,
                                    const client_token_context& ctx = context()) {
    auto verified = verify(claims, ctx);
    if (verified) {
        return std::nullopt;
    }
    return verified.error();
}

boost::json::object with(boost::json::object claims, std::string_view name, boost::json::value value) {
    claims[name] = std::move(value);
    return claims;
}

boost::json::object without(boost::json::object claims, std::string_view name) {
    claims.erase(name);
    return claims;
}

TEST(ClientToken, MintedTokenVerifies) {
    client_token_request request{.endpoint = "http://localhost:8080",
                                 .hub = "chat",
                                 .user_id = "alice",
                                 .roles = {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.room1"},
                                 .groups = {"room1", "a.b"},
                                 .now = now};
    auto identity = verify_client_token(mint_client_token(request, keys()), keys(), context());
    ASSERT_TRUE(identity);
    EXPECT_EQ(identity->user_id, "alice");
    EXPECT_EQ(identity->roles, request.roles);
    EXPECT_EQ(identity->groups, request.groups);
    EXPECT_EQ(identity->claims.at("exp").as_int64(), now + 3600);
}

TEST(ClientToken, MintWritesOnlyTheClaimsTheSdksWrite) {
    client_token_request request{.endpoint = "https://example.com/", .hub = "Hub1", .now = now};
    request.lifetime = std::chrono::minutes(5);
    auto claims = verify_hs256(mint_client_token(request, keys()), keys());
    ASSERT_TRUE(claims);
    const boost::json::object expected{
        {"iat", now}, {"exp", now + 300}, {"aud", "https://example.com/client/hubs/Hub1"}};
    EXPECT_EQ(*claims, expected);
}

// Every minted lifetime is capped at max_client_token_lifetime (365 days), and the exp arithmetic
// never overflows: a lifetime of minutes::max() would overflow int64 seconds if converted as is.
TEST(ClientToken, MintedLifetimeIsCappedWithoutOverflow) {
    constexpr std::int64_t year = 365LL * 24 * 3600;
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(max_client_token_lifetime).count(), year);
    for (const auto lifetime :
         {max_client_token_lifetime, max_client_token_lifetime + std::chrono::minutes(1),
          std::chrono::minutes(std::numeric_limits<std::int32_t>::max()), std::chrono::minutes::max()}) {
        client_token_request request{.endpoint = "http://localhost:8080", .hub = "chat", .now = now};
        request.lifetime = lifetime;
        auto claims = verify_hs256(mint_client_token(request, keys()), keys());
        ASSERT_TRUE(claims);
        EXPECT_EQ(claims->at("exp").as_int64(), now + year) << lifetime.count();
    }
    EXPECT_EQ(client_token_expiry(now, std::chrono::minutes(5)), now + 300);
    EXPECT_EQ(client_token_expiry(now, std::chrono::minutes(0)), now);
    EXPECT_EQ(client_token_expiry(now, std::chrono::minutes(-5)), now) << "never before it was minted";
    EXPECT_EQ(client_token_expiry(std::numeric_limits<std::int64_t>::max() - 10, std::chrono::minutes(5)),
              std::numeric_limits<std::int64_t>::max())
        << "saturates instead of wrapping";
}

TEST(ClientToken, MintSignsWithTheFirstKey) {
    const access_keys two{{"first-key-0123456789abcdefghijklmnopqrstu", key}};
    const std::string token =
        mint_client_token({.endpoint = "http://localhost:8080", .hub = "chat", .now = now}, two);
    EXPECT_TRUE(verify_client_token(token, two, context()));
    EXPECT_EQ(verify_client_token(token, keys(), context()).error(), token_error::bad_signature);
}

// Produced by @azure/web-pubsub 1.2.0 (npm) under Node 20 with Date.now() fixed at 1700000000000:
//   new WebPubSubServiceClient(sdk_connection_string, "chat", {allowInsecureConnection: true})
//     .getClientAccessToken({userId: "alice", roles: [...], groups: ["room1", "lobby"],
//                            expirationTimeInMinutes: 30})
// and the same call with {} for the second token. Kept verbatim: they are the real SDK's output.
constexpr std::string_view sdk_key = "hubcast-test-key-0123456789abcdefghijklmnop";
constexpr std::string_view sdk_connection_string =
    "Endpoint=http://localhost;Port=8080;AccessKey=hubcast-test-key-0123456789abcdefghijklmnop;Version=1.0;";
constexpr std::string_view sdk_token =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJyb2xlIjpbIndlYnB1YnN1Yi5zZW5kVG9Hcm91cC5yb29tMSIsIndlYnB1YnN1Yi5q"
    "b2luTGVhdmVHcm91cHMucm9vbS4qIl0sIndlYnB1YnN1Yi5ncm91cCI6WyJyb29tMSIsImxvYmJ5Il0sImlhdCI6MTcwMDAwMDAwMCwi"
    "ZXhwIjoxNzAwMDAxODAwLCJhdWQiOiJodHRwOi8vbG9jYWxob3N0OjgwODAvY2xpZW50L2h1YnMvY2hhdCIsInN1YiI6ImFsaWNlIn0."
    "IhA4XktrcFSSJqNyMDu0GNw2EkqW4XI7vJGJaRPsTpE";
constexpr std::string_view sdk_plain_token =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwiYXVkIjoiaHR0cDovL2xv"
    "Y2FsaG9zdDo4MDgwL2NsaWVudC9odWJzL2NoYXQifQ.g2IphJ6JRh0RCR5rkmtD0Z9mBGOSiFAcWEIkJrSpxUU";
constexpr std::string_view sdk_url_prefix = "ws://localhost:8080/client/hubs/chat?access_token=";

TEST(ClientToken, AzureJsSdkTokenVerifies) {
    const access_keys sdk_keys{{std::string(sdk_key)}};
    auto identity = verify_client_token(sdk_token, sdk_keys, context("chat", "localhost:8080"));
    ASSERT_TRUE(identity);
    EXPECT_EQ(identity->user_id, "alice");
    EXPECT_EQ(identity->roles,
              (std::vector<std::string>{"webpubsub.sendToGroup.room1", "webpubsub.joinLeaveGroups.room.*"}));
    EXPECT_EQ(identity->groups, (std::vector<std::string>{"room1", "lobby"}));

    auto plain = verify_client_token(sdk_plain_token, sdk_keys, context("chat", "localhost:8080"));
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->user_id);
    EXPECT_TRUE(plain->roles.empty());
    EXPECT_TRUE(plain->groups.empty());
}

TEST(ClientToken, MintIsByteIdenticalToTheAzureJsSdk) {
    auto parsed = parse_connection_string(sdk_connection_string);
    ASSERT_TRUE(parsed);
    const access_keys sdk_keys{{parsed->access_key}};
    client_token_request request{.endpoint = parsed->base_url(),
                                 .hub = "chat",
                                 .user_id = "alice",
                                 .roles = {"webpubsub.sendToGroup.room1", "webpubsub.joinLeaveGroups.room.*"},
                                 .groups = {"room1", "lobby"},
                                 .lifetime = std::chrono::minutes(30),
                                 .now = now};
    EXPECT_EQ(mint_client_token(request, sdk_keys), sdk_token);
    EXPECT_EQ(mint_client_token({.endpoint = parsed->base_url(), .hub = "chat", .now = now}, sdk_keys),
              sdk_plain_token);
    EXPECT_EQ(client_access_url(parsed->base_url(), "chat", sdk_token),
              std::string(sdk_url_prefix) + std::string(sdk_token));
}

TEST(ClientToken, IndependentlySignedTokenVerifies) {
    const std::string payload =
        R"({"aud":"wss://LocalHost:8080/client/hubs/Chat/","exp":1700000600,"nbf":1700000000,)"
        R"("sub":"bob","role":"webpubsub.sendToGroup","webpubsub.group":"g1","tenant":{"id":7}})";
    const std::string token = testing::independent_token(R"({"alg":"HS256","typ":"JWT"})", payload, key);
    auto identity = verify_client_token(token, keys(), context());
    ASSERT_TRUE(identity);
    EXPECT_EQ(identity->user_id, "bob");
    EXPECT_EQ(identity->roles, std::vector<std::string>{"webpubsub.sendToGroup"});
    EXPECT_EQ(identity->groups, std::vector<std::string>{"g1"});
    EXPECT_EQ(identity->claims, boost::json::parse(payload).as_object());
}

TEST(ClientToken, AccessUrlUsesWebSocketSchemes) {
    EXPECT_EQ(client_access_url("http://127.0.0.1:8080", "chat", "t.o.k"),
              "ws://127.0.0.1:8080/client/hubs/chat?access_token=t.o.k");
    EXPECT_EQ(client_access_url("https://example.com/", "Hub_1", "t.o.k"),
              "wss://example.com/client/hubs/Hub_1?access_token=t.o.k");
    EXPECT_EQ(client_access_url("HTTPS://example.com", "h", "x"),
              "wss://example.com/client/hubs/h?access_token=x");
}

TEST(ClientToken, EmptyTokenIsMissing) {
    EXPECT_EQ(verify_client_token("", keys(), context()).error(), token_error::missing);
}

TEST(ClientToken, JwtFailuresKeepTheirMeaning) {
    EXPECT_EQ(verify_client_token(std::string(max_token_bytes + 1, 'a'), keys(), context()).error(),
              token_error::too_large);
    EXPECT_EQ(verify_client_token("a.b", keys(), context()).error(), token_error::malformed);
    const std::string none =
        testing::independent_token(R"({"alg":"none"})", boost::json::serialize(base_claims()), key);
    EXPECT_EQ(verify_client_token(none, keys(), context()).error(), token_error::unsupported_algorithm);
    const std::string other = sign_hs256(base_claims(), "another-key-0123456789abcdefghijklmnopqr");
    EXPECT_EQ(verify_client_token(other, keys(), context()).error(), token_error::bad_signature);
}

TEST(ClientToken, SignatureIsCheckedBeforeClaims) {
    const std::string forged =
        sign_hs256(without(base_claims(), "exp"), "another-key-0123456789abcdefghijklmnopqr");
    EXPECT_EQ(verify_client_token(forged, keys(), context()).error(), token_error::bad_signature);
}

TEST(ClientToken, ExpiryIsRequiredAsANumber) {
    EXPECT_EQ(error_of(without(base_claims(), "exp")), token_error::missing_expiry);
    EXPECT_EQ(error_of(with(base_claims(), "exp", boost::json::string(std::to_string(now + 3600)))),
              token_error::missing_expiry);
    EXPECT_EQ(error_of(with(base_claims(), "exp", nullptr)), token_error::missing_expiry);
    EXPECT_FALSE(error_of(with(base_claims(), "exp", static_cast<double>(now) + 10.5)));
    EXPECT_FALSE(error_of(with(base_claims(), "exp", std::uint64_t{1} << 63)));
}

TEST(ClientToken, ExpiryAllowsTheClockSkew) {
    // Default skew 300 s: valid until now reaches exp + 300.
    EXPECT_EQ(error_of(with(base_claims(), "exp", now - 301)), token_error::expired);
    EXPECT_EQ(error_of(with(base_claims(), "exp", now - 300)), token_error::expired);
    EXPECT_FALSE(error_of(with(base_claims(), "exp", now - 299)));
    EXPECT_FALSE(error_of(with(base_claims(), "exp", now)));

    auto strict = context();
    strict.clock_skew = std::chrono::seconds(0);
    EXPECT_EQ(error_of(with(base_claims(), "exp", now), strict), token_error::expired);
    EXPECT_FALSE(error_of(with(base_claims(), "exp", now + 1), strict));
}

TEST(ClientToken, NotBeforeAllowsTheClockSkew) {
    EXPECT_EQ(error_of(with(base_claims(), "nbf", now + 301)), token_error::not_yet_valid);
    EXPECT_FALSE(error_of(with(base_claims(), "nbf", now + 300)));
    EXPECT_FALSE(error_of(with(base_claims(), "nbf", now - 10)));

    auto strict = context();
    strict.clock_skew = std::chrono::seconds(0);
    EXPECT_EQ(error_of(with(base_claims(), "nbf", now + 1), strict), token_error::not_yet_valid);
    EXPECT_FALSE(error_of(with(base_claims(), "nbf", now), strict));
    EXPECT_EQ(error_of(with(base_claims(), "nbf", "soon")), token_error::bad_claim);
}

struct audience_case {
    const char* audience;
    const char* hub;
    const char* required_authority; ///< "" for any host
    bool accepted;
};

void PrintTo(const audience_case& c, std::ostream* out) {
    *out << c.audience << " for hub " << c.hub << " requiring '" << c.required_authority << "'";
}

class Audience : public ::testing::TestWithParam<audience_case> {};

TEST_P(Audience, NamesThisHubAndThePublicEndpointWhenOneIsSet) {
    const auto& c = GetParam();
    const auto error = error_of(with(base_claims(), "aud", c.audience), context(c.hub, c.required_authority));
    if (c.accepted) {
        EXPECT_FALSE(error);
    } else {
        EXPECT_EQ(error, token_error::wrong_audience);
    }
}

INSTANTIATE_TEST_SUITE_P(
    ClientToken, Audience,
    ::testing::Values(
        // The path: scheme family, case, one trailing slash, escapes; nothing else.
        audience_case{"http://localhost:8080/client/hubs/chat", "chat", "", true},
        audience_case{"https://localhost:8080/client/hubs/chat", "chat", "", true},
        audience_case{"ws://localhost:8080/client/hubs/chat", "chat", "", true},
        audience_case{"wss://localhost:8080/client/hubs/chat", "chat", "", true},
        audience_case{"HTTP://LOCALHOST:8080/CLIENT/HUBS/CHAT", "chat", "", true},
        audience_case{"http://localhost:8080/client/hubs/chat", "ChAt", "", true},
        audience_case{"http://localhost:8080/client/hubs/chat/", "chat", "", true},
        audience_case{"http://localhost:8080/client/hubs/chat//", "chat", "", false},
        audience_case{"http://localhost:8080/client/hubs/chat", "chat2", "", false},
        audience_case{"http://localhost:8080/client/hubs/chat2", "chat", "", false},
        audience_case{"http://localhost:8080/client/hubs/cha", "chat", "", false},
        audience_case{"http://localhost:8080/client/hubs/", "chat", "", false},
        audience_case{"http://localhost:8080/client/hub/chat", "chat", "", false},
        audience_case{"http://localhost:8080/api/hubs/chat", "chat", "", false},
        audience_case{"http://localhost:8080/x/client/hubs/chat", "chat", "", false},
        audience_case{"http://localhost:8080/client/hubs/chat?x=1", "chat", "", false},
        audience_case{"http://localhost:8080/client/hubs/chat#f", "chat", "", false},
        audience_case{"http://user@localhost:8080/client/hubs/chat", "chat", "", false},
        audience_case{"ftp://localhost:8080/client/hubs/chat", "chat", "", false},
        audience_case{"localhost:8080/client/hubs/chat", "chat", "", false},
        audience_case{"http:///client/hubs/chat", "chat", "", false},
        audience_case{"http://localhost:8080", "chat", "", false}, audience_case{"", "chat", "", false},
        audience_case{"http://localhost:8080/client/hubs/a%60b", "a`b", "", true},
        audience_case{"http://localhost:8080/client/hubs/a%6", "a%6", "", false},
        // No public endpoint: any host, as a proxy or balancer may be reached under any name.
        audience_case{"http://otherhost:8080/client/hubs/chat", "chat", "", true},
        audience_case{"https://chat.example.com/client/hubs/chat", "chat", "", true},
        audience_case{"http://[::1]:8080/client/hubs/chat", "chat", "", true},
        // A public endpoint: its host and port, a missing port the aud scheme's default.
        audience_case{"http://localhost:8080/client/hubs/chat", "chat", "localhost:8080", true},
        audience_case{"http://LocalHost:8080/client/hubs/chat", "chat", "localhost:8080", true},
        audience_case{"http://otherhost:8080/client/hubs/chat", "chat", "localhost:8080", false},
        audience_case{"http://localhost:8081/client/hubs/chat", "chat", "localhost:8080", false},
        audience_case{"http://localhost/client/hubs/chat", "chat", "localhost:8080", false},
        audience_case{"https://example.com:443/client/hubs/chat", "chat", "example.com:443", true},
        audience_case{"https://example.com/client/hubs/chat", "chat", "example.com:443", true},
        audience_case{"wss://example.com/client/hubs/chat", "chat", "example.com:443", true},
        audience_case{"http://example.com/client/hubs/chat", "chat", "example.com:80", true},
        audience_case{"http://example.com/client/hubs/chat", "chat", "example.com:443", false},
        audience_case{"https://example.com/client/hubs/chat", "chat", "example.com:80", false},
        audience_case{"http://[::1]:8080/client/hubs/chat", "chat", "[::1]:8080", true},
        audience_case{"http://[::1]:8080/client/hubs/chat", "chat", "[::2]:8080", false},
        audience_case{"http://[::1]/client/hubs/chat", "chat", "[::1]:80", true}));

TEST(ClientToken, AudienceArrayNeedsOneMatch) {
    const boost::json::array one_matches{"http://localhost:8080/client/hubs/other", 42, aud};
    EXPECT_FALSE(error_of(with(base_claims(), "aud", one_matches)));
    const boost::json::array none_matches{"http://localhost:8080/client/hubs/other",
                                          "http://localhost:8080/client/hubs/x"};
    EXPECT_EQ(error_of(with(base_claims(), "aud", none_matches)), token_error::wrong_audience);
    EXPECT_EQ(error_of(with(base_claims(), "aud", boost::json::array{})), token_error::wrong_audience);
}

TEST(ClientToken, AudienceIsRequired) {
    EXPECT_EQ(error_of(without(base_claims(), "aud")), token_error::wrong_audience);
    EXPECT_EQ(error_of(with(base_claims(), "aud", 7)), token_error::wrong_audience);
    EXPECT_EQ(error_of(with(base_claims(), "aud", boost::json::object{{"url", aud}})),
              token_error::wrong_audience);
}

TEST(ClientToken, SubjectBecomesTheUserId) {
    auto identity = verify(with(base_claims(), "sub", "alice"));
    ASSERT_TRUE(identity);
    EXPECT_EQ(identity->user_id, "alice");
    auto anonymous = verify(base_claims());
    ASSERT_TRUE(anonymous);
    EXPECT_FALSE(anonymous->user_id);
}

TEST(ClientToken, SubjectIsAStringAndAnEmptyOneNamesNoUser) {
    for (const boost::json::value& sub :
         {boost::json::value(42), boost::json::value(nullptr),
          boost::json::value(boost::json::array{"alice"}), boost::json::value(true)}) {
        EXPECT_EQ(error_of(with(base_claims(), "sub", sub)), token_error::bad_claim)
            << boost::json::serialize(sub);
    }
    // .NET's GenerateClientAccessUri(userId: "") writes `"sub": ""`.
    const auto anonymous = verify(with(base_claims(), "sub", ""));
    ASSERT_TRUE(anonymous);
    EXPECT_FALSE(anonymous.value().user_id);
}

TEST(ClientToken, RoleIsAStringOrAnArrayOfStrings) {
    auto single = verify(with(base_claims(), "role", "webpubsub.sendToGroup"));
    ASSERT_TRUE(single);
    EXPECT_EQ(single->roles, std::vector<std::string>{"webpubsub.sendToGroup"});

    auto several = verify(with(base_claims(), "role", boost::json::array{"a", "b.c"}));
    ASSERT_TRUE(several);
    EXPECT_EQ(several->roles, (std::vector<std::string>{"a", "b.c"}));

    auto none = verify(with(base_claims(), "role", boost::json::array{}));
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->roles.empty());

    for (const boost::json::value& role :
         {boost::json::value(1), boost::json::value(nullptr), boost::json::value(boost::json::array{"a", 1}),
          boost::json::value(boost::json::object{{"a", "b"}}), boost::json::parse(R"([["a"]])")}) {
        EXPECT_EQ(error_of(with(base_claims(), "role", role)), token_error::bad_claim)
            << boost::json::serialize(role);
    }
}

TEST(ClientToken, GroupsAreAStringOrAnArrayOfStrings) {
    auto single = verify(with(base_claims(), "webpubsub.group", "room.1"));
    ASSERT_TRUE(single);
    EXPECT_EQ(single->groups, std::vector<std::string>{"room.1"});

    auto several = verify(with(base_claims(), "webpubsub.group", boost::json::array{"a", " b "}));
    ASSERT_TRUE(several);
    EXPECT_EQ(several->groups, (std::vector<std::string>{"a", " b "}));

    for (const boost::json::value& groups :
         {boost::json::value(false), boost::json::value(boost::json::array{"a", nullptr}),
          boost::json::value(boost::json::object{})}) {
        EXPECT_EQ(error_of(with(base_claims(), "webpubsub.group", groups)), token_error::bad_claim)
            << boost::json::serialize(groups);
    }
}

TEST(ClientToken, EveryClaimIsKept) {
    const auto claims = with(with(base_claims(), "tenant", "contoso"), "scores", boost::json::array{1, 2});
    auto identity = verify(claims);
    ASSERT_TRUE(identity);
    EXPECT_EQ(identity->claims, claims);
}

TEST(ClientToken, EveryErrorHasItsOwnDescription) {
    std::set<std::string_view> texts;
    for (const auto error : {token_error::missing, token_error::too_large, token_error::malformed,
                             token_error::unsupported_algorithm, token_error::bad_signature,
                             token_error::missing_expiry, token_error::expired, token_error::not_yet_valid,
                             token_error::wrong_audience, token_error::bad_claim}) {
        EXPECT_FALSE(describe(error).empty());
        texts.insert(describe(error));
    }
    EXPECT_EQ(texts.size(), 10U);
}

} // namespace
} // namespace hubcast::auth

// The REST bearer token check (server-protocol spec 3): what each Azure server SDK signs must pass,
// and a token made for another request, expired, or signed otherwise must not.
#include <string>

#include <gtest/gtest.h>

#include "auth/request_token.hpp"
#include "independent_jwt.hpp"

namespace hubcast::auth {
namespace {

using testing::independent_token;

constexpr std::string_view key = "rest-test-access-key-0123456789abcdefghijkl";
constexpr std::string_view other_key = "another-access-key-0123456789abcdefghijklmn";
constexpr std::int64_t now = 1'750'000'000;

std::string claims(std::string_view audience, std::int64_t exp = now + 3600, std::string extra = {}) {
    std::string json = R"({"aud":")" + std::string(audience) + R"(","iat":)" + std::to_string(now) +
                       R"(,"exp":)" + std::to_string(exp);
    if (!extra.empty()) {
        json += "," + extra;
    }
    return json + "}";
}

std::string js_token(std::string_view audience) {
    return independent_token(R"({"alg":"HS256","typ":"JWT"})", claims(audience), key);
}

util::result<boost::json::object, token_error> verify(std::string_view token, std::string_view target,
                                                      access_keys keys = access_keys{{std::string(key)}},
                                                      std::string_view required_authority = {}) {
    // The routing layer decides what names a request (api::audience_names_call, tested there);
    // here the audience's path and query must be the target itself.
    const auto names_target = [target](std::string_view path_and_query) {
        return path_and_query == target;
    };
    return verify_request_token(token, keys,
                                request_token_context{.names_this_request = names_target,
                                                      .required_authority = required_authority,
                                                      .now = now});
}

TEST(RequestToken, JavaScriptSdkSignsTheFullUrlWithItsQuery) {
    // @azure/web-pubsub: aud = request.url, `excluded` repeated (collectionFormat multi).
    const std::string target = "/api/hubs/chat/:send?api-version=2024-12-01&excluded=c1&excluded=c2";
    const auto result = verify(js_token("http://127.0.0.1:8080" + target), target);
    ASSERT_TRUE(result) << describe(result.error());
    EXPECT_EQ(result->at("exp").as_int64(), now + 3600);
}

TEST(RequestToken, DotNetAbsoluteUriWithNbfAndHttpsBehindAProxy) {
    // .NET writes nbf/exp/iat and Uri.AbsoluteUri; a TLS-terminating proxy makes it https on a
    // host we never see.
    const std::string target = "/api/hubs/chat/users/alice/:send?api-version=2024-01-01";
    const std::string payload =
        claims("https://pubsub.example.com" + target, now + 300, R"("nbf":)" + std::to_string(now));
    const auto token = independent_token(R"({"alg":"HS256","typ":"JWT"})", payload, key);
    EXPECT_TRUE(verify(token, target));
}

TEST(RequestToken, PythonLowercasedHostAndDefaultPort) {
    const std::string target = "/api/hubs/Chat/groups/room/:send?api-version=2024-12-01";
    EXPECT_TRUE(verify(js_token("http://localhost:80" + target), target));
}

TEST(RequestToken, JavaWritesNoTypHeader) {
    const std::string target = "/api/hubs/chat/:closeConnections?api-version=2024-12-01&reason=bye";
    const auto token = independent_token(R"({"alg":"HS256"})", claims("http://h:1" + target), key);
    EXPECT_TRUE(verify(token, target));
}

TEST(RequestToken, AnyConfiguredKeyVerifies) {
    const std::string target = "/api/hubs/chat/:send?api-version=2024-12-01";
    const auto token =
        independent_token(R"({"alg":"HS256","typ":"JWT"})", claims("http://h" + target), other_key);
    EXPECT_TRUE(verify(token, target, access_keys{{std::string(key), std::string(other_key)}}));
    const auto refused = verify(token, target);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), token_error::bad_signature);
}

TEST(RequestToken, ClaimsAreCheckedWithFiveMinutesOfSkew) {
    const std::string target = "/api/hubs/chat/:send?api-version=2024-12-01";
    const std::string audience = "http://h" + target;
    const auto header = R"({"alg":"HS256","typ":"JWT"})";
    EXPECT_TRUE(verify(independent_token(header, claims(audience, now - 299), key), target));
    const auto expired = verify(independent_token(header, claims(audience, now - 301), key), target);
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error(), token_error::expired);

    const auto no_exp = verify(independent_token(header, R"({"aud":")" + audience + R"("})", key), target);
    ASSERT_FALSE(no_exp);
    EXPECT_EQ(no_exp.error(), token_error::missing_expiry);

    const auto early = verify(
        independent_token(header, claims(audience, now + 3600, R"("nbf":)" + std::to_string(now + 600)), key),
        target);
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error(), token_error::not_yet_valid);
}

TEST(RequestToken, RefusesMissingAndUnsignedTokens) {
    const std::string target = "/api/hubs/chat/:send?api-version=2024-12-01";
    const auto missing = verify("", target);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), token_error::missing);
    const auto none =
        verify(independent_token(R"({"alg":"none"})", claims("http://h" + target), key), target);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error(), token_error::unsupported_algorithm);
}

TEST(RequestToken, AnAudienceArrayNeedsOneMatchingElement) {
    const std::string target = "/api/hubs/chat/:send?api-version=2024-12-01";
    const std::string payload =
        R"({"aud":["http://h/api/hubs/other/:send?api-version=2024-12-01","http://h)" + target +
        R"("],"exp":)" + std::to_string(now + 60) + "}";
    EXPECT_TRUE(verify(independent_token(R"({"alg":"HS256"})", payload, key), target));
}

TEST(RequestToken, APublicEndpointMustBeTheAudiencesHostAndPort) {
    const std::string target = "/api/hubs/chat/:send?api-version=2024-12-01";
    const access_keys keys{{std::string(key)}};
    EXPECT_TRUE(
        verify(js_token("https://pubsub.example.com" + target), target, keys, "pubsub.example.com:443"));
    EXPECT_TRUE(
        verify(js_token("https://PubSub.Example.com:443" + target), target, keys, "pubsub.example.com:443"));
    EXPECT_EQ(verify(js_token("http://pubsub.example.com" + target), target, keys, "pubsub.example.com:443")
                  .error(),
              token_error::wrong_audience);
    EXPECT_EQ(verify(js_token("https://other.example.com" + target), target, keys, "pubsub.example.com:443")
                  .error(),
              token_error::wrong_audience);
    EXPECT_EQ(
        verify(js_token("https://user@pubsub.example.com" + target), target, keys, "pubsub.example.com:443")
            .error(),
        token_error::wrong_audience);
}

TEST(RequestToken, ATokenForAnotherRequestIsRefused) {
    const std::string target = "/api/hubs/chat/:send?api-version=2024-12-01";
    const auto result =
        verify(js_token("http://h/api/hubs/chat/:closeConnections?api-version=2024-12-01"), target);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error(), token_error::wrong_audience);
}

TEST(RequestToken, OnlyTheAudiencesPathAndQueryCount) {
    EXPECT_EQ(audience_path_and_query("http://h:8080/api/hubs/a/:send?api-version=1"),
              std::optional<std::string_view>("/api/hubs/a/:send?api-version=1"));
    EXPECT_EQ(audience_path_and_query("wss://h"), std::optional<std::string_view>("/"));
    EXPECT_EQ(audience_path_and_query("https://h?x=1"), std::optional<std::string_view>("?x=1"));
    EXPECT_EQ(audience_path_and_query("/api/hubs/a/:send"), std::nullopt);
    EXPECT_EQ(audience_path_and_query("://h/p"), std::nullopt);
    EXPECT_EQ(audience_path_and_query("http://h/p#x"), std::nullopt);
}

} // namespace
} // namespace hubcast::auth

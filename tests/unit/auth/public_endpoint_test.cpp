// --public-endpoint (docs/configuration.md, "Behind a proxy"): what it accepts, and the explicit
// "host:port" form audiences are compared in.
#include <gtest/gtest.h>

#include "auth/public_endpoint.hpp"

namespace hubcast::auth {
namespace {

TEST(PublicEndpoint, KeepsSchemeHostAndPortAndMakesThePortExplicit) {
    const auto https = parse_public_endpoint("https://Chat.Example.com/");
    ASSERT_TRUE(https) << https.error();
    EXPECT_EQ(https->url, "https://Chat.Example.com");
    EXPECT_EQ(https->authority, "chat.example.com:443");

    const auto http = parse_public_endpoint("HTTP://10.0.0.5:8080");
    ASSERT_TRUE(http) << http.error();
    EXPECT_EQ(http->url, "http://10.0.0.5:8080");
    EXPECT_EQ(http->authority, "10.0.0.5:8080");

    const auto v6 = parse_public_endpoint("http://[::1]");
    ASSERT_TRUE(v6) << v6.error();
    EXPECT_EQ(v6->authority, "[::1]:80");
}

TEST(PublicEndpoint, RefusesWhatIsNotSchemeHostAndPort) {
    for (const char* text : {"", "chat.example.com", "ws://chat.example.com", "ftp://h", "https://",
                             "https://h/path", "https://h?x=1", "https://h#f", "https://u@h",
                             "https://h:port", "https://h:123456", "https://:443"}) {
        EXPECT_FALSE(parse_public_endpoint(text)) << text;
    }
}

TEST(PublicEndpoint, ExplicitAuthorityOfAudiences) {
    EXPECT_EQ(explicit_authority_of("wss://H:443/client/hubs/chat"), "h:443");
    EXPECT_EQ(explicit_authority_of("ws://h/client/hubs/chat"), "h:80");
    EXPECT_EQ(explicit_authority_of("https://h:/api"), "h:443");
    EXPECT_EQ(explicit_authority_of("http://h?x"), "h:80");
    EXPECT_EQ(explicit_authority_of("http://[::1]:8080/x"), "[::1]:8080");
    EXPECT_FALSE(explicit_authority_of("ftp://h/x"));
    EXPECT_FALSE(explicit_authority_of("h/x"));
    EXPECT_FALSE(explicit_authority_of("http://a@h/x"));
    EXPECT_FALSE(explicit_authority_of("http:///x"));
}

} // namespace
} // namespace hubcast::auth

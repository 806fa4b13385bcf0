#include <string>

#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "auth/reconnection_token.hpp"
#include "util/base64.hpp"

namespace hubcast::auth {
namespace {

constexpr std::int64_t now = 1'700'000'000;
const std::string secret = "reconnection-secret-0123456789abcdef";

TEST(ReconnectionToken, VerifiesForItsConnectionOnly) {
    const reconnection_tokens tokens(secret);
    const std::string token = tokens.issue("conn-a", now);
    EXPECT_TRUE(tokens.verify(token, "conn-a", now));
    EXPECT_FALSE(tokens.verify(token, "conn-b", now));
    EXPECT_FALSE(tokens.verify(token, std::string_view("conn-a\0", 7), now));
    EXPECT_FALSE(tokens.verify(token, "conn-", now));
    EXPECT_FALSE(tokens.verify(token, "", now));
}

// The client spec's "about 1 week", checked with no clock skew (spec 5.4).
TEST(ReconnectionToken, LivesAWeekAndNotASecondLonger) {
    const reconnection_tokens tokens(secret);
    const std::string token = tokens.issue("conn-a", now);
    const std::int64_t week = 7 * 24 * 3600;
    EXPECT_TRUE(tokens.verify(token, "conn-a", now + week - 1));
    EXPECT_FALSE(tokens.verify(token, "conn-a", now + week));
    EXPECT_FALSE(tokens.verify(token, "conn-a", now - 1)) << "not valid before it was issued";
}

TEST(ReconnectionToken, AnotherSecretOrAnyChangedByteIsRefused) {
    const reconnection_tokens tokens(secret);
    const reconnection_tokens other("another-secret-0123456789abcdefghij");
    const std::string token = tokens.issue("conn-a", now);
    EXPECT_FALSE(other.verify(token, "conn-a", now));
    for (std::size_t i = 0; i < token.size(); ++i) {
        std::string changed = token;
        changed[i] = changed[i] == 'A' ? 'B' : 'A';
        EXPECT_FALSE(tokens.verify(changed, "conn-a", now)) << "byte " << i;
    }
    EXPECT_FALSE(tokens.verify("", "conn-a", now));
    EXPECT_FALSE(tokens.verify(token + "x", "conn-a", now));
}

// A forged token for another connection, signed by an attacker who knows only the format.
TEST(ReconnectionToken, AForgedTokenWithTheRightClaimsIsRefused) {
    const reconnection_tokens tokens(secret);
    boost::json::object claims{
        {"typ", "hubcast.reconnection"}, {"aud", "conn-a"}, {"nbf", now}, {"exp", now + 3600}, {"jti", "x"}};
    EXPECT_FALSE(tokens.verify(sign_hs256(claims, "guessed-secret"), "conn-a", now));
    EXPECT_TRUE(tokens.verify(sign_hs256(claims, secret), "conn-a", now))
        << "the claims themselves are right";
}

// An access token signed with the same key never passes as a reconnection token: it lacks the
// purpose claim even when its audience were the connection id.
TEST(ReconnectionToken, AnAccessTokenIsNotAReconnectionToken) {
    const reconnection_tokens tokens(secret);
    boost::json::object claims{{"aud", "conn-a"}, {"exp", now + 3600}, {"nbf", now}};
    EXPECT_FALSE(tokens.verify(sign_hs256(claims, secret), "conn-a", now));
}

// The JS SDK puts the token into the recovery URL with URLSearchParams: only unreserved
// characters pass through unchanged, so the token must consist of nothing else.
TEST(ReconnectionToken, NeedsNoUrlEncoding) {
    const reconnection_tokens tokens;
    const std::string token = tokens.issue("AbCdEfGh-_0123456789xy", now);
    for (const char c : token) {
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '_' || c == '.';
        EXPECT_TRUE(unreserved) << "character '" << c << "' in " << token;
    }
    EXPECT_TRUE(tokens.verify(token, "AbCdEfGh-_0123456789xy", now));
}

TEST(ReconnectionToken, TokensAreUniqueAndRandomSecretsDiffer) {
    const reconnection_tokens first;
    const reconnection_tokens second;
    EXPECT_NE(first.issue("c", now), first.issue("c", now)) << "each token has its own jti";
    EXPECT_FALSE(second.verify(first.issue("c", now), "c", now));
}

TEST(ReconnectionToken, AnEmptySecretIsRefused) {
    EXPECT_THROW(reconnection_tokens(""), std::invalid_argument);
}

} // namespace
} // namespace hubcast::auth

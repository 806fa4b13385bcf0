#include <set>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "independent_jwt.hpp"

namespace hubcast::auth {
namespace {

using testing::independent_base64url;
using testing::independent_token;

const std::string key = "primary-key-0123456789abcdefghijklmnopqrstuv";
const std::string other_key = "secondary-key-0123456789abcdefghijklmnopqrst";
constexpr std::string_view hs256_header = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view payload =
    R"({"aud":"http://localhost/client/hubs/chat","exp":1700003600,"sub":"alice"})";

access_keys keys_of(std::initializer_list<std::string> keys) {
    return access_keys{std::vector<std::string>(keys)};
}

std::optional<jwt_error> error_of(std::string_view token, const access_keys& keys = keys_of({key})) {
    auto verified = verify_hs256(token, keys);
    if (verified) {
        return std::nullopt;
    }
    return verified.error();
}

/// The token with segment `index` (0 header, 1 payload, 2 signature) replaced.
std::string with_segment(std::string_view token, int index, std::string_view replacement) {
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    std::string parts[3] = {std::string(token.substr(0, first)),
                            std::string(token.substr(first + 1, second - first - 1)),
                            std::string(token.substr(second + 1))};
    parts[index] = replacement;
    return parts[0] + "." + parts[1] + "." + parts[2];
}

TEST(Jwt, SignedClaimsVerifyUnchanged) {
    const auto claims = boost::json::parse(payload).as_object();
    auto verified = verify_hs256(sign_hs256(claims, key), keys_of({key}));
    ASSERT_TRUE(verified);
    EXPECT_EQ(*verified, claims);
}

TEST(Jwt, SignMatchesAnIndependentEncoder) {
    const auto claims = boost::json::parse(payload).as_object();
    EXPECT_EQ(sign_hs256(claims, key), independent_token(hs256_header, boost::json::serialize(claims), key));
}

TEST(Jwt, IndependentlySignedTokenVerifies) {
    auto verified = verify_hs256(independent_token(hs256_header, payload, key), keys_of({key}));
    ASSERT_TRUE(verified);
    EXPECT_EQ(verified->at("sub").as_string(), "alice");
    EXPECT_EQ(verified->at("exp").as_int64(), 1700003600);
}

TEST(Jwt, HeaderWithoutTypVerifies) {
    // The Java SDK writes {"alg":"HS256"} only.
    EXPECT_FALSE(error_of(independent_token(R"({"alg":"HS256"})", payload, key)));
}

TEST(Jwt, EmptyKeyIsStillHmac) {
    const std::string token = independent_token(hs256_header, payload, "");
    EXPECT_FALSE(error_of(token, keys_of({""})));
    EXPECT_EQ(error_of(token, keys_of({key})), jwt_error::bad_signature);
}

TEST(Jwt, TamperedHeaderIsRejected) {
    const std::string token = independent_token(hs256_header, payload, key);
    const std::string forged =
        with_segment(token, 0, independent_base64url(R"({"alg":"HS256","typ":"JWS"})"));
    EXPECT_EQ(error_of(forged), jwt_error::bad_signature);
}

TEST(Jwt, TamperedPayloadIsRejected) {
    const std::string token = independent_token(hs256_header, payload, key);
    const std::string forged =
        with_segment(token, 1,
                     independent_base64url(
                         R"({"aud":"http://localhost/client/hubs/chat","exp":1700003600,"sub":"mallory"})"));
    EXPECT_EQ(error_of(forged), jwt_error::bad_signature);
}

TEST(Jwt, PayloadIsNotReadBeforeTheSignatureVerifies) {
    // Garbage that would be `malformed` if parsed: a forger learns nothing about the parser.
    const std::string token = independent_token(hs256_header, "not json", other_key);
    EXPECT_EQ(error_of(token), jwt_error::bad_signature);
    EXPECT_EQ(error_of(token, keys_of({other_key})), jwt_error::malformed);
}

TEST(Jwt, TamperedSignatureIsRejected) {
    const std::string token = independent_token(hs256_header, payload, key);
    std::string forged = token;
    const auto at = token.rfind('.') + 1;
    forged[at] = forged[at] == 'A' ? 'B' : 'A';
    EXPECT_EQ(error_of(forged), jwt_error::bad_signature);
}

TEST(Jwt, SignatureOfTheWrongLengthIsRejected) {
    const std::string token = independent_token(hs256_header, payload, key);
    EXPECT_EQ(error_of(with_segment(token, 2, independent_base64url(std::string(31, 'x')))),
              jwt_error::bad_signature);
    EXPECT_EQ(error_of(with_segment(token, 2, "")), jwt_error::bad_signature);
}

TEST(Jwt, OnlyHs256IsAccepted) {
    // Each is signed with the right key, so only the algorithm check can refuse it.
    for (const std::string_view header :
         {R"({"alg":"none","typ":"JWT"})", R"({"alg":"HS384","typ":"JWT"})", R"({"alg":"RS256","typ":"JWT"})",
          R"({"alg":"hs256","typ":"JWT"})", R"({"alg":"HS256 ","typ":"JWT"})", R"({"typ":"JWT"})",
          R"({"alg":null})", R"({"alg":256})", R"({"alg":["HS256"]})",
          R"({"alg":"HS256","typ":"JWT","crit":["exp"]})"}) {
        EXPECT_EQ(error_of(independent_token(header, payload, key)), jwt_error::unsupported_algorithm)
            << header;
    }
}

TEST(Jwt, UnsignedAlgNoneIsRejected) {
    const std::string token =
        independent_base64url(R"({"alg":"none"})") + "." + independent_base64url(payload) + ".";
    EXPECT_EQ(error_of(token), jwt_error::unsupported_algorithm);
}

TEST(Jwt, WrongSegmentCountIsMalformed) {
    const std::string token = independent_token(hs256_header, payload, key);
    const std::string two = token.substr(0, token.rfind('.'));
    for (const std::string& bad : {std::string(), std::string("."), std::string(".."), std::string("..."),
                                   two, token + ".", token + "." + token.substr(token.rfind('.') + 1)}) {
        EXPECT_EQ(error_of(bad), jwt_error::malformed) << bad;
    }
}

TEST(Jwt, NonStrictBase64urlIsMalformed) {
    const std::string token = independent_token(hs256_header, payload, key);
    const auto first = token.find('.');
    const std::string header = token.substr(0, first);
    // '+' and '/' belong to the other alphabet, '=' is padding, the rest is noise.
    for (const std::string& bad_header : {header + "=", header.substr(0, 10) + "+" + header.substr(11),
                                          header.substr(0, 10) + "/" + header.substr(11), " " + header,
                                          header.substr(0, header.size() - 1) + "*", header.substr(0, 1)}) {
        EXPECT_EQ(error_of(with_segment(token, 0, bad_header)), jwt_error::malformed) << bad_header;
    }
    const std::string signature = token.substr(token.rfind('.') + 1);
    EXPECT_EQ(error_of(with_segment(token, 2, signature + "=")), jwt_error::malformed);
}

TEST(Jwt, HeaderMustBeAJsonObject) {
    for (const std::string_view header :
         {"", "not json", R"(["HS256"])", R"("HS256")", R"({"alg":"HS256")"}) {
        EXPECT_EQ(error_of(independent_token(header, payload, key)), jwt_error::malformed) << header;
    }
}

TEST(Jwt, PayloadMustBeAJsonObject) {
    for (const std::string_view body : {"", "{", R"(["a"])", "42", "null", R"({"a":1}x)"}) {
        EXPECT_EQ(error_of(independent_token(hs256_header, body, key)), jwt_error::malformed) << body;
    }
}

TEST(Jwt, OversizedTokenIsRefusedBeforeParsing) {
    // Not even a JWT: the size check alone must answer.
    EXPECT_EQ(error_of(std::string(max_token_bytes + 1, '.')), jwt_error::too_large);
    std::string filler(max_token_bytes, 'a');
    const std::string big = independent_token(hs256_header, R"({"x":")" + filler + R"("})", key);
    ASSERT_GT(big.size(), max_token_bytes);
    EXPECT_EQ(error_of(big), jwt_error::too_large);
}

TEST(Jwt, TokenOfExactlyTheLimitVerifies) {
    std::string token;
    for (std::size_t filler = 5900; filler < 6200 && token.size() != max_token_bytes; ++filler) {
        token = independent_token(hs256_header, R"({"x":")" + std::string(filler, 'a') + R"("})", key);
    }
    ASSERT_EQ(token.size(), max_token_bytes);
    EXPECT_FALSE(error_of(token));
}

TEST(Jwt, EveryConfiguredKeyVerifies) {
    const std::string by_second = independent_token(hs256_header, payload, other_key);
    EXPECT_FALSE(error_of(by_second, keys_of({key, other_key})));
    EXPECT_FALSE(error_of(independent_token(hs256_header, payload, key), keys_of({key, other_key})));
    EXPECT_EQ(error_of(by_second, keys_of({key})), jwt_error::bad_signature);
    EXPECT_EQ(error_of(by_second, access_keys{}), jwt_error::bad_signature);
}

TEST(Jwt, KeyIsTheStringBytesNotBase64Decoded) {
    // Azure keys look like base64; the SDKs still sign with the text itself (spec 2.2).
    const std::string base64_looking = "c2VjcmV0LWtleS1mb3ItdGVzdHM=";
    const std::string token = independent_token(hs256_header, payload, base64_looking);
    EXPECT_FALSE(error_of(token, keys_of({base64_looking})));
    EXPECT_EQ(error_of(token, keys_of({"secret-key-for-tests"})), jwt_error::bad_signature);
}

TEST(Jwt, EveryErrorHasItsOwnDescription) {
    std::set<std::string_view> texts;
    for (const auto error : {jwt_error::too_large, jwt_error::malformed, jwt_error::unsupported_algorithm,
                             jwt_error::bad_signature}) {
        EXPECT_FALSE(describe(error).empty());
        texts.insert(describe(error));
    }
    EXPECT_EQ(texts.size(), 4U);
}

} // namespace
} // namespace hubcast::auth

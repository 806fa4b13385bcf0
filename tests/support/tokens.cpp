#include "support/tokens.hpp"

#include <ctime>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "auth/client_token.hpp"
#include "auth/jwt.hpp"
#include "support/encoding.hpp"

namespace hubcast::test {
namespace {

constexpr std::string_view other_key = "not-the-access-key-of-this-server";

boost::json::object valid_claims(std::uint16_t port, std::string_view hub) {
    const std::int64_t now = unix_now();
    boost::json::object claims;
    claims["aud"] = audience(port, hub);
    claims["iat"] = now;
    claims["exp"] = now + 3600;
    claims["sub"] = "mallory";
    claims["role"] = boost::json::array{"webpubsub.joinLeaveGroup"};
    return claims;
}

boost::json::object hs256_header() {
    boost::json::object header;
    header["alg"] = "HS256";
    header["typ"] = "JWT";
    return header;
}

std::string with_groups(std::uint16_t port, std::string_view hub, std::string_view key, std::string group) {
    auto claims = valid_claims(port, hub);
    claims["webpubsub.group"] = boost::json::array{"fine", boost::json::string(group)};
    return auth::sign_hs256(claims, key);
}

} // namespace

std::int64_t unix_now() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

std::string audience(std::uint16_t port, std::string_view hub) {
    return "http://127.0.0.1:" + std::to_string(port) + "/client/hubs/" + std::string(hub);
}

std::string mint_token(std::uint16_t port, std::string_view key, const token_request& request) {
    auth::client_token_request mint;
    mint.endpoint = "http://127.0.0.1:" + std::to_string(port);
    mint.hub = request.hub;
    mint.user_id = request.user;
    mint.roles = request.roles;
    mint.groups = request.groups;
    mint.lifetime = request.lifetime;
    mint.now = unix_now();
    return auth::mint_client_token(mint, auth::access_keys{{std::string(key)}});
}

std::string sign_raw_jwt(std::string_view header_segment, std::string_view payload_segment,
                         std::string_view key) {
    std::string input = std::string(header_segment) + "." + std::string(payload_segment);
    return input + "." + base64url_encode(hmac(hmac_digest::sha256, key, input));
}

std::string sign_jwt(const boost::json::object& header, const boost::json::object& claims,
                     std::string_view key, jwt_algorithm algorithm) {
    std::string input = base64url_encode(boost::json::serialize(header)) + "." +
                        base64url_encode(boost::json::serialize(claims));
    switch (algorithm) {
    case jwt_algorithm::hs256:
        return input + "." + base64url_encode(hmac(hmac_digest::sha256, key, input));
    case jwt_algorithm::hs384:
        return input + "." + base64url_encode(hmac(hmac_digest::sha384, key, input));
    case jwt_algorithm::none:
        break;
    }
    return input + ".";
}

std::string_view to_string(bad_token kind) {
    switch (kind) {
    case bad_token::alg_none:
        return "AlgNone";
    case bad_token::hs384_header:
        return "Hs384Header";
    case bad_token::tampered_payload:
        return "TamperedPayload";
    case bad_token::tampered_signature:
        return "TamperedSignature";
    case bad_token::wrong_key:
        return "WrongKey";
    case bad_token::expired:
        return "Expired";
    case bad_token::not_yet_valid:
        return "NotYetValid";
    case bad_token::wrong_audience:
        return "WrongAudience";
    case bad_token::missing_exp:
        return "MissingExp";
    case bad_token::oversized:
        return "Oversized";
    case bad_token::bad_base64url:
        return "BadBase64url";
    case bad_token::two_segments:
        return "TwoSegments";
    case bad_token::payload_not_json:
        return "PayloadNotJson";
    case bad_token::invalid_group_claim:
        return "InvalidGroupClaim";
    case bad_token::empty_group_claim:
        return "EmptyGroupClaim";
    case bad_token::long_group_claim:
        return "LongGroupClaim";
    }
    return "Unknown";
}

std::string craft_bad_token(bad_token kind, std::uint16_t port, std::string_view key, std::string_view hub) {
    const std::int64_t now = unix_now();
    auto claims = valid_claims(port, hub);
    switch (kind) {
    case bad_token::alg_none: {
        boost::json::object header{{"alg", "none"}, {"typ", "JWT"}};
        return sign_jwt(header, claims, key, jwt_algorithm::none);
    }
    case bad_token::hs384_header: {
        boost::json::object header{{"alg", "HS384"}, {"typ", "JWT"}};
        return sign_jwt(header, claims, key, jwt_algorithm::hs384);
    }
    case bad_token::tampered_payload: {
        std::string token = sign_jwt(hs256_header(), claims, key);
        auto first = token.find('.');
        auto second = token.find('.', first + 1);
        claims["role"] = boost::json::array{"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"};
        return token.substr(0, first + 1) + base64url_encode(boost::json::serialize(claims)) +
               token.substr(second);
    }
    case bad_token::tampered_signature: {
        std::string token = sign_jwt(hs256_header(), claims, key);
        // Change a character in the middle of the signature (the last one may carry unused bits).
        char& c = token[token.rfind('.') + 10];
        c = c == 'A' ? 'B' : 'A';
        return token;
    }
    case bad_token::wrong_key:
        return auth::sign_hs256(claims, other_key);
    case bad_token::expired:
        claims["iat"] = now - 7200;
        claims["exp"] = now - 600;
        return auth::sign_hs256(claims, key);
    case bad_token::not_yet_valid:
        claims["nbf"] = now + 600;
        return auth::sign_hs256(claims, key);
    case bad_token::wrong_audience:
        claims["aud"] = audience(port, std::string(hub) + "other");
        return auth::sign_hs256(claims, key);
    case bad_token::missing_exp:
        claims.erase("exp");
        return auth::sign_hs256(claims, key);
    case bad_token::oversized: {
        // Just over the 8 KiB token limit (auth::max_token_bytes), not far over: the request must
        // still fit an HTTP server's header limits so that the token check itself answers.
        std::string token;
        for (std::size_t padding = 5800; token.size() <= auth::max_token_bytes + 32; padding += 24) {
            claims["padding"] = std::string(padding, 'x');
            token = auth::sign_hs256(claims, key);
        }
        return token;
    }
    case bad_token::bad_base64url:
        // '+' and '/' belong to standard base64 only; '=' padding is not allowed in JWT segments.
        return sign_raw_jwt(base64url_encode(boost::json::serialize(hs256_header())),
                            "e30+/==" + base64url_encode(boost::json::serialize(claims)), key);
    case bad_token::two_segments: {
        std::string token = sign_jwt(hs256_header(), claims, key);
        return token.substr(0, token.rfind('.'));
    }
    case bad_token::payload_not_json:
        return sign_raw_jwt(base64url_encode(boost::json::serialize(hs256_header())),
                            base64url_encode("[\"an\",\"array\"]"), key);
    case bad_token::invalid_group_claim:
        return with_groups(port, hub, key, "   ");
    case bad_token::empty_group_claim:
        return with_groups(port, hub, key, "");
    case bad_token::long_group_claim:
        return with_groups(port, hub, key, std::string(1025, 'g'));
    }
    return {};
}

} // namespace hubcast::test

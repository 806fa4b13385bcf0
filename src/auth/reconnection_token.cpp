#include "auth/reconnection_token.hpp"

#include <stdexcept>
#include <utility>

#include <boost/json/object.hpp>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/jwt.hpp"
#include "util/base64.hpp"

namespace hubcast::auth {

namespace {

// Marks the token's purpose; a client access token never carries it.
constexpr std::string_view token_type = "hubcast.reconnection";
constexpr std::size_t secret_bytes = 32;
constexpr std::size_t jti_bytes = 12;

std::string random_bytes(std::size_t count) {
    std::string bytes(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
        // Only when the OS gives OpenSSL no entropy: no safe token can be made then.
        throw std::runtime_error("hubcast: OpenSSL's random generator failed");
    }
    return bytes;
}

} // namespace

reconnection_tokens::reconnection_tokens() : reconnection_tokens(random_bytes(secret_bytes)) {}

reconnection_tokens::reconnection_tokens(std::string secret, std::chrono::seconds lifetime)
    : secret_{{std::move(secret)}}, lifetime_(lifetime) {
    if (secret_.signing_key().empty()) {
        throw std::invalid_argument("hubcast: the reconnection token secret must not be empty");
    }
}

std::string reconnection_tokens::issue(std::string_view connection_id, std::int64_t now) const {
    boost::json::object claims;
    claims["typ"] = token_type;
    claims["aud"] = connection_id;
    claims["jti"] = util::base64url_encode(random_bytes(jti_bytes));
    claims["nbf"] = now;
    claims["exp"] = now + lifetime_.count();
    return sign_hs256(claims, secret_.signing_key());
}

std::string reconnection_tokens::digest(std::string_view token) {
    std::string out(32, '\0');
    unsigned int size = 0;
    if (EVP_Digest(token.data(), token.size(), reinterpret_cast<unsigned char*>(out.data()), &size,
                   EVP_sha256(), nullptr) != 1 ||
        size != out.size()) {
        throw std::runtime_error("hubcast: OpenSSL could not compute a SHA-256 digest");
    }
    return out;
}

bool reconnection_tokens::verify(std::string_view token, std::string_view connection_id,
                                 std::int64_t now) const {
    const auto claims = verify_hs256(token, secret_);
    if (!claims) {
        return false;
    }
    const auto* type = claims->if_contains("typ");
    const auto* audience = claims->if_contains("aud");
    const auto* expiry = claims->if_contains("exp");
    const auto* not_before = claims->if_contains("nbf");
    return type != nullptr && type->is_string() && type->get_string() == token_type && audience != nullptr &&
           audience->is_string() && audience->get_string() == connection_id && expiry != nullptr &&
           expiry->is_int64() && now < expiry->get_int64() && not_before != nullptr &&
           not_before->is_int64() && now >= not_before->get_int64();
}

} // namespace hubcast::auth

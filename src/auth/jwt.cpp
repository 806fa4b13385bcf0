#include "auth/jwt.hpp"

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "util/base64.hpp"

namespace hubcast::auth {
namespace {

constexpr std::size_t hs256_size = 32;
using hs256_digest = std::array<unsigned char, hs256_size>;

// Fetching the algorithm takes a lock in OpenSSL's method store; doing it once keeps concurrent
// connects from contending on it. An EVP_MAC is immutable after the fetch and safe to share.
EVP_MAC* hmac_algorithm() {
    static const std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac{
        EVP_MAC_fetch(nullptr, "HMAC", nullptr), &EVP_MAC_free};
    return mac.get();
}

using mac_context = std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)>;

/// A fresh HMAC-SHA256 context keyed with `key`; null when libcrypto cannot make one.
mac_context keyed_context(std::string_view key) {
    EVP_MAC* mac = hmac_algorithm();
    mac_context ctx{mac == nullptr ? nullptr : EVP_MAC_CTX_new(mac), &EVP_MAC_CTX_free};
    if (!ctx) {
        return ctx;
    }
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    // OpenSSL rejects a null key pointer even with length 0; an empty key is legal HMAC input.
    static const unsigned char empty_key = 0;
    const auto* key_bytes = key.empty() ? &empty_key : reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_MAC_init(ctx.get(), key_bytes, key.size(), params) != 1) {
        ctx.reset();
    }
    return ctx;
}

/// This thread's keyed contexts, one per key recently used. Keying a context fetches SHA-256 from
/// the provider store and hashes both key pads: about a third of a token's verification. A keyed
/// context restarts with EVP_MAC_init(ctx, nullptr, 0, nullptr), which keeps the key (the pads
/// already hashed). Per thread, so no lock; bounded, since keys come from the configuration and
/// tests (a server has one or two).
class keyed_contexts {
public:
    /// The context for `key`, restarted and ready for its data; null when libcrypto fails.
    EVP_MAC_CTX* restarted(std::string_view key) {
        for (auto& entry : entries_) {
            if (entry.key == key) {
                if (EVP_MAC_init(entry.ctx.get(), nullptr, 0, nullptr) == 1) {
                    return entry.ctx.get();
                }
                entry.ctx = keyed_context(key); // a failed restart leaves the context unusable
                return entry.ctx.get();
            }
        }
        auto ctx = keyed_context(key);
        if (!ctx) {
            return nullptr;
        }
        if (entries_.size() < capacity) {
            entries_.push_back(entry{std::string(key), std::move(ctx)});
            return entries_.back().ctx.get();
        }
        auto& replaced = entries_[next_replaced_];
        next_replaced_ = (next_replaced_ + 1) % capacity;
        OPENSSL_cleanse(replaced.key.data(), replaced.key.size());
        replaced = entry{std::string(key), std::move(ctx)};
        return replaced.ctx.get();
    }

    keyed_contexts() = default;
    keyed_contexts(const keyed_contexts&) = delete;
    keyed_contexts& operator=(const keyed_contexts&) = delete;
    ~keyed_contexts() {
        for (auto& entry : entries_) {
            OPENSSL_cleanse(entry.key.data(), entry.key.size());
        }
    }

private:
    static constexpr std::size_t capacity = 8;
    struct entry {
        std::string key;
        mac_context ctx{nullptr, &EVP_MAC_CTX_free};
    };
    std::vector<entry> entries_;
    std::size_t next_replaced_ = 0;
};

std::optional<hs256_digest> keyed_hmac(std::string_view key, std::string_view data) {
    thread_local keyed_contexts contexts;
    EVP_MAC_CTX* ctx = contexts.restarted(key);
    if (ctx == nullptr) {
        return std::nullopt;
    }
    hs256_digest digest{};
    std::size_t written = 0;
    if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
        EVP_MAC_final(ctx, digest.data(), &written, digest.size()) != 1 || written != digest.size()) {
        return std::nullopt;
    }
    return digest;
}

/// The JSON object in `text`, its memory from `resource` (null: the default one).
std::optional<boost::json::object> parse_object(std::string_view text,
                                                boost::json::storage_ptr resource = {}) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(text, ec, std::move(resource));
    if (ec || !value.is_object()) {
        return std::nullopt;
    }
    return std::move(value.as_object());
}

} // namespace

std::optional<std::array<unsigned char, 32>> hmac_sha256(std::string_view key, std::string_view data) {
    return keyed_hmac(key, data);
}

std::string_view describe(jwt_error error) noexcept {
    switch (error) {
    case jwt_error::too_large:
        return "token is too large";
    case jwt_error::malformed:
        return "token is malformed";
    case jwt_error::unsupported_algorithm:
        return "token algorithm is not HS256";
    case jwt_error::bad_signature:
        return "token signature is invalid";
    }
    return "token is invalid";
}

util::result<boost::json::object, jwt_error> verify_hs256(std::string_view token, const access_keys& keys) {
    // Checked before anything else so that an oversized token costs nothing but this comparison.
    if (token.size() > max_token_bytes) {
        return util::fail(jwt_error::too_large);
    }
    const auto first_dot = token.find('.');
    const auto second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos) {
        return util::fail(jwt_error::malformed);
    }
    const std::string_view signing_input = token.substr(0, second_dot);
    // The three segments decode into one buffer on the stack: a token within max_token_bytes
    // decodes to at most 3/4 of it.
    std::array<char, max_token_bytes / 4 * 3> decoded;
    const std::span<char> buffer(decoded);
    const auto header_size = util::base64url_decode_to(token.substr(0, first_dot), buffer);
    const auto payload_size =
        header_size ? util::base64url_decode_to(token.substr(first_dot + 1, second_dot - first_dot - 1),
                                                buffer.subspan(*header_size))
                    : std::nullopt;
    const auto signature_size = payload_size
                                    ? util::base64url_decode_to(token.substr(second_dot + 1),
                                                                buffer.subspan(*header_size + *payload_size))
                                    : std::nullopt;
    if (!signature_size) {
        return util::fail(jwt_error::malformed);
    }
    const std::string_view header_text(decoded.data(), *header_size);
    const std::string_view payload_text(decoded.data() + *header_size, *payload_size);
    const std::string_view signature(decoded.data() + *header_size + *payload_size, *signature_size);

    // The header is dropped once read: its JSON lives in a stack buffer, with no heap allocation
    // unless it is unusually large.
    std::array<unsigned char, 1024> header_memory;
    boost::json::monotonic_resource header_resource(header_memory.data(), header_memory.size());
    const auto header = parse_object(header_text, &header_resource);
    if (!header) {
        return util::fail(jwt_error::malformed);
    }
    // The algorithm is pinned, never taken from the token: that is what stops "none" and the
    // HS/RS confusion attacks.
    const auto* alg = header->if_contains("alg");
    if (alg == nullptr || !alg->is_string() || alg->get_string() != "HS256") {
        return util::fail(jwt_error::unsupported_algorithm);
    }
    // RFC 7515 4.1.11: a token with critical extensions we do not implement must be refused.
    if (header->contains("crit")) {
        return util::fail(jwt_error::unsupported_algorithm);
    }

    if (signature.size() != hs256_size) {
        return util::fail(jwt_error::bad_signature);
    }
    bool verified = false;
    // Every key is tried even after a match so that the time taken does not tell which key signed.
    for (const std::string& key : keys.keys) {
        const auto expected = keyed_hmac(key, signing_input);
        if (expected && CRYPTO_memcmp(expected->data(), signature.data(), hs256_size) == 0) {
            verified = true;
        }
    }
    if (!verified) {
        return util::fail(jwt_error::bad_signature);
    }

    // Parsed only once authenticated: unauthenticated input never reaches the claims parser.
    auto claims = parse_object(payload_text);
    if (!claims) {
        return util::fail(jwt_error::malformed);
    }
    return std::move(*claims);
}

std::string sign_hs256(const boost::json::object& claims, std::string_view key) {
    static constexpr std::string_view header = R"({"alg":"HS256","typ":"JWT"})";
    std::string token = util::base64url_encode(header);
    token += '.';
    token += util::base64url_encode(boost::json::serialize(claims));
    const auto digest = keyed_hmac(key, token);
    if (!digest) {
        // Only reachable when libcrypto itself is broken (no HMAC or SHA-256 provider).
        throw std::runtime_error("HMAC-SHA256 is unavailable in libcrypto");
    }
    token += '.';
    token += util::base64url_encode(
        std::string_view(reinterpret_cast<const char*>(digest->data()), digest->size()));
    return token;
}

} // namespace hubcast::auth

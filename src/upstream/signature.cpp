#include "upstream/signature.hpp"

#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace hubcast::upstream {

std::string sign_connection_id(const std::vector<std::string>& keys, std::string_view connection_id) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(keys.size() * 72);
    for (const auto& key : keys) {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        // OpenSSL refuses a null key pointer even with length 0; keys are never empty (validated).
        if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(connection_id.data()), connection_id.size(), digest,
                 &length) == nullptr) {
            // Only reachable when libcrypto itself is broken (no HMAC or SHA-256 provider).
            throw std::runtime_error("HMAC-SHA256 is unavailable in libcrypto");
        }
        if (!out.empty()) {
            out.push_back(',');
        }
        out.append("sha256=");
        for (unsigned int i = 0; i < length; ++i) {
            out.push_back(hex[digest[i] >> 4]);
            out.push_back(hex[digest[i] & 0x0F]);
        }
    }
    return out;
}

} // namespace hubcast::upstream

#pragma once

#include <string>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/hmac.h>

// A second JWT encoder for cross-checks, sharing no code with hubcast: OpenSSL's one-shot HMAC()
// and EVP_EncodeBlock instead of src/auth's EVP_MAC path and src/util's base64. Tests use it to
// build tokens with any header and to derive expected tokens rather than hard-coding them.
namespace hubcast::auth::testing {

inline std::string independent_base64url(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(written));
    while (!out.empty() && out.back() == '=') {
        out.pop_back();
    }
    for (char& c : out) {
        if (c == '+') {
            c = '-';
        } else if (c == '/') {
            c = '_';
        }
    }
    return out;
}

inline std::string independent_hs256(std::string_view key, std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    static const unsigned char empty = 0;
    HMAC(EVP_sha256(), key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data()),
         static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest, &size);
    return std::string(reinterpret_cast<const char*>(digest), size);
}

/// header.payload.signature from raw JSON texts, signed with `key`.
inline std::string independent_token(std::string_view header_json, std::string_view payload_json,
                                     std::string_view key) {
    std::string input = independent_base64url(header_json) + "." + independent_base64url(payload_json);
    return input + "." + independent_base64url(independent_hs256(key, input));
}

} // namespace hubcast::auth::testing

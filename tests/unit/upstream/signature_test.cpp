#include <gtest/gtest.h>

#include "upstream/signature.hpp"

namespace hubcast::upstream {
namespace {

// HMAC-SHA256 test vector (key "key", message "The quick brown fox jumps over the lazy dog"), as
// published with the algorithm; computed independently of the code under test.
constexpr const char* fox = "The quick brown fox jumps over the lazy dog";
constexpr const char* fox_mac = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";

TEST(Signature, OneLowercaseHexHmacPerKeyJoinedWithCommas) {
    EXPECT_EQ(sign_connection_id({"key"}, fox), std::string("sha256=") + fox_mac);
    EXPECT_EQ(sign_connection_id({"key", "key"}, fox),
              std::string("sha256=") + fox_mac + ",sha256=" + fox_mac);
}

TEST(Signature, TheKeyIsTheStringsBytesNotItsBase64Decoding) {
    // Azure keys look like base64; the SDKs use them as UTF-8 text (spec 0.4).
    EXPECT_NE(sign_connection_id({"a2V5"}, fox), std::string("sha256=") + fox_mac);
}

TEST(Signature, NoKeysNoSignature) {
    EXPECT_EQ(sign_connection_id({}, "conn"), "");
}

} // namespace
} // namespace hubcast::upstream

// verify_hs256 and sign_hs256 keep a keyed HMAC context per thread and key (restarted, not rebuilt,
// for each token). These tests hold the cache to what a fresh context per token computed: many
// keys (more than the cache holds), keys that are prefixes of each other, the empty key, and
// threads of their own.
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "independent_jwt.hpp"

namespace hubcast::auth {
namespace {

using testing::independent_token;

constexpr std::string_view payload = R"({"aud":"http://localhost/client/hubs/chat","exp":1700003600})";

std::vector<std::string> many_keys() {
    std::vector<std::string> keys{"", "k", "key", "key-", "key-1"};
    for (int i = 0; i < 20; ++i) {
        keys.push_back("key-" + std::to_string(i) + "-0123456789abcdefghijklmnopqrstuvwxyz");
    }
    keys.push_back(std::string(200, 'x')); // longer than a SHA-256 block: hashed first
    return keys;
}

void expect_each_key_verifies_only_its_own_tokens(const std::vector<std::string>& keys) {
    for (int round = 0; round < 3; ++round) {
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const std::string token = independent_token(R"({"alg":"HS256","typ":"JWT"})", payload, keys[i]);
            EXPECT_TRUE(verify_hs256(token, access_keys{{keys[i]}})) << i;
            const auto& other = keys[(i + 1) % keys.size()];
            const auto refused = verify_hs256(token, access_keys{{other}});
            ASSERT_FALSE(refused) << i;
            EXPECT_EQ(refused.error(), jwt_error::bad_signature);
            EXPECT_TRUE(verify_hs256(token, access_keys{{other, keys[i]}})) << i;
        }
    }
}

TEST(JwtKeyCache, EveryKeyGivesTheSameSignatureAsAFreshHmac) {
    const auto keys = many_keys();
    for (int round = 0; round < 3; ++round) {
        for (const auto& key : keys) {
            EXPECT_EQ(sign_hs256(boost::json::object{{"n", round}}, key),
                      independent_token(R"({"alg":"HS256","typ":"JWT"})",
                                        "{\"n\":" + std::to_string(round) + "}", key));
        }
    }
}

TEST(JwtKeyCache, MoreKeysThanTheCacheHoldsStillVerify) {
    expect_each_key_verifies_only_its_own_tokens(many_keys());
}

TEST(JwtKeyCache, EachThreadHasItsOwnContexts) {
    const auto keys = many_keys();
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
        threads.emplace_back([&keys] { expect_each_key_verifies_only_its_own_tokens(keys); });
    }
    for (auto& thread : threads) {
        thread.join();
    }
}

} // namespace
} // namespace hubcast::auth

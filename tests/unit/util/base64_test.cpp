#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "util/base64.hpp"

namespace {

using hubcast::util::base64_decode;
using hubcast::util::base64_encode;
using hubcast::util::base64url_decode;
using hubcast::util::base64url_encode;

// RFC 4648 section 10.
const std::vector<std::pair<std::string, std::string>> rfc4648_vectors{
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

std::string all_byte_values() {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes.push_back(static_cast<char>(i));
    }
    return bytes;
}

TEST(Base64, EncodesRfc4648Vectors) {
    for (const auto& [plain, encoded] : rfc4648_vectors) {
        EXPECT_EQ(base64_encode(plain), encoded) << plain;
    }
}

TEST(Base64, DecodesRfc4648Vectors) {
    for (const auto& [plain, encoded] : rfc4648_vectors) {
        EXPECT_EQ(base64_decode(encoded), plain) << encoded;
    }
}

TEST(Base64, UrlVariantDropsPaddingOnRfc4648Vectors) {
    for (const auto& [plain, encoded] : rfc4648_vectors) {
        std::string unpadded = encoded.substr(0, encoded.find('='));
        EXPECT_EQ(base64url_encode(plain), unpadded) << plain;
        EXPECT_EQ(base64url_decode(unpadded), plain) << unpadded;
    }
}

TEST(Base64, StandardAndUrlAlphabetsDifferInTheLastTwoSymbols) {
    // 0xfb 0xff 0xbf encodes to sextets 62 63 62 63.
    const std::string bytes{"\xfb\xff\xbf", 3};
    EXPECT_EQ(base64_encode(bytes), "+/+/");
    EXPECT_EQ(base64url_encode(bytes), "-_-_");
    EXPECT_EQ(base64_decode("+/+/"), bytes);
    EXPECT_EQ(base64url_decode("-_-_"), bytes);
    EXPECT_EQ(base64_decode("-_-_"), std::nullopt);
    EXPECT_EQ(base64url_decode("+/+/"), std::nullopt);
}

TEST(Base64, AcceptsWhatNodeWritesForEveryByteValue) {
    // Buffer.from([...Array(256).keys()]).toString("base64"), verbatim.
    const std::string node = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo"
                             "7PD0+P0BBQkNERUZHSElKS0xN"
                             "Tk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+"
                             "AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqb"
                             "nJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/"
                             "wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp"
                             "6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==";
    EXPECT_EQ(base64_decode(node), all_byte_values());
    EXPECT_EQ(base64_encode(all_byte_values()), node);
}

TEST(Base64, RejectsCharactersOutsideTheAlphabet) {
    // Each has a valid length, so only the character check can reject it.
    for (const char* text : {"Zm9v!A==", "Zm9v YmF", "Zm9v\nYmF", "Zm9vYmE\t", "Zm9v\r\nYm"}) {
        EXPECT_EQ(base64_decode(text), std::nullopt) << text;
    }
    EXPECT_EQ(base64_decode(std::string_view{"Zm9vYmE\0", 8}), std::nullopt);
    EXPECT_EQ(base64_decode("Zm\xc3\xa9"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm9v.mFy"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm9v YmF"), std::nullopt);
}

TEST(Base64, RejectsMisplacedOrMissingPadding) {
    for (const char* text : {
             "Zg",       // unpadded: the standard decoder wants what Node and .NET write
             "Zm8",      // unpadded
             "Zg=",      // length not a multiple of 4
             "Zg===",    // too much padding
             "Z===",     // three padding characters
             "====",     // padding only
             "=Zm8",     // padding first
             "Zm=v",     // padding in the middle
             "Zg==Zg==", // padding before the end
             "Zm9vY",    // length 4n+1
         }) {
        EXPECT_EQ(base64_decode(text), std::nullopt) << text;
    }
}

TEST(Base64, UrlVariantRejectsPaddingAndImpossibleLengths) {
    EXPECT_EQ(base64url_decode("Zg=="), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm8="), std::nullopt);
    EXPECT_EQ(base64url_decode("Z"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm9vY"), std::nullopt);
}

TEST(Base64, RejectsNonZeroTrailingBits) {
    // "Zh==" and "Zm9=" spell the same bytes as "Zg==" and "Zm8=" with stray low bits set.
    EXPECT_EQ(base64_decode("Zh=="), std::nullopt);
    EXPECT_EQ(base64_decode("Zm9="), std::nullopt);
    EXPECT_EQ(base64url_decode("Zh"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm9"), std::nullopt);
}

TEST(Base64, JwtSegmentDecodes) {
    // The header of the JWT example in RFC 7519 section 3.1.
    EXPECT_EQ(base64url_decode("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"),
              std::string("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"));
}

TEST(Base64, RoundTripsRandomBytesOfEveryLength) {
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> byte(0, 255);
    for (std::size_t size = 0; size < 200; ++size) {
        std::string bytes;
        for (std::size_t i = 0; i < size; ++i) {
            bytes.push_back(static_cast<char>(byte(rng)));
        }
        const std::string standard = base64_encode(bytes);
        const std::string url = base64url_encode(bytes);
        EXPECT_EQ(standard.size(), (size + 2) / 3 * 4);
        EXPECT_EQ(url.size(), (size * 4 + 2) / 3);
        EXPECT_EQ(base64_decode(standard), bytes) << size;
        EXPECT_EQ(base64url_decode(url), bytes) << size;
    }
}

TEST(Base64, EveryCorruptedCharacterIsRejected) {
    // Flipping any character of a valid encoding to a byte outside the alphabet must fail; this
    // walks the error check over every position of the fast loop and of the tail.
    const std::string encoded = base64_encode("hello, world! 0123456789");
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        for (char bad : {'*', '-', '_', '.', ' ', '\x80', '\xff', '\0'}) {
            std::string corrupted = encoded;
            corrupted[i] = bad;
            EXPECT_EQ(base64_decode(corrupted), std::nullopt) << i << " " << int(bad);
        }
    }
}

} // namespace

// base64url_decode_to() is base64url_decode() into a caller's buffer (JWT segments decode onto the
// stack): the same answer for every input, and no write past the buffer it is given.
#include <array>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "util/base64.hpp"

namespace {

using hubcast::util::base64url_decode;
using hubcast::util::base64url_decode_to;
using hubcast::util::base64url_encode;

std::optional<std::string> decode_to_string(std::string_view text) {
    std::vector<char> buffer(text.size() / 4 * 3 + 2);
    const auto size = base64url_decode_to(text, buffer);
    if (!size) {
        return std::nullopt;
    }
    return std::string(buffer.data(), *size);
}

TEST(Base64DecodeTo, AgreesWithBase64urlDecode) {
    const std::vector<std::string> inputs{"",         "Zg",    "Zm8",  "Zm9v", "Zm9vYg", "Zm9vYmE",
                                          "Zm9vYmFy", "Z",     "Zh",   "Zm9=", "Zm+v",   "Zm/v",
                                          "Zm-_",     "Zm9vY", "Zm 9", "Zg==", "Zmx",    "Zmy"};
    for (const auto& input : inputs) {
        EXPECT_EQ(decode_to_string(input), base64url_decode(input)) << input;
    }
    std::mt19937 random(7);
    std::uniform_int_distribution<int> byte(0, 255);
    for (std::size_t length = 0; length < 100; ++length) {
        std::string bytes;
        for (std::size_t i = 0; i < length; ++i) {
            bytes.push_back(static_cast<char>(byte(random)));
        }
        std::string encoded = base64url_encode(bytes);
        EXPECT_EQ(decode_to_string(encoded), bytes);
        if (!encoded.empty()) {
            encoded[length % encoded.size()] = '*';
            EXPECT_EQ(decode_to_string(encoded), std::nullopt);
        }
    }
}

TEST(Base64DecodeTo, RefusesABufferTooSmall) {
    std::array<char, 8> buffer{};
    buffer.fill('#');
    EXPECT_EQ(base64url_decode_to("Zm9vYmFy", std::span<char>(buffer).first(5)), std::nullopt);
    EXPECT_EQ(std::string(buffer.data(), buffer.size()), "########"); // nothing written
    EXPECT_EQ(base64url_decode_to("Zm9vYmFy", std::span<char>(buffer).first(6)), 6u);
    EXPECT_EQ(std::string(buffer.data(), 6), "foobar");
    EXPECT_EQ(base64url_decode_to("", std::span<char>()), 0u);
}

} // namespace

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/utf8.hpp"
#include "support/utf8_oracle.hpp"

namespace hubcast::protocol {
namespace {

// A prefix is viable if some completion makes it valid. Completions need at most 3 continuation
// bytes, and the only distinctions any lead byte makes are 80..8F / 90..9F / A0..BF.
bool reference_viable(const std::string& prefix) {
    if (test::is_valid_utf8(prefix)) {
        return true;
    }
    static const char reps[] = {'\x80', '\x90', '\xA0'};
    std::vector<std::string> frontier{prefix};
    for (int depth = 0; depth < 3; ++depth) {
        std::vector<std::string> next;
        for (const auto& p : frontier) {
            for (char r : reps) {
                std::string candidate = p + r;
                if (test::is_valid_utf8(candidate)) {
                    return true;
                }
                next.push_back(std::move(candidate));
            }
        }
        frontier = std::move(next);
    }
    return false;
}

// Index of the first byte after which the input can no longer become valid, or nullopt.
std::optional<std::size_t> reference_fail_index(std::string_view s) {
    for (std::size_t k = 1; k <= s.size(); ++k) {
        if (!reference_viable(std::string(s.substr(0, k)))) {
            return k - 1;
        }
    }
    return std::nullopt;
}

std::optional<std::size_t> fail_index_fed_bytewise(std::string_view s) {
    utf8_validator v;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (!v.feed(s.substr(i, 1))) {
            return i;
        }
    }
    return std::nullopt;
}

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) {
        out.push_back(static_cast<char>(v));
    }
    return out;
}

TEST(Utf8, AcceptsValidText) {
    const std::vector<std::string> valid = {
        "",
        "hello, world",
        "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5", // κόσμε
        bytes({0xC2, 0x80}),                            // U+0080, first 2-byte
        bytes({0xDF, 0xBF}),                            // U+07FF, last 2-byte
        bytes({0xE0, 0xA0, 0x80}),                      // U+0800, first 3-byte
        bytes({0xED, 0x9F, 0xBF}),                      // U+D7FF, just below the surrogates
        bytes({0xEE, 0x80, 0x80}),                      // U+E000, just above the surrogates
        bytes({0xEF, 0xBF, 0xBD}),                      // U+FFFD
        bytes({0xEF, 0xBF, 0xBF}),                      // U+FFFF (a noncharacter, still valid)
        bytes({0xF0, 0x90, 0x80, 0x80}),                // U+10000, first 4-byte
        bytes({0xF4, 0x8F, 0xBF, 0xBF}),                // U+10FFFF, the last code point
        std::string(1, '\0'),
    };
    for (const auto& s : valid) {
        EXPECT_TRUE(is_valid_utf8(s)) << testing::PrintToString(s);
    }
}

struct invalid_case {
    const char* name;
    std::string input;
    std::size_t fail_at; // the byte at which a fail-fast validator must give up
};

TEST(Utf8, RejectsInvalidTextAtTheFirstImpossibleByte) {
    const std::vector<invalid_case> cases = {
        {"lone continuation", bytes({'a', 0x80}), 1},
        {"C0 never valid", bytes({0xC0, 0x80}), 0},
        {"C1 never valid", bytes({0xC1, 0xBF}), 0},
        {"overlong 3-byte", bytes({0xE0, 0x80, 0xAF}), 1},
        {"overlong 3-byte top", bytes({0xE0, 0x9F, 0xBF}), 1},
        {"overlong 4-byte", bytes({0xF0, 0x80, 0x80, 0xAF}), 1},
        {"overlong 4-byte top", bytes({0xF0, 0x8F, 0xBF, 0xBF}), 1},
        {"high surrogate", bytes({0xED, 0xA0, 0x80}), 1},
        {"low surrogate", bytes({0xED, 0xBF, 0xBF}), 1},
        {"above U+10FFFF", bytes({0xF4, 0x90, 0x80, 0x80}), 1},
        {"F5 lead", bytes({0xF5, 0x80, 0x80, 0x80}), 0},
        {"FE", bytes({0xFE}), 0},
        {"FF", bytes({0xFF}), 0},
        {"ASCII inside a sequence", bytes({0xE2, 0x82, 'a'}), 2},
        {"new lead inside a sequence", bytes({0xC3, 0xC3, 0xA9}), 1},
        {"valid then surrogate",
         "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80"
         "edited",
         12},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_FALSE(is_valid_utf8(c.input));
        EXPECT_EQ(fail_index_fed_bytewise(c.input), std::optional<std::size_t>{c.fail_at});
        EXPECT_EQ(reference_fail_index(c.input), std::optional<std::size_t>{c.fail_at}); // checks the case
    }
}

TEST(Utf8, TruncatedSequenceIsAPrefixButNotComplete) {
    for (const auto& s :
         {bytes({0xC3}), bytes({0xE2, 0x82}), bytes({0xF0, 0x9F, 0x98}), bytes({'a', 0xF4})}) {
        utf8_validator v;
        EXPECT_TRUE(v.feed(s));
        EXPECT_FALSE(v.complete());
        EXPECT_FALSE(is_valid_utf8(s));
    }
}

TEST(Utf8, ValidTextSplitAtEveryOffsetStaysValid) {
    const std::string text =
        "ascii \xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5 \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF "
        "\xE0\xA0\x80\xDF\xBF end";
    ASSERT_TRUE(test::is_valid_utf8(text));
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        utf8_validator v;
        ASSERT_TRUE(v.feed(std::string_view(text).substr(0, cut))) << cut;
        ASSERT_TRUE(v.feed(std::string_view(text).substr(cut))) << cut;
        EXPECT_TRUE(v.complete()) << cut;
    }
}

TEST(Utf8, FailureIsStickyUntilReset) {
    utf8_validator v;
    EXPECT_FALSE(v.feed(bytes({0xFF})));
    EXPECT_FALSE(v.feed("plain ascii"));
    EXPECT_FALSE(v.complete());
    v.reset();
    EXPECT_TRUE(v.feed("plain ascii"));
    EXPECT_TRUE(v.complete());
}

TEST(Utf8, ResetDropsAPendingSequence) {
    utf8_validator v;
    EXPECT_TRUE(v.feed(bytes({0xE2, 0x82})));
    v.reset();
    EXPECT_TRUE(v.complete());
    EXPECT_TRUE(v.feed("a"));
}

// The ASCII fast path skips 8 bytes at a time; an invalid byte or a character at any position
// relative to those words must still be seen.
TEST(Utf8, AsciiFastPathSeesEveryPosition) {
    for (std::size_t pos = 0; pos < 40; ++pos) {
        std::string s(48, 'x');
        s[pos] = '\x80';
        EXPECT_FALSE(is_valid_utf8(s)) << pos;
        EXPECT_EQ(fail_index_fed_bytewise(s), std::optional<std::size_t>{pos});

        std::string with_char(48, 'y');
        with_char.replace(pos, 3, "\xE2\x82\xAC"); // €
        EXPECT_TRUE(is_valid_utf8(with_char)) << pos;

        std::string surrogate(48, 'z');
        surrogate.replace(pos, 3, "\xED\xA0\x80");
        EXPECT_FALSE(is_valid_utf8(surrogate)) << pos;

        std::string truncated(pos, 'w');
        truncated += "\xF0\x9F";
        EXPECT_FALSE(is_valid_utf8(truncated)) << pos;
    }
}

TEST(Utf8, AgreesWithTheOracleOnEveryTwoByteInput) {
    for (int a = 0; a < 256; ++a) {
        for (int b = 0; b < 256; ++b) {
            const std::string s = bytes({a, b});
            ASSERT_EQ(is_valid_utf8(s), test::is_valid_utf8(s)) << a << ' ' << b;
            ASSERT_EQ(fail_index_fed_bytewise(s), reference_fail_index(s)) << a << ' ' << b;
        }
    }
}

// Every boundary value of every byte class, in every combination up to four bytes.
TEST(Utf8, AgreesWithTheOracleOnBoundaryBytesUpToFourLong) {
    const std::vector<int> edges = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                    0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
    std::size_t checked = 0;
    for (int a : edges) {
        for (int b : edges) {
            for (int c : edges) {
                const std::string three = bytes({a, b, c});
                ASSERT_EQ(fail_index_fed_bytewise(three), reference_fail_index(three));
                if (a < 0xF0) {
                    continue; // keeps the test fast: for shorter leads the fourth byte starts a new character
                }
                for (int d : edges) {
                    const std::string four = bytes({a, b, c, d});
                    ASSERT_EQ(is_valid_utf8(four), test::is_valid_utf8(four));
                    ASSERT_EQ(fail_index_fed_bytewise(four), reference_fail_index(four));
                    ++checked;
                }
            }
        }
    }
    EXPECT_GT(checked, 10000u);
}

// Whole strings of 64 bytes and more are validated by a different routine than short ones (see
// is_valid_utf8): boundary sequences at every offset of a long ASCII text, across the 64-byte
// blocks it reads, must get the oracle's answer too, and so must a sequence cut by the end.
TEST(Utf8, LongInputsAgreeWithTheOracleAtEveryOffset) {
    const std::vector<int> edges = {0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5};
    std::size_t invalid = 0;
    for (int a : edges) {
        for (int b : edges) {
            for (int c : edges) {
                for (std::size_t pos = 60; pos < 134; ++pos) {
                    std::string s(136, 'x');
                    s[pos] = static_cast<char>(a);
                    s[pos + 1] = static_cast<char>(b);
                    s[pos + 2] = static_cast<char>(c);
                    const bool expected = test::is_valid_utf8(s);
                    ASSERT_EQ(is_valid_utf8(s), expected) << a << ' ' << b << ' ' << c << " at " << pos;
                    invalid += expected ? 0 : 1;
                    const std::string cut = s.substr(0, pos + 2);
                    ASSERT_EQ(is_valid_utf8(cut), test::is_valid_utf8(cut))
                        << a << ' ' << b << " cut at " << pos;
                }
            }
        }
    }
    EXPECT_GT(invalid, 10000u);
}

} // namespace
} // namespace hubcast::protocol

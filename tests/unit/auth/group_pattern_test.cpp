#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "auth/group_pattern.hpp"

namespace hubcast::auth {
namespace {

bool matches(std::string_view pattern, std::string_view group) {
    const auto compiled = group_pattern::compile(pattern);
    EXPECT_TRUE(compiled) << pattern;
    return compiled && compiled->matches(group);
}

TEST(GroupPattern, DocumentationExamples) {
    // The table of Azure's "wildcard group roles" page.
    EXPECT_TRUE(matches("chat-*", "chat-1"));
    EXPECT_TRUE(matches("chat-*", "chat-room"));
    EXPECT_FALSE(matches("chat-*", "chat.1"));
    EXPECT_FALSE(matches("chat-*", "xchat-1"));
    EXPECT_TRUE(matches("clientA.*", "clientA.alpha"));
    EXPECT_TRUE(matches("clientA.*", "clientA.1"));
    EXPECT_FALSE(matches("clientA.*", "clientA.alpha.room1"));
    EXPECT_FALSE(matches("clientA.*", "clientB.alpha"));
    EXPECT_TRUE(matches("clientA.**", "clientA.alpha"));
    EXPECT_TRUE(matches("clientA.**", "clientA.alpha.room1"));
    EXPECT_FALSE(matches("clientA.**", "clientB.anything"));
    EXPECT_TRUE(matches("clientA.rooms.?1", "clientA.rooms.a1"));
    EXPECT_TRUE(matches("clientA.rooms.?1", "clientA.rooms.11"));
    EXPECT_FALSE(matches("clientA.rooms.?1", "clientA.rooms.1"));
    EXPECT_FALSE(matches("clientA.rooms.?1", "clientA.rooms.a.1"));
    EXPECT_TRUE(matches(R"(literal\*star)", "literal*star"));
    EXPECT_FALSE(matches(R"(literal\*star)", "literalXstar"));
    EXPECT_TRUE(matches(R"(project\*123)", "project*123"));
}

TEST(GroupPattern, QuestionMarkIsExactlyOneNonDotCharacter) {
    EXPECT_TRUE(matches("a?c", "abc"));
    EXPECT_FALSE(matches("a?c", "ac"));
    EXPECT_FALSE(matches("a?c", "abbc"));
    EXPECT_FALSE(matches("a?c", "a.c"));
    EXPECT_TRUE(matches("??", "?*"));
    // A character is a code point: 'é' is two bytes of UTF-8, '€' three, '😀' four.
    EXPECT_TRUE(matches("caf?", "caf\xC3\xA9"));
    EXPECT_TRUE(matches("?", "\xE2\x82\xAC"));
    EXPECT_TRUE(matches("?", "\xF0\x9F\x98\x80"));
    EXPECT_FALSE(matches("??", "\xC3\xA9"));
    EXPECT_TRUE(matches("caf\xC3\xA9", "caf\xC3\xA9"));
    EXPECT_FALSE(matches("caf\xC3\xA9", "caf\xC3\xA8"));
    // Bytes that are not UTF-8 count one each.
    EXPECT_TRUE(matches("??", "\xC3\x41"));
}

TEST(GroupPattern, StarStaysWithinALevel) {
    EXPECT_TRUE(matches("a*", "a"));
    EXPECT_TRUE(matches("*", ""));
    EXPECT_TRUE(matches("*b*", "abc"));
    EXPECT_TRUE(matches("a.*.c", "a.b.c"));
    EXPECT_TRUE(matches("a.*.c", "a..c"));
    EXPECT_FALSE(matches("a.*.c", "a.b.b.c"));
    EXPECT_FALSE(matches("*", "a.b"));
    EXPECT_TRUE(matches("*.*", "a.b"));
    EXPECT_TRUE(matches("*a*b", "xaybab"));
    EXPECT_FALSE(matches("*a*b", "xaybac"));
}

TEST(GroupPattern, DoubleStarCrossesLevels) {
    EXPECT_TRUE(matches("**", ""));
    EXPECT_TRUE(matches("**", "a.b.c"));
    EXPECT_TRUE(matches("a.**", "a."));
    EXPECT_FALSE(matches("a.**", "a"));
    EXPECT_TRUE(matches("a.**.z", "a.b.c.z"));
    EXPECT_TRUE(matches("a.**.z", "a..z"));
    EXPECT_FALSE(matches("a.**.z", "a.z"));
    EXPECT_TRUE(matches("a**z", "az"));
    EXPECT_TRUE(matches("**.end", "x.y.end"));
    EXPECT_FALSE(matches("**.end", "x.y.end.no"));
}

TEST(GroupPattern, EscapesMakeLiterals) {
    EXPECT_TRUE(matches(R"(a\?)", "a?"));
    EXPECT_FALSE(matches(R"(a\?)", "ab"));
    EXPECT_TRUE(matches(R"(a\\b)", R"(a\b)"));
    EXPECT_TRUE(matches(R"(\\*)", R"(\anything)"));
    EXPECT_FALSE(matches(R"(\\*)", R"(\a.b)"));
    EXPECT_TRUE(matches(R"(\*\*)", "**"));
    EXPECT_FALSE(matches(R"(\*\*)", "a.b"));
}

TEST(GroupPattern, OtherEscapesAreInvalid) {
    for (const std::string_view bad : {R"(a\b)", R"(a\.b)", R"(trailing\)", R"(\)", R"(a\ )"}) {
        EXPECT_FALSE(group_pattern::compile(bad)) << bad;
    }
}

TEST(GroupPattern, AtMostFiveStarsCountingEachOfDoubleStar) {
    EXPECT_TRUE(group_pattern::compile("*.*.*.*.*"));
    EXPECT_FALSE(group_pattern::compile("*.*.*.*.*.*"));
    EXPECT_TRUE(group_pattern::compile("**.**.*"));
    EXPECT_FALSE(group_pattern::compile("**.**.**"));
    EXPECT_FALSE(group_pattern::compile("******"));
    // Escaped stars are literals and do not count; question marks never do.
    EXPECT_TRUE(group_pattern::compile(R"(\*\*\*\*\*\*.*****)"));
    EXPECT_TRUE(group_pattern::compile("??????????.*"));
}

TEST(GroupPattern, LengthIsOneTo1024Characters) {
    EXPECT_FALSE(group_pattern::compile(""));
    EXPECT_TRUE(group_pattern::compile(std::string(1024, 'a')));
    EXPECT_FALSE(group_pattern::compile(std::string(1025, 'a')));
}

TEST(GroupPattern, MatchingIsCaseSensitive) {
    EXPECT_FALSE(matches("Room.*", "room.1"));
    EXPECT_FALSE(matches("room.a?", "room.AB"));
    EXPECT_TRUE(matches("room.A?", "room.AB"));
}

TEST(GroupPattern, LiteralPatternMatchesOnlyItself) {
    EXPECT_TRUE(matches("a.b", "a.b"));
    EXPECT_FALSE(matches("a.b", "a.bc"));
    EXPECT_FALSE(matches("a.b", "a"));
    EXPECT_FALSE(matches("a.b", ""));
}

TEST(GroupPattern, KeepsItsText) {
    EXPECT_EQ(group_pattern::compile(R"(a.\*.**)")->text(), R"(a.\*.**)");
}

TEST(GroupPattern, KnowsWhenItMatchesEverything) {
    EXPECT_TRUE(group_pattern::compile("**")->matches_everything());
    EXPECT_TRUE(group_pattern::compile("***")->matches_everything());
    EXPECT_FALSE(group_pattern::compile("*.**")->matches_everything());
    EXPECT_FALSE(group_pattern::compile("*")->matches_everything());
    EXPECT_FALSE(group_pattern::compile("a**")->matches_everything());
    EXPECT_FALSE(group_pattern::compile(R"(\*\*)")->matches_everything());
}

// Backtracking over the pattern: exponential, but the obvious reading of the rules, so it is the
// reference for the real matcher on small inputs. ASCII only.
bool reference_match(std::string_view p, std::string_view g) {
    if (p.empty()) {
        return g.empty();
    }
    if (p.starts_with("**")) {
        for (std::size_t k = 0; k <= g.size(); ++k) {
            if (reference_match(p.substr(2), g.substr(k))) {
                return true;
            }
        }
        return false;
    }
    if (p[0] == '*') {
        for (std::size_t k = 0; k <= g.size() && (k == 0 || g[k - 1] != '.'); ++k) {
            if (reference_match(p.substr(1), g.substr(k))) {
                return true;
            }
        }
        return false;
    }
    if (g.empty()) {
        return false;
    }
    if (p[0] == '?') {
        return g[0] != '.' && reference_match(p.substr(1), g.substr(1));
    }
    if (p[0] == '\\') {
        return p[1] == g[0] && reference_match(p.substr(2), g.substr(1));
    }
    return p[0] == g[0] && reference_match(p.substr(1), g.substr(1));
}

TEST(GroupPattern, AgreesWithABacktrackingReference) {
    std::mt19937 random(20240601);
    const std::vector<std::string> pieces = {"a", "b", ".", "*", "**", "?", R"(\*)", R"(\?)"};
    const std::string alphabet = "ab.*?";
    int compared = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string pattern;
        const int length = 1 + static_cast<int>(random() % 6);
        for (int i = 0; i < length; ++i) {
            pattern += pieces[random() % pieces.size()];
        }
        std::string group;
        const int group_length = static_cast<int>(random() % 8);
        for (int i = 0; i < group_length; ++i) {
            group += alphabet[random() % alphabet.size()];
        }
        const auto compiled = group_pattern::compile(pattern);
        if (!compiled) {
            continue; // too many stars; covered by the limit tests
        }
        ASSERT_EQ(compiled->matches(group), reference_match(pattern, group)) << pattern << " vs " << group;
        ++compared;
    }
    EXPECT_GT(compared, 15000);
}

TEST(GroupPattern, WorstCaseInputsStayPolynomial) {
    // Five stars against a long near-miss would take O(n^5) steps with naive backtracking; the
    // deadline is generous for a Debug build and hopeless for a backtracking matcher.
    const std::string group = std::string(1023, 'a') + "b";
    const auto stars = group_pattern::compile("*a*a*a*a*ac");
    const auto doubles = group_pattern::compile("**a**a*ac");
    const auto wide = group_pattern::compile("**" + std::string(1000, '?') + "*c");
    ASSERT_TRUE(stars && doubles && wide);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) {
        EXPECT_FALSE(stars->matches(group));
        EXPECT_FALSE(doubles->matches(group));
        EXPECT_FALSE(wide->matches(group));
    }
    EXPECT_TRUE(wide->matches(std::string(1023, 'a') + "c"));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

} // namespace
} // namespace hubcast::auth

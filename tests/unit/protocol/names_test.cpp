#include <string>

#include <gtest/gtest.h>

#include "protocol/names.hpp"

namespace {

using namespace hubcast::protocol;

TEST(HubName, AcceptsLettersDigitsAndTheAllowedPunctuation) {
    for (const char* name : {"a", "Z", "chat", "Chat_Room1", "hub`,.[]", "a0123456789", "A_b.c,d`e[f]g"}) {
        EXPECT_TRUE(is_valid_hub_name(name)) << name;
    }
}

TEST(HubName, RejectsWhatThePatternExcludes) {
    for (const char* name : {"", "1chat", "_chat", "`chat", ".chat", "[chat]", "chat room", "chat-room",
                             "chat/room", "chat?x", "chat%20", "ch\xc3\xa4t", "chat\n"}) {
        EXPECT_FALSE(is_valid_hub_name(name)) << name;
    }
}

TEST(HubName, IsAtMost128Characters) {
    EXPECT_TRUE(is_valid_hub_name(std::string(128, 'h')));
    EXPECT_FALSE(is_valid_hub_name(std::string(129, 'h')));
}

TEST(GroupName, AcceptsAnyNonBlankUtf8) {
    for (const char* name : {"g", "group 1", " leading", "trailing ", "a/b?c#d", "\xe7\xbe\xa4\xe7\xbb\x84",
                             "\xf0\x9f\x98\x80", "tab\tinside", "\"quoted\\\"", "x\x01y"}) {
        EXPECT_TRUE(is_valid_group_name(name)) << name;
    }
}

TEST(GroupName, RejectsEmptyAndWhitespaceOnly) {
    EXPECT_FALSE(is_valid_group_name(""));
    for (const char* name : {" ", "   ", "\t", "\n\r\v\f", " \t ",
                             "\xc2\xa0",     // U+00A0 no-break space
                             "\xc2\x85",     // U+0085 next line
                             "\xe1\x9a\x80", // U+1680 ogham space mark
                             "\xe2\x80\x80", // U+2000 en quad
                             "\xe2\x80\x8a", // U+200A hair space
                             "\xe2\x80\xa8", // U+2028 line separator
                             "\xe2\x80\xa9", // U+2029 paragraph separator
                             "\xe2\x80\xaf", // U+202F narrow no-break space
                             "\xe2\x81\x9f", // U+205F medium mathematical space
                             "\xe3\x80\x80", // U+3000 ideographic space
                             " \xe3\x80\x80\t"}) {
        EXPECT_FALSE(is_valid_group_name(name)) << name;
    }
}

TEST(GroupName, CharactersNextToWhitespaceAreNotWhitespace) {
    for (const char* name : {"\xe2\x80\x8b", // U+200B zero width space: not White_Space in .NET
                             "\xe2\x81\xa0", // U+2060 word joiner
                             "\xc2\xa1",     // U+00A1
                             "\xe1\x9a\x81", // U+1681
                             "\xe3\x80\x81", // U+3001
                             " \xe3\x80\x80x"}) {
        EXPECT_TRUE(is_valid_group_name(name)) << name;
    }
}

TEST(GroupName, RejectsInvalidUtf8) {
    for (const char* name : {"\xff", "g\xc3", "\xc0\xaf", "\xed\xa0\x80", "ok\x80"}) {
        EXPECT_FALSE(is_valid_group_name(name)) << name;
    }
}

// Azure limits group names to 1024 characters as .NET counts them (UTF-16 code units), not bytes:
// 1024 two- or three-byte characters are a valid name; a character beyond U+FFFF counts twice.
TEST(GroupName, IsAtMost1024CharactersAsDotNetCountsThem) {
    EXPECT_TRUE(is_valid_group_name(std::string(max_group_name, 'g')));
    EXPECT_FALSE(is_valid_group_name(std::string(max_group_name + 1, 'g')));
    const auto repeat = [](std::string_view character, std::size_t times) {
        std::string out;
        for (std::size_t i = 0; i < times; ++i) {
            out += character;
        }
        return out;
    };
    EXPECT_TRUE(is_valid_group_name(repeat("\xc3\xa9", max_group_name))); // é, 2 bytes
    EXPECT_FALSE(is_valid_group_name(repeat("\xc3\xa9", max_group_name + 1)));
    EXPECT_TRUE(is_valid_group_name(repeat("\xe6\xbc\xa2", max_group_name))); // 漢, 3 bytes
    EXPECT_FALSE(is_valid_group_name(repeat("\xe6\xbc\xa2", max_group_name + 1)));
    EXPECT_TRUE(is_valid_group_name(repeat("\xf0\x9f\x98\x80", max_group_name / 2))); // 😀, a surrogate pair
    EXPECT_FALSE(is_valid_group_name(repeat("\xf0\x9f\x98\x80", max_group_name / 2) + "g"));
}

TEST(EventName, FollowsThePatternCaseInsensitively) {
    for (const char* name : {"e", "message", "Message", "MY_EVENT", "a.b-c_d", "x0", "chat.v2-beta"}) {
        EXPECT_TRUE(is_valid_event_name(name)) << name;
    }
    for (const char* name : {"", "0event", "_e", ".e", "-e", "my event", "e!", "e/f", "\xc3\xa9v", "e\n"}) {
        EXPECT_FALSE(is_valid_event_name(name)) << name;
    }
}

TEST(EventName, IsAtMost128Characters) {
    EXPECT_TRUE(is_valid_event_name(std::string(128, 'e')));
    EXPECT_FALSE(is_valid_event_name(std::string(129, 'e')));
}

TEST(UserId, IsOneTo1024BytesOfUtf8) {
    EXPECT_FALSE(is_valid_user_id(""));
    EXPECT_TRUE(is_valid_user_id("u"));
    EXPECT_TRUE(is_valid_user_id(" "));
    EXPECT_TRUE(is_valid_user_id("user@example.com"));
    EXPECT_TRUE(is_valid_user_id(std::string(max_user_id, 'u')));
    EXPECT_FALSE(is_valid_user_id(std::string(max_user_id + 1, 'u')));
    EXPECT_FALSE(is_valid_user_id("bad\xff"));
}

} // namespace

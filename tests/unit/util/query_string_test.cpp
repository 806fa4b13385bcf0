#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "util/query_string.hpp"

namespace {

using hubcast::util::decode_query_value;
using hubcast::util::find_query_params;
using hubcast::util::is_plain_query_value;
using hubcast::util::percent_decode;
using hubcast::util::query_lookup;

struct lookup_case {
    std::string_view query;
    std::string_view name;
    bool found;
    std::optional<std::string_view> raw_value;
};

// The first parameter of a name wins, even one without a value; keys are compared decoded.
const std::vector<lookup_case> lookup_cases{
    {"", "access_token", false, std::nullopt},
    {"access_token=abc", "access_token", true, "abc"},
    {"access_token=", "access_token", true, ""},
    {"access_token", "access_token", true, std::nullopt},
    {"access_token&access_token=abc", "access_token", true, std::nullopt},
    {"access_token=a&access_token=b", "access_token", true, "a"},
    {"x=1&access_token=a=b&y=2", "access_token", true, "a=b"},
    {"&&access_token=a&", "access_token", true, "a"},
    {"access%5Ftoken=a", "access_token", true, "a"},
    {"%61ccess_token=a", "access_token", true, "a"},
    {"%61CCESS_TOKEN=a", "access_token", false, std::nullopt},
    {"Access_token=a", "access_token", false, std::nullopt},
    {"access_token%3Da=b", "access_token", false, std::nullopt},
    {"access_token%3Da=b", "access_token=a", true, "b"},
    {"access+token=a", "access token", false, std::nullopt},
    {"access%20token=a", "access token", true, "a"},
    {"access_tokenx=a&access_toke=b", "access_token", false, std::nullopt},
    {"access_token=%2B+%41", "access_token", true, "%2B+%41"},
    {"hub=chat&access_token=t", "hub", true, "chat"},
    {"=a&access_token=t", "", true, "a"},
};

TEST(QueryString, FindsTheFirstParameterOfEachName) {
    for (const auto& c : lookup_cases) {
        std::array<query_lookup, 1> lookups{query_lookup{.name = c.name}};
        find_query_params(c.query, lookups);
        EXPECT_EQ(lookups[0].found, c.found) << c.query << " / " << c.name;
        EXPECT_EQ(lookups[0].raw_value, c.raw_value) << c.query << " / " << c.name;
    }
}

TEST(QueryString, FindsSeveralNamesInOnePass) {
    std::array<query_lookup, 4> lookups{
        query_lookup{.name = "hub"}, query_lookup{.name = "awps_connection_id"},
        query_lookup{.name = "awps_reconnection_token"}, query_lookup{.name = "access_token"}};
    find_query_params("access_token=t&hub=a&hub=b&awps_connection_id", lookups);
    EXPECT_TRUE(lookups[0].found);
    EXPECT_EQ(lookups[0].raw_value, "a");
    EXPECT_TRUE(lookups[1].found);
    EXPECT_EQ(lookups[1].raw_value, std::nullopt);
    EXPECT_FALSE(lookups[2].found);
    EXPECT_TRUE(lookups[3].found);
    EXPECT_EQ(lookups[3].raw_value, "t");
}

TEST(QueryString, ALookupIsResetBeforeTheScan) {
    std::array<query_lookup, 1> lookups{query_lookup{.name = "a", .found = true, .raw_value = "stale"}};
    find_query_params("b=1", lookups);
    EXPECT_FALSE(lookups[0].found);
    EXPECT_EQ(lookups[0].raw_value, std::nullopt);
}

TEST(QueryString, DecodesValuesWithPlusAsSpace) {
    const std::vector<std::pair<std::string_view, std::string>> cases{
        {"", ""},
        {"abc", "abc"},
        {"a+b", "a b"},
        {"a%2Bb", "a+b"},
        {"a%2bb", "a+b"},
        {"%41%42%43", "ABC"},
        {"%00", std::string(1, '\0')},
        {"%FF", "\xFF"},
        {"%", "%"},       // not an escape: kept
        {"%4", "%4"},     // too short
        {"%zz1", "%zz1"}, // not hex
        {"a%4g", "a%4g"},
        {"100%25", "100%"},
        {"%2541", "%41"}, // decoded once
    };
    for (const auto& [raw, decoded] : cases) {
        EXPECT_EQ(decode_query_value(raw), decoded) << raw;
    }
    EXPECT_TRUE(is_plain_query_value("eyJhbGciOiJIUzI1NiJ9.e30.abc-_"));
    EXPECT_FALSE(is_plain_query_value("a+b"));
    EXPECT_FALSE(is_plain_query_value("a%41"));
}

TEST(PercentDecode, IsStrictAboutEscapesAndTreatsPlusAsAsked) {
    EXPECT_EQ(percent_decode("a%2Fb%2fc", false), "a/b/c");
    EXPECT_EQ(percent_decode("a+b", false), "a+b");
    EXPECT_EQ(percent_decode("a+b", true), "a b");
    EXPECT_EQ(percent_decode("%2B", true), "+");
    EXPECT_EQ(percent_decode("", false), "");
    EXPECT_EQ(percent_decode("%", false), std::nullopt);
    EXPECT_EQ(percent_decode("ab%4", true), std::nullopt);
    EXPECT_EQ(percent_decode("%zz", false), std::nullopt);
    EXPECT_EQ(percent_decode("%2541", false), "%41"); // decoded once
}

} // namespace

// The client endpoint finds `hub`, `access_token` and the recovery parameters with one scan of the
// raw query (util::find_query_params) instead of Boost.URL's `params().find()`, which decoded every
// parameter (9 % of a connect). These tests hold the scan to Boost.URL's answers, input by input.
#include <array>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <boost/url/parse.hpp>
#include <gtest/gtest.h>

#include "util/query_string.hpp"

namespace hubcast::api {
namespace {

const std::array<std::string_view, 4> names{"hub", "access_token", "awps_connection_id",
                                            "awps_reconnection_token"};

/// What the endpoint computed before: the decoded value of the first parameter with the key.
std::optional<std::string> boost_value(const boost::urls::url_view& target, std::string_view name) {
    auto params = target.params();
    auto it = params.find(name);
    if (it == params.end() || !(*it).has_value) {
        return std::nullopt;
    }
    return std::string((*it).value);
}

std::optional<std::string> scanned_value(const boost::urls::url_view& target, std::string_view name) {
    std::array<util::query_lookup, 1> lookups{util::query_lookup{.name = name}};
    util::find_query_params(target.encoded_query(), lookups);
    if (!lookups[0].found || !lookups[0].raw_value) {
        return std::nullopt;
    }
    return util::decode_query_value(*lookups[0].raw_value);
}

void expect_same_as_boost(const std::string& target_text) {
    const auto target = boost::urls::parse_origin_form(target_text);
    ASSERT_TRUE(target) << target_text;
    for (const auto name : names) {
        EXPECT_EQ(scanned_value(*target, name), boost_value(*target, name)) << target_text << " / " << name;
    }
}

TEST(ClientQuery, MatchesBoostUrlOnEdgeCases) {
    const std::vector<std::string> targets{
        "/client/hubs/chat",
        "/client/hubs/chat?",
        "/client/hubs/chat?&",
        "/client/hubs/chat?access_token=abc",
        "/client/hubs/chat?access_token=",
        "/client/hubs/chat?access_token",
        "/client/hubs/chat?access_token&access_token=abc",
        "/client/hubs/chat?access_token=a&access_token=b",
        "/client/hubs/chat?x=1&access_token=a=b&y=2",
        "/client/hubs/chat?access%5Ftoken=a%2Bb+c",
        "/client/hubs/chat?%61ccess_token=a&access_token=b",
        "/client/hubs/chat?ACCESS_TOKEN=a",
        "/client/hubs/chat?access_token%3Da=b",
        "/client/hubs/chat?access+token=a&access_token=%20",
        "/client/hubs/chat?access_token=%00%ff%FF",
        "/client/hubs/chat?access_token=a+b%2B",
        "/client/?hub=chat&access_token=t",
        "/client/?hub=&hub=chat",
        "/client/?hub&hub=chat",
        "/client/?h%75b=ch%61t",
        "/client/?hub=c+h",
        "/client/?=&=x&hub==",
        "/client/hubs/chat?awps_connection_id=abc&awps_reconnection_token=x%2Fy%3D",
        "/client/hubs/chat?awps_connection_id&awps_reconnection_token",
        "/client/hubs/chat?awps_connection_id=%41&awps_connection_id=b",
        "/client/hubs/chat?access_token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.sig-_&hub=x",
    };
    for (const auto& target : targets) {
        expect_same_as_boost(target);
    }
}

// Random queries over the characters that matter (separators, escapes of them, plus, the names'
// own letters) agree with Boost.URL too.
TEST(ClientQuery, MatchesBoostUrlOnRandomQueries) {
    const std::vector<std::string> pieces{"&",
                                          "=",
                                          "+",
                                          "%26",
                                          "%3D",
                                          "%2B",
                                          "%20",
                                          "%5F",
                                          "%5f",
                                          "%68",
                                          "hub",
                                          "h",
                                          "ub",
                                          "_",
                                          "a",
                                          "x",
                                          "access_token",
                                          "access",
                                          "token",
                                          "awps_connection_id",
                                          "awps_reconnection_token",
                                          "%61",
                                          "%00",
                                          "%FF"};
    std::mt19937 random(12345);
    std::uniform_int_distribution<std::size_t> piece(0, pieces.size() - 1);
    std::uniform_int_distribution<int> length(0, 12);
    for (int round = 0; round < 5000; ++round) {
        std::string target = "/client/?";
        for (int i = length(random); i > 0; --i) {
            target += pieces[piece(random)];
        }
        expect_same_as_boost(target);
        if (::testing::Test::HasFailure()) {
            return;
        }
    }
}

} // namespace
} // namespace hubcast::api

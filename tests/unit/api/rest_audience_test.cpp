// A REST token's audience names one call, decided on the bytes the router routes by.
#include <gtest/gtest.h>

#include "api/request_target.hpp"
#include "api/rest_audience.hpp"

namespace hubcast::api {
namespace {

struct audience_case {
    const char* name;
    const char* audience; ///< path and query of the token's aud
    const char* method;
    const char* target; ///< the request's target
    bool matches;
};

class AudienceRule : public ::testing::TestWithParam<audience_case> {};

TEST_P(AudienceRule, NamesTheSameOperationWithTheSameParameters) {
    const auto& c = GetParam();
    request_target target;
    ASSERT_TRUE(parse_request_target(c.target, target));
    const auto route = match_route(c.method, target.segments());
    ASSERT_TRUE(route) << c.target;
    EXPECT_EQ(audience_names_call(c.audience, c.method, *route, target.parameters()), c.matches)
        << c.audience << " vs " << c.method << " " << c.target;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AudienceRule,
    ::testing::Values(
        audience_case{"Identical", "/api/hubs/a/:send?api-version=2024-12-01", "POST",
                      "/api/hubs/a/:send?api-version=2024-12-01", true},
        audience_case{"ColonEncodedOnOneSide", "/api/hubs/a/%3Asend?api-version=2024-12-01", "POST",
                      "/api/hubs/a/:send?api-version=2024-12-01", true},
        audience_case{"ColonEncodedOnTheWire", "/api/hubs/a/:send?api-version=2024-12-01", "POST",
                      "/api/hubs/a/%3asend?api-version=2024-12-01", true},
        audience_case{"LiteralSegmentsAndHubCaseInsensitive", "/API/Hubs/Chat/:SEND?api-version=2024-12-01",
                      "POST", "/api/hubs/chat/:send?api-version=2024-12-01", true},
        audience_case{"EscapedGroupName", "/api/hubs/a/groups/my%20room/:send?api-version=1", "POST",
                      "/api/hubs/a/groups/my%20room/:send?api-version=1", true},
        audience_case{"EncodedSlashEitherCase", "/api/hubs/a/groups/a%2Fb?api-version=1", "HEAD",
                      "/api/hubs/a/groups/a%2fb?api-version=1", true},
        // Regression: the decoded paths were compared whole, so this token for "remove user u from
        // group groups" was accepted for "remove user u/groups from every group".
        audience_case{"EncodedSlashIsNotASeparator", "/api/hubs/a/users/u/groups/groups?api-version=1",
                      "DELETE", "/api/hubs/a/users/u%2Fgroups/groups?api-version=1", false},
        audience_case{"SeparatorIsNotAnEncodedSlash", "/api/hubs/a/users/u%2Fgroups/groups?api-version=1",
                      "DELETE", "/api/hubs/a/users/u/groups/groups?api-version=1", false},
        // Regression: the path was compared case-insensitively whole, user ids included.
        audience_case{"UserIdCaseSensitive", "/api/hubs/a/users/Alice/:send?api-version=1", "POST",
                      "/api/hubs/a/users/alice/:send?api-version=1", false},
        audience_case{"GroupCaseSensitive", "/api/hubs/a/groups/Room/:send?api-version=1", "POST",
                      "/api/hubs/a/groups/room/:send?api-version=1", false},
        audience_case{"ConnectionIdCaseSensitive", "/api/hubs/a/connections/C1?api-version=1", "DELETE",
                      "/api/hubs/a/connections/c1?api-version=1", false},
        audience_case{"QueryOrderFree", "/api/hubs/a/:send?api-version=1&excluded=x&excluded=y", "POST",
                      "/api/hubs/a/:send?excluded=x&api-version=1&excluded=y", true},
        audience_case{"PlusIsSpaceInQuery", "/api/hubs/a/:closeConnections?api-version=1&reason=good+bye",
                      "POST", "/api/hubs/a/:closeConnections?api-version=1&reason=good%20bye", true},
        audience_case{"TrailingSlashIgnored", "/api/hubs/a/:send/?api-version=1", "POST",
                      "/api/hubs/a/:send?api-version=1", true},
        audience_case{"OtherHub", "/api/hubs/b/:send?api-version=1", "POST",
                      "/api/hubs/a/:send?api-version=1", false},
        audience_case{"OtherOperation", "/api/hubs/a/:closeConnections?api-version=1", "POST",
                      "/api/hubs/a/:send?api-version=1", false},
        audience_case{"QueryValueDiffers", "/api/hubs/a/:send?api-version=1", "POST",
                      "/api/hubs/a/:send?api-version=2", false},
        audience_case{"QueryParameterMissing", "/api/hubs/a/:send?api-version=1&excluded=x", "POST",
                      "/api/hubs/a/:send?api-version=1", false},
        audience_case{"QueryParameterAdded", "/api/hubs/a/:send?api-version=1", "POST",
                      "/api/hubs/a/:send?api-version=1&excluded=x", false},
        audience_case{"RepeatedValueCounts", "/api/hubs/a/:send?api-version=1&e=x&e=x", "POST",
                      "/api/hubs/a/:send?api-version=1&e=x", false},
        audience_case{"QueryValueCaseSensitive", "/api/hubs/a/:send?api-version=1&excluded=C", "POST",
                      "/api/hubs/a/:send?api-version=1&excluded=c", false},
        audience_case{"NotARestPath", "/", "POST", "/api/hubs/a/:send?api-version=1", false},
        audience_case{"BadEscape", "/api/hubs/a/groups/%zz/:send?api-version=1", "POST",
                      "/api/hubs/a/groups/zz/:send?api-version=1", false}),
    [](const ::testing::TestParamInfo<audience_case>& info) { return std::string(info.param.name); });

} // namespace
} // namespace hubcast::api

// Matching REST paths to the operations of spec 2.3 and validating their path parameters (2.2).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/rest_route.hpp"

namespace hubcast::api {
namespace {

std::vector<std::string> split(std::string_view path) {
    std::vector<std::string> segments;
    path.remove_prefix(1);
    while (true) {
        const auto slash = path.find('/');
        segments.emplace_back(path.substr(0, slash));
        if (slash == std::string_view::npos) {
            return segments;
        }
        path.remove_prefix(slash + 1);
    }
}

struct operation_case {
    const char* method;
    const char* path;
    rest_operation operation;
    const char* id;
};

class EveryOperation : public ::testing::TestWithParam<operation_case> {};

TEST_P(EveryOperation, MatchesItsMethodAndPath) {
    const auto& c = GetParam();
    const auto route = match_route(c.method, split(c.path));
    ASSERT_TRUE(route) << route.error().message;
    EXPECT_EQ(route->operation, c.operation);
    EXPECT_EQ(operation_id(route->operation), c.id);
    EXPECT_EQ(route->hub, "Hub1");
}

INSTANTIATE_TEST_SUITE_P(
    Swagger20241201, EveryOperation,
    ::testing::Values(
        operation_case{"POST", "/api/hubs/Hub1/:addToGroups", rest_operation::add_connections_to_groups,
                       "WebPubSub_AddConnectionsToGroups"},
        operation_case{"POST", "/api/hubs/Hub1/:closeConnections", rest_operation::close_all_connections,
                       "WebPubSub_CloseAllConnections"},
        operation_case{"POST", "/api/hubs/Hub1/:generateToken", rest_operation::generate_client_token,
                       "WebPubSub_GenerateClientToken"},
        operation_case{"POST", "/api/hubs/Hub1/:removeFromGroups",
                       rest_operation::remove_connections_from_groups,
                       "WebPubSub_RemoveConnectionsFromGroups"},
        operation_case{"POST", "/api/hubs/Hub1/:send", rest_operation::send_to_all, "WebPubSub_SendToAll"},
        operation_case{"DELETE", "/api/hubs/Hub1/connections/c1", rest_operation::close_connection,
                       "WebPubSub_CloseConnection"},
        operation_case{"HEAD", "/api/hubs/Hub1/connections/c1", rest_operation::connection_exists,
                       "WebPubSub_ConnectionExists"},
        operation_case{"POST", "/api/hubs/Hub1/connections/c1/:send", rest_operation::send_to_connection,
                       "WebPubSub_SendToConnection"},
        operation_case{"DELETE", "/api/hubs/Hub1/connections/c1/groups",
                       rest_operation::remove_connection_from_all_groups,
                       "WebPubSub_RemoveConnectionFromAllGroups"},
        operation_case{"HEAD", "/api/hubs/Hub1/groups/g1", rest_operation::group_exists,
                       "WebPubSub_GroupExists"},
        operation_case{"POST", "/api/hubs/Hub1/groups/g1/:closeConnections",
                       rest_operation::close_group_connections, "WebPubSub_CloseGroupConnections"},
        operation_case{"POST", "/api/hubs/Hub1/groups/g1/:send", rest_operation::send_to_group,
                       "WebPubSub_SendToGroup"},
        operation_case{"GET", "/api/hubs/Hub1/groups/g1/connections",
                       rest_operation::list_connections_in_group, "WebPubSub_ListConnectionsInGroup"},
        operation_case{"DELETE", "/api/hubs/Hub1/groups/g1/connections/c1",
                       rest_operation::remove_connection_from_group, "WebPubSub_RemoveConnectionFromGroup"},
        operation_case{"PUT", "/api/hubs/Hub1/groups/g1/connections/c1",
                       rest_operation::add_connection_to_group, "WebPubSub_AddConnectionToGroup"},
        operation_case{"DELETE", "/api/hubs/Hub1/permissions/sendToGroup/connections/c1",
                       rest_operation::revoke_permission, "WebPubSub_RevokePermission"},
        operation_case{"HEAD", "/api/hubs/Hub1/permissions/sendToGroup/connections/c1",
                       rest_operation::check_permission, "WebPubSub_CheckPermission"},
        operation_case{"PUT", "/api/hubs/Hub1/permissions/sendToGroup/connections/c1",
                       rest_operation::grant_permission, "WebPubSub_GrantPermission"},
        operation_case{"HEAD", "/api/hubs/Hub1/users/u1", rest_operation::user_exists,
                       "WebPubSub_UserExists"},
        operation_case{"POST", "/api/hubs/Hub1/users/u1/:closeConnections",
                       rest_operation::close_user_connections, "WebPubSub_CloseUserConnections"},
        operation_case{"POST", "/api/hubs/Hub1/users/u1/:send", rest_operation::send_to_user,
                       "WebPubSub_SendToUser"},
        operation_case{"DELETE", "/api/hubs/Hub1/users/u1/groups",
                       rest_operation::remove_user_from_all_groups, "WebPubSub_RemoveUserFromAllGroups"},
        operation_case{"DELETE", "/api/hubs/Hub1/users/u1/groups/g1", rest_operation::remove_user_from_group,
                       "WebPubSub_RemoveUserFromGroup"},
        operation_case{"PUT", "/api/hubs/Hub1/users/u1/groups/g1", rest_operation::add_user_to_group,
                       "WebPubSub_AddUserToGroup"}),
    [](const ::testing::TestParamInfo<operation_case>& info) {
        return std::string(info.param.id).substr(10);
    });

TEST(RestRoute, PathParametersAreCaptured) {
    const auto route = match_route("PUT", split("/api/hubs/chat/permissions/joinLeaveGroup/connections/abc"));
    ASSERT_TRUE(route);
    EXPECT_EQ(route->permission_name, "joinLeaveGroup");
    EXPECT_EQ(route->connection_id, "abc");

    const auto user_group = match_route("PUT", split("/api/hubs/chat/users/bob smith/groups/a/b"));
    EXPECT_FALSE(user_group) << "a raw slash splits the path; encoded slashes arrive decoded in one segment";
    auto segments = split("/api/hubs/chat/users/x/groups/g");
    segments[4] = "bob/smith";
    segments[6] = "room/1";
    const auto decoded = match_route("PUT", segments);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->user_id, "bob/smith");
    EXPECT_EQ(decoded->group, "room/1");
}

TEST(RestRoute, LiteralsMatchCaseInsensitivelyAndATrailingSlashIsIgnored) {
    const auto route = match_route("POST", split("/API/Hubs/chat/Groups/g/:SEND/"));
    ASSERT_TRUE(route);
    EXPECT_EQ(route->operation, rest_operation::send_to_group);
    EXPECT_EQ(route->group, "g");
}

TEST(RestRoute, AGroupNamedLikeAnOperationIsStillAGroup) {
    const auto route = match_route("HEAD", split("/api/hubs/chat/groups/:send"));
    ASSERT_TRUE(route);
    EXPECT_EQ(route->operation, rest_operation::group_exists);
    EXPECT_EQ(route->group, ":send");
}

TEST(RestRoute, UnknownPathsAre404) {
    for (const char* path : {"/api/hubs/chat/:publish", "/api/hubs/chat", "/api/hubs",
                             "/api/hubs/chat/groups", "/api/hubs/chat/groups/g/members",
                             "/api/other/chat/:send", "/api/hubs/chat/users/u/groups/g/extra"}) {
        const auto route = match_route("POST", split(path));
        ASSERT_FALSE(route) << path;
        EXPECT_EQ(route.error().status, 404u) << path;
        EXPECT_EQ(route.error().code, "NotFound");
    }
}

TEST(RestRoute, AKnownPathWithAnotherMethodIs405WithAllow) {
    const auto route = match_route("GET", split("/api/hubs/chat/connections/c1"));
    ASSERT_FALSE(route);
    EXPECT_EQ(route.error().status, 405u);
    EXPECT_EQ(allowed_methods(split("/api/hubs/chat/connections/c1")), "DELETE, HEAD");
    EXPECT_EQ(allowed_methods(split("/api/hubs/chat/permissions/p/connections/c")), "DELETE, HEAD, PUT");
    EXPECT_EQ(allowed_methods(split("/api/hubs/chat/nothing")), "");
    const auto head_on_send = match_route("HEAD", split("/api/hubs/chat/:send"));
    ASSERT_FALSE(head_on_send);
    EXPECT_EQ(head_on_send.error().status, 405u);
}

rest_route matched(const char* method, const std::vector<std::string>& segments) {
    auto route = match_route(method, segments);
    EXPECT_TRUE(route);
    return std::move(route).value();
}

TEST(RestRoute, ValidationLowercasesTheHubAndParsesThePermission) {
    const auto route =
        validate_route(matched("PUT", split("/api/hubs/My_Hub.1/permissions/SENDTOGROUP/connections/c")));
    ASSERT_TRUE(route) << route.error().message;
    EXPECT_EQ(route->hub, "My_Hub.1");
    EXPECT_EQ(route->hub_key, "my_hub.1");
    EXPECT_EQ(route->permission, auth::permission_kind::send_to_group);
}

TEST(RestRoute, InvalidPathParametersAre400) {
    const auto expect_invalid = [](const char* method, std::vector<std::string> segments, const char* what) {
        const auto route = validate_route(matched(method, segments));
        ASSERT_FALSE(route) << what;
        EXPECT_EQ(route.error().status, 400u) << what;
        EXPECT_EQ(route.error().code, "InvalidParameter") << what;
    };
    expect_invalid("POST", split("/api/hubs/1hub/:send"), "hub starting with a digit");
    expect_invalid("POST", split("/api/hubs/hub-name/:send"), "hub with a dash");
    expect_invalid("POST", split("/api/hubs/" + std::string(129, 'h') + "/:send"), "hub of 129 characters");
    expect_invalid("POST", split("/api/hubs/h/groups/ /:send"), "whitespace-only group");
    expect_invalid("GET", split("/api/hubs/h/groups//connections"), "empty group");
    expect_invalid("HEAD", split("/api/hubs/h/groups/" + std::string(1025, 'g')), "group of 1025 characters");
    auto bad_utf8 = split("/api/hubs/h/groups/x");
    bad_utf8[4] = "\xff";
    expect_invalid("HEAD", bad_utf8, "group that is not UTF-8");
    auto empty_user = split("/api/hubs/h/users/x/:send");
    empty_user[4].clear();
    expect_invalid("POST", empty_user, "empty user id");
    auto empty_connection = split("/api/hubs/h/connections/x/groups");
    empty_connection[4].clear();
    expect_invalid("DELETE", empty_connection, "empty connection id");
    expect_invalid("PUT", split("/api/hubs/h/permissions/admin/connections/c"), "unknown permission");

    EXPECT_TRUE(validate_route(matched("HEAD", split("/api/hubs/h/groups/" + std::string(1024, 'g')))));
    EXPECT_TRUE(validate_route(matched("HEAD", split("/api/hubs/H[1]`,._/groups/ a "))));
}

} // namespace
} // namespace hubcast::api

#include "api/rest_route.hpp"

#include <array>
#include <utility>

#include "protocol/ascii.hpp"
#include "protocol/names.hpp"

namespace hubcast::api {
namespace {

struct pattern {
    std::string_view method;
    std::string_view path; ///< below /api/hubs/{hub}/; {name} segments are parameters
    rest_operation operation;
    std::string_view id;
};

// Spec 2.3, in the swagger's order. Operation names are literal segments starting with ':'.
constexpr std::array<pattern, 24> patterns{{
    {"POST", ":addToGroups", rest_operation::add_connections_to_groups, "WebPubSub_AddConnectionsToGroups"},
    {"POST", ":closeConnections", rest_operation::close_all_connections, "WebPubSub_CloseAllConnections"},
    {"POST", ":generateToken", rest_operation::generate_client_token, "WebPubSub_GenerateClientToken"},
    {"POST", ":removeFromGroups", rest_operation::remove_connections_from_groups,
     "WebPubSub_RemoveConnectionsFromGroups"},
    {"POST", ":send", rest_operation::send_to_all, "WebPubSub_SendToAll"},
    {"DELETE", "connections/{connectionId}", rest_operation::close_connection, "WebPubSub_CloseConnection"},
    {"HEAD", "connections/{connectionId}", rest_operation::connection_exists, "WebPubSub_ConnectionExists"},
    {"POST", "connections/{connectionId}/:send", rest_operation::send_to_connection,
     "WebPubSub_SendToConnection"},
    {"DELETE", "connections/{connectionId}/groups", rest_operation::remove_connection_from_all_groups,
     "WebPubSub_RemoveConnectionFromAllGroups"},
    {"HEAD", "groups/{group}", rest_operation::group_exists, "WebPubSub_GroupExists"},
    {"POST", "groups/{group}/:closeConnections", rest_operation::close_group_connections,
     "WebPubSub_CloseGroupConnections"},
    {"POST", "groups/{group}/:send", rest_operation::send_to_group, "WebPubSub_SendToGroup"},
    {"GET", "groups/{group}/connections", rest_operation::list_connections_in_group,
     "WebPubSub_ListConnectionsInGroup"},
    {"DELETE", "groups/{group}/connections/{connectionId}", rest_operation::remove_connection_from_group,
     "WebPubSub_RemoveConnectionFromGroup"},
    {"PUT", "groups/{group}/connections/{connectionId}", rest_operation::add_connection_to_group,
     "WebPubSub_AddConnectionToGroup"},
    {"DELETE", "permissions/{permission}/connections/{connectionId}", rest_operation::revoke_permission,
     "WebPubSub_RevokePermission"},
    {"HEAD", "permissions/{permission}/connections/{connectionId}", rest_operation::check_permission,
     "WebPubSub_CheckPermission"},
    {"PUT", "permissions/{permission}/connections/{connectionId}", rest_operation::grant_permission,
     "WebPubSub_GrantPermission"},
    {"HEAD", "users/{userId}", rest_operation::user_exists, "WebPubSub_UserExists"},
    {"POST", "users/{userId}/:closeConnections", rest_operation::close_user_connections,
     "WebPubSub_CloseUserConnections"},
    {"POST", "users/{userId}/:send", rest_operation::send_to_user, "WebPubSub_SendToUser"},
    {"DELETE", "users/{userId}/groups", rest_operation::remove_user_from_all_groups,
     "WebPubSub_RemoveUserFromAllGroups"},
    {"DELETE", "users/{userId}/groups/{group}", rest_operation::remove_user_from_group,
     "WebPubSub_RemoveUserFromGroup"},
    {"PUT", "users/{userId}/groups/{group}", rest_operation::add_user_to_group, "WebPubSub_AddUserToGroup"},
}};

constexpr std::size_t hub_index = 2;
constexpr std::size_t tail_start = 3; // segments: "api", "hubs", hub, tail...

void drop_trailing_slash(std::vector<std::string>& segments) {
    if (segments.size() > 1 && segments.back().empty()) {
        segments.pop_back();
    }
}

/// Matches the segments after the hub against `path`, storing parameters into `route` when given.
bool shape_matches(std::string_view path, const std::vector<std::string>& segments, rest_route* route) {
    std::size_t index = tail_start;
    while (!path.empty()) {
        const auto slash = path.find('/');
        const std::string_view piece = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if (index >= segments.size()) {
            return false;
        }
        const std::string& segment = segments[index++];
        if (!piece.starts_with('{')) {
            if (!protocol::iequals(piece, segment)) {
                return false;
            }
            continue;
        }
        if (route == nullptr) {
            continue;
        }
        if (piece == "{group}") {
            route->group = segment;
        } else if (piece == "{userId}") {
            route->user_id = segment;
        } else if (piece == "{connectionId}") {
            route->connection_id = segment;
        } else {
            route->permission_name = segment;
        }
    }
    return index == segments.size();
}

bool has_hub_prefix(const std::vector<std::string>& segments) {
    return segments.size() > tail_start && protocol::iequals(segments[0], "api") &&
           protocol::iequals(segments[1], "hubs");
}

rest_error invalid(std::string message) {
    return rest_error{400, rest_error_code::invalid_parameter, std::move(message)};
}

} // namespace

std::string_view operation_id(rest_operation operation) noexcept {
    for (const auto& p : patterns) {
        if (p.operation == operation) {
            return p.id;
        }
    }
    return {};
}

std::string allowed_methods(std::vector<std::string> segments) {
    drop_trailing_slash(segments);
    std::string allow;
    if (!has_hub_prefix(segments)) {
        return allow;
    }
    for (const auto& p : patterns) {
        if (shape_matches(p.path, segments, nullptr)) {
            if (!allow.empty()) {
                allow += ", ";
            }
            allow += p.method;
        }
    }
    return allow;
}

util::result<rest_route, rest_error> match_route(std::string_view method, std::vector<std::string> segments) {
    drop_trailing_slash(segments);
    if (has_hub_prefix(segments)) {
        bool path_exists = false;
        for (const auto& p : patterns) {
            if (!shape_matches(p.path, segments, nullptr)) {
                continue;
            }
            path_exists = true;
            if (p.method != method) {
                continue;
            }
            rest_route route;
            route.operation = p.operation;
            route.hub = segments[hub_index];
            shape_matches(p.path, segments, &route);
            return route;
        }
        if (path_exists) {
            return util::fail(rest_error{405, rest_error_code::method_not_allowed,
                                         "This path does not support " + std::string(method) +
                                             "; it supports " + allowed_methods(segments) + "."});
        }
    }
    return util::fail(rest_error{404, rest_error_code::not_found,
                                 "No REST operation has this path (docs/rest-api.md lists them)."});
}

util::result<rest_route, rest_error> validate_route(rest_route route) {
    if (!protocol::is_valid_hub_name(route.hub)) {
        return util::fail(invalid("Invalid hub name: it must start with a letter and hold up to 128 letters, "
                                  "digits or the characters _ ` , . [ ]."));
    }
    route.hub_key = protocol::to_lower_ascii(route.hub);
    switch (route.operation) {
    case rest_operation::group_exists:
    case rest_operation::close_group_connections:
    case rest_operation::send_to_group:
    case rest_operation::list_connections_in_group:
    case rest_operation::remove_connection_from_group:
    case rest_operation::add_connection_to_group:
    case rest_operation::remove_user_from_group:
    case rest_operation::add_user_to_group:
        if (!protocol::is_valid_group_name(route.group)) {
            return util::fail(
                invalid("Invalid group name: it must be 1 to 1024 characters of UTF-8 and not only "
                        "whitespace."));
        }
        break;
    default:
        break;
    }
    switch (route.operation) {
    case rest_operation::user_exists:
    case rest_operation::close_user_connections:
    case rest_operation::send_to_user:
    case rest_operation::remove_user_from_all_groups:
    case rest_operation::remove_user_from_group:
    case rest_operation::add_user_to_group:
        if (!protocol::is_valid_user_id(route.user_id)) {
            return util::fail(invalid("Invalid user id: it must be 1 to 1024 characters of UTF-8."));
        }
        break;
    case rest_operation::revoke_permission:
    case rest_operation::check_permission:
    case rest_operation::grant_permission: {
        const auto kind = auth::parse_permission_kind(route.permission_name);
        if (!kind) {
            return util::fail(invalid("Invalid permission: it must be sendToGroup or joinLeaveGroup."));
        }
        route.permission = *kind;
        break;
    }
    default:
        break;
    }
    switch (route.operation) {
    case rest_operation::close_connection:
    case rest_operation::connection_exists:
    case rest_operation::send_to_connection:
    case rest_operation::remove_connection_from_all_groups:
    case rest_operation::remove_connection_from_group:
    case rest_operation::add_connection_to_group:
    case rest_operation::revoke_permission:
    case rest_operation::check_permission:
    case rest_operation::grant_permission:
        if (route.connection_id.empty()) {
            return util::fail(invalid("Invalid connection id: it must not be empty."));
        }
        break;
    default:
        break;
    }
    return route;
}

} // namespace hubcast::api

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/rest_errors.hpp"
#include "auth/permissions.hpp"
#include "util/result.hpp"

namespace hubcast::api {

/// The operations of the REST data plane, api-version 2024-12-01 (server-protocol spec 2.3), but
/// HealthApi_GetServiceStatus, which http_router answers for every client of the port.
enum class rest_operation : std::uint8_t {
    add_connections_to_groups,
    close_all_connections,
    generate_client_token,
    remove_connections_from_groups,
    send_to_all,
    close_connection,
    connection_exists,
    send_to_connection,
    remove_connection_from_all_groups,
    group_exists,
    close_group_connections,
    send_to_group,
    list_connections_in_group,
    remove_connection_from_group,
    add_connection_to_group,
    revoke_permission,
    check_permission,
    grant_permission,
    user_exists,
    close_user_connections,
    send_to_user,
    remove_user_from_all_groups,
    remove_user_from_group,
    add_user_to_group,
};

/// The swagger's operationId, e.g. "WebPubSub_SendToAll".
std::string_view operation_id(rest_operation operation) noexcept;

/// A request matched to its operation, path parameters percent-decoded, not yet validated.
struct rest_route {
    rest_operation operation = rest_operation::send_to_all;
    std::string hub; ///< as sent; validate_route() lowercases it into `hub_key`
    std::string hub_key;
    std::string group;
    std::string user_id;
    std::string connection_id;
    std::string permission_name;
    auth::permission_kind permission = auth::permission_kind::send_to_group;
};

/// Matches a request to one of the operations. `segments` are the decoded path segments
/// ("api", "hubs", hub, ...; a trailing empty one from a trailing slash is ignored). Literal
/// segments (`hubs`, `groups`, `:send`, ...) match ASCII case-insensitively. A path no operation
/// has is a 404; a path that exists for other methods only is a 405 whose message lists them
/// (`allowed_methods()` gives the Allow header).
util::result<rest_route, rest_error> match_route(std::string_view method, std::vector<std::string> segments);

/// The methods the path of `segments` supports, comma-separated ("" when none): the Allow header
/// of a 405.
std::string allowed_methods(std::vector<std::string> segments);

/// Spec 2.2: the hub matches ^[A-Za-z][A-Za-z0-9_`,.\[\]]{0,127}$ (then lowercased: hubs are
/// case-insensitive), a group is 1-1024 characters of UTF-8 and not only whitespace, a user id
/// 1-1024 characters of UTF-8, a connection id not empty, a permission `sendToGroup` or
/// `joinLeaveGroup` (any case). Each failure is a 400 naming the parameter.
util::result<rest_route, rest_error> validate_route(rest_route route);

} // namespace hubcast::api

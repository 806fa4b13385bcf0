// Spec 2.3 #17-#19: grant, revoke and check a connection's permission, on its owning shard.
#include "api/rest_router.hpp"

namespace hubcast::api {

void rest_router::permission_operation(call& c) {
    auto target = permission_target(c.query);
    if (!target) {
        c.fail(target.error());
        return;
    }
    const auto& route = c.route;
    switch (route.operation) {
    case rest_operation::grant_permission:
        router_.grant_permission(route.hub_key, route.connection_id, route.permission,
                                 std::move(target).value(),
                                 [reply = std::move(c.reply)](core::router::lookup found) {
                                     switch (found) {
                                     case core::router::lookup::found:
                                         reply(empty_response(200));
                                         return;
                                     case core::router::lookup::not_found:
                                         reply(error_response({404, rest_error_code::connection_not_found,
                                                               "The connection does not exist in this hub."},
                                                              false));
                                         return;
                                     case core::router::lookup::unreachable:
                                         break;
                                     }
                                     reply(error_response(other_nodes_unreachable(), false));
                                 });
        return;
    case rest_operation::revoke_permission:
        // Revoking from a connection that is gone leaves it without the permission: done, 204.
        router_.revoke_permission(route.hub_key, route.connection_id, route.permission,
                                  std::move(target).value(),
                                  [reply = std::move(c.reply)](core::router::lookup found) {
                                      reply(found == core::router::lookup::unreachable
                                                ? error_response(other_nodes_unreachable(), false)
                                                : empty_response(204));
                                  });
        return;
    default:
        router_.check_permission(route.hub_key, route.connection_id, route.permission,
                                 std::move(target).value(),
                                 [reply = std::move(c.reply)](core::router::permission_check has) {
                                     switch (has) {
                                     case core::router::permission_check::granted:
                                         reply(empty_response(200));
                                         return;
                                     case core::router::permission_check::denied:
                                     case core::router::permission_check::no_connection:
                                         reply(empty_response(404));
                                         return;
                                     case core::router::permission_check::unreachable:
                                         break;
                                     }
                                     reply(error_response(other_nodes_unreachable(), false));
                                 });
        return;
    }
}

} // namespace hubcast::api

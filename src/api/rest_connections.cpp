// Spec 2.3 #3, #7, #8, #10: closing connections, connection existence, leaving every group.
#include "api/rest_router.hpp"

namespace hubcast::api {

void rest_router::connection_operation(call& c) {
    const auto& route = c.route;
    switch (route.operation) {
    case rest_operation::connection_exists:
        c.answer(empty_response(node_.connection_exists(route.hub_key, route.connection_id) ? 200 : 404));
        return;
    case rest_operation::remove_connection_from_all_groups:
        node_.remove_connection_from_all_groups(route.hub_key, route.connection_id,
                                                c.answer_when_applied(204));
        return;
    default:
        break;
    }
    auto reason = close_reason(c.query);
    if (!reason) {
        c.fail(reason.error());
        return;
    }
    if (route.operation == rest_operation::close_connection) {
        // Closing a connection that is not there is done already: 204 as well, as Azure does.
        node_.close_connection(route.hub_key, route.connection_id, options_.close_code,
                               std::move(reason).value());
    } else {
        node_.close_all(route.hub_key, core::exclusions{excluded_connections(c.query), {}},
                        options_.close_code, std::move(reason).value());
    }
    c.answer(empty_response(204));
}

} // namespace hubcast::api

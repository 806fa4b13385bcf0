// Spec 2.3 #3, #7, #8, #10: closing connections, connection existence, leaving every group.
#include "api/rest_router.hpp"

namespace hubcast::api {

void rest_router::connection_operation(call& c) {
    const auto& route = c.route;
    switch (route.operation) {
    case rest_operation::connection_exists:
        router_.ask_exists(core::presence_kind::connection, route.hub_key, route.connection_id,
                           answer_existence(c));
        return;
    case rest_operation::remove_connection_from_all_groups:
        router_.remove_connection_from_all_groups(route.hub_key, route.connection_id,
                                                  c.answer_when_applied(204));
        return;
    default:
        break;
    }
    close_then_answer(
        c, [&](core::exclusions skip, std::string reason, core::router::applied_callback answer) {
            if (route.operation == rest_operation::close_connection) {
                // Closing a connection that is not there is done already: 204 as well, as Azure does.
                // CloseConnection has no `excluded`.
                router_.close_connection(route.hub_key, route.connection_id, options_.close_code,
                                         std::move(reason), std::move(answer));
            } else {
                router_.close_all(route.hub_key, std::move(skip), options_.close_code, std::move(reason),
                                  std::move(answer));
            }
        });
}

} // namespace hubcast::api

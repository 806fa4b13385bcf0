// Spec 2.3 #20, #21, #23-#25: user existence, closing a user's connections, a user's groups. They
// act on the user's connections that exist now (spec 9: whether Azure also applies membership
// to later connections is unconfirmed; hubcast does not).
#include "api/rest_router.hpp"

namespace hubcast::api {

void rest_router::user_operation(call& c) {
    const auto& route = c.route;
    switch (route.operation) {
    case rest_operation::user_exists:
        router_.ask_exists(core::presence_kind::user, route.hub_key, route.user_id, answer_existence(c));
        return;
    case rest_operation::remove_user_from_all_groups:
        router_.remove_user_from_all_groups(route.hub_key, route.user_id, c.answer_when_applied(204));
        return;
    case rest_operation::remove_user_from_group:
        router_.remove_user_from_group(route.hub_key, route.group, route.user_id, c.answer_when_applied(204));
        return;
    case rest_operation::add_user_to_group:
        router_.add_user_to_group(route.hub_key, route.group, route.user_id,
                                  c.answer_when_joined(200, router_.max_groups_per_connection()));
        return;
    default:
        break;
    }
    close_then_answer(c,
                      [&](core::exclusions skip, std::string reason, core::router::applied_callback answer) {
                          router_.close_user(route.hub_key, route.user_id, std::move(skip),
                                             options_.close_code, std::move(reason), std::move(answer));
                      });
}

} // namespace hubcast::api

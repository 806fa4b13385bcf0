// Spec 2.3 #6, #9, #13, #22: the four sends. Fire-and-forget: 202 once the message is handed to
// the core, whether or not anyone receives it.
#include <chrono>

#include "api/rest_router.hpp"

namespace hubcast::api {

void rest_router::send(call& c) {
    const auto ttl = message_ttl(c.query);
    if (!ttl) {
        c.fail(ttl.error());
        return;
    }
    const rest_operation operation = c.route.operation;
    // SendToConnection takes no filter; SendToUser takes no `excluded` (spec 2.3): ignored if sent.
    core::filter_ptr filter;
    if (operation != rest_operation::send_to_connection) {
        auto parsed = parse_filter(c.query.first("filter"));
        if (!parsed) {
            c.fail(parsed.error());
            return;
        }
        filter = std::move(parsed).value();
    }
    auto data = message_body(c.request.header("Content-Type"), std::move(c.request.body));
    if (!data) {
        c.fail(data.error());
        return;
    }
    auto metadata = message_metadata_of(c.request.headers);
    if (!metadata) {
        c.fail(metadata.error());
        return;
    }
    data->metadata = std::move(metadata).value();
    // The TTL counts from now: time spent in a shard's mailbox and in a slow client's transport
    // queue both count against it.
    const core::send_deadline deadline =
        ttl->count() == 0 ? core::no_deadline : std::chrono::steady_clock::now() + *ttl;
    core::send_options options{{}, std::move(filter), deadline};
    if (operation == rest_operation::send_to_all || operation == rest_operation::send_to_group) {
        options.skip.connection_ids = excluded_connections(c.query);
    }
    const auto& route = c.route;
    switch (operation) {
    case rest_operation::send_to_all:
        router_.send_to_all(route.hub_key, std::move(data).value(), std::move(options));
        break;
    case rest_operation::send_to_group:
        router_.send_to_group(route.hub_key, route.group, std::move(data).value(), std::move(options));
        break;
    case rest_operation::send_to_user:
        router_.send_to_user(route.hub_key, route.user_id, std::move(data).value(), std::move(options));
        break;
    default:
        router_.send_to_connection(route.hub_key, route.connection_id, std::move(data).value(), deadline);
        break;
    }
    c.answer(empty_response(202));
}

} // namespace hubcast::api

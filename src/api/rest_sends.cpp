// Spec 2.3 #6, #9, #13, #22: the four sends. Fire-and-forget: 202 once the message is handed to
// the core (on a cluster, once Redis has it), whether or not anyone receives it.
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
    auto send_now = [this, operation, hub = c.route.hub_key, group = c.route.group, user = c.route.user_id,
                     connection = c.route.connection_id, data = std::move(data).value(),
                     options = std::move(options), deadline]() mutable {
        switch (operation) {
        case rest_operation::send_to_all:
            router_.send_to_all(hub, std::move(data), std::move(options));
            break;
        case rest_operation::send_to_group:
            router_.send_to_group(hub, group, std::move(data), std::move(options));
            break;
        case rest_operation::send_to_user:
            router_.send_to_user(hub, user, std::move(data), std::move(options));
            break;
        default:
            router_.send_to_connection(hub, connection, std::move(data), deadline);
            break;
        }
    };
    if (!router_.clustered()) {
        send_now();
        c.answer(empty_response(202));
        return;
    }
    // On a cluster an app that waits for each 202 must see its sends arrive in its order, whichever
    // nodes answer (docs/scale-out.md, "Read your writes"): this node first reads what other nodes
    // published before (a send answered there comes first), and answers once Redis has this one.
    router_.after_settling([this, send_now = std::move(send_now), reply = c.reply]() mutable {
        send_now();
        router_.after_settling([reply] { reply(empty_response(202)); });
    });
}

} // namespace hubcast::api

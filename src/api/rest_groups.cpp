// Spec 2.3 #2, #5, #11, #12, #14-#16: groups, their members, and filtered membership changes.
#include <algorithm>
#include <optional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/rest_router.hpp"

namespace hubcast::api {

void rest_router::group_operation(call& c) {
    const auto& route = c.route;
    switch (route.operation) {
    case rest_operation::group_exists:
        router_.ask_exists(core::presence_kind::group, route.hub_key, route.group, answer_existence(c));
        return;
    case rest_operation::remove_connection_from_group:
        router_.remove_connection_from_group(route.hub_key, route.group, route.connection_id,
                                             c.answer_when_applied(204));
        return;
    case rest_operation::add_connection_to_group:
        // The JS SDK's groupClient.addConnection turns a 404 into "connection doesn't exist", so the
        // answer waits for the owning shard to say whether it has the connection.
        router_.add_connection_to_group(
            route.hub_key, route.group, route.connection_id,
            [reply = std::move(c.reply),
             limit = router_.max_groups_per_connection()](core::router::add_result result) {
                switch (result) {
                case core::router::add_result::added:
                    reply(empty_response(200));
                    return;
                case core::router::add_result::group_limit:
                    reply(error_response(too_many_groups(1, limit), false));
                    return;
                case core::router::add_result::unreachable:
                    reply(error_response(other_nodes_unreachable(), false));
                    return;
                case core::router::add_result::no_connection:
                    break;
                }
                reply(error_response({404, rest_error_code::connection_not_found,
                                      "The connection does not exist in this hub."},
                                     false));
            });
        return;
    default:
        break;
    }
    close_then_answer(c,
                      [&](core::exclusions skip, std::string reason, core::router::applied_callback answer) {
                          router_.close_group(route.hub_key, route.group, std::move(skip),
                                              options_.close_code, std::move(reason), std::move(answer));
                      });
}

void rest_router::group_membership(call& c) {
    auto request = parse_groups_request(c.request.body);
    if (!request) {
        c.fail(request.error());
        return;
    }
    auto filter = parse_filter(request->filter);
    if (!filter) {
        c.fail(filter.error());
        return;
    }
    if (c.route.operation == rest_operation::add_connections_to_groups) {
        router_.add_to_groups(c.route.hub_key, std::move(request->groups), std::move(filter).value(),
                              c.answer_when_joined(200, router_.max_groups_per_connection()));
    } else {
        router_.remove_from_groups(c.route.hub_key, std::move(request->groups), std::move(filter).value(),
                                   c.answer_when_applied(200));
    }
}

void rest_router::list_group(call& c) {
    auto page = parse_page_request(c.query, keys_, {c.route.hub_key, c.route.group});
    if (!page) {
        c.fail(page.error());
        return;
    }
    const std::size_t wanted =
        page->top ? std::min<std::size_t>(page->page_size, static_cast<std::size_t>(*page->top))
                  : page->page_size;
    // The next page's link repeats this request with what is left of `top` and where this page ends.
    std::string link = base_url(c) + "/api/hubs/" + percent_encode(c.route.hub) + "/groups/" +
                       percent_encode(c.route.group) + "/connections?api-version=" +
                       percent_encode(c.query.first("api-version").value_or(""));
    if (c.query.first("maxpagesize")) {
        link += "&maxpagesize=" + std::to_string(page->page_size);
    }
    // One more than the page holds tells whether another page follows.
    router_.list_group_members(
        c.route.hub_key, c.route.group, page->after, wanted + 1,
        [reply = std::move(c.reply), wanted, top = page->top, link = std::move(link), keys = keys_,
         hub = c.route.hub_key,
         group = c.route.group](std::vector<core::group_member> members, core::router::reach reach) {
            if (reach != core::router::reach::every_node) {
                reply(error_response(other_nodes_unreachable(), false));
                return;
            }
            bool more = members.size() > wanted;
            members.resize(std::min(members.size(), wanted));
            std::optional<std::int64_t> top_left;
            if (top) {
                top_left = *top - static_cast<std::int64_t>(members.size());
                more = more && *top_left > 0;
            }
            boost::json::array value;
            value.reserve(members.size());
            for (const auto& member : members) {
                boost::json::object item{{"connectionId", member.connection_id}};
                if (member.user_id) {
                    item["userId"] = *member.user_id;
                }
                value.emplace_back(std::move(item));
            }
            boost::json::object body{{"value", std::move(value)}};
            if (more) {
                std::string next = link;
                if (top_left) {
                    next += "&top=" + std::to_string(*top_left);
                }
                next += "&continuationToken=" +
                        continuation_token(keys, {hub, group}, members.back().connection_id);
                body["nextLink"] = next;
            }
            reply(json_response(boost::json::serialize(body)));
        });
}

} // namespace hubcast::api

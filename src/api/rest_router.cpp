#include "api/rest_router.hpp"

#include <utility>

#include "api/rest_audience.hpp"
#include "auth/request_token.hpp"
#include "protocol/ascii.hpp"
#include "util/clock.hpp"

namespace hubcast::api {
namespace {

using protocol::trim_blanks;

/// The token of `Authorization: Bearer <token>` (scheme matched case-insensitively), or empty.
std::string_view bearer_token(const protocol::http_request& request) {
    const std::string_view value = trim_blanks(request.header("Authorization"));
    constexpr std::string_view scheme = "bearer";
    if (value.size() <= scheme.size() || !protocol::iequals(value.substr(0, scheme.size()), scheme) ||
        (value[scheme.size()] != ' ' && value[scheme.size()] != '\t')) {
        return {};
    }
    return trim_blanks(value.substr(scheme.size()));
}

std::string unauthorized_message(auth::token_error error) {
    switch (error) {
    case auth::token_error::missing:
        return "An Authorization: Bearer <JWT> header is required, signed with an access key of this server.";
    case auth::token_error::wrong_audience:
        return "The access token's aud claim does not name this request's URL.";
    default:
        return std::string(auth::describe(error));
    }
}

} // namespace

rest_router::rest_router(core::router& router, auth::access_keys keys, rest_options options)
    : router_(router), keys_(std::move(keys)), options_(std::move(options)) {}

core::presence_answer rest_router::call::answer_existence() const {
    return [reply = reply, head = head](std::optional<bool> found) {
        if (!found) {
            reply(error_response(other_nodes_unreachable(), head));
            return;
        }
        reply(empty_response(*found ? 200 : 404));
    };
}

std::string rest_router::base_url(const call& c) const {
    if (options_.public_endpoint) {
        return options_.public_endpoint->url;
    }
    std::string_view host = trim_blanks(c.request.header("Host"));
    if (host.empty()) {
        host = "localhost";
    }
    std::string url(c.request.secure ? "https://" : "http://");
    url += host;
    return url;
}

void rest_router::handle(protocol::http_request request, std::vector<std::string> segments,
                         query_parameters query, rest_reply reply) {
    const bool head = request.method == "HEAD";
    auto matched = match_route(request.method, segments);
    if (!matched) {
        const rest_error& error = matched.error();
        reply(error_response(error, head,
                             error.status == 405 ? allowed_methods(std::move(segments)) : std::string{}));
        return;
    }
    call c{std::move(request), std::move(matched).value(), std::move(query), std::move(reply), head};
    if (auto error = check_api_version(c.query)) {
        c.fail(*error);
        return;
    }
    if (auto error = authenticate(c)) {
        c.fail(*error);
        return;
    }
    auto validated = validate_route(std::move(c.route));
    if (!validated) {
        c.fail(validated.error());
        return;
    }
    c.route = std::move(validated).value();
    dispatch(c);
}

std::optional<rest_error> rest_router::authenticate(const call& c) const {
    const auth::request_token_context context{
        .names_this_request =
            [&c](std::string_view path_and_query) {
                return audience_names_call(path_and_query, c.request.method, c.route, c.query.pairs());
            },
        .required_authority = options_.public_endpoint ? std::string_view(options_.public_endpoint->authority)
                                                       : std::string_view(),
        .now = util::unix_seconds(),
        .clock_skew = options_.clock_skew};
    const auto verified = auth::verify_request_token(bearer_token(c.request), keys_, context);
    if (verified) {
        return std::nullopt;
    }
    return rest_error{401, rest_error_code::unauthorized, unauthorized_message(verified.error())};
}

void rest_router::close_then_answer(call& c, const close_operation& close) {
    auto reason = close_reason(c.query);
    if (!reason) {
        c.fail(reason.error());
        return;
    }
    close(core::exclusions{excluded_connections(c.query), {}}, std::move(reason).value(),
          c.answer_when_applied(204));
}

void rest_router::dispatch(call& c) {
    switch (c.route.operation) {
    case rest_operation::send_to_all:
    case rest_operation::send_to_connection:
    case rest_operation::send_to_group:
    case rest_operation::send_to_user:
        send(c);
        return;
    case rest_operation::close_all_connections:
    case rest_operation::close_connection:
    case rest_operation::connection_exists:
    case rest_operation::remove_connection_from_all_groups:
        connection_operation(c);
        return;
    case rest_operation::group_exists:
    case rest_operation::close_group_connections:
    case rest_operation::remove_connection_from_group:
    case rest_operation::add_connection_to_group:
        group_operation(c);
        return;
    case rest_operation::add_connections_to_groups:
    case rest_operation::remove_connections_from_groups:
        group_membership(c);
        return;
    case rest_operation::list_connections_in_group:
        list_group(c);
        return;
    case rest_operation::user_exists:
    case rest_operation::close_user_connections:
    case rest_operation::remove_user_from_all_groups:
    case rest_operation::remove_user_from_group:
    case rest_operation::add_user_to_group:
        user_operation(c);
        return;
    case rest_operation::revoke_permission:
    case rest_operation::check_permission:
    case rest_operation::grant_permission:
        permission_operation(c);
        return;
    case rest_operation::generate_client_token:
        generate_token(c);
        return;
    }
}

} // namespace hubcast::api

#include "api/http_router.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/request_target.hpp"
#include "protocol/ascii.hpp"

namespace hubcast::api {

namespace {
using protocol::http_response;

bool is_get_or_head(const protocol::http_request& request) {
    return request.method == "GET" || request.method == "HEAD";
}

/// The client endpoint's paths: /client, /client/ (hub in the query), /client/hubs/{hub}[/].
bool is_client_path(std::string_view path) {
    if (path == "/client" || path == "/client/" || path == "/client/hubs" || path == "/client/hubs/") {
        return true; // the hub may be in the query, or is missing (400)
    }
    constexpr std::string_view prefix = "/client/hubs/";
    if (!path.starts_with(prefix)) {
        return false;
    }
    auto hub = path.substr(prefix.size());
    if (hub.ends_with('/')) {
        hub.remove_suffix(1);
    }
    return !hub.empty() && hub.find('/') == std::string_view::npos;
}

/// Everything under /api/ (health excepted, routed before) is the REST data plane, which answers
/// in JSON even to a request it cannot parse.
bool is_rest_target(std::string_view target) {
    return target.size() >= 5 && protocol::iequals(target.substr(0, 5), "/api/");
}

http_response method_not_allowed(std::string allow) {
    auto response = http_response::text(405, "Method Not Allowed");
    response.headers.emplace_back("Allow", std::move(allow));
    return response;
}
} // namespace

http_router::http_router(client_endpoint& clients, rest_router& rest, const util::metrics_registry& metrics)
    : clients_(clients), rest_(rest), metrics_(metrics) {}

void http_router::route(protocol::http_request request, route_reply reply) {
    request_target parsed;
    if (!parse_request_target(request.target, parsed)) {
        if (is_rest_target(request.target)) {
            reply(error_response({400, rest_error_code::invalid_parameter, "Malformed request target."},
                                 request.method == "HEAD"));
            return;
        }
        reply(http_response::text(400, "Bad Request: malformed request target."));
        return;
    }
    const auto& target = parsed.url;
    const std::string path = target.path();
    if (is_client_path(path)) {
        if (request.method != "GET") {
            reply(method_not_allowed("GET"));
            return;
        }
        reply(clients_.admit(request, target));
        return;
    }
    if (path == "/healthz" || path == "/readyz" || path == "/api/health") {
        if (!is_get_or_head(request)) {
            reply(method_not_allowed("GET, HEAD"));
            return;
        }
        reply(health(request, path == "/readyz"));
        return;
    }
    if (path == "/metrics") {
        if (!is_get_or_head(request)) {
            reply(method_not_allowed("GET, HEAD"));
            return;
        }
        http_response response;
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        response.body = metrics_.render();
        reply(std::move(response));
        return;
    }
    if (is_rest_target(path)) {
        // Decoded here, while `parsed` lives: the call may finish on another worker.
        rest_.handle(std::move(request), parsed.segments(), query_parameters(parsed.parameters()),
                     [reply = std::move(reply)](http_response response) { reply(std::move(response)); });
        return;
    }
    reply(http_response::text(404, "Not Found"));
}

http_response http_router::health(const protocol::http_request& request, bool readiness) const {
    const bool ready = !readiness || !ready_ || ready_();
    auto response = http_response::text(ready ? 200 : 503, ready ? "ok" : "shutting down");
    if (request.method == "HEAD") {
        response.body.clear();
    }
    return response;
}

} // namespace hubcast::api

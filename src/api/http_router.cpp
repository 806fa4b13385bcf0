#include "api/http_router.hpp"

#include <boost/url/parse.hpp>

namespace hubcast::api {

namespace {
using protocol::http_response;

bool is_get_or_head(const protocol::http_request& request) {
    return request.method == "GET" || request.method == "HEAD";
}

http_response method_not_allowed(std::string allow) {
    auto response = http_response::text(405, "Method Not Allowed");
    response.headers.emplace_back("Allow", std::move(allow));
    return response;
}
} // namespace

http_router::http_router(client_endpoint& clients, metrics& counters)
    : clients_(clients), metrics_(counters) {}

upgrade_decision http_router::route(const protocol::http_request& request) {
    auto parsed = boost::urls::parse_origin_form(request.target);
    if (!parsed) {
        return http_response::text(400, "Bad Request: malformed request target.");
    }
    const auto& target = *parsed;
    const std::string path = target.path();
    if (path == "/client" || path.starts_with("/client/")) {
        if (request.method != "GET") {
            return method_not_allowed("GET");
        }
        return clients_.admit(request, target);
    }
    if (path == "/healthz" || path == "/readyz" || path == "/api/health") {
        if (!is_get_or_head(request)) {
            return method_not_allowed("GET, HEAD");
        }
        return health(request, path == "/readyz");
    }
    if (path == "/metrics") {
        if (!is_get_or_head(request)) {
            return method_not_allowed("GET, HEAD");
        }
        http_response response;
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        response.body = metrics_.render();
        return response;
    }
    return http_response::text(404, "Not Found");
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

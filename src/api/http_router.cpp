#include "api/http_router.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/url/parse.hpp>

#include "protocol/ascii.hpp"

namespace hubcast::api {

namespace {
using protocol::http_response;

bool is_get_or_head(const protocol::http_request& request) {
    return request.method == "GET" || request.method == "HEAD";
}

/// The bytes that may appear raw in an origin-form target: alphanumerics and "-._~!$&'()*+,;=:@/?%".
constexpr std::array<bool, 256> make_raw_target_bytes() {
    std::array<bool, 256> allowed{};
    for (int c = 0; c < 256; ++c) {
        allowed[static_cast<std::size_t>(c)] =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
    for (const char c : std::string_view("-._~!$&'()*+,;=:@/?%")) {
        allowed[static_cast<unsigned char>(c)] = true;
    }
    return allowed;
}

constexpr auto raw_target_bytes = make_raw_target_bytes();

/// Server SDKs put hub names into the path unescaped, and hub names may hold characters a strict
/// URI parser refuses (backtick, brackets). Percent-encode every byte that cannot appear raw in an
/// origin-form target so that such requests parse, while encoded bytes stay as they were.
std::string escape_lenient(std::string_view target) {
    std::string out;
    out.reserve(target.size());
    // Runs over every byte of every request target (an access token is most of a connect's), so
    // a table lookup per byte and whole runs appended at once.
    std::size_t run = 0;
    for (std::size_t i = 0; i < target.size(); ++i) {
        const auto byte = static_cast<unsigned char>(target[i]);
        if (raw_target_bytes[byte]) {
            continue;
        }
        static constexpr char hex[] = "0123456789ABCDEF";
        out.append(target.substr(run, i - run));
        out.push_back('%');
        out.push_back(hex[byte >> 4]);
        out.push_back(hex[byte & 0x0F]);
        run = i + 1;
    }
    out.append(target.substr(run));
    return out;
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

http_router::http_router(client_endpoint& clients, rest_router& rest, metrics& counters)
    : clients_(clients), rest_(rest), metrics_(counters) {}

void http_router::route(protocol::http_request request, route_reply reply) {
    const std::string escaped = escape_lenient(request.target);
    auto parsed = boost::urls::parse_origin_form(escaped);
    if (!parsed) {
        if (is_rest_target(request.target)) {
            reply(error_response({400, rest_error_code::invalid_parameter, "Malformed request target."},
                                 request.method == "HEAD"));
            return;
        }
        reply(http_response::text(400, "Bad Request: malformed request target."));
        return;
    }
    const auto& target = *parsed;
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
        // Decoded here, while `escaped` lives: the call may finish on another worker.
        const auto segments = target.segments();
        std::vector<std::pair<std::string, std::string>> pairs;
        for (const auto& param : target.params()) {
            pairs.emplace_back(param.key, param.value);
        }
        rest_.handle(std::move(request), std::vector<std::string>(segments.begin(), segments.end()),
                     query_parameters(std::move(pairs)),
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

#include "support/rest_client.hpp"

#include <boost/json/object.hpp>

#include "support/tokens.hpp"

namespace hubcast::test {

std::string rest_token(std::uint16_t port, std::string_view target, std::string_view key,
                       std::chrono::seconds lifetime) {
    const std::int64_t now = unix_now();
    boost::json::object claims;
    claims["aud"] = "http://127.0.0.1:" + std::to_string(port) + std::string(target);
    claims["iat"] = now;
    claims["exp"] = now + lifetime.count();
    return sign_jwt(boost::json::object{{"alg", "HS256"}, {"typ", "JWT"}}, claims, key);
}

http_response send_rest(const hubcast_process& server, const rest_request& request, deadline limit) {
    std::string raw = request.method + " " + request.target +
                      " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n";
    std::string authorization;
    if (request.authorization) {
        authorization = *request.authorization;
    } else {
        authorization = "Bearer " + request.token.value_or(
                                        rest_token(server.port(), request.target, server.access_key()));
    }
    if (!authorization.empty()) {
        raw += "Authorization: " + authorization + "\r\n";
    }
    if (!request.content_type.empty()) {
        raw += "Content-Type: " + request.content_type + "\r\n";
    }
    for (const auto& [name, value] : request.headers) {
        raw += name + ": " + value + "\r\n";
    }
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
        raw += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
    }
    raw += "Connection: close\r\n\r\n";
    raw += request.body;
    return http_exchange(server.port(), raw, limit);
}

http_response rest(const hubcast_process& server, std::string_view method, std::string_view target,
                   std::string_view body, std::string_view content_type) {
    rest_request request;
    request.method = std::string(method);
    request.target = std::string(target);
    request.body = std::string(body);
    request.content_type = std::string(content_type);
    return send_rest(server, request);
}

std::string api(std::string_view path, std::string_view query) {
    std::string target(path);
    target += '?';
    if (!query.empty()) {
        target += query;
        target += '&';
    }
    target += "api-version=2024-12-01";
    return target;
}

} // namespace hubcast::test

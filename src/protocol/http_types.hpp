#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hubcast::protocol {

/// A parsed HTTP request as the application layers see it: plain data, independent of the HTTP
/// library the transport uses. Header names keep their case; look them up with header().
struct http_request {
    std::string method; ///< "GET", "POST", ...
    std::string target; ///< origin-form: path and query, still percent-encoded
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string remote_address;     ///< "ip:port" of the client: the peer, or what a trusted proxy says
    bool secure = false;            ///< the client reached us over TLS (a trusted proxy's X-Forwarded-Proto)
    bool websocket_upgrade = false; ///< a valid RFC 6455 upgrade request (checked by the transport)

    /// First value of a header, matched case-insensitively; empty if absent.
    std::string_view header(std::string_view name) const noexcept;
};

struct http_response {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    static http_response text(unsigned status, std::string body) {
        http_response r;
        r.status = status;
        r.body = std::move(body);
        if (!r.body.empty() && r.body.back() != '\n') {
            r.body.push_back('\n');
        }
        return r;
    }
};

} // namespace hubcast::protocol

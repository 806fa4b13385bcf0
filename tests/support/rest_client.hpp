#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "support/deadline.hpp"
#include "support/http_client.hpp"
#include "support/hubcast_process.hpp"

namespace hubcast::test {

/// A REST bearer token as @azure/web-pubsub signs one (server-protocol spec 3.1): HS256, `aud` the
/// absolute request URL `http://127.0.0.1:PORT<target>`, `iat` and `exp` (now + `lifetime`).
std::string rest_token(std::uint16_t port, std::string_view target, std::string_view key,
                       std::chrono::seconds lifetime = std::chrono::hours{1});

/// One REST call to `server` on a fresh connection.
struct rest_request {
    std::string method = "POST";
    std::string target; ///< path and query, sent as is
    std::string body;
    std::string content_type; ///< no Content-Type header when empty
    /// The bearer token; by default rest_token() for this target with the server's key. Set
    /// `authorization` to send another header value verbatim (or "" for none).
    std::optional<std::string> token;
    std::optional<std::string> authorization;
    header_list headers;
};

http_response send_rest(const hubcast_process& server, const rest_request& request,
                        deadline limit = default_wait);

/// Shorthands with the default token.
http_response rest(const hubcast_process& server, std::string_view method, std::string_view target,
                   std::string_view body = {}, std::string_view content_type = {});

/// "<path>?api-version=2024-12-01" or "<path>?<query>&api-version=2024-12-01".
std::string api(std::string_view path, std::string_view query = {});

} // namespace hubcast::test

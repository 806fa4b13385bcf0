#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/deadline.hpp"
#include "support/tcp_connection.hpp"

namespace hubcast::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_response {
    int status = 0;
    std::string reason;
    header_list headers; ///< as received, in order
    std::string body;    ///< empty for 1xx, 204 and 304

    /// First header of that name, compared case-insensitively.
    std::optional<std::string> header(std::string_view name) const;
    /// Status line, headers and the start of the body, for failure messages.
    std::string describe() const;
};

/// Reads one HTTP/1.1 response (status line, headers, then a body delimited by Content-Length,
/// chunked encoding or the end of the connection). Bytes after it stay in connection.input().
/// Throws test_failure on a malformed response or when `limit` passes first.
http_response read_http_response(tcp_connection& connection, deadline limit);

/// One request on a fresh connection: `GET target` with Host and the given headers.
http_response http_get(std::uint16_t port, std::string_view target, const header_list& headers = {},
                       deadline limit = default_wait);

/// Sends `raw_request` verbatim on a fresh connection and reads the response.
http_response http_exchange(std::uint16_t port, std::string_view raw_request, deadline limit = default_wait);

bool iequals(std::string_view a, std::string_view b) noexcept;

} // namespace hubcast::test

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hubcast::protocol {

/// Why a request head is refused before its body is read or it is routed: the status to answer
/// (400, or 501 for a transfer coding hubcast does not implement) and a one-line reason. The
/// connection is closed after the answer: its framing can no longer be trusted.
struct head_rejection {
    unsigned status = 400;
    std::string_view reason;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// The framing and Host rules of RFC 9112 that keep one request from being read as another
/// (request smuggling) or from naming two hosts, checked on the head as received (`version` 10 or
/// 11, `fields` in order, names in any case):
/// - Transfer-Encoding: only `chunked` is implemented, it must be the final coding and appear
///   once (6.1, 6.3: anything else has no reliable length: 400; `gzip, chunked` is 501); never
///   together with Content-Length (6.3: 400); never in an HTTP/1.0 request (6.1: 400).
/// - Host: exactly one in HTTP/1.1, at most one in HTTP/1.0 (3.2), and a valid `uri-host[:port]`,
///   since it flows into token audiences and the links hubcast writes.
/// - Fields whose first value decides something (Authorization, Content-Type, the WebSocket
///   handshake fields) appear at most once: a second copy would be read by one hop and not another.
/// - A WebSocket upgrade (RFC 6455 4.2.1) carries a Sec-WebSocket-Key that is the base64 of 16 bytes.
/// Returns nothing when the head may be read on.
std::optional<head_rejection> check_request_head(std::string_view method, unsigned version,
                                                 const header_list& fields);

/// RFC 6455 4.1: the key is 16 bytes in base64 (24 characters, the last two `==`).
bool is_valid_websocket_key(std::string_view key);

/// RFC 9112 3.2 / RFC 3986 3.2.2: `uri-host [ ":" port ]`, where uri-host is a reg-name (unreserved,
/// sub-delims, percent escapes) or a bracketed IP literal, and port is digits; or empty, which
/// RFC 9110 7.2 allows (links then name `localhost`).
bool is_valid_host(std::string_view host) noexcept;

/// RFC 6455 4.2.1: GET over HTTP/1.1 whose Connection lists `upgrade` and Upgrade lists `websocket`.
bool is_websocket_upgrade(std::string_view method, unsigned version, const header_list& fields) noexcept;

} // namespace hubcast::protocol

// fuzz-extra-sources: src/api/request_target.cpp src/api/rest_audience.cpp src/api/rest_route.cpp
// fuzz-extra-sources: src/api/rest_errors.cpp src/auth/permissions.cpp src/auth/group_pattern.cpp
//
// libFuzzer target for the HTTP request head as hubcast reads it (src/transport/http_session.cpp):
// Beast's parser fed in pieces under the head limit hubcast holds, then the head checks of
// protocol::check_request_head, the WebSocket upgrade test, and for a REST target the router's
// reading of it (request_target, match_route) and the audience rule of REST tokens.
//
// Input layout: one byte picks the piece size the bytes arrive in (1-256), the rest is the
// request as sent. Invariants:
// - a head over the limit is refused before it is parsed whole; Beast never holds more fields
//   than the limit allows (`a:` lines cost at least 4 bytes each);
// - a head that passes the checks has exactly one valid Host (HTTP/1.1), a Transfer-Encoding
//   ending with chunked once and no Content-Length beside it, and an upgrade's key of 16 bytes;
// - a REST target that routes is named by its own path and query (the audience rule is
//   reflexive), and not by the same path with one `%2F` of the path turned into a separator.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/request_target.hpp"
#include "api/rest_audience.hpp"
#include "api/rest_route.hpp"
#include "fuzz_check.hpp"
#include "protocol/ascii.hpp"
#include "protocol/http_head.hpp"

namespace {

using namespace hubcast;
namespace http = boost::beast::http;

constexpr std::size_t head_limit = 16 * 1024; // session_options::max_header_bytes

/// Feeds `bytes` to `parser` `piece` bytes at a time, holding the head limit as
/// async_read_bounded_head does. Returns false when the head is refused or malformed.
bool read_head(http::request_parser<http::string_body>& parser, std::string_view bytes, std::size_t piece) {
    std::string buffer;
    std::size_t parsed_total = 0;
    std::size_t offset = 0;
    while (!parser.is_header_done()) {
        if (offset >= bytes.size()) {
            return false; // the client stopped sending: the request deadline ends it
        }
        const std::size_t take = std::min(piece, bytes.size() - offset);
        buffer.append(bytes.substr(offset, take));
        offset += take;
        boost::system::error_code ec;
        const std::size_t used = parser.put(boost::asio::buffer(buffer), ec);
        buffer.erase(0, used);
        parsed_total += used;
        if (ec && ec != http::error::need_more) {
            return false;
        }
        const std::size_t waiting = parser.is_header_done() ? 0 : buffer.size();
        if (parsed_total + waiting > head_limit) {
            return false;
        }
    }
    FUZZ_CHECK(parsed_total <= head_limit);
    return true;
}

void check_rest_target(std::string_view method, std::string_view raw_target) {
    api::request_target target;
    if (!api::parse_request_target(raw_target, target)) {
        return;
    }
    const auto route = api::match_route(method, target.segments());
    if (!route) {
        return;
    }
    const auto parameters = target.parameters();
    FUZZ_CHECK(api::audience_names_call(raw_target, method, *route, parameters));
    // Only in the path: in the query `%2F` and `/` are the same character.
    const auto encoded_slash = raw_target.substr(0, raw_target.find('?')).find("%2F");
    if (encoded_slash != std::string_view::npos) {
        std::string split(raw_target);
        split.replace(encoded_slash, 3, "/");
        FUZZ_CHECK(!api::audience_names_call(split, method, *route, parameters));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::size_t piece = 1 + data[0];
    const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    http::request_parser<http::string_body> parser;
    parser.header_limit(head_limit);
    parser.body_limit(1024 * 1024);
    if (!read_head(parser, bytes, piece)) {
        return 0;
    }
    const auto& request = parser.get();
    std::size_t fields = 0;
    protocol::header_list list;
    for (const auto& field : request) {
        ++fields;
        list.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    FUZZ_CHECK(fields <= head_limit / 4);
    const std::string_view method = request.method_string();
    const auto rejection = protocol::check_request_head(method, request.version(), list);
    if (rejection) {
        FUZZ_CHECK(rejection->status == 400 || rejection->status == 501);
        return 0;
    }
    std::size_t hosts = 0;
    for (const auto& [name, value] : list) {
        if (protocol::iequals(name, "host")) {
            ++hosts;
            FUZZ_CHECK(protocol::is_valid_host(value));
            FUZZ_CHECK(value.find_first_of("/?#@ \t\r\n") == std::string::npos);
        }
    }
    FUZZ_CHECK(hosts <= 1);
    if (request.version() == 11) {
        FUZZ_CHECK(hosts == 1);
    }
    if (protocol::is_websocket_upgrade(method, request.version(), list)) {
        FUZZ_CHECK(protocol::is_valid_websocket_key(request[http::field::sec_websocket_key]));
    }
    if (request.target().starts_with("/api/")) {
        check_rest_target(method, request.target());
    }
    return 0;
}

#include "support/http_client.hpp"

#include <cctype>
#include <charconv>

#include "support/encoding.hpp"
#include "support/test_failure.hpp"

namespace hubcast::test {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

/// Waits until input() holds `needed` bytes; false if the connection ends first.
bool fill_to(tcp_connection& connection, std::size_t needed, deadline limit) {
    while (connection.input().size() < needed) {
        auto status = connection.read_some(limit);
        if (status == tcp_connection::read_status::timeout) {
            throw test_failure("HTTP response incomplete at the deadline, got: " +
                               printable(connection.input()));
        }
        if (status != tcp_connection::read_status::data) {
            return false;
        }
    }
    return true;
}

/// Position just past the next CRLF at or after `from`, reading more as needed.
std::size_t line_end(tcp_connection& connection, std::size_t from, deadline limit) {
    while (true) {
        auto at = connection.input().find("\r\n", from);
        if (at != std::string::npos) {
            return at + 2;
        }
        if (!fill_to(connection, connection.input().size() + 1, limit)) {
            throw test_failure("connection closed inside an HTTP response, got: " +
                               printable(connection.input()));
        }
    }
}

std::string read_chunked(tcp_connection& connection, std::size_t start, deadline limit) {
    std::string body;
    std::size_t at = start;
    while (true) {
        std::size_t end = line_end(connection, at, limit);
        std::string_view size_line = trim(std::string_view(connection.input()).substr(at, end - at - 2));
        std::size_t size = 0;
        auto parsed = std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
        if (parsed.ec != std::errc{}) {
            throw test_failure("bad chunk size line: " + printable(size_line));
        }
        at = end;
        if (size == 0) {
            // Trailers, then the final empty line.
            while (true) {
                std::size_t next = line_end(connection, at, limit);
                bool empty = next == at + 2;
                at = next;
                if (empty) {
                    connection.input().erase(0, at);
                    return body;
                }
            }
        }
        if (!fill_to(connection, at + size + 2, limit)) {
            throw test_failure("connection closed inside a chunk");
        }
        body.append(connection.input(), at, size);
        at += size + 2;
    }
}

} // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> http_response::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

std::string http_response::describe() const {
    std::string out = "HTTP " + std::to_string(status) + " " + reason;
    for (const auto& [key, value] : headers) {
        out += "\n  " + key + ": " + value;
    }
    if (!body.empty()) {
        out += "\n  body: " + printable(body, 500);
    }
    return out;
}

http_response read_http_response(tcp_connection& connection, deadline limit) {
    http_response response;
    std::size_t end = line_end(connection, 0, limit);
    std::string_view status_line = std::string_view(connection.input()).substr(0, end - 2);
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
        throw test_failure("not an HTTP status line: " + printable(status_line));
    }
    auto space = status_line.find(' ');
    std::string_view code = status_line.substr(space + 1, 3);
    if (std::from_chars(code.data(), code.data() + code.size(), response.status).ec != std::errc{}) {
        throw test_failure("bad HTTP status line: " + printable(status_line));
    }
    response.reason = std::string(trim(status_line.substr(std::min(status_line.size(), space + 4))));

    std::size_t at = end;
    while (true) {
        std::size_t next = line_end(connection, at, limit);
        std::string_view line = std::string_view(connection.input()).substr(at, next - at - 2);
        at = next;
        if (line.empty()) {
            break;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            throw test_failure("bad HTTP header line: " + printable(line));
        }
        response.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                      std::string(trim(line.substr(colon + 1))));
    }

    bool bodyless = response.status < 200 || response.status == 204 || response.status == 304;
    if (bodyless) {
        connection.input().erase(0, at);
        return response;
    }
    if (auto encoding = response.header("Transfer-Encoding"); encoding && iequals(*encoding, "chunked")) {
        response.body = read_chunked(connection, at, limit);
        return response;
    }
    if (auto length = response.header("Content-Length")) {
        std::size_t size = 0;
        if (std::from_chars(length->data(), length->data() + length->size(), size).ec != std::errc{}) {
            throw test_failure("bad Content-Length: " + *length);
        }
        if (!fill_to(connection, at + size, limit)) {
            throw test_failure("connection closed before the end of the body:\n" + response.describe());
        }
        response.body = connection.input().substr(at, size);
        connection.input().erase(0, at + size);
        return response;
    }
    // No length: the body runs to the end of the connection.
    while (fill_to(connection, connection.input().size() + 1, limit)) {
    }
    response.body = connection.input().substr(at);
    connection.input().clear();
    return response;
}

http_response http_get(std::uint16_t port, std::string_view target, const header_list& headers,
                       deadline limit) {
    std::string request =
        "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
    for (const auto& [key, value] : headers) {
        request += key + ": " + value + "\r\n";
    }
    request += "Connection: close\r\n\r\n";
    return http_exchange(port, request, limit);
}

http_response http_exchange(std::uint16_t port, std::string_view raw_request, deadline limit) {
    auto connection = tcp_connection::connect(port, limit);
    if (!connection.write_all(raw_request, limit)) {
        throw test_failure("could not send the HTTP request to port " + std::to_string(port));
    }
    return read_http_response(connection, limit);
}

} // namespace hubcast::test

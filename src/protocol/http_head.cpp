#include "protocol/http_head.hpp"

#include <array>
#include <cstddef>

#include "protocol/ascii.hpp"
#include "util/base64.hpp"

namespace hubcast::protocol {
namespace {

/// Fields whose value decides how hubcast reads, authenticates or answers a request: a second
/// copy is refused rather than ignored.
constexpr std::array<std::string_view, 6> singleton_fields{
    "host", "authorization", "content-type", "sec-websocket-key", "sec-websocket-version", "upgrade"};

std::size_t count_fields(const header_list& fields, std::string_view name) noexcept {
    std::size_t count = 0;
    for (const auto& field : fields) {
        count += iequals(field.first, name) ? 1 : 0;
    }
    return count;
}

const std::string* first_field(const header_list& fields, std::string_view name) noexcept {
    for (const auto& field : fields) {
        if (iequals(field.first, name)) {
            return &field.second;
        }
    }
    return nullptr;
}

bool lists_token(const header_list& fields, std::string_view name, std::string_view token) noexcept {
    for (const auto& field : fields) {
        if (iequals(field.first, name) &&
            any_listed(field.second, [token](std::string_view item) { return iequals(item, token); })) {
            return true;
        }
    }
    return false;
}

/// The transfer codings of every Transfer-Encoding field, in order (a coding's parameters, after
/// ';', are kept: `chunked;x=1` is not `chunked`).
std::optional<head_rejection> check_transfer_encoding(unsigned version, const header_list& fields) {
    std::size_t codings = 0;
    std::size_t chunked = 0;
    bool unknown = false;
    bool last_is_chunked = false;
    for (const auto& field : fields) {
        if (!iequals(field.first, "transfer-encoding")) {
            continue;
        }
        const std::size_t before = codings;
        any_listed(field.second, [&](std::string_view coding) {
            ++codings;
            last_is_chunked = iequals(coding, "chunked");
            chunked += last_is_chunked ? 1 : 0;
            unknown = unknown || !last_is_chunked;
            return false;
        });
        if (codings == before) {
            return head_rejection{400, "Bad Request: empty Transfer-Encoding."};
        }
    }
    if (codings == 0) {
        return std::nullopt;
    }
    if (version < 11) {
        return head_rejection{400, "Bad Request: Transfer-Encoding in an HTTP/1.0 request."};
    }
    if (!last_is_chunked || chunked != 1) {
        return head_rejection{400, "Bad Request: Transfer-Encoding must end with chunked, once."};
    }
    if (unknown) {
        return head_rejection{501, "Not Implemented: the only transfer coding accepted is chunked."};
    }
    if (count_fields(fields, "content-length") != 0) {
        return head_rejection{400, "Bad Request: both Transfer-Encoding and Content-Length."};
    }
    return std::nullopt;
}

constexpr bool is_unreserved_or_sub_delim(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos;
}

constexpr bool is_hex(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_reg_name(std::string_view name) noexcept {
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '%') {
            if (i + 2 >= name.size() || !is_hex(name[i + 1]) || !is_hex(name[i + 2])) {
                return false;
            }
            i += 2;
        } else if (!is_unreserved_or_sub_delim(name[i])) {
            return false;
        }
    }
    return true;
}

bool is_ip_literal_body(std::string_view body) noexcept {
    // IPv6 or IPvFuture: hex digits, ':' and '.', or "v" forms; a strict address parse is not
    // needed to keep the value harmless in a URL.
    if (body.empty()) {
        return false;
    }
    for (const char c : body) {
        if (!is_hex(c) && c != ':' && c != '.' && !is_unreserved_or_sub_delim(c)) {
            return false;
        }
    }
    return true;
}

} // namespace

bool is_valid_host(std::string_view host) noexcept {
    std::string_view name = host;
    std::string_view port;
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        if (close == std::string_view::npos || !is_ip_literal_body(host.substr(1, close - 1))) {
            return false;
        }
        name = host.substr(0, close + 1);
        const auto rest = host.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return false;
            }
            port = rest.substr(1);
        }
    } else if (!host.empty()) {
        const auto colon = host.rfind(':');
        if (colon != std::string_view::npos) {
            name = host.substr(0, colon);
            port = host.substr(colon + 1);
        }
        if (name.empty() || !is_reg_name(name)) {
            return false;
        }
    }
    if (port.size() > 5) {
        return false;
    }
    for (const char c : port) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

bool is_valid_websocket_key(std::string_view key) {
    if (key.size() != 24 || !key.ends_with("==")) {
        return false;
    }
    const auto decoded = util::base64_decode(key);
    return decoded && decoded->size() == 16;
}

bool is_websocket_upgrade(std::string_view method, unsigned version, const header_list& fields) noexcept {
    return method == "GET" && version >= 11 && lists_token(fields, "connection", "upgrade") &&
           lists_token(fields, "upgrade", "websocket");
}

std::optional<head_rejection> check_request_head(std::string_view method, unsigned version,
                                                 const header_list& fields) {
    for (const auto name : singleton_fields) {
        if (count_fields(fields, name) > 1) {
            return head_rejection{400, "Bad Request: a header field that must appear once appears twice."};
        }
    }
    if (auto rejection = check_transfer_encoding(version, fields)) {
        return rejection;
    }
    const std::string* host = first_field(fields, "host");
    if (host == nullptr && version >= 11) {
        return head_rejection{400, "Bad Request: an HTTP/1.1 request needs a Host header."};
    }
    if (host != nullptr && !is_valid_host(*host)) {
        return head_rejection{400, "Bad Request: malformed Host header."};
    }
    if (is_websocket_upgrade(method, version, fields)) {
        const std::string* key = first_field(fields, "sec-websocket-key");
        if (key == nullptr || !is_valid_websocket_key(*key)) {
            return head_rejection{400, "Bad Request: Sec-WebSocket-Key must be the base64 of 16 bytes."};
        }
    }
    return std::nullopt;
}

} // namespace hubcast::protocol

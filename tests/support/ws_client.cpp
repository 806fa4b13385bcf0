#include "support/ws_client.hpp"

#include <cstring>
#include <random>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "support/encoding.hpp"
#include "support/test_failure.hpp"

namespace hubcast::test {
namespace {

constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string random_key() {
    static std::mt19937 generator{std::random_device{}()};
    std::string bytes(16, '\0');
    for (char& byte : bytes) {
        byte = static_cast<char>(generator() & 0xFF);
    }
    return base64_encode(bytes);
}

bool has_token(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (iequals(item, token)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
    return false;
}

} // namespace

std::string receive_result::describe() const {
    switch (status) {
    case kind::frame:
        return frame.describe();
    case kind::timeout:
        return "nothing before the deadline";
    case kind::closed:
        return "TCP connection closed (" + error + ")";
    case kind::bad_frame:
        return "invalid frame from the server: " + error;
    }
    return {};
}

std::string describe_json(const boost::json::object& object) {
    return boost::json::serialize(object);
}

http_response ws_client::connect(std::uint16_t port, std::string_view target, const header_list& headers,
                                 const std::vector<std::string>& subprotocols, deadline limit) {
    connection_ = tcp_connection::connect(port, limit);
    upgraded_ = false;
    close_sent_ = false;
    partial_.reset();
    const std::string key = random_key();
    auto given = [&headers](std::string_view name) {
        for (const auto& header : headers) {
            if (iequals(header.first, name)) {
                return true;
            }
        }
        return false;
    };
    // Each default header unless the test supplies its own of that name (browser variants).
    std::string request = "GET " + std::string(target) + " HTTP/1.1\r\n";
    if (!given("Host")) {
        request += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
    }
    if (!given("Upgrade")) {
        request += "Upgrade: websocket\r\n";
    }
    if (!given("Connection")) {
        request += "Connection: Upgrade\r\n";
    }
    if (!given("Sec-WebSocket-Version")) {
        request += "Sec-WebSocket-Version: 13\r\n";
    }
    request += "Sec-WebSocket-Key: " + key + "\r\n";
    if (!subprotocols.empty()) {
        request += "Sec-WebSocket-Protocol: ";
        for (std::size_t i = 0; i < subprotocols.size(); ++i) {
            request += (i == 0 ? "" : ", ") + subprotocols[i];
        }
        request += "\r\n";
    }
    for (const auto& [name, value] : headers) {
        request += name + ": " + value + "\r\n";
    }
    request += "\r\n";
    if (!connection_.write_all(request, limit)) {
        throw test_failure("could not send the upgrade request for " + std::string(target));
    }
    http_response response = read_http_response(connection_, limit);
    if (response.status != 101) {
        return response;
    }
    const std::string expected_accept = base64_encode(sha1(key + std::string(websocket_guid)));
    auto accept = response.header("Sec-WebSocket-Accept");
    auto upgrade = response.header("Upgrade");
    auto connection_header = response.header("Connection");
    if (!accept || *accept != expected_accept) {
        throw test_failure("101 with a wrong Sec-WebSocket-Accept (expected " + expected_accept + "):\n" +
                           response.describe());
    }
    if (!upgrade || !iequals(*upgrade, "websocket") || !connection_header ||
        !has_token(*connection_header, "upgrade")) {
        throw test_failure("101 without Upgrade: websocket / Connection: Upgrade:\n" + response.describe());
    }
    subprotocol_ = response.header("Sec-WebSocket-Protocol");
    upgraded_ = true;
    return response;
}

std::array<std::uint8_t, 4> ws_client::next_mask() noexcept {
    // Varies per frame (and is never all zero) so that a server which skips unmasking sees garbage.
    std::uint32_t value = 0x9E3779B9u * ++mask_counter_;
    value |= 0x01010101u;
    return {static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
            static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
}

bool ws_client::send_frame(const frame_spec& frame, deadline limit) {
    if (frame.opcode == ws_op::close) {
        close_sent_ = true;
    }
    return send_raw(encode_client_frame(frame), limit);
}

bool ws_client::send_frame(std::uint8_t opcode, std::string_view payload, bool fin) {
    frame_spec frame;
    frame.opcode = opcode;
    frame.payload = std::string(payload);
    frame.fin = fin;
    frame.mask_key = next_mask();
    return send_frame(frame);
}

bool ws_client::send_fragmented(std::uint8_t opcode, const std::vector<std::string>& pieces) {
    std::string bytes;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        frame_spec frame;
        frame.opcode = i == 0 ? opcode : ws_op::continuation;
        frame.payload = pieces[i];
        frame.fin = i + 1 == pieces.size();
        frame.mask_key = next_mask();
        bytes += encode_client_frame(frame);
    }
    return send_raw(bytes);
}

bool ws_client::send_close(std::optional<std::uint16_t> code, std::string_view reason) {
    return send_close_payload(close_payload(code, reason));
}

bool ws_client::send_close_payload(std::string_view payload) {
    return send_frame(ws_op::close, payload);
}

bool ws_client::send_raw(std::string_view bytes, deadline limit) {
    return connection_.write_all(bytes, limit);
}

receive_result ws_client::receive(deadline limit) {
    receive_result result;
    if (!upgraded_) {
        result.status = receive_result::kind::closed;
        result.error = "not connected";
        return result;
    }
    while (true) {
        switch (parse_frame(connection_.input(), result.frame)) {
        case frame_parse::invalid:
            result.status = receive_result::kind::bad_frame;
            result.error = "frame length over the client's 64 MiB limit";
            return result;
        case frame_parse::complete: {
            std::string violation = server_frame_violation(result.frame);
            if (!violation.empty()) {
                result.status = receive_result::kind::bad_frame;
                result.error = violation + ": " + result.frame.describe();
                return result;
            }
            if (result.frame.opcode == ws_op::ping) {
                ++pings_received_;
                if (pings_ == ping_mode::answer && !close_sent_) {
                    send_pong(result.frame.payload);
                }
                if (pings_ != ping_mode::deliver) {
                    continue;
                }
            }
            result.status = receive_result::kind::frame;
            return result;
        }
        case frame_parse::need_more:
            break;
        }
        auto status = connection_.read_some(limit);
        if (status == tcp_connection::read_status::timeout) {
            result.status = receive_result::kind::timeout;
            return result;
        }
        if (status != tcp_connection::read_status::data) {
            result.status = receive_result::kind::closed;
            result.error = connection_.last_error() != 0 ? std::strerror(connection_.last_error()) : "EOF";
            if (!connection_.input().empty()) {
                result.error +=
                    ", " + std::to_string(connection_.input().size()) + " bytes of a partial frame left";
            }
            return result;
        }
    }
}

receive_result ws_client::receive_message(deadline limit) {
    while (true) {
        receive_result result = receive(limit);
        if (!result) {
            return result;
        }
        ws_frame& frame = result.frame;
        if (frame.is_control()) {
            return result;
        }
        if (frame.opcode == ws_op::continuation) {
            if (!partial_) {
                result.status = receive_result::kind::bad_frame;
                result.error = "continuation frame without a message to continue";
                return result;
            }
            partial_->payload += frame.payload;
            if (!frame.fin) {
                continue;
            }
            result.frame = std::move(*partial_);
            result.frame.fin = true;
            partial_.reset();
            return result;
        }
        if (partial_) {
            result.status = receive_result::kind::bad_frame;
            result.error = "new " + opcode_name(frame.opcode) + " message inside a fragmented one";
            return result;
        }
        if (!frame.fin) {
            partial_ = std::move(frame);
            continue;
        }
        return result;
    }
}

ws_frame ws_client::expect_message(deadline limit) {
    receive_result result = receive_message(limit);
    if (!result) {
        throw test_failure("expected a message, got: " + result.describe());
    }
    return std::move(result.frame);
}

boost::json::object ws_client::expect_json(deadline limit) {
    ws_frame frame = expect_message(limit);
    if (frame.opcode != ws_op::text) {
        throw test_failure("expected a JSON text message, got: " + frame.describe());
    }
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(frame.payload, error);
    if (error || !value.is_object()) {
        throw test_failure("expected a JSON object, got: " + frame.describe());
    }
    return std::move(value.as_object());
}

close_info ws_client::expect_close(deadline limit) {
    receive_result result = receive_message(limit);
    if (!result || result.frame.opcode != ws_op::close) {
        throw test_failure("expected a close frame, got: " + result.describe());
    }
    close_info info{result.frame.close_code(), result.frame.close_reason()};
    if (!close_sent_) {
        send_close(info.code);
    }
    if (!wait_tcp_closed(limit)) {
        throw test_failure("the server sent " + result.frame.describe() +
                           " but did not close the TCP connection before the deadline");
    }
    return info;
}

void ws_client::expect_no_message(std::chrono::milliseconds quiet) {
    receive_result result = receive_message(quiet);
    if (result.status != receive_result::kind::timeout) {
        throw test_failure("expected nothing for " + std::to_string(quiet.count()) +
                           " ms, got: " + result.describe());
    }
}

bool ws_client::wait_tcp_closed(deadline limit) {
    while (true) {
        auto status = connection_.read_some(limit);
        if (status == tcp_connection::read_status::timeout) {
            return false;
        }
        if (status != tcp_connection::read_status::data) {
            return true;
        }
        connection_.input().clear();
    }
}

} // namespace hubcast::test

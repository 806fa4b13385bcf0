#include "support/echo_client.hpp"

#include <boost/json/parse.hpp>

#include "support/encoding.hpp"
#include "support/test_failure.hpp"

namespace hubcast::test {

echo_client echo_client::connect(const hubcast_process& server, std::string group, ping_mode pings) {
    client_options options;
    options.user = "echo";
    options.roles = {"webpubsub.sendToGroup." + group};
    options.groups = {group};
    options.pings = pings;
    return echo_client(pubsub_client::connect(server, options), std::move(group));
}

std::string echo_client::request(std::string_view text) const {
    for (char c : text) {
        if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
            throw test_failure("echo_client::request: text needs JSON escaping: " + printable(text));
        }
    }
    return R"({"type":"sendToGroup","group":")" + group_ + R"(","dataType":"text","data":")" +
           std::string(text) + R"("})";
}

std::string echo_client::request_of_size(std::size_t size) const {
    if (size < envelope_size()) {
        throw test_failure("echo request of " + std::to_string(size) + " bytes is below the envelope size");
    }
    return request(data_of_size(size));
}

void echo_client::expect_echo(std::string_view text, deadline limit) {
    boost::json::object message = client_.expect_group_message(group_, limit);
    if (!has_string(message, "dataType", "text")) {
        throw test_failure("echo without dataType text: " + printable(describe_json(message), 300));
    }
    std::string data = string_at(message, "data");
    if (data != text) {
        std::size_t at = 0;
        while (at < data.size() && at < text.size() && data[at] == text[at]) {
            ++at;
        }
        throw test_failure("echo differs: sent " + std::to_string(text.size()) + " bytes, got " +
                           std::to_string(data.size()) + ", first difference at byte " + std::to_string(at) +
                           "; sent ..." + printable(text.substr(at, 40)) + " got ..." +
                           printable(std::string_view(data).substr(at, 40)));
    }
}

close_info expect_closed_with(ws_client& ws, std::uint16_t code, deadline limit) {
    receive_result next = ws.receive_message(limit);
    if (next && next.frame.opcode == ws_op::text) {
        boost::system::error_code error;
        boost::json::value value = boost::json::parse(next.frame.payload, error);
        if (error || !value.is_object() || !has_string(value.get_object(), "type", "system") ||
            !has_string(value.get_object(), "event", "disconnected")) {
            throw test_failure("expected close " + std::to_string(code) + ", got " + next.describe());
        }
        next = ws.receive_message(limit);
    }
    if (!next || next.frame.opcode != ws_op::close) {
        throw test_failure("expected close " + std::to_string(code) + ", got " + next.describe());
    }
    close_info info{next.frame.close_code(), next.frame.close_reason()};
    if (info.code != code) {
        throw test_failure("expected close " + std::to_string(code) + ", got " + next.frame.describe());
    }
    if (!ws.close_sent()) {
        ws.send_close(info.code);
    }
    if (!ws.wait_tcp_closed(limit)) {
        throw test_failure("the server sent " + next.frame.describe() +
                           " but did not close the TCP connection before the deadline");
    }
    return info;
}

} // namespace hubcast::test

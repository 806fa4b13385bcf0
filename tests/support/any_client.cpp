#include "support/any_client.hpp"

#include "support/pubsub_client.hpp"
#include "support/test_failure.hpp"

namespace hubcast::test {

std::string to_string(client_kind kind) {
    return kind == client_kind::json ? "Json" : "Simple";
}

any_client any_client::connect(const hubcast_process& server, client_kind kind, const std::string& group,
                               ping_mode pings) {
    if (kind == client_kind::json) {
        return any_client(kind, echo_client::connect(server, group, pings), ws_client(pings));
    }
    client_options options;
    options.user = "simple";
    options.subprotocols = {};
    options.pings = pings;
    return any_client(kind, std::nullopt, open_websocket(server, options));
}

std::string any_client::message(std::string_view text) const {
    return echo_ ? echo_->request(text) : std::string(text);
}

void any_client::round_trip(std::string_view text, deadline limit) {
    if (!ws().send_text(message(text))) {
        throw test_failure("the connection did not take a valid message");
    }
    expect_taken(text, limit);
}

void any_client::expect_taken(std::string_view text, deadline limit) {
    if (echo_) {
        echo_->expect_echo(text, limit);
        return;
    }
    const std::string probe = "probe-" + std::to_string(++probes_);
    ws().send_ping(probe);
    ws_frame pong = ws().expect_message(limit);
    if (pong.opcode != ws_op::pong || pong.payload != probe) {
        throw test_failure("expected the pong \"" + probe + "\", got " + pong.describe());
    }
}

close_info any_client::expect_closed_with(std::uint16_t code, deadline limit) {
    if (echo_) {
        return hubcast::test::expect_closed_with(ws(), code, limit);
    }
    close_info info = ws().expect_close(limit);
    if (info.code != code) {
        throw test_failure("expected close " + std::to_string(code) + ", got " +
                           (info.code ? std::to_string(*info.code) : std::string("no code")) + " reason \"" +
                           info.reason + "\"");
    }
    return info;
}

} // namespace hubcast::test

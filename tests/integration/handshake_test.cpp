// The WebSocket handshake itself (RFC 6455 4): the variants real clients send, what is refused and
// how, no extension negotiated; plus plain HTTP/1.1 keep-alive on the same port.

#include <ostream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "support/encoding.hpp"
#include "support/http_client.hpp"
#include "support/pubsub_client.hpp"
#include "support/server_test.hpp"
#include "support/tokens.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

class Handshake : public server_test {
protected:
    std::string token_for(std::string_view hub) {
        return mint_token(server().port(), server().access_key(), {.hub = std::string(hub)});
    }
};

// Handshakes as real clients write them: Firefox's `Connection: keep-alive, Upgrade`, header values
// in other cases, subprotocol lists with odd spacing or split over two header lines (RFC 7230 3.2.2).
struct handshake_case {
    std::string name;
    header_list headers;
    std::vector<std::string> subprotocols;
};

void PrintTo(const handshake_case& value, std::ostream* out) {
    *out << value.name;
}

class HandshakeVariant : public Handshake, public ::testing::WithParamInterface<handshake_case> {};

TEST_P(HandshakeVariant, Upgrades) {
    ws_client ws;
    http_response response = ws.connect(server().port(), client_path("chat", token_for("chat")),
                                        GetParam().headers, GetParam().subprotocols);
    ASSERT_EQ(response.status, 101) << response.describe();
    ASSERT_TRUE(ws.subprotocol().has_value()) << response.describe();
    EXPECT_EQ(*ws.subprotocol(), json_subprotocol);
    EXPECT_TRUE(has_string(ws.expect_json(), "event", "connected"));
}

INSTANTIATE_TEST_SUITE_P(
    Clients, HandshakeVariant,
    ::testing::Values(
        handshake_case{
            "FirefoxConnection", {{"Connection", "keep-alive, Upgrade"}}, {std::string(json_subprotocol)}},
        handshake_case{"UpperCaseValues",
                       {{"Upgrade", "WebSocket"}, {"Connection", "UPGRADE"}},
                       {std::string(json_subprotocol)}},
        handshake_case{"LowerCaseNames",
                       {{"upgrade", "websocket"}, {"connection", "upgrade"}, {"sec-websocket-version", "13"}},
                       {std::string(json_subprotocol)}},
        handshake_case{
            "SpacesInProtocolList", {{"Sec-WebSocket-Protocol", " chat.v2 ,json.webpubsub.azure.v1 "}}, {}},
        handshake_case{
            "ProtocolOverTwoLines",
            {{"Sec-WebSocket-Protocol", "chat.v2"}, {"Sec-WebSocket-Protocol", "json.webpubsub.azure.v1"}},
            {}},
        handshake_case{"ExtensionOffered",
                       {{"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"}},
                       {std::string(json_subprotocol)}}),
    [](const auto& info) { return info.param.name; });

// No extension is negotiated: the 101 must not accept permessage-deflate (the frames tests send
// with RSV1 would otherwise be valid).
TEST_F(Handshake, NoExtensionIsAccepted) {
    ws_client ws;
    http_response response =
        ws.connect(server().port(), client_path("chat", token_for("chat")),
                   {{"Sec-WebSocket-Extensions", "permessage-deflate"}}, {std::string(json_subprotocol)});
    ASSERT_EQ(response.status, 101) << response.describe();
    EXPECT_FALSE(response.header("Sec-WebSocket-Extensions").has_value()) << response.describe();
}

// HTTP/1.1 keep-alive: several plain requests on one connection each get their answer.
TEST_F(Handshake, SeveralRequestsOnOneConnection) {
    auto connection = tcp_connection::connect(server().port());
    const std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ASSERT_TRUE(connection.write_all(request + request));
    EXPECT_EQ(read_http_response(connection, default_wait).status, 200);
    EXPECT_EQ(read_http_response(connection, default_wait).status, 200);
    ASSERT_TRUE(connection.write_all(request));
    EXPECT_EQ(read_http_response(connection, default_wait).status, 200);
}

// RFC 6455 4.2.2/4.4: a version other than 13 is refused with an error and the versions the server
// speaks; a request without Sec-WebSocket-Key is not a WebSocket handshake.
TEST_F(Handshake, UnsupportedWebSocketVersionIsRefusedWithTheSupportedOne) {
    const std::string request =
        "GET " + client_path("chat", token_for("chat")) +
        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server().port()) +
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
    http_response response = http_exchange(server().port(), request);
    EXPECT_EQ(response.status, 426) << response.describe();
    EXPECT_EQ(response.header("Sec-WebSocket-Version"), "13") << response.describe();
}

TEST_F(Handshake, UpgradeWithoutKeyIs400) {
    const std::string request =
        "GET " + client_path("chat", token_for("chat")) +
        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server().port()) +
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n";
    http_response response = http_exchange(server().port(), request);
    EXPECT_EQ(response.status, 400) << response.describe();
}

} // namespace
} // namespace hubcast::test

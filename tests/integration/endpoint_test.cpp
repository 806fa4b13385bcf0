// The client endpoint before and around the WebSocket upgrade (spec 1.1, 1.2, 3): paths, hub
// names, plain HTTP answers, subprotocol choice; plus /healthz and /metrics.

#include <cctype>
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

class Endpoint : public server_test {
protected:
    std::string token_for(std::string_view hub) {
        return mint_token(server().port(), server().access_key(), {.hub = std::string(hub)});
    }
};

TEST_F(Endpoint, HealthzAnswers200) {
    http_response response = http_get(server().port(), "/healthz");
    EXPECT_EQ(response.status, 200) << response.describe();
}

TEST_F(Endpoint, MetricsAreServedAsPrometheusText) {
    http_response response = http_get(server().port(), "/metrics");
    ASSERT_EQ(response.status, 200) << response.describe();
    auto type = response.header("Content-Type");
    ASSERT_TRUE(type.has_value()) << response.describe();
    EXPECT_EQ(type->rfind("text/plain", 0), 0u) << "Prometheus text format is text/plain: " << *type;
}

// A client endpoint request that is not a WebSocket upgrade gets 400 (spec 1.2), in both forms.
TEST_F(Endpoint, PlainGetOnClientEndpointIs400) {
    std::string token = url_encode(token_for("chat"));
    for (std::string target :
         {"/client/hubs/chat?access_token=" + token, "/client/?hub=chat&access_token=" + token}) {
        http_response response = http_get(server().port(), target);
        EXPECT_EQ(response.status, 400) << target << "\n" << response.describe();
    }
}

class UnknownPath : public Endpoint, public ::testing::WithParamInterface<std::string> {};

TEST_P(UnknownPath, PlainGetIs404) {
    http_response response = http_get(server().port(), GetParam());
    EXPECT_EQ(response.status, 404) << response.describe();
}

TEST_P(UnknownPath, UpgradeIs404) {
    ws_client ws;
    http_response response =
        ws.connect(server().port(), GetParam() + "?access_token=" + url_encode(token_for("chat")), {},
                   {std::string(json_subprotocol)});
    EXPECT_EQ(response.status, 404) << response.describe();
}

INSTANTIATE_TEST_SUITE_P(Paths, UnknownPath,
                         ::testing::Values("/nope", "/index.html", "/clients/hubs/chat", "/clientx/hubs/chat",
                                           "/client/hubz/chat"),
                         [](const auto& info) {
                             std::string name;
                             for (char c : info.param) {
                                 name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                             }
                             return name;
                         });

/// A hub that breaks ^[A-Za-z][A-Za-z0-9_`,.\[\]]{0,127}$, or none at all: 400 before the upgrade
/// (spec 1.2), even with a token minted for exactly that name.
struct bad_hub_case {
    std::string name;
    std::string target; ///< without the access_token
    std::string hub;    ///< what the token is minted for
};

void PrintTo(const bad_hub_case& value, std::ostream* out) {
    *out << value.name;
}

class BadHub : public Endpoint, public ::testing::WithParamInterface<bad_hub_case> {};

TEST_P(BadHub, UpgradeIs400) {
    const auto& param = GetParam();
    std::string token = url_encode(token_for(param.hub));
    std::string target =
        param.target + (param.target.find('?') == std::string::npos ? "?" : "&") + "access_token=" + token;
    ws_client ws;
    http_response response = ws.connect(server().port(), target, {}, {std::string(json_subprotocol)});
    EXPECT_EQ(response.status, 400) << target << "\n" << response.describe();
}

INSTANTIATE_TEST_SUITE_P(
    Hubs, BadHub,
    ::testing::Values(bad_hub_case{"StartsWithDigit", "/client/hubs/1chat", "1chat"},
                      bad_hub_case{"StartsWithUnderscore", "/client/hubs/_chat", "_chat"},
                      bad_hub_case{"Hyphen", "/client/hubs/ch-at", "ch-at"},
                      bad_hub_case{"Percent", "/client/hubs/ch%25at", "ch%at"},
                      bad_hub_case{"TooLong", "/client/hubs/" + std::string(129, 'a'), std::string(129, 'a')},
                      bad_hub_case{"EmptyInPath", "/client/hubs/", ""},
                      bad_hub_case{"EmptyInQuery", "/client/?hub=", ""},
                      bad_hub_case{"MissingInQuery", "/client/", "chat"},
                      bad_hub_case{"BadInQuery", "/client/?hub=1chat", "1chat"},
                      bad_hub_case{"TooLongInQuery", "/client/?hub=" + std::string(129, 'a'),
                                   std::string(129, 'a')}),
    [](const auto& info) { return info.param.name; });

/// Every character the hub pattern allows, sent unescaped as the server SDKs do (spec 1.2).
class GoodHub : public Endpoint, public ::testing::WithParamInterface<std::string> {};

TEST_P(GoodHub, Connects) {
    pubsub_client client = connect({.hub = GetParam(), .user = "alice"});
    EXPECT_FALSE(client.connection_id().empty());
}

INSTANTIATE_TEST_SUITE_P(Hubs, GoodHub,
                         ::testing::Values("a", "Chat_1", "v1.2", "x`y", "a,b", "a[0]",
                                           std::string(128, 'h')),
                         [](const auto& info) {
                             std::string name;
                             for (char c : info.param) {
                                 name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                             }
                             return name.size() > 20 ? "Long" + std::to_string(name.size()) : name + "_";
                         });

// Browsers percent-encode some of the characters the hub pattern allows (WHATWG URL: the backtick
// in paths); the server decodes the path before it validates the hub.
TEST_F(Endpoint, PercentEncodedHubIsDecoded) {
    const std::string group = unique_group();
    std::string token = mint_token(server().port(), server().access_key(), {.hub = "x`y", .groups = {group}});
    ws_client ws;
    http_response response =
        ws.connect(server().port(), "/client/hubs/x%60y?access_token=" + url_encode(token), {},
                   {std::string(json_subprotocol)});
    ASSERT_EQ(response.status, 101) << response.describe();
    ASSERT_TRUE(has_string(ws.expect_json(), "event", "connected"));
}

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

class HandshakeVariant : public Endpoint, public ::testing::WithParamInterface<handshake_case> {};

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
TEST_F(Endpoint, NoExtensionIsAccepted) {
    ws_client ws;
    http_response response =
        ws.connect(server().port(), client_path("chat", token_for("chat")),
                   {{"Sec-WebSocket-Extensions", "permessage-deflate"}}, {std::string(json_subprotocol)});
    ASSERT_EQ(response.status, 101) << response.describe();
    EXPECT_FALSE(response.header("Sec-WebSocket-Extensions").has_value()) << response.describe();
}

// HTTP/1.1 keep-alive: several plain requests on one connection each get their answer.
TEST_F(Endpoint, SeveralRequestsOnOneConnection) {
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
TEST_F(Endpoint, UnsupportedWebSocketVersionIsRefusedWithTheSupportedOne) {
    const std::string request =
        "GET " + client_path("chat", token_for("chat")) +
        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server().port()) +
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
    http_response response = http_exchange(server().port(), request);
    EXPECT_GE(response.status, 400) << response.describe();
    auto version = response.header("Sec-WebSocket-Version");
    ASSERT_TRUE(version.has_value()) << response.describe();
    EXPECT_NE(version->find("13"), std::string::npos) << response.describe();
}

TEST_F(Endpoint, UpgradeWithoutKeyIs400) {
    const std::string request =
        "GET " + client_path("chat", token_for("chat")) +
        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server().port()) +
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n";
    http_response response = http_exchange(server().port(), request);
    EXPECT_EQ(response.status, 400) << response.describe();
}

// The `/client/?hub=` form reaches the same hub as `/client/hubs/{hub}` (spec 1.1).
TEST_F(Endpoint, QueryFormJoinsTheSameHub) {
    const std::string group = unique_group();
    std::string token = mint_token(server().port(), server().access_key(),
                                   {.hub = "chat", .user = "query", .groups = {group}});
    ws_client ws;
    http_response response =
        ws.connect(server().port(), "/client/?hub=chat&access_token=" + url_encode(token), {},
                   {std::string(json_subprotocol)});
    ASSERT_EQ(response.status, 101) << response.describe();
    boost::json::object connected = ws.expect_json();
    EXPECT_TRUE(has_string(connected, "event", "connected")) << describe_json(connected);
    EXPECT_TRUE(has_string(connected, "userId", "query")) << describe_json(connected);

    pubsub_client sender = connect({.hub = "chat", .user = "path", .roles = {"webpubsub.sendToGroup"}});
    sender.send_text(group, "via path");
    boost::json::object message = ws.expect_json();
    EXPECT_TRUE(has_string(message, "group", group)) << describe_json(message);
    EXPECT_TRUE(has_string(message, "data", "via path")) << describe_json(message);
}

// ---- Subprotocol negotiation (spec 3.2) ----

class Subprotocol : public Endpoint {
protected:
    /// Upgrades offering `offered`; requires 101.
    ws_client upgrade(const std::vector<std::string>& offered) {
        ws_client ws;
        http_response response =
            ws.connect(server().port(), client_path("chat", token_for("chat")), {}, offered);
        EXPECT_EQ(response.status, 101) << response.describe();
        return ws;
    }
};

TEST_F(Subprotocol, NoneOfferedIsASimpleClientThatGetsNoJson) {
    ws_client ws = upgrade({});
    EXPECT_FALSE(ws.subprotocol().has_value()) << *ws.subprotocol();
    ws.expect_no_message(300ms);
}

TEST_F(Subprotocol, JsonIsChosenAndEchoed) {
    ws_client ws = upgrade({std::string(json_subprotocol)});
    ASSERT_TRUE(ws.subprotocol().has_value());
    EXPECT_EQ(*ws.subprotocol(), json_subprotocol);
    boost::json::object connected = ws.expect_json();
    EXPECT_TRUE(has_string(connected, "type", "system") && has_string(connected, "event", "connected"))
        << describe_json(connected);
}

TEST_F(Subprotocol, FirstSupportedInClientOrderWins) {
    ws_client ws = upgrade({"chat.v2", "mqtt", std::string(json_subprotocol), "other"});
    ASSERT_TRUE(ws.subprotocol().has_value());
    EXPECT_EQ(*ws.subprotocol(), json_subprotocol);
    EXPECT_TRUE(has_string(ws.expect_json(), "event", "connected"));
}

// Names match case-insensitively (spec 3.2); what comes back must be a name the client offered,
// byte for byte (RFC 6455 4.2.2: the server selects one of the client's values).
TEST_F(Subprotocol, NameMatchesCaseInsensitivelyAndEchoesTheOfferedSpelling) {
    const std::string offered = "JSON.WebPubSub.Azure.V1";
    ws_client ws = upgrade({offered});
    ASSERT_TRUE(ws.subprotocol().has_value()) << "a case-variant of json.webpubsub.azure.v1 was not accepted";
    EXPECT_EQ(*ws.subprotocol(), offered);
    EXPECT_TRUE(has_string(ws.expect_json(), "event", "connected"));
}

TEST_F(Subprotocol, OnlyUnknownNamesGiveASimpleClientWithoutEcho) {
    ws_client ws;
    http_response response =
        ws.connect(server().port(), client_path("chat", token_for("chat")), {}, {"chat.v2", "graphql-ws"});
    if (response.status != 101) {
        EXPECT_GE(response.status, 400) << response.describe(); // refusing is allowed
        return;
    }
    EXPECT_FALSE(ws.subprotocol().has_value())
        << "echoed " << *ws.subprotocol() << " without a connect handler";
    ws.expect_no_message(300ms);
}

// A service subprotocol this build does not implement must never be echoed as if it were
// implemented, and the server must never speak JSON to a client that did not get the JSON
// subprotocol. If one day the variant is implemented, the test checks that it really is.
class UnimplementedSubprotocol : public Subprotocol, public ::testing::WithParamInterface<std::string> {};

TEST_P(UnimplementedSubprotocol, IsNeverAcceptedAsSomethingElse) {
    const std::string offered = GetParam();
    ws_client ws;
    http_response response =
        ws.connect(server().port(), client_path("chat", token_for("chat")), {}, {offered});
    if (response.status != 101) {
        EXPECT_GE(response.status, 400) << response.describe();
        EXPECT_LT(response.status, 500) << response.describe();
        return;
    }
    if (!ws.subprotocol()) {
        // Accepted as a simple client: then no JSON (nor anything else) may arrive unasked.
        ws.expect_no_message(300ms);
        return;
    }
    ASSERT_EQ(*ws.subprotocol(), offered) << "echoed a subprotocol the client did not offer";
    ws_frame first = ws.expect_message();
    if (offered.rfind("protobuf", 0) == 0) {
        EXPECT_EQ(first.opcode, ws_op::binary)
            << "protobuf clients get binary frames, got " << first.describe();
    } else {
        ASSERT_EQ(first.opcode, ws_op::text) << first.describe();
        boost::system::error_code error;
        auto connected = boost::json::parse(first.payload, error);
        ASSERT_FALSE(error) << first.describe();
        EXPECT_TRUE(connected.as_object().contains("reconnectionToken"))
            << "echoed " << offered
            << " but the connected message has no reconnectionToken: " << first.describe();
    }
}

INSTANTIATE_TEST_SUITE_P(Names, UnimplementedSubprotocol,
                         ::testing::Values(std::string(json_reliable_subprotocol),
                                           std::string(protobuf_subprotocol),
                                           std::string(protobuf_reliable_subprotocol)),
                         [](const auto& info) {
                             std::string name = info.param.substr(0, info.param.find(".azure"));
                             for (char& c : name) {
                                 c = c == '.' ? '_' : c;
                             }
                             return name;
                         });

// The reliable variant first and the plain one second: the first *implemented* one is chosen.
TEST_F(Subprotocol, SkipsAnUnimplementedVariantForTheNextOffered) {
    ws_client ws = upgrade({std::string(json_reliable_subprotocol), std::string(json_subprotocol)});
    ASSERT_TRUE(ws.subprotocol().has_value());
    boost::json::object connected = ws.expect_json();
    EXPECT_TRUE(has_string(connected, "event", "connected")) << describe_json(connected);
    if (*ws.subprotocol() == json_reliable_subprotocol) {
        EXPECT_TRUE(connected.contains("reconnectionToken")) << describe_json(connected);
    } else {
        EXPECT_EQ(*ws.subprotocol(), json_subprotocol);
        EXPECT_FALSE(connected.contains("reconnectionToken")) << describe_json(connected);
    }
}

} // namespace
} // namespace hubcast::test

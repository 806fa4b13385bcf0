// Subprotocol negotiation (spec 3.2): the first service subprotocol in the client's order, echoed as
// offered; names that are not service subprotocols make a simple client that gets no JSON.

#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "proto/webpubsub.pb.h"
#include "support/pubsub_client.hpp"
#include "support/server_test.hpp"
#include "support/tokens.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

/// Nothing was sent unasked: a ping's pong is the first frame the server sends (anything queued at
/// the upgrade, such as a `connected` message, would come before it).
void expect_pong_first(ws_client& ws) {
    ASSERT_TRUE(ws.send_ping("first?"));
    const ws_frame first = ws.expect_message();
    EXPECT_EQ(first.opcode, ws_op::pong) << first.describe();
    EXPECT_EQ(first.payload, "first?") << first.describe();
}

class Subprotocol : public server_test {
protected:
    std::string token_for(std::string_view hub) {
        return mint_token(server().port(), server().access_key(), {.hub = std::string(hub)});
    }

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
    expect_pong_first(ws);
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

// Names that are not service subprotocols make a simple client (spec 3.2): accepted, nothing echoed,
// nothing sent unasked.
TEST_F(Subprotocol, OnlyUnknownNamesGiveASimpleClientWithoutEcho) {
    ws_client ws = upgrade({"chat.v2", "graphql-ws"});
    EXPECT_FALSE(ws.subprotocol().has_value())
        << "echoed " << *ws.subprotocol() << " without a connect handler";
    expect_pong_first(ws);
}

/// Every service subprotocol offered alone is chosen and echoed, and the first frame is its own
/// connected message: JSON text for the JSON family, protobuf binary for the protobuf family, with
/// a reconnection token exactly on the reliable variants.
class ServiceSubprotocol : public Subprotocol, public ::testing::WithParamInterface<std::string_view> {};

TEST_P(ServiceSubprotocol, IsChosenEchoedAndSpokenFromTheFirstFrame) {
    const std::string offered(GetParam());
    ws_client ws = upgrade({offered});
    ASSERT_TRUE(ws.subprotocol().has_value());
    EXPECT_EQ(*ws.subprotocol(), offered);
    const bool reliable = offered.find(".reliable.") != std::string::npos;
    const ws_frame first = ws.expect_message();
    if (offered.starts_with("protobuf")) {
        ASSERT_EQ(first.opcode, ws_op::binary) << first.describe();
        azure::webpubsub::DownstreamMessage message;
        ASSERT_TRUE(message.ParseFromString(first.payload)) << first.describe();
        ASSERT_TRUE(message.has_system_message() && message.system_message().has_connected_message())
            << message.ShortDebugString();
        const auto& connected = message.system_message().connected_message();
        EXPECT_FALSE(connected.connection_id().empty()) << message.ShortDebugString();
        EXPECT_EQ(connected.reconnection_token().empty(), !reliable) << message.ShortDebugString();
    } else {
        ASSERT_EQ(first.opcode, ws_op::text) << first.describe();
        boost::system::error_code error;
        const auto value = boost::json::parse(first.payload, error);
        ASSERT_FALSE(error) << first.describe();
        ASSERT_TRUE(value.is_object()) << first.describe();
        const auto& connected = value.get_object();
        EXPECT_TRUE(has_string(connected, "type", "system") && has_string(connected, "event", "connected"))
            << describe_json(connected);
        EXPECT_EQ(connected.contains("reconnectionToken"), reliable) << describe_json(connected);
    }
}

INSTANTIATE_TEST_SUITE_P(Names, ServiceSubprotocol,
                         ::testing::Values(json_subprotocol, json_reliable_subprotocol, protobuf_subprotocol,
                                           protobuf_reliable_subprotocol),
                         [](const auto& info) {
                             std::string name(info.param.substr(0, info.param.find(".azure")));
                             for (char& c : name) {
                                 c = c == '.' ? '_' : c;
                             }
                             return name;
                         });

// Client order decides between service subprotocols too: the reliable variant offered first wins
// over the plain one offered second.
TEST_F(Subprotocol, FirstOfferedServiceSubprotocolWinsOverALaterOne) {
    ws_client ws = upgrade({std::string(json_reliable_subprotocol), std::string(json_subprotocol)});
    ASSERT_TRUE(ws.subprotocol().has_value());
    EXPECT_EQ(*ws.subprotocol(), json_reliable_subprotocol);
    boost::json::object connected = ws.expect_json();
    EXPECT_TRUE(has_string(connected, "event", "connected")) << describe_json(connected);
    EXPECT_TRUE(connected.contains("reconnectionToken")) << describe_json(connected);
}

} // namespace
} // namespace hubcast::test

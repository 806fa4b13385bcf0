// Subprotocol negotiation (spec 3.2): the first implemented one in the client's order, echoed as
// offered; never an unimplemented one, and never JSON to a client that did not get it.

#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "support/pubsub_client.hpp"
#include "support/server_test.hpp"
#include "support/tokens.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

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

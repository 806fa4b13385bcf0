// Where clients connect (spec 1.1, 1.2): paths, hub names in both endpoint forms, plain HTTP
// answers on the client endpoint; plus /healthz and /metrics.

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

} // namespace
} // namespace hubcast::test

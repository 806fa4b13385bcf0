// Client tokens at the upgrade (spec 2): where the token is read from, which tokens are refused
// with which status before any upgrade, what a valid token's claims do, key rotation.

#include <ostream>
#include <string>

#include <boost/json/array.hpp>
#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "support/encoding.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/server_test.hpp"
#include "support/tokens.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

class Auth : public server_test {
protected:
    http_response upgrade(const std::string& target, const header_list& headers = {}) {
        ws_client ws;
        return ws.connect(server().port(), target, headers, {std::string(json_subprotocol)});
    }
};

struct bad_token_case {
    bad_token kind;
    int status;
};

void PrintTo(const bad_token_case& value, std::ostream* out) {
    *out << to_string(value.kind);
}

class BadToken : public Auth, public ::testing::WithParamInterface<bad_token_case> {};

TEST_P(BadToken, IsRefusedBeforeTheUpgradeInTheQuery) {
    std::string token = craft_bad_token(GetParam().kind, server().port(), server().access_key(), "chat");
    http_response response = upgrade(client_path("chat", token));
    EXPECT_EQ(response.status, GetParam().status) << response.describe();
}

TEST_P(BadToken, IsRefusedBeforeTheUpgradeInTheHeader) {
    std::string token = craft_bad_token(GetParam().kind, server().port(), server().access_key(), "chat");
    http_response response = upgrade("/client/hubs/chat", {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(response.status, GetParam().status) << response.describe();
}

INSTANTIATE_TEST_SUITE_P(
    Tokens, BadToken,
    ::testing::Values(
        bad_token_case{bad_token::alg_none, 401}, bad_token_case{bad_token::hs384_header, 401},
        bad_token_case{bad_token::tampered_payload, 401}, bad_token_case{bad_token::tampered_signature, 401},
        bad_token_case{bad_token::wrong_key, 401}, bad_token_case{bad_token::expired, 401},
        bad_token_case{bad_token::not_yet_valid, 401}, bad_token_case{bad_token::wrong_audience, 401},
        bad_token_case{bad_token::missing_exp, 401}, bad_token_case{bad_token::oversized, 401},
        bad_token_case{bad_token::bad_base64url, 401}, bad_token_case{bad_token::two_segments, 401},
        bad_token_case{bad_token::payload_not_json, 401}, bad_token_case{bad_token::invalid_group_claim, 400},
        bad_token_case{bad_token::empty_group_claim, 400}, bad_token_case{bad_token::long_group_claim, 400}),
    [](const auto& info) { return std::string(to_string(info.param.kind)); });

TEST_F(Auth, MissingTokenIs401) {
    http_response response = upgrade("/client/hubs/chat");
    EXPECT_EQ(response.status, 401) << response.describe();
}

TEST_F(Auth, EmptyTokenIs401) {
    http_response response = upgrade("/client/hubs/chat?access_token=");
    EXPECT_EQ(response.status, 401) << response.describe();
}

// `Authorization: Bearer <token>` works as well as the query (spec 2.1); the scheme is matched
// case-insensitively.
class BearerScheme : public Auth, public ::testing::WithParamInterface<std::string> {};

TEST_P(BearerScheme, TokenInHeaderConnects) {
    std::string token = mint_token(server().port(), server().access_key(), {.hub = "chat", .user = "carol"});
    ws_client ws;
    http_response response =
        ws.connect(server().port(), "/client/hubs/chat", {{"Authorization", GetParam() + " " + token}},
                   {std::string(json_subprotocol)});
    ASSERT_EQ(response.status, 101) << response.describe();
    boost::json::object connected = ws.expect_json();
    EXPECT_TRUE(has_string(connected, "event", "connected")) << describe_json(connected);
    EXPECT_TRUE(has_string(connected, "userId", "carol")) << describe_json(connected);
}

INSTANTIATE_TEST_SUITE_P(Schemes, BearerScheme, ::testing::Values("Bearer", "bearer", "BEARER"));

// Other query parameters (passed to a connect handler, spec 1.3) do not disturb the token.
TEST_F(Auth, TokenAmongOtherQueryParameters) {
    std::string token = mint_token(server().port(), server().access_key(), {.hub = "chat", .user = "dave"});
    http_response response =
        upgrade("/client/hubs/chat?foo=bar&access_token=" + url_encode(token) + "&baz=&x=%20y");
    EXPECT_EQ(response.status, 101) << response.describe();
}

TEST_F(Auth, SubBecomesUserIdAndNoSubMeansNull) {
    pubsub_client alice = connect({.user = "alice"});
    EXPECT_TRUE(alice.user_id().is_string() && alice.user_id().get_string() == "alice")
        << describe_json(alice.connected_message());
    pubsub_client anonymous = connect({});
    EXPECT_TRUE(anonymous.user_id().is_null()) << describe_json(anonymous.connected_message());
    EXPECT_NE(alice.connection_id(), anonymous.connection_id());
}

// Audience forms the spec recommends accepting (2.3): any of http/https/ws/wss, one trailing
// slash, host and hub case-insensitive, or an array with one matching element.
struct audience_case {
    std::string name;
    std::string audience; ///< with PORT where the port goes
    bool as_array = false;
};

void PrintTo(const audience_case& value, std::ostream* out) {
    *out << value.name;
}

class AcceptedAudience : public Auth, public ::testing::WithParamInterface<audience_case> {};

TEST_P(AcceptedAudience, Connects) {
    std::string aud = GetParam().audience;
    aud.replace(aud.find("PORT"), 4, std::to_string(server().port()));
    boost::json::object claims{{"iat", unix_now()}, {"exp", unix_now() + 600}, {"sub", "aud"}};
    if (GetParam().as_array) {
        claims["aud"] = boost::json::array{"http://elsewhere.example/client/hubs/chat", aud};
    } else {
        claims["aud"] = aud;
    }
    http_response response = upgrade(client_path("chat", auth::sign_hs256(claims, server().access_key())));
    EXPECT_EQ(response.status, 101) << "aud " << aud << "\n" << response.describe();
}

INSTANTIATE_TEST_SUITE_P(
    Audiences, AcceptedAudience,
    ::testing::Values(audience_case{"Http", "http://127.0.0.1:PORT/client/hubs/chat"},
                      audience_case{"Https", "https://127.0.0.1:PORT/client/hubs/chat"},
                      audience_case{"Ws", "ws://127.0.0.1:PORT/client/hubs/chat"},
                      audience_case{"Wss", "wss://127.0.0.1:PORT/client/hubs/chat"},
                      audience_case{"TrailingSlash", "http://127.0.0.1:PORT/client/hubs/chat/"},
                      audience_case{"HubCase", "http://127.0.0.1:PORT/client/hubs/CHAT"},
                      audience_case{"Array", "http://127.0.0.1:PORT/client/hubs/chat", true}),
    [](const auto& info) { return info.param.name; });

// Clock skew of 5 minutes (spec 2.4) on both exp and nbf.
TEST_F(Auth, ExpiryAndNotBeforeAllowFiveMinutesOfSkew) {
    const std::int64_t now = unix_now();
    boost::json::object expired_recently{
        {"aud", audience(server().port(), "chat")}, {"iat", now - 3600}, {"exp", now - 60}};
    http_response response =
        upgrade(client_path("chat", auth::sign_hs256(expired_recently, server().access_key())));
    EXPECT_EQ(response.status, 101) << "exp 60 s ago\n" << response.describe();

    boost::json::object valid_soon{
        {"aud", audience(server().port(), "chat")}, {"iat", now}, {"nbf", now + 60}, {"exp", now + 600}};
    response = upgrade(client_path("chat", auth::sign_hs256(valid_soon, server().access_key())));
    EXPECT_EQ(response.status, 101) << "nbf in 60 s\n" << response.describe();
}

// `role` and `webpubsub.group` may each be a single string instead of an array (spec 2.3).
TEST_F(Auth, RoleAndGroupClaimsMayBeStrings) {
    const std::string group = unique_group();
    const std::int64_t now = unix_now();
    boost::json::object claims{{"aud", audience(server().port(), "chat")},
                               {"iat", now},
                               {"exp", now + 600},
                               {"sub", "stringy"},
                               {"role", "webpubsub.sendToGroup"},
                               {"webpubsub.group", group}};
    ws_client ws;
    http_response response =
        ws.connect(server().port(), client_path("chat", auth::sign_hs256(claims, server().access_key())), {},
                   {std::string(json_subprotocol)});
    ASSERT_EQ(response.status, 101) << response.describe();
    ASSERT_TRUE(has_string(ws.expect_json(), "event", "connected"));
    // In the group by the claim, allowed to send by the role: its own message comes back, before
    // the ack (a sender's own worker delivers to its local members before it acknowledges).
    ws.send_json(send_to_group_message(group, "text", boost::json::string("self"), 1));
    boost::json::object first = ws.expect_json();
    boost::json::object second = ws.expect_json();
    EXPECT_TRUE(has_string(first, "type", "message") && has_string(first, "data", "self"))
        << describe_json(first);
    EXPECT_TRUE(has_string(second, "type", "ack")) << describe_json(second);
}

// Key rotation: every configured key verifies; the first is the one printed and used to sign.
TEST(AuthKeys, EveryConfiguredKeyVerifies) {
    hubcast_process server({.access_keys = {"primary-key-0123456789", "secondary-key-0123456789"}});
    for (const std::string key : {"primary-key-0123456789", "secondary-key-0123456789"}) {
        std::string token = mint_token(server.port(), key, {.hub = "chat", .user = "rotating"});
        ws_client ws;
        http_response response =
            ws.connect(server.port(), client_path("chat", token), {}, {std::string(json_subprotocol)});
        EXPECT_EQ(response.status, 101) << "signed with " << key << "\n" << response.describe();
    }
    std::string token = mint_token(server.port(), "a-third-key-0123456789", {.hub = "chat"});
    ws_client ws;
    http_response response =
        ws.connect(server.port(), client_path("chat", token), {}, {std::string(json_subprotocol)});
    EXPECT_EQ(response.status, 401) << response.describe();
    EXPECT_NE(server.connection_string_line().find("AccessKey=primary-key-0123456789;"), std::string::npos)
        << server.connection_string_line();
}

} // namespace
} // namespace hubcast::test

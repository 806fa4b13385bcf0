// Behind a proxy and under other names (docs/configuration.md, "Behind a proxy"): tokens may name
// any host unless --public-endpoint names one, which minted tokens then carry; X-Forwarded-For and
// X-Forwarded-Proto count only from --trusted-proxy addresses.
#include <optional>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "support/encoding.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/rest_client.hpp"
#include "support/tokens.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

constexpr std::string_view public_url = "https://chat.example.com";

http_response upgrade_with(const hubcast_process& server, ws_client& ws, std::string_view audience,
                           const header_list& headers = {}) {
    const boost::json::object claims{
        {"aud", audience}, {"iat", unix_now()}, {"exp", unix_now() + 600}, {"sub", "alice"}};
    return ws.connect(server.port(), client_path("chat", auth::sign_hs256(claims, server.access_key())),
                      headers, {std::string(json_subprotocol)});
}

http_response send_with_audience(const hubcast_process& server, std::string_view base) {
    const std::string target = api("/api/hubs/chat/:send");
    const boost::json::object claims{
        {"aud", std::string(base) + target}, {"iat", unix_now()}, {"exp", unix_now() + 600}};
    return send_rest(server, {.target = target,
                              .body = "hi",
                              .content_type = "text/plain",
                              .token = auth::sign_hs256(claims, server.access_key())});
}

/// The `aud` of the token :generateToken answers with, called with `headers` and a bearer token
/// for `base` (the server's own address when empty).
std::string generated_audience(const hubcast_process& server, const header_list& headers = {},
                               std::string_view base = {}) {
    const std::string target = api("/api/hubs/chat/:generateToken", "userId=alice");
    std::optional<std::string> bearer;
    if (!base.empty()) {
        const boost::json::object claims{
            {"aud", std::string(base) + target}, {"iat", unix_now()}, {"exp", unix_now() + 600}};
        bearer = auth::sign_hs256(claims, server.access_key());
    }
    const auto response = send_rest(server, {.target = target, .token = bearer, .headers = headers});
    EXPECT_EQ(response.status, 200) << response.describe();
    const auto token = std::string(boost::json::parse(response.body).at("token").as_string());
    const auto payload =
        base64url_decode(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
    EXPECT_TRUE(payload);
    return std::string(boost::json::parse(payload.value_or("{}")).as_object().at("aud").as_string());
}

TEST(BehindProxy, WithoutAPublicEndpointTokensMayNameAnyHost) {
    hubcast_process server;
    ws_client ws;
    // What a client reaching hubcast through an ingress named chat.example.com carries.
    EXPECT_EQ(upgrade_with(server, ws, "wss://chat.example.com/client/hubs/chat").status, 101);
    EXPECT_EQ(send_with_audience(server, public_url).status, 202);
    ws_client other_hub;
    EXPECT_EQ(upgrade_with(server, other_hub, "wss://chat.example.com/client/hubs/other").status, 401)
        << "the path must still name the hub";
}

TEST(BehindProxy, APublicEndpointIsTheOnlyHostTokensMayName) {
    hubcast_process server({.args = {"--public-endpoint", std::string(public_url)}});
    ws_client named;
    EXPECT_EQ(upgrade_with(server, named, "wss://chat.example.com/client/hubs/chat").status, 101);
    ws_client direct;
    const auto refused = upgrade_with(server, direct, audience(server.port(), "chat"));
    EXPECT_EQ(refused.status, 401) << refused.describe();
    ws_client other_port;
    EXPECT_EQ(upgrade_with(server, other_port, "https://chat.example.com:8443/client/hubs/chat").status, 401);

    EXPECT_EQ(send_with_audience(server, public_url).status, 202);
    EXPECT_EQ(send_with_audience(server, "https://chat.example.com:443").status, 202);
    EXPECT_EQ(send_with_audience(server, "http://127.0.0.1:" + std::to_string(server.port())).status, 401);

    EXPECT_EQ(generated_audience(server, {}, public_url), "https://chat.example.com/client/hubs/chat");
}

TEST(BehindProxy, AnInvalidPublicEndpointOrTrustedProxyIsRefusedAtStart) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--public-endpoint", "chat.example.com"},
          std::vector<std::string>{"--public-endpoint", "https://chat.example.com/hub"},
          std::vector<std::string>{"--trusted-proxy", "10.0.0.0/40"}}) {
        std::vector<std::string> all{"--access-key", std::string(default_access_key)};
        all.insert(all.end(), args.begin(), args.end());
        const auto result = run_hubcast(all);
        EXPECT_FALSE(result.status.success()) << args.back();
        EXPECT_NE(result.standard_error.find(args.front().substr(2, 6)), std::string::npos)
            << result.standard_error;
    }
}

TEST(BehindProxy, ForwardedSchemeCountsOnlyFromATrustedProxy) {
    const header_list https{{"X-Forwarded-Proto", "https"}};
    hubcast_process trusting({.args = {"--trusted-proxy", "127.0.0.1"}});
    EXPECT_EQ(generated_audience(trusting, https),
              "https://127.0.0.1:" + std::to_string(trusting.port()) + "/client/hubs/chat");
    hubcast_process plain;
    EXPECT_EQ(generated_audience(plain, https),
              "http://127.0.0.1:" + std::to_string(plain.port()) + "/client/hubs/chat");
}

/// Upgrades as `address` (X-Forwarded-For) until one is refused with 429; false if none is.
bool exhaust_handshakes(const hubcast_process& server, std::string_view address) {
    for (int i = 0; i < 10; ++i) {
        ws_client ws;
        const auto response = upgrade_with(server, ws, audience(server.port(), "chat"),
                                           {{"X-Forwarded-For", std::string(address)}});
        if (response.status == 429) {
            return true;
        }
        EXPECT_EQ(response.status, 101) << response.describe();
    }
    return false;
}

TEST(BehindProxy, PerAddressLimitsCountTheForwardedClientOnlyBehindATrustedProxy) {
    const std::vector<std::string> one_per_second{"--handshakes-per-ip-per-second", "1",
                                                  "--handshake-burst-per-ip", "1"};
    std::vector<std::string> trusted_args = one_per_second;
    trusted_args.insert(trusted_args.end(), {"--trusted-proxy", "127.0.0.0/8"});
    hubcast_process trusting({.args = trusted_args});
    ASSERT_TRUE(exhaust_handshakes(trusting, "203.0.113.1"));
    ws_client second_client;
    EXPECT_EQ(upgrade_with(trusting, second_client, audience(trusting.port(), "chat"),
                           {{"X-Forwarded-For", "203.0.113.2"}})
                  .status,
              101)
        << "another client behind the same proxy has its own allowance";

    hubcast_process plain({.args = one_per_second});
    ASSERT_TRUE(exhaust_handshakes(plain, "203.0.113.1"));
    ws_client spoofing;
    EXPECT_EQ(
        upgrade_with(plain, spoofing, audience(plain.port(), "chat"), {{"X-Forwarded-For", "203.0.113.2"}})
            .status,
        429)
        << "a header from an untrusted peer changes nothing";
}

} // namespace
} // namespace hubcast::test

// The REST data plane at the HTTP level (server-protocol spec 2-3), against the real binary: each
// operation's exact success code, HEAD answers, and every refusal a caller can provoke (token,
// audience, operation, api-version, path parameters, body, limits) with its status and ErrorDetail.
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "support/deadline.hpp"
#include "support/encoding.hpp"
#include "support/pubsub_client.hpp"
#include "support/rest_client.hpp"
#include "support/server_test.hpp"
#include "support/tokens.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

class RestApi : public server_test {};

/// The JSON ErrorDetail of a non-HEAD refusal, checked against its x-ms-error-code.
boost::json::object error_detail(const http_response& response, std::string_view code) {
    EXPECT_EQ(response.header("x-ms-error-code"), std::string(code)) << response.describe();
    EXPECT_EQ(response.header("Content-Type"), "application/json; charset=utf-8") << response.describe();
    boost::system::error_code ec;
    auto value = boost::json::parse(response.body, ec);
    if (ec || !value.is_object()) {
        ADD_FAILURE() << "not a JSON object: " << response.describe();
        return {};
    }
    auto& object = value.as_object();
    EXPECT_EQ(object["code"], boost::json::value(code)) << response.describe();
    EXPECT_TRUE(object["message"].is_string()) << response.describe();
    return object;
}

TEST_F(RestApi, EverySendIsAcceptedWith202) {
    auto& s = server();
    EXPECT_EQ(rest(s, "POST", api("/api/hubs/chat/:send"), "hello", "text/plain").status, 202);
    EXPECT_EQ(
        rest(s, "POST", api("/api/hubs/chat/groups/room/:send"), R"({"a":1})", "application/json").status,
        202);
    EXPECT_EQ(rest(s, "POST", api("/api/hubs/chat/users/alice/:send"), "\x01\x02", "application/octet-stream")
                  .status,
              202);
    EXPECT_EQ(rest(s, "POST", api("/api/hubs/chat/connections/nobody/:send"), "x", "text/plain").status, 202)
        << "fire-and-forget: 202 even when nobody receives it";
}

TEST_F(RestApi, EveryOperationAnswersTheSwaggersSuccessCode) {
    auto& s = server();
    pubsub_client client = connect({.user = "alice"});
    const std::string id = client.connection_id();
    const auto code = [&s](std::string_view method, std::string_view path, std::string_view query = {},
                           std::string_view body = {}, std::string_view type = {}) {
        const auto response = rest(s, method, api(path, query), body, type);
        EXPECT_TRUE(response.body.empty() || response.status == 200) << response.describe();
        return response.status;
    };
    EXPECT_EQ(code("PUT", "/api/hubs/chat/groups/room/connections/" + id), 200);
    EXPECT_EQ(code("HEAD", "/api/hubs/chat/groups/room"), 200);
    EXPECT_EQ(code("GET", "/api/hubs/chat/groups/room/connections"), 200);
    EXPECT_EQ(code("DELETE", "/api/hubs/chat/groups/room/connections/" + id), 204);
    EXPECT_EQ(code("HEAD", "/api/hubs/chat/groups/room"), 404);
    EXPECT_EQ(code("PUT", "/api/hubs/chat/users/alice/groups/room"), 200);
    EXPECT_EQ(code("DELETE", "/api/hubs/chat/users/alice/groups/room"), 204);
    EXPECT_EQ(code("DELETE", "/api/hubs/chat/users/alice/groups"), 204);
    EXPECT_EQ(code("DELETE", "/api/hubs/chat/connections/" + id + "/groups"), 204);
    EXPECT_EQ(code("POST", "/api/hubs/chat/:addToGroups", {},
                   R"({"groups":["a"],"filter":"userId eq 'alice'"})", "application/json"),
              200);
    EXPECT_EQ(code("POST", "/api/hubs/chat/:removeFromGroups", {}, R"({"groups":["a"]})", "application/json"),
              200);
    EXPECT_EQ(code("PUT", "/api/hubs/chat/permissions/sendToGroup/connections/" + id, "targetName=room"),
              200);
    EXPECT_EQ(code("HEAD", "/api/hubs/chat/permissions/sendToGroup/connections/" + id, "targetName=room"),
              200);
    EXPECT_EQ(code("DELETE", "/api/hubs/chat/permissions/sendToGroup/connections/" + id, "targetName=room"),
              204);
    EXPECT_EQ(code("HEAD", "/api/hubs/chat/permissions/sendToGroup/connections/" + id, "targetName=room"),
              404);
    EXPECT_EQ(code("HEAD", "/api/hubs/chat/connections/" + id), 200);
    EXPECT_EQ(code("HEAD", "/api/hubs/chat/users/alice"), 200);
    EXPECT_EQ(code("HEAD", "/api/hubs/chat/users/nobody"), 404);
    EXPECT_EQ(code("POST", "/api/hubs/chat/groups/empty/:closeConnections"), 204);
    EXPECT_EQ(code("POST", "/api/hubs/chat/users/nobody/:closeConnections"), 204);
    EXPECT_EQ(code("POST", "/api/hubs/other/:closeConnections"), 204);
    EXPECT_EQ(code("DELETE", "/api/hubs/chat/connections/" + id, "reason=done"), 204);
    EXPECT_EQ(code("HEAD", "/api/hubs/chat/connections/" + id), 404) << "a closed connection still exists";
    client.expect_disconnected_then_close(1008);
    EXPECT_EQ(code("DELETE", "/api/hubs/chat/connections/" + id), 204)
        << "closing a closed connection is done";
}

// Regression: a REST close answered 204 at once (on another worker, before the owning one had even
// started the close), and the connection stayed known until its transport finished, so an existence
// check sent right after the 204 still answered 200. Every close now answers once each connection it
// closes is forgotten: the checks below run before any client has read its close frame. With several
// workers (one per core by default) the clients of a case spread over them, so a close also crosses
// to a worker other than the one answering the REST call.
TEST_F(RestApi, ExistenceChecksRightAfterARestCloseAnswer404) {
    auto& s = server();
    constexpr int clients_per_case = 4;
    const auto head = [&s](const std::string& path) {
        return rest(s, "HEAD", api(path)).status;
    };
    const auto open = [](const std::string& hub, const std::string& user, const std::string& group) {
        std::vector<pubsub_client> clients;
        std::vector<std::string> ids;
        for (int i = 0; i < clients_per_case; ++i) {
            clients.push_back(connect({.hub = hub, .user = user, .groups = {group}}));
            ids.push_back(clients.back().connection_id());
        }
        return std::pair{std::move(clients), std::move(ids)};
    };
    struct close_case {
        std::string hub;
        std::string method;
        std::string path; // under /api/hubs/<hub>
    };
    const std::vector<close_case> cases{
        {"forgetuser", "POST", "/users/u/:closeConnections"},
        {"forgetgroup", "POST", "/groups/g/:closeConnections"},
        {"forgetall", "POST", "/:closeConnections"},
    };
    for (const auto& [hub, method, path] : cases) {
        SCOPED_TRACE(method + " " + path);
        auto [clients, ids] = open(hub, "u", "g");
        const std::string base = "/api/hubs/" + hub;
        ASSERT_EQ(head(base + "/users/u"), 200);
        ASSERT_EQ(head(base + "/groups/g"), 200);
        EXPECT_EQ(rest(s, method, api(base + path)).status, 204);
        for (const auto& id : ids) {
            EXPECT_EQ(head(base + "/connections/" + id), 404) << id;
        }
        EXPECT_EQ(head(base + "/users/u"), 404);
        EXPECT_EQ(head(base + "/groups/g"), 404);
        for (auto& client : clients) {
            client.expect_disconnected_then_close(1008);
        }
    }
    auto [clients, ids] = open("forgetone", "u", "g");
    for (std::size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(rest(s, "DELETE", api("/api/hubs/forgetone/connections/" + ids[i])).status, 204);
        EXPECT_EQ(head("/api/hubs/forgetone/connections/" + ids[i]), 404) << ids[i];
        EXPECT_EQ(head("/api/hubs/forgetone/users/u"), i + 1 == ids.size() ? 404 : 200);
        clients[i].expect_disconnected_then_close(1008);
    }
}

TEST_F(RestApi, HeadAnswersHaveNoBody) {
    auto& s = server();
    const auto found = rest(s, "HEAD", api("/api/hubs/chat/users/nobody"));
    EXPECT_EQ(found.status, 404);
    EXPECT_TRUE(found.body.empty());
    const auto refused =
        send_rest(s, {.method = "HEAD", .target = api("/api/hubs/chat/users/u"), .authorization = ""});
    EXPECT_EQ(refused.status, 401);
    EXPECT_TRUE(refused.body.empty());
    EXPECT_EQ(refused.header("x-ms-error-code"), "Unauthorized");
    EXPECT_EQ(refused.header("WWW-Authenticate"), "Bearer");
}

TEST_F(RestApi, AddingAConnectionThatDoesNotExistIs404) {
    auto& s = server();
    const auto response = rest(s, "PUT", api("/api/hubs/chat/groups/room/connections/no-such-connection"));
    EXPECT_EQ(response.status, 404);
    error_detail(response, "ConnectionNotFound");
    const auto grant = rest(s, "PUT", api("/api/hubs/chat/permissions/joinLeaveGroup/connections/nope"));
    EXPECT_EQ(grant.status, 404);
    EXPECT_EQ(rest(s, "DELETE", api("/api/hubs/chat/permissions/joinLeaveGroup/connections/nope")).status,
              204);
}

TEST_F(RestApi, ATokenIsRequiredAndMustBeValid) {
    auto& s = server();
    const std::string target = api("/api/hubs/chat/:send");
    const auto send_with = [&](rest_request request) {
        request.target = request.target.empty() ? target : request.target;
        // Moved in rather than assigned from literals: GCC 12 -O2 reports a false -Wrestrict on the
        // inlined char_traits::copy of a literal assignment here.
        request.body = std::string("x");
        request.content_type = std::string("text/plain");
        return send_rest(s, request);
    };
    const auto expect_401 = [](const http_response& response, const char* what) {
        EXPECT_EQ(response.status, 401) << what << "\n" << response.describe();
        EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer") << what;
        error_detail(response, "Unauthorized");
    };
    expect_401(send_with({.authorization = ""}), "no Authorization header");
    expect_401(send_with({.authorization = "Basic dXNlcjpwYXNz"}), "another scheme");
    expect_401(send_with({.token = "not.a.jwt"}), "garbage");
    expect_401(send_with({.token = rest_token(s.port(), target, "some-other-key-0123456789012345678")}),
               "wrong key");
    expect_401(send_with({.token = rest_token(s.port(), target, s.access_key(), -10min)}), "expired");
    expect_401(send_with({.token = rest_token(s.port(), api("/api/hubs/other/:send"), s.access_key())}),
               "audience of another path");
    expect_401(
        send_with({.token = rest_token(s.port(), api("/api/hubs/chat/:send", "excluded=x"), s.access_key())}),
        "audience with another query");

    const auto accepted =
        send_with({.authorization = "bearer " + rest_token(s.port(), target, s.access_key())});
    EXPECT_EQ(accepted.status, 202) << "the scheme is case-insensitive";
    // Java's SDK writes no `typ`; a proxy or `localhost` changes the host the token names.
    boost::json::object claims{{"aud", "https://pubsub.example.com" + target}, {"exp", unix_now() + 60}};
    const auto java =
        send_with({.token = sign_jwt(boost::json::object{{"alg", "HS256"}}, claims, s.access_key())});
    EXPECT_EQ(java.status, 202) << java.describe();
}

TEST_F(RestApi, UnknownOperationsAre404AndOtherMethods405) {
    auto& s = server();
    const auto unknown = rest(s, "POST", api("/api/hubs/chat/:publish"), "x", "text/plain");
    EXPECT_EQ(unknown.status, 404);
    error_detail(unknown, "NotFound");
    EXPECT_EQ(rest(s, "GET", api("/api/hubs/chat")).status, 404);
    EXPECT_EQ(rest(s, "GET", api("/api/nothing")).status, 404);
    const auto wrong_method = rest(s, "GET", api("/api/hubs/chat/connections/abc"));
    EXPECT_EQ(wrong_method.status, 405);
    EXPECT_EQ(wrong_method.header("Allow"), "DELETE, HEAD");
    error_detail(wrong_method, "MethodNotAllowed");
}

TEST_F(RestApi, KnownAndLaterApiVersionsAreAcceptedAndOthersAre400) {
    auto& s = server();
    for (const char* version : {"2024-12-01", "2024-01-01", "2023-07-01", "2022-11-01", "2021-10-01"}) {
        const auto response =
            rest(s, "POST", "/api/hubs/chat/:send?api-version=" + std::string(version), "x", "text/plain");
        EXPECT_EQ(response.status, 202) << version;
    }
    // A newer server SDK's version is accepted for the operations hubcast serves; an operation it
    // does not serve is still 404.
    EXPECT_EQ(rest(s, "POST", "/api/hubs/chat/:send?api-version=2099-01-01", "x", "text/plain").status, 202);
    const auto unknown_operation =
        rest(s, "POST", "/api/hubs/chat/:fly?api-version=2099-01-01", "x", "text/plain");
    EXPECT_EQ(unknown_operation.status, 404) << unknown_operation.body;
    const auto bad = rest(s, "POST", "/api/hubs/chat/:send?api-version=2019-01-01", "x", "text/plain");
    EXPECT_EQ(bad.status, 400);
    error_detail(bad, "InvalidApiVersion");
    const auto missing = rest(s, "POST", "/api/hubs/chat/:send", "x", "text/plain");
    EXPECT_EQ(missing.status, 400);
    error_detail(missing, "InvalidApiVersion");
}

TEST_F(RestApi, InvalidPathParametersAre400) {
    auto& s = server();
    for (const std::string& path :
         {std::string("/api/hubs/1chat/:send"), std::string("/api/hubs/ch%2Dat/:send"),
          "/api/hubs/" + std::string(129, 'h') + "/:send", std::string("/api/hubs/chat/groups/%20%20/:send"),
          "/api/hubs/chat/groups/" + std::string(1025, 'g') + "/:send",
          std::string("/api/hubs/chat/groups/%FF/:send"), std::string("/api/hubs/chat/users//:send")}) {
        const auto response = rest(s, "POST", api(path), "x", "text/plain");
        EXPECT_EQ(response.status, 400) << path << "\n" << response.describe();
        error_detail(response, "InvalidParameter");
    }
    EXPECT_EQ(rest(s, "PUT", api("/api/hubs/chat/permissions/admin/connections/c")).status, 400);
    EXPECT_EQ(rest(s, "HEAD", api("/api/hubs/chat/groups/%20")).status, 400);
    EXPECT_EQ(
        rest(s, "POST", api("/api/hubs/chat/groups/" + std::string(1024, 'g') + "/:send"), "x", "text/plain")
            .status,
        202);
}

TEST_F(RestApi, AnEncodedColonAndHubCaseAreAccepted) {
    auto& s = server();
    pubsub_client client = connect({.hub = "Chat"});
    EXPECT_EQ(rest(s, "POST", api("/api/hubs/CHAT/%3Asend"), "via %3A", "text/plain").status, 202);
    const auto message = client.ws().expect_json();
    EXPECT_EQ(message.at("data"), "via %3A");
}

TEST_F(RestApi, BodiesAreValidatedByTheirMediaType) {
    auto& s = server();
    // Connected before the first send: a 202 means accepted, not yet delivered, so a client that
    // connects after an accepted send may still receive it.
    pubsub_client client = connect();
    const auto send = [&s](std::string_view body, std::string_view type) {
        return rest(s, "POST", api("/api/hubs/chat/:send"), body, type);
    };
    EXPECT_EQ(send("{\"a\":", "application/json").status, 400);
    error_detail(send("{\"a\":", "application/json"), "InvalidRequestBody");
    EXPECT_EQ(send("", "application/json").status, 400);
    EXPECT_EQ(send("\xc3\x28", "text/plain").status, 400);
    const auto xml = send("<a/>", "application/xml");
    EXPECT_EQ(xml.status, 415);
    error_detail(xml, "UnsupportedMediaType");
    EXPECT_EQ(send("[1,2]", "application/json; charset=utf-8").status, 202);
    EXPECT_EQ(client.ws().expect_json().at("data"), boost::json::parse("[1,2]"));
    // The swagger requires a Content-Type: none, an empty one or one that is no media type is a 415,
    // never a binary message.
    for (const char* type : {"", ";", "garbage", "text/plain; charset=iso-8859-1"}) {
        std::string raw = "POST " + api("/api/hubs/chat/:send") +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                          rest_token(s.port(), api("/api/hubs/chat/:send"), s.access_key()) +
                          "\r\nContent-Length: 1\r\nConnection: close\r\nContent-Type: " + type + "\r\n\r\nx";
        const auto response = http_exchange(s.port(), raw);
        EXPECT_EQ(response.status, 415) << '"' << type << "\"\n" << response.describe();
        error_detail(response, "UnsupportedMediaType");
    }
    const auto untyped = send("x", "");
    EXPECT_EQ(untyped.status, 415) << "no Content-Type at all\n" << untyped.describe();
    EXPECT_EQ(send("after", "text/plain").status, 202);
    EXPECT_EQ(client.ws().expect_json().at("data"), "after") << "none of the refused sends was delivered";

    const auto groups =
        rest(s, "POST", api("/api/hubs/chat/:addToGroups"), R"({"filter":"x"})", "application/json");
    EXPECT_EQ(groups.status, 400);
    error_detail(groups, "InvalidRequestBody");
}

TEST_F(RestApi, ABadFilterIs400WithItsPosition) {
    auto& s = server();
    const auto response =
        rest(s, "POST", api("/api/hubs/chat/:send", "filter=userId%20eq%20%27a%27%20and"), "x", "text/plain");
    EXPECT_EQ(response.status, 400);
    const auto detail = error_detail(response, "InvalidFilter");
    const auto message = std::string(detail.at("message").as_string());
    EXPECT_NE(message.find("position"), std::string::npos) << message;

    const auto membership = rest(s, "POST", api("/api/hubs/chat/:removeFromGroups"),
                                 R"({"groups":["g"],"filter":"'g' in"})", "application/json");
    EXPECT_EQ(membership.status, 400);
    error_detail(membership, "InvalidFilter");
}

TEST_F(RestApi, MessageTtlSecondsIsValidated) {
    auto& s = server();
    for (const char* ttl : {"0", "1", "300"}) {
        EXPECT_EQ(rest(s, "POST", api("/api/hubs/chat/:send", "messageTtlSeconds=" + std::string(ttl)), "x",
                       "text/plain")
                      .status,
                  202)
            << ttl;
    }
    for (const char* ttl : {"301", "-1", "abc", "1.5"}) {
        const auto response =
            rest(s, "POST", api("/api/hubs/chat/users/u/:send", "messageTtlSeconds=" + std::string(ttl)), "x",
                 "text/plain");
        EXPECT_EQ(response.status, 400) << ttl;
        error_detail(response, "InvalidParameter");
    }
}

TEST_F(RestApi, AnOversizedBodyIs413AndTheServerCarriesOn) {
    auto& s = server();
    const auto response =
        rest(s, "POST", api("/api/hubs/chat/:send"), std::string(1024 * 1024 + 1, 'x'), "text/plain");
    EXPECT_EQ(response.status, 413);
    EXPECT_EQ(
        rest(s, "POST", api("/api/hubs/chat/:send"), std::string(1024 * 1024, 'x'), "text/plain").status, 202)
        << "exactly 1 MiB is allowed";
}

TEST_F(RestApi, GeneratedTokensConnect) {
    auto& s = server();
    const auto response =
        rest(s, "POST",
             api("/api/hubs/chat/:generateToken", "userId=carol&role=webpubsub.joinLeaveGroup&group=g1&"
                                                  "group=g2&minutesToExpire=5&clientType=DEFAULT"));
    ASSERT_EQ(response.status, 200) << response.describe();
    EXPECT_EQ(response.header("Content-Type"), "application/json; charset=utf-8");
    const auto token = std::string(boost::json::parse(response.body).at("token").as_string());

    ws_client ws;
    const auto upgrade =
        ws.connect(s.port(), client_path("chat", token), {}, {std::string(json_subprotocol)});
    ASSERT_EQ(upgrade.status, 101) << upgrade.describe();
    const auto connected = ws.expect_json();
    EXPECT_EQ(connected.at("userId"), "carol");
    EXPECT_EQ(rest(s, "HEAD", api("/api/hubs/chat/groups/g2")).status, 200)
        << "the token's groups are joined";

    for (const char* query :
         {"minutesToExpire=0", "clientType=browser", "group=%20", "minutesToExpire=525601",
          "minutesToExpire=2147483647", "clientType=mqtt&minutesToExpire=2147483647"}) {
        EXPECT_EQ(rest(s, "POST", api("/api/hubs/chat/:generateToken", query)).status, 400) << query;
    }
    // A token hubcast would refuse at the upgrade (over 8 KiB) is not minted. A control character
    // is 3 bytes in the URL (and so in the bearer token naming it) but 6 in the minted token's JSON,
    // so two groups of 520 make a token over 8 KiB from a call whose own token is about half that.
    std::string many_groups = "minutesToExpire=5";
    for (int group = 0; group < 2; ++group) {
        many_groups += "&group=";
        for (int i = 0; i < 520; ++i) {
            many_groups += group == 0 ? "%01" : "%02";
        }
    }
    const auto oversized = rest(s, "POST", api("/api/hubs/chat/:generateToken", many_groups));
    EXPECT_EQ(oversized.status, 400) << oversized.describe();
    error_detail(oversized, "InvalidParameter");
    // The longest lifetime is 365 days.
    const auto year = rest(s, "POST", api("/api/hubs/chat/:generateToken", "minutesToExpire=525600"));
    ASSERT_EQ(year.status, 200) << year.describe();
    const std::string year_token(boost::json::parse(year.body).at("token").as_string());
    const auto dot = year_token.find('.');
    const auto payload =
        base64url_decode(year_token.substr(dot + 1, year_token.find('.', dot + 1) - dot - 1));
    ASSERT_TRUE(payload);
    const auto claims = boost::json::parse(*payload).as_object();
    EXPECT_EQ(claims.at("exp").to_number<std::int64_t>() - claims.at("iat").to_number<std::int64_t>(),
              365LL * 24 * 3600);
    EXPECT_EQ(rest(s, "POST", api("/api/hubs/chat/:generateToken", "clientType=mqtt")).status, 200);
    EXPECT_EQ(rest(s, "POST", api("/api/hubs/chat/:generateToken", "clientType=socketio")).status, 200);
}

TEST_F(RestApi, HealthEndpointsNeedNoToken) {
    auto& s = server();
    EXPECT_EQ(
        send_rest(s, {.method = "HEAD", .target = "/api/health?api-version=2024-12-01", .authorization = ""})
            .status,
        200);
    EXPECT_EQ(send_rest(s, {.method = "GET", .target = "/api/health", .authorization = ""}).status, 200);
    EXPECT_EQ(http_get(s.port(), "/healthz").status, 200);
    EXPECT_EQ(http_get(s.port(), "/readyz").status, 200);
}

TEST_F(RestApi, KeepAliveAnswersPipelinedCallsInOrder) {
    auto& s = server();
    const std::string first = api("/api/hubs/chat/users/nobody");
    // A hub of its own: the 202 comes before the delivery, which must not reach the clients of a
    // test that runs next on the same server (the suite's tests share one when run in one process).
    const std::string second = api("/api/hubs/pipelined/:send");
    std::string raw = "HEAD " + first + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                      rest_token(s.port(), first, s.access_key()) + "\r\n\r\n";
    raw += "POST " + second + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
           rest_token(s.port(), second, s.access_key()) +
           "\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi";
    auto connection = tcp_connection::connect(s.port());
    ASSERT_TRUE(connection.write_all(raw));
    EXPECT_EQ(read_http_response(connection, default_wait).status, 404);
    EXPECT_EQ(read_http_response(connection, default_wait).status, 202);
}

TEST_F(RestApi, AMalformedCallDisturbsNoClient) {
    auto& s = server();
    pubsub_client client = connect();
    EXPECT_EQ(http_exchange(s.port(),
                            "POST /api/hubs/chat/:send?api-version=2024-12-01 HTTP/1.1\r\nHost: x\r\n"
                            "Content-Length: x\r\n\r\n")
                  .status,
              400);
    EXPECT_EQ(http_exchange(s.port(), "POST /api/hubs/chat/%zz?api-version=2024-12-01 HTTP/1.1\r\nHost: x\r\n"
                                      "Content-Length: 0\r\nConnection: close\r\n\r\n")
                  .status,
              400);
    EXPECT_EQ(rest(s, "POST", api("/api/hubs/chat/:send"), "still here", "text/plain").status, 202);
    EXPECT_EQ(client.ws().expect_json().at("data"), "still here");
}

} // namespace
} // namespace hubcast::test

// Event handlers that fail (server spec 4.3-4.6, 5): down, slow, answering 500, refusing our origin,
// or answering a connect with a body that is not JSON. Each gives the client the documented result,
// and after each the server still serves everyone else (checked after every test).

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "support/deadline.hpp"
#include "support/http_client.hpp"
#include "support/http_test_server.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/tokens.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;
namespace beast_http = boost::beast::http;
using handler_request = beast_http::request<beast_http::string_body>;
using http_testing::reply;
using http_testing::server_action;
using http_testing::test_server;

constexpr auto handler_timeout = 1s; // every [upstream] timeout in this suite
constexpr auto slow_answer = 3s;     // what the slow handler takes: past every timeout

/// The app server of this suite. Its paths say how it behaves: /slow/ answers after slow_answer,
/// /broken/ answers 500, /garbled/ answers a connect with text that is not JSON, /picky/ refuses a
/// connect with 403, /crowded/ names more groups than a connection may be in, /events/ accepts system events
/// and answers user events by name (fail: 500, slow: late, anything else: its body back as text; a simple
/// client's "fail" frame: 500).
server_action behave(const handler_request& request) {
    if (request.method() == beast_http::verb::options) {
        auto action = reply(200, "", "");
        action.response.set("WebHook-Allowed-Origin", "*");
        return action;
    }
    const std::string target(request.target());
    const std::string event(request["ce-eventName"]);
    if (target.starts_with("/slow/")) {
        std::this_thread::sleep_for(slow_answer);
        return reply(204);
    }
    if (target.starts_with("/broken/")) {
        return reply(500, "boom");
    }
    if (target.starts_with("/garbled/")) {
        return reply(200, "{\"userId\": \"x\",", "application/json; charset=utf-8");
    }
    if (target.starts_with("/picky/")) {
        return reply(403, "Forbidden: go away");
    }
    if (target.starts_with("/crowded/")) {
        // One group more than a connection may be in (the default max_groups_per_connection).
        std::string groups;
        for (int i = 0; i <= 1000; ++i) {
            groups += (i == 0 ? "\"g" : ",\"g") + std::to_string(i) + "\"";
        }
        return reply(200, R"({"groups":[)" + groups + "]}", "application/json; charset=utf-8");
    }
    if (event == "connect" || event == "connected" || event == "disconnected") {
        return reply(event == "connect" ? 204 : 200);
    }
    if (event == "fail" || request.body() == "fail") {
        return reply(500, "nope");
    }
    if (event == "slow") {
        std::this_thread::sleep_for(slow_answer);
    }
    return reply(200, "echo " + std::string(request.body()), "text/plain; charset=utf-8");
}

/// An app server whose preflight does not allow us (no WebHook-Allowed-Origin), as the .NET
/// handler answers when the connection string names another host.
server_action refuse_origin(const handler_request& request) {
    if (request.method() == beast_http::verb::options) {
        return reply(400, "origin not allowed");
    }
    return reply(204);
}

std::uint16_t unused_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return probe.local_endpoint().port();
}

std::string handler_table(const std::string& hub, const std::string& url, const std::string& pattern,
                          const std::string& events) {
    return "[hubs." + hub + "]\n[[hubs." + hub + ".event_handlers]]\nurl_template = \"" + url +
           "\"\nuser_event_pattern = \"" + pattern + "\"\nsystem_events = " + events + "\n";
}

class UpstreamFailures : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        handler_ = std::make_unique<test_server>(behave);
        refusing_ = std::make_unique<test_server>(refuse_origin);
        dead_port_ = unused_port();
        const std::string local = "http://127.0.0.1:" + std::to_string(handler_->port());
        const std::string connect = R"(["connect"])";
        std::string config = "[upstream]\nconnect_timeout_seconds = 1\nuser_event_timeout_seconds = 1\n"
                             "notification_timeout_seconds = 1\nnotification_retries = 0\n";
        config +=
            handler_table("down", "http://127.0.0.1:" + std::to_string(dead_port_) + "/{event}", "", connect);
        config += handler_table("slow", local + "/slow/{event}", "", connect);
        config += handler_table("broken", local + "/broken/{event}", "", connect);
        config += handler_table("garbled", local + "/garbled/{event}", "", connect);
        config += handler_table("picky", local + "/picky/{event}", "", connect);
        config += handler_table("crowded", local + "/crowded/{event}", "", connect);
        config += handler_table(
            "refused", "http://127.0.0.1:" + std::to_string(refusing_->port()) + "/{event}", "", connect);
        config += handler_table("events", local + "/events/{event}", "*",
                                R"(["connect", "connected", "disconnected"])");
        config += "[hubs.plain]\n";
        config_path_ = (std::filesystem::temp_directory_path() /
                        ("hubcast_upstream_failures_" + std::to_string(::getpid()) + ".toml"))
                           .string();
        std::ofstream(config_path_) << config;
        server_ = std::make_unique<hubcast_process>(process_options{.args = {"--config", config_path_}});
    }

    static void TearDownTestSuite() {
        server_.reset();
        handler_.reset();
        refusing_.reset();
        std::filesystem::remove(config_path_);
    }

    /// Whatever the handler did, the server serves everyone else: a client of a hub without
    /// handlers connects and is answered, and the health endpoint says ok.
    void TearDown() override {
        ASSERT_TRUE(server_->running()) << "hubcast is gone. Output:\n" << server_->output();
        auto client = pubsub_client::connect(*server_, {.hub = "plain", .user = "bystander"});
        ASSERT_TRUE(client.ws().send_json(ping_message));
        EXPECT_TRUE(has_string(client.ws().expect_json(), "type", "pong"));
        EXPECT_EQ(http_get(server_->port(), "/healthz").status, 200);
        if (HasFailure()) {
            std::cerr << "---- hubcast output ----\n" << server_->output() << "\n---- end ----\n";
        }
    }

    /// The answer to an upgrade to `hub` with a valid token.
    static test::http_response upgrade(const std::string& hub, ws_client& client) {
        const auto token =
            mint_token(server_->port(), server_->access_key(), token_request{.hub = hub, .user = "alice"});
        return client.connect(server_->port(), client_path(hub, token), {}, {std::string(json_subprotocol)},
                              deadline(10s));
    }

    static bool logged(std::string_view text) {
        return wait_until([&] { return server_->output().find(text) != std::string::npos; }, default_wait);
    }

    inline static std::unique_ptr<test_server> handler_;
    inline static std::unique_ptr<test_server> refusing_;
    inline static std::unique_ptr<hubcast_process> server_;
    inline static std::uint16_t dead_port_ = 0;
    inline static std::string config_path_;
};

TEST_F(UpstreamFailures, AConnectHandlerThatIsDownFailsTheUpgradeWith500AndIsLoggedWithItsUrl) {
    ws_client client;
    const auto response = upgrade("down", client);
    EXPECT_EQ(response.status, 500) << response.describe();
    EXPECT_TRUE(logged("http://127.0.0.1:" + std::to_string(dead_port_) + "/")) << server_->output();
}

TEST_F(UpstreamFailures, ASlowConnectHandlerTimesOutWith500) {
    ws_client client;
    const auto start = test_clock::now();
    const auto response = upgrade("slow", client);
    const auto took = test_clock::now() - start;
    EXPECT_EQ(response.status, 500) << response.describe();
    EXPECT_GE(took, handler_timeout - 100ms);
    EXPECT_LT(took, slow_answer) << "the client is answered at the timeout, not when the handler is done";
    EXPECT_TRUE(logged("/slow/connect timed out")) << server_->output();
}

TEST_F(UpstreamFailures, AConnectHandlerAnswering500FailsTheUpgradeWith500) {
    ws_client client;
    const auto response = upgrade("broken", client);
    EXPECT_EQ(response.status, 500) << response.describe();
    EXPECT_EQ(response.body.find("boom"), std::string::npos) << "the handler's own error stays in the log";
    EXPECT_TRUE(logged("/broken/connect answered 500: boom")) << server_->output();
}

TEST_F(UpstreamFailures, AConnectAnswerThatIsNotJsonFailsTheUpgradeWith500) {
    ws_client client;
    const auto response = upgrade("garbled", client);
    EXPECT_EQ(response.status, 500) << response.describe();
    EXPECT_TRUE(logged("/garbled/connect answered an invalid body: not valid JSON")) << server_->output();
}

// docs/configuration.md, max_groups_per_connection: the handler's answer cannot be carried out, so
// the upgrade fails as for any such answer, rather than joining only some of the groups.
TEST_F(UpstreamFailures, AConnectAnswerNamingMoreGroupsThanTheLimitFailsTheUpgradeWith500) {
    ws_client client;
    const auto response = upgrade("crowded", client);
    EXPECT_EQ(response.status, 500) << response.describe();
    EXPECT_TRUE(
        logged("the connect event handler named 1001 groups, more than a connection may be in (1000)"))
        << server_->output();
}

TEST_F(UpstreamFailures, AConnectHandlers4xxIsTheUpgradesStatusWithItsText) {
    ws_client client;
    const auto response = upgrade("picky", client);
    EXPECT_EQ(response.status, 403) << response.describe();
    EXPECT_NE(response.body.find("Forbidden: go away"), std::string::npos) << response.describe();
}

TEST_F(UpstreamFailures, AHandlerWhosePreflightRefusesUsIsNeverCalled) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        ws_client client;
        const auto response = upgrade("refused", client);
        EXPECT_EQ(response.status, 500) << response.describe();
    }
    EXPECT_TRUE(logged("abuse protection: OPTIONS http://127.0.0.1:" + std::to_string(refusing_->port())))
        << server_->output();
    const auto seen = refusing_->requests();
    ASSERT_EQ(seen.size(), 1u) << "one preflight, its verdict kept; no event";
    EXPECT_EQ(seen[0].method(), beast_http::verb::options);
    EXPECT_EQ(seen[0]["WebHook-Request-Origin"], "127.0.0.1");
    EXPECT_EQ(seen[0]["ce-awpsversion"], "1.0");
}

TEST_F(UpstreamFailures, AFailedUserEventIsAnErrorAckAndTheConnectionStays) {
    auto client = pubsub_client::connect(*server_, {.hub = "events", .user = "bob"});
    ASSERT_TRUE(client.ws().send_json(event_message("fail", "text", "x", 1)));
    const auto ack = client.expect_ack_error(1, "InternalServerError");
    EXPECT_NE(string_at(ack.at("error").as_object(), "message").find("500"), std::string::npos);
    ASSERT_TRUE(client.ws().send_json(event_message("echo", "text", "still here", 2)));
    const auto reply = client.ws().expect_json();
    EXPECT_TRUE(has_string(reply, "from", "server"));
    EXPECT_TRUE(has_string(reply, "data", "echo still here"));
    client.expect_ack(2);
}

TEST_F(UpstreamFailures, ASlowUserEventTimesOutAndTheNextEventStillGoes) {
    auto client = pubsub_client::connect(*server_, {.hub = "events", .user = "carol"});
    const auto start = test_clock::now();
    ASSERT_TRUE(client.ws().send_json(event_message("slow", "text", "x", 1)));
    ASSERT_TRUE(client.ws().send_json(event_message("echo", "text", "next", 2)));
    const auto ack = client.expect_ack_error(1, "InternalServerError", deadline(slow_answer));
    EXPECT_GE(test_clock::now() - start, handler_timeout - 100ms) << "answered at the timeout";
    EXPECT_NE(string_at(ack.at("error").as_object(), "message").find("timed out"), std::string::npos);
    EXPECT_TRUE(has_string(client.ws().expect_json(), "data", "echo next")) << "queued behind, sent after";
    client.expect_ack(2);
}

TEST_F(UpstreamFailures, ASlowHandlerCostsOnlyTheConnectionWaitingOnIt) {
    auto waiting = pubsub_client::connect(*server_, {.hub = "events", .user = "dave"});
    auto other = pubsub_client::connect(*server_, {.hub = "events", .user = "erin"});
    ASSERT_TRUE(waiting.ws().send_json(event_message("slow", "text", "x", 1)));
    const auto start = test_clock::now();
    ASSERT_TRUE(other.ws().send_json(event_message("echo", "text", "meanwhile", 1)));
    EXPECT_TRUE(has_string(other.ws().expect_json(), "data", "echo meanwhile"));
    other.expect_ack(1);
    EXPECT_LT(test_clock::now() - start, handler_timeout) << "another connection's events do not wait";
    waiting.expect_ack_error(1, "InternalServerError", deadline(slow_answer));
}

TEST_F(UpstreamFailures, ASimpleClientWhoseHandlerFailsIsClosedWith1011) {
    auto client = open_websocket(*server_, {.hub = "events", .user = "frank", .subprotocols = {}});
    ASSERT_TRUE(client.send_text("hello"));
    EXPECT_EQ(client.expect_message().payload, "echo hello");
    ASSERT_TRUE(client.send_text("fail"));
    const auto closed = client.expect_close();
    EXPECT_EQ(closed.code, 1011);
}

} // namespace
} // namespace hubcast::test

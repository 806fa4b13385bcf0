#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include "../../support/http_test_server.hpp"
#include "transport/http_client.hpp"

namespace hubcast::transport {
namespace {

using http_testing::gate;
using http_testing::reply;
using http_testing::server_action;
using http_testing::test_server;

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

class HttpClient : public ::testing::Test {
protected:
    http_client_request request_to(const test_server& server, std::string target = "/") {
        http_client_request request;
        request.host = "127.0.0.1";
        request.port = server.port();
        request.target = std::move(target);
        request.timeout = 5s;
        return request;
    }

    /// Runs the client's loop until `condition` holds; fails after 10 s.
    void run_until(const std::function<bool()>& condition) {
        const auto limit = std::chrono::steady_clock::now() + 10s;
        while (!condition() && std::chrono::steady_clock::now() < limit) {
            io_.run_for(5ms);
        }
        ASSERT_TRUE(condition()) << "the client did not get there within 10 s";
    }

    asio::io_context io_;
};

TEST_F(HttpClient, SendsTheRequestAndReturnsStatusHeadersAndBody) {
    test_server server([](const auto&) {
        auto action = reply(201, "created", "application/json; charset=utf-8");
        action.response.insert("WebHook-Allowed-Origin", "a.example");
        action.response.insert("WebHook-Allowed-Origin", "b.example");
        return action;
    });
    http_client client(io_.get_executor());
    auto request = request_to(server, "/api/webpubsub/hubs/chat/?code=1");
    request.headers = {{"ce-type", "azure.webpubsub.sys.connect"}, {"Content-Type", "application/json"}};
    request.body = R"({"claims":{}})";
    std::optional<http_client_result> result;
    client.send(std::move(request), [&](http_client_result r) { result = std::move(r); });
    EXPECT_FALSE(result) << "never answered from inside send()";
    run_until([&] { return result.has_value(); });

    ASSERT_TRUE(*result) << describe(result->error());
    EXPECT_EQ((*result)->status, 201u);
    EXPECT_EQ((*result)->body, "created");
    EXPECT_EQ((*result)->header("content-type"), "application/json; charset=utf-8");
    int origins = 0;
    for (const auto& [name, value] : (*result)->headers) {
        origins += name == "WebHook-Allowed-Origin" ? 1 : 0;
    }
    EXPECT_EQ(origins, 2) << "repeated header lines stay separate";

    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].method(), http::verb::post);
    EXPECT_EQ(seen[0].target(), "/api/webpubsub/hubs/chat/?code=1");
    EXPECT_EQ(seen[0][http::field::host], "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(seen[0]["ce-type"], "azure.webpubsub.sys.connect");
    EXPECT_EQ(seen[0].body(), R"({"claims":{}})");
    EXPECT_TRUE(seen[0].keep_alive());
}

TEST_F(HttpClient, ReusesAKeptAliveConnection) {
    test_server server([](const auto&) { return reply(204); });
    http_client client(io_.get_executor());
    for (int i = 0; i < 3; ++i) {
        std::optional<http_client_result> result;
        client.send(request_to(server), [&](http_client_result r) { result = std::move(r); });
        run_until([&] { return result.has_value(); });
        ASSERT_TRUE(*result);
        EXPECT_EQ((*result)->status, 204u);
    }
    EXPECT_EQ(server.accepted(), 1) << "one TCP connection served the three requests";
    EXPECT_EQ(client.connections_to("127.0.0.1", server.port()), 1u);
}

TEST_F(HttpClient, BoundsConcurrentRequestsPerHostAndQueuesTheRest) {
    gate held;
    test_server server([&](const auto& request) {
        held.wait();
        return reply(200, request.body());
    });
    http_client client(io_.get_executor(), {.max_connections_per_host = 2});
    std::vector<std::string> answers;
    for (int i = 0; i < 6; ++i) {
        auto request = request_to(server);
        request.body = std::to_string(i);
        client.send(std::move(request), [&](http_client_result r) {
            answers.push_back(r ? r->body : std::string(describe(r.error())));
        });
    }
    run_until([&] { return server.requests().size() == 2; });
    io_.run_for(100ms); // room for a third connection, if the client wrongly opened one
    EXPECT_EQ(server.requests().size(), 2u);
    EXPECT_EQ(client.pending(), 6u);
    held.open();
    run_until([&] { return answers.size() == 6; });
    EXPECT_EQ(server.max_concurrent(), 2);
    EXPECT_LE(server.accepted(), 2);
    // Two connections answer independently, so completions interleave; each request got its own answer.
    std::sort(answers.begin(), answers.end());
    EXPECT_EQ(answers, (std::vector<std::string>{"0", "1", "2", "3", "4", "5"}));
}

TEST_F(HttpClient, TimesOutWithoutBlockingTheLoop) {
    gate never;
    test_server server([&](const auto&) {
        never.wait();
        return reply(200);
    });
    http_client client(io_.get_executor());
    auto request = request_to(server);
    request.timeout = 300ms;
    std::optional<http_client_result> result;
    const auto start = std::chrono::steady_clock::now();
    client.send(std::move(request), [&](http_client_result r) { result = std::move(r); });
    bool ticked = false;
    asio::steady_timer other_work(io_, 50ms);
    other_work.async_wait([&](boost::system::error_code) { ticked = true; });
    run_until([&] { return result.has_value(); });
    const auto took = std::chrono::steady_clock::now() - start;
    never.open();
    ASSERT_FALSE(*result);
    EXPECT_EQ(result->error(), http_client_error::timeout);
    EXPECT_TRUE(ticked) << "other work on the same loop ran while the request waited";
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 3s);
    EXPECT_EQ(client.pending(), 0u);
}

TEST_F(HttpClient, WaitingForAFreeConnectionCountsAgainstTheTimeout) {
    gate held;
    test_server server([&](const auto&) {
        held.wait();
        return reply(200);
    });
    http_client client(io_.get_executor(), {.max_connections_per_host = 1});
    std::optional<http_client_result> first;
    std::optional<http_client_result> second;
    client.send(request_to(server), [&](http_client_result r) { first = std::move(r); });
    auto queued = request_to(server);
    queued.timeout = 200ms;
    client.send(std::move(queued), [&](http_client_result r) { second = std::move(r); });
    run_until([&] { return second.has_value(); });
    EXPECT_FALSE(first.has_value());
    ASSERT_FALSE(*second);
    EXPECT_EQ(second->error(), http_client_error::timeout);
    held.open();
    run_until([&] { return first.has_value(); });
    EXPECT_TRUE(*first);
    EXPECT_EQ(server.requests().size(), 1u) << "the timed-out request was never sent";
}

TEST_F(HttpClient, RefusesBeyondTheWaitingBound) {
    gate held;
    test_server server([&](const auto&) {
        held.wait();
        return reply(200);
    });
    http_client client(io_.get_executor(), {.max_connections_per_host = 1, .max_waiting_per_host = 1});
    std::vector<http_client_result> results;
    for (int i = 0; i < 2; ++i) {
        client.send(request_to(server), [&](http_client_result r) { results.push_back(std::move(r)); });
        io_.run_for(20ms); // let the first one take the connection before the next arrives
    }
    std::optional<http_client_result> refused;
    client.send(request_to(server), [&](http_client_result r) { refused = std::move(r); });
    run_until([&] { return refused.has_value(); });
    ASSERT_FALSE(*refused);
    EXPECT_EQ(refused->error(), http_client_error::overloaded);
    held.open();
    run_until([&] { return results.size() == 2; });
    EXPECT_TRUE(results[0] && results[1]);
}

TEST_F(HttpClient, ReportsAnUnreachableHost) {
    std::uint16_t closed_port = 0;
    {
        tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
        closed_port = probe.local_endpoint().port();
    }
    http_client client(io_.get_executor());
    http_client_request request;
    request.host = "127.0.0.1";
    request.port = closed_port;
    std::optional<http_client_result> result;
    client.send(std::move(request), [&](http_client_result r) { result = std::move(r); });
    run_until([&] { return result.has_value(); });
    ASSERT_FALSE(*result);
    EXPECT_EQ(result->error(), http_client_error::unreachable);
}

TEST_F(HttpClient, ReportsALostConnectionAndAnInvalidResponse) {
    test_server server([](const auto& request) {
        server_action action;
        action.what =
            request.target() == "/close" ? server_action::kind::close : server_action::kind::garbage;
        return action;
    });
    http_client client(io_.get_executor());
    std::optional<http_client_result> lost;
    std::optional<http_client_result> garbage;
    client.send(request_to(server, "/close"), [&](http_client_result r) { lost = std::move(r); });
    client.send(request_to(server, "/garbage"), [&](http_client_result r) { garbage = std::move(r); });
    run_until([&] { return lost.has_value() && garbage.has_value(); });
    ASSERT_FALSE(*lost);
    EXPECT_EQ(lost->error(), http_client_error::connection_lost);
    ASSERT_FALSE(*garbage);
    EXPECT_EQ(garbage->error(), http_client_error::bad_response);
}

TEST_F(HttpClient, RefusesAResponseOverTheBodyLimit) {
    test_server server([](const auto&) { return reply(200, std::string(2048, 'x')); });
    http_client client(io_.get_executor(), {.max_response_body_bytes = 1024});
    std::optional<http_client_result> result;
    client.send(request_to(server), [&](http_client_result r) { result = std::move(r); });
    run_until([&] { return result.has_value(); });
    ASSERT_FALSE(*result);
    EXPECT_EQ(result->error(), http_client_error::bad_response);
}

TEST_F(HttpClient, SendsAgainOnAFreshConnectionWhenTheHostClosedTheIdleOne) {
    // The race every keep-alive client meets: the host drops an idle connection just as it is
    // reused. The request was never received, so sending it again is safe and invisible.
    test_server server([](const auto&) { return reply(200, "ok"); });
    http_client client(io_.get_executor());
    std::optional<http_client_result> first;
    client.send(request_to(server), [&](http_client_result r) { first = std::move(r); });
    run_until([&] { return first.has_value(); });
    ASSERT_TRUE(*first);
    run_until([&] { return server.idle_connections() == 1; });
    server.close_idle_connections();
    run_until([&] { return server.idle_connections() == 0; });

    std::optional<http_client_result> second;
    client.send(request_to(server), [&](http_client_result r) { second = std::move(r); });
    run_until([&] { return second.has_value(); });
    ASSERT_TRUE(*second) << describe(second->error());
    EXPECT_EQ((*second)->body, "ok");
    EXPECT_EQ(server.accepted(), 2);
    EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(HttpClient, ClosesIdleConnectionsAfterTheIdleTimeout) {
    test_server server([](const auto&) { return reply(204); });
    http_client client(io_.get_executor(), {.idle_timeout = 100ms});
    std::optional<http_client_result> result;
    client.send(request_to(server), [&](http_client_result r) { result = std::move(r); });
    run_until([&] { return result.has_value(); });
    EXPECT_EQ(client.connections_to("127.0.0.1", server.port()), 1u);
    run_until([&] { return client.connections_to("127.0.0.1", server.port()) == 0; });
}

TEST_F(HttpClient, ShutdownAbandonsPendingRequestsWithoutCallingBack) {
    gate held;
    test_server server([&](const auto&) {
        held.wait();
        return reply(200);
    });
    bool called = false;
    {
        http_client client(io_.get_executor(), {.max_connections_per_host = 1});
        client.send(request_to(server), [&](http_client_result) { called = true; });
        client.send(request_to(server), [&](http_client_result) { called = true; });
        run_until([&] { return server.requests().size() == 1; });
        client.shutdown();
        EXPECT_EQ(client.pending(), 0u);
    }
    held.open();
    io_.run_for(200ms);
    EXPECT_FALSE(called);
}

} // namespace
} // namespace hubcast::transport

#include <chrono>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "../../support/http_test_server.hpp"
#include "upstream/webhook_dispatcher.hpp"

namespace hubcast::upstream {
namespace {

using http_testing::gate;
using http_testing::reply;
using http_testing::server_action;
using http_testing::test_server;
using namespace std::chrono_literals;
namespace http = boost::beast::http;
using request_type = http::request<http::string_body>;

constexpr const char* origin = "hubcast.test";

/// A preflight answer that allows us, as @azure/web-pubsub-express gives it.
server_action allow_preflight() {
    auto action = reply(200, "", "");
    action.response.set("WebHook-Allowed-Origin", "*");
    return action;
}

/// Webhook tests against a real HTTP server: the dispatcher on one io_context run by the test
/// thread, the handler a test_server whose answers each test scripts.
class WebhookDispatcher : public ::testing::Test {
protected:
    /// Starts the handler (answering preflights itself, the rest with `events`) and a dispatcher
    /// whose hubs "chat" route every system event and every user event to it.
    void start(std::function<server_action(const request_type&)> events, upstream_options options = {}) {
        server_.emplace([events = std::move(events)](const request_type& request) {
            return request.method() == http::verb::options ? allow_preflight() : events(request);
        });
        core::event_handler_settings handler{
            .url_template =
                "http://127.0.0.1:" + std::to_string(server_->port()) + "/api/webpubsub/hubs/{hub}/{event}",
            .user_event_pattern = "*",
            .system_events = {core::system_event::connect, core::system_event::connected,
                              core::system_event::disconnected}};
        core::hub_settings_table table;
        table.named["chat"].event_handlers.push_back(handler);
        hubs_.replace(std::move(table));
        options.origin = origin;
        dispatcher_.emplace(hubs_, std::vector<std::string>{"key-one", "key-two"}, options);
        dispatcher_->start({io_.get_executor()});
    }

    void run_until(const std::function<bool()>& condition, std::chrono::milliseconds limit = 10s) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (!condition() && std::chrono::steady_clock::now() < until) {
            io_.run_for(5ms);
        }
        ASSERT_TRUE(condition()) << "not reached in time";
    }

    /// Runs `connect` for a client of hub chat, offering `subprotocols`; returns the outcome.
    core::connect_outcome connect(std::vector<std::string> subprotocols = {}) {
        core::connect_request request;
        request.source = {.hub = "chat", .connection_id = "conn-1", .user_id = "alice", .subprotocol = ""};
        request.claims = {{"sub", {"alice"}},
                          {"role", {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"}}};
        request.query = {{"access_token", {"t"}}};
        request.headers = {{"Host", {"127.0.0.1:8080"}}};
        request.subprotocols = std::move(subprotocols);
        std::optional<core::connect_outcome> outcome;
        dispatcher_->connect(std::move(request), 0, [&](core::connect_outcome o) { outcome = std::move(o); });
        EXPECT_FALSE(outcome) << "never answered inside connect()";
        run_until([&] { return outcome.has_value(); });
        return outcome.value_or(core::connect_outcome{});
    }

    std::vector<request_type> posts() const {
        std::vector<request_type> out;
        for (auto& request : server_->requests()) {
            if (request.method() == http::verb::post) {
                out.push_back(request);
            }
        }
        return out;
    }

    core::event_source source() const {
        return {.hub = "chat",
                .connection_id = "conn-1",
                .user_id = "alice",
                .subprotocol = "json.webpubsub.azure.v1"};
    }

    boost::asio::io_context io_;
    core::live_hub_settings hubs_;
    gate held_; // outlives the server: its handler threads may still be leaving held_.wait()
    std::optional<test_server> server_;
    std::optional<webhook_dispatcher> dispatcher_;
};

TEST_F(WebhookDispatcher, ConnectCarriesExactlyTheSpecHeadersAfterAPreflight) {
    start([](const auto&) { return reply(204); });
    const auto outcome = connect({"json.webpubsub.azure.v1"});
    EXPECT_EQ(outcome.result, core::connect_outcome::verdict::accepted);

    const auto seen = server_->requests();
    ASSERT_EQ(seen.size(), 2u);
    const auto& preflight = seen[0];
    EXPECT_EQ(preflight.method(), http::verb::options);
    EXPECT_EQ(preflight.target(), "/api/webpubsub/hubs/chat/validate");
    EXPECT_EQ(preflight["WebHook-Request-Origin"], origin);
    EXPECT_EQ(preflight["ce-awpsversion"], "1.0");

    const auto& post = seen[1];
    EXPECT_EQ(post.method(), http::verb::post);
    EXPECT_EQ(post.target(), "/api/webpubsub/hubs/chat/connect");
    std::vector<std::string> names;
    for (const auto& field : post) {
        names.emplace_back(field.name_string());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"Host", "User-Agent", "Content-Type", "ce-specversion",
                                               "ce-type", "ce-source", "ce-id", "ce-time", "ce-awpsversion",
                                               "ce-hub", "ce-connectionId", "ce-eventName", "ce-userId",
                                               "ce-signature", "WebHook-Request-Origin", "Content-Length"}));
    EXPECT_EQ(post["Content-Type"], "application/json; charset=utf-8");
    EXPECT_EQ(post["ce-specversion"], "1.0");
    EXPECT_EQ(post["ce-type"], "azure.webpubsub.sys.connect");
    EXPECT_EQ(post["ce-source"], "/hubs/chat/client/conn-1");
    EXPECT_FALSE(post["ce-id"].empty());
    EXPECT_TRUE(std::regex_match(std::string(post["ce-time"]),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
        << post["ce-time"];
    EXPECT_EQ(post["ce-awpsversion"], "1.0");
    EXPECT_EQ(post["ce-hub"], "chat");
    EXPECT_EQ(post["ce-connectionId"], "conn-1");
    EXPECT_EQ(post["ce-eventName"], "connect");
    EXPECT_EQ(post["ce-userId"], "alice");
    EXPECT_TRUE(std::regex_match(std::string(post["ce-signature"]),
                                 std::regex("sha256=[0-9a-f]{64},sha256=[0-9a-f]{64}")))
        << "one signature per access key: " << post["ce-signature"];
    EXPECT_EQ(post["WebHook-Request-Origin"], origin);
    EXPECT_EQ(post.body(),
              R"({"claims":{"sub":["alice"],"role":["webpubsub.joinLeaveGroup","webpubsub.sendToGroup"]},)"
              R"("query":{"access_token":["t"]},"headers":{"Host":["127.0.0.1:8080"]},)"
              R"("subprotocols":["json.webpubsub.azure.v1"]})");
}

TEST_F(WebhookDispatcher, TheConnectAnswerSetsIdentityAndState) {
    start([](const auto&) {
        auto action = reply(200,
                            R"({"userId":"bob","groups":["g1"],"roles":["webpubsub.sendToGroup.g1"],)"
                            R"("subprotocol":"json.webpubsub.azure.v1","mqtt":{}})",
                            "application/json; charset=utf-8");
        action.response.set("ce-connectionState", "eyJhIjoxfQ==");
        return action;
    });
    const auto outcome = connect({"json.webpubsub.azure.v1"});
    EXPECT_EQ(outcome.result, core::connect_outcome::verdict::accepted);
    EXPECT_EQ(outcome.user_id, "bob");
    EXPECT_EQ(outcome.groups, (std::vector<std::string>{"g1"}));
    EXPECT_EQ(outcome.roles, (std::vector<std::string>{"webpubsub.sendToGroup.g1"}));
    EXPECT_EQ(outcome.subprotocol, "json.webpubsub.azure.v1");
    EXPECT_EQ(outcome.connection_state, "eyJhIjoxfQ==");
}

TEST_F(WebhookDispatcher, AnEmptyOrNoContentAnswerAcceptsAsIs) {
    int calls = 0;
    start([&](const auto&) { return ++calls == 1 ? reply(204) : reply(200, "", ""); });
    for (int i = 0; i < 2; ++i) {
        const auto outcome = connect();
        EXPECT_EQ(outcome.result, core::connect_outcome::verdict::accepted);
        EXPECT_FALSE(outcome.user_id || outcome.groups || outcome.roles || outcome.subprotocol ||
                     outcome.connection_state);
    }
}

TEST_F(WebhookDispatcher, AFourHundredAnswerRejectsWithItsStatusAndText) {
    start([](const auto&) { return reply(401, "Unauthorized: mallory is not welcome"); });
    const auto outcome = connect();
    EXPECT_EQ(outcome.result, core::connect_outcome::verdict::rejected);
    EXPECT_EQ(outcome.status, 401u);
    EXPECT_EQ(outcome.detail, "Unauthorized: mallory is not welcome");
    EXPECT_EQ(dispatcher_->counters().connects_rejected.load(), 1u);
}

TEST_F(WebhookDispatcher, ServerErrorsBadBodiesTimeoutsAndDeadHandlersFailTheConnect) {
    int calls = 0;
    start(
        [&](const auto&) {
            switch (++calls) {
            case 1:
                return reply(500, "boom");
            case 2:
                return reply(200, "{not json", "application/json");
            case 3:
                return reply(200, R"({"groups":"g1"})", "application/json");
            default:
                held_.wait();
                return reply(204);
            }
        },
        upstream_options{.connect_timeout = 1s});
    for (int i = 0; i < 4; ++i) {
        const auto outcome = connect();
        EXPECT_EQ(outcome.result, core::connect_outcome::verdict::failed) << "answer " << i + 1;
        EXPECT_EQ(outcome.status, 500u);
    }
    held_.open();
    EXPECT_EQ(dispatcher_->counters().failures.load(), 4u);
}

TEST_F(WebhookDispatcher, AnUnreachableHandlerFailsTheConnect) {
    start([](const auto&) { return reply(204); });
    const auto port = server_->port();
    server_.reset();
    core::hub_settings_table table;
    table.named["chat"].event_handlers.push_back(
        {.url_template = "http://127.0.0.1:" + std::to_string(port) + "/",
         .system_events = {core::system_event::connect}});
    hubs_.replace(std::move(table));
    const auto outcome = connect();
    EXPECT_EQ(outcome.result, core::connect_outcome::verdict::failed);
}

TEST_F(WebhookDispatcher, AHostWhosePreflightRefusesUsIsNeverCalledAndTheVerdictIsKept) {
    server_.emplace([](const request_type& request) {
        if (request.method() == http::verb::options) {
            auto action = reply(200, "", "");
            action.response.set("WebHook-Allowed-Origin", "someone-else.example");
            return action;
        }
        return reply(204);
    });
    core::hub_settings_table table;
    table.named["chat"].event_handlers.push_back(
        {.url_template = "http://127.0.0.1:" + std::to_string(server_->port()) + "/{event}",
         .system_events = {core::system_event::connect}});
    hubs_.replace(std::move(table));
    dispatcher_.emplace(hubs_, std::vector<std::string>{"key"}, upstream_options{.origin = origin});
    dispatcher_->start({io_.get_executor()});
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(connect().result, core::connect_outcome::verdict::failed);
    }
    ASSERT_EQ(server_->requests().size(), 1u) << "one preflight, remembered; no POST";
    EXPECT_EQ(server_->requests()[0].method(), http::verb::options);
    EXPECT_EQ(dispatcher_->counters().preflight_refusals.load(), 1u);
}

TEST_F(WebhookDispatcher, OnePreflightServesEveryLaterEventToTheHost) {
    start([](const auto&) { return reply(204); });
    for (int i = 0; i < 3; ++i) {
        connect();
    }
    EXPECT_EQ(server_->requests().size(), 4u) << "OPTIONS once, then three POSTs";
}

TEST_F(WebhookDispatcher, UserEventsOfAConnectionGoOneAtATimeAfterConnected) {
    start([&](const request_type& request) {
        if (request["ce-eventName"] == "connected") {
            return reply(200, "", "");
        }
        held_.wait();
        return reply(200, "echo:" + std::string(request.body()), "text/plain; charset=utf-8");
    });
    auto events = dispatcher_->open(source(), std::nullopt, 0);
    std::vector<std::string> replies;
    for (const char* text : {"one", "two", "three"}) {
        ASSERT_TRUE(events->user_event("message", {.type = protocol::data_type::text, .bytes = text},
                                       [&](core::user_event_reply reply) {
                                           ASSERT_TRUE(reply.success) << reply.error;
                                           ASSERT_TRUE(reply.data);
                                           EXPECT_EQ(reply.data->type, protocol::data_type::text);
                                           replies.push_back(reply.data->bytes);
                                       }));
    }
    run_until([&] { return posts().size() == 2; });
    io_.run_for(100ms);
    ASSERT_EQ(posts().size(), 2u) << "connected, then only the first user event while it is unanswered";
    EXPECT_EQ(posts()[0]["ce-eventName"], "connected");
    EXPECT_EQ(posts()[0].body(), "{}");
    EXPECT_EQ(posts()[0]["ce-subprotocol"], "json.webpubsub.azure.v1");
    held_.open();
    run_until([&] { return replies.size() == 3; });
    EXPECT_EQ(replies, (std::vector<std::string>{"echo:one", "echo:two", "echo:three"}));
    const auto sent = posts();
    ASSERT_EQ(sent.size(), 4u);
    for (std::size_t i = 1; i < 4; ++i) {
        EXPECT_EQ(sent[i]["ce-type"], "azure.webpubsub.user.message");
        EXPECT_EQ(sent[i]["ce-eventName"], "message");
        EXPECT_EQ(sent[i]["Content-Type"], "text/plain");
    }
}

TEST_F(WebhookDispatcher, RepliesKeepTheirKindAndTheConnectionStateTravelsOn) {
    int calls = 0;
    std::vector<std::string> states;
    start([&](const request_type& request) {
        states.emplace_back(request["ce-connectionState"]);
        if (request["ce-eventName"] == "connected") {
            // A non-blocking answer cannot change the state (spec 4.7).
            auto action = reply(200);
            action.response.set("ce-connectionState", "aWdub3JlZA==");
            return action;
        }
        switch (++calls) {
        case 1: {
            auto action = reply(200, R"({"a": [1, 2]})", "application/json; charset=utf-8");
            action.response.set("ce-connectionState", "c3RhdGUtMQ==");
            return action;
        }
        case 2:
            return reply(200, std::string("\x00\xff", 2), "application/octet-stream");
        default:
            return reply(204);
        }
    });
    auto events = dispatcher_->open(source(), std::string("c3RhdGUtMA=="), 0);
    std::vector<core::user_event_reply> replies;
    const std::vector<protocol::message_data> sent{{protocol::data_type::json, R"({"q":1})"},
                                                   {protocol::data_type::binary, std::string("\x01\x02", 2)},
                                                   {protocol::data_type::text, "bye"}};
    for (const auto& data : sent) {
        events->user_event("ask", data, [&](core::user_event_reply r) { replies.push_back(std::move(r)); });
    }
    run_until([&] { return replies.size() == 3; });
    ASSERT_TRUE(replies[0].success && replies[0].data);
    EXPECT_EQ(replies[0].data->type, protocol::data_type::json);
    EXPECT_EQ(replies[0].data->bytes, R"({"a": [1, 2]})");
    ASSERT_TRUE(replies[1].success && replies[1].data);
    EXPECT_EQ(replies[1].data->type, protocol::data_type::binary);
    EXPECT_EQ(replies[1].data->bytes, std::string("\x00\xff", 2));
    EXPECT_TRUE(replies[2].success);
    EXPECT_FALSE(replies[2].data) << "204: nothing to send back";

    const auto requests = posts();
    ASSERT_EQ(requests.size(), 4u);
    EXPECT_EQ(requests[1]["Content-Type"], "application/json");
    EXPECT_EQ(requests[1].body(), R"({"q":1})");
    EXPECT_EQ(requests[2]["Content-Type"], "application/octet-stream");
    EXPECT_EQ(requests[2].body(), std::string("\x01\x02", 2));
    EXPECT_EQ(states,
              (std::vector<std::string>{"c3RhdGUtMA==", "c3RhdGUtMA==", "c3RhdGUtMQ==", "c3RhdGUtMQ=="}))
        << "connected and the first event carry the connect state; the state set by an answer goes on "
           "every later event";
}

TEST_F(WebhookDispatcher, AFailedUserEventReportsWhyAndTheNextOneStillGoes) {
    int calls = 0;
    start([&](const request_type& request) {
        if (request["ce-eventName"] == "connected") {
            return reply(200);
        }
        return ++calls == 1 ? reply(400, "no such command") : reply(200, "not json", "application/json");
    });
    auto events = dispatcher_->open(source(), std::nullopt, 0);
    std::vector<core::user_event_reply> replies;
    for (int i = 0; i < 2; ++i) {
        events->user_event("cmd", {.type = protocol::data_type::text, .bytes = "x"},
                           [&](core::user_event_reply r) { replies.push_back(std::move(r)); });
    }
    run_until([&] { return replies.size() == 2; });
    EXPECT_FALSE(replies[0].success);
    EXPECT_EQ(replies[0].error, "The event handler answered 400. no such command");
    EXPECT_FALSE(replies[1].success);
    EXPECT_NE(replies[1].error.find("not one JSON value"), std::string::npos) << replies[1].error;
}

TEST_F(WebhookDispatcher, ClosingSendsDisconnectedAfterTheEventInFlightAndCallsNoOneBack) {
    start([&](const request_type& request) {
        if (request["ce-eventName"] == "message") {
            held_.wait();
        }
        return reply(200, "late", "text/plain");
    });
    auto events = dispatcher_->open(source(), std::nullopt, 0);
    bool called = false;
    events->user_event("message", {.type = protocol::data_type::text, .bytes = "a"},
                       [&](core::user_event_reply) { called = true; });
    events->user_event("message", {.type = protocol::data_type::text, .bytes = "b"},
                       [&](core::user_event_reply) { called = true; });
    run_until([&] { return posts().size() == 2; });
    events->closed("The client closed the connection with 1000.");
    events.reset();
    io_.run_for(100ms);
    EXPECT_EQ(posts().size(), 2u) << "disconnected waits for the event in flight; the queued one is dropped";
    held_.open();
    run_until([&] { return posts().size() == 3 && dispatcher_->pending() == 0; });
    EXPECT_FALSE(called);
    const auto last = posts().back();
    EXPECT_EQ(last["ce-type"], "azure.webpubsub.sys.disconnected");
    EXPECT_EQ(last["ce-eventName"], "disconnected");
    EXPECT_EQ(last.body(), R"({"reason":"The client closed the connection with 1000."})");
}

TEST_F(WebhookDispatcher, NotificationsAreRetriedWithBackOffUntilAccepted) {
    int disconnected = 0;
    start(
        [&](const request_type& request) {
            if (request["ce-eventName"] == "disconnected") {
                return ++disconnected < 3 ? reply(503) : reply(200);
            }
            return reply(200);
        },
        upstream_options{.notification_retries = 3, .retry_backoff = 50ms});
    auto events = dispatcher_->open(source(), std::nullopt, 0);
    run_until([&] { return posts().size() == 1; });
    const auto start_time = std::chrono::steady_clock::now();
    events->closed("");
    run_until([&] { return dispatcher_->pending() == 0; });
    EXPECT_EQ(disconnected, 3);
    EXPECT_GE(std::chrono::steady_clock::now() - start_time, 150ms) << "50 ms, then 100 ms apart";
    EXPECT_EQ(dispatcher_->counters().retries.load(), 2u);
    const auto sent = posts();
    EXPECT_EQ(sent[1]["ce-id"], sent[3]["ce-id"]) << "a retry is the same event";
}

TEST_F(WebhookDispatcher, NotificationsGiveUpAfterTheLastRetryAndOnClientErrors) {
    int disconnected = 0;
    start(
        [&](const request_type& request) {
            if (request["ce-eventName"] == "disconnected") {
                ++disconnected;
                return reply(500);
            }
            return reply(404);
        },
        upstream_options{.notification_retries = 2, .retry_backoff = 10ms});
    auto events = dispatcher_->open(source(), std::nullopt, 0);
    events->closed("");
    run_until([&] { return dispatcher_->pending() == 0; });
    EXPECT_EQ(disconnected, 3) << "the first attempt and two retries";
    EXPECT_EQ(posts().size(), 4u) << "a 404 for connected is not retried";
}

TEST_F(WebhookDispatcher, RefusesUserEventsPastTheQueueBound) {
    start(
        [&](const request_type& request) {
            if (request["ce-eventName"] == "message") {
                held_.wait();
            }
            return reply(204);
        },
        upstream_options{.max_queued_events = 2});
    auto events = dispatcher_->open(source(), std::nullopt, 0);
    int answered = 0;
    auto send = [&] {
        return events->user_event("message", {.type = protocol::data_type::text, .bytes = "x"},
                                  [&](core::user_event_reply) { ++answered; });
    };
    EXPECT_TRUE(send());
    run_until([&] { return posts().size() == 2; }); // connected, and the first event in flight
    EXPECT_TRUE(send());
    EXPECT_TRUE(send());
    EXPECT_FALSE(send()) << "two wait behind the one in flight; the next is refused";
    EXPECT_EQ(dispatcher_->counters().user_events_refused.load(), 1u);
    held_.open();
    run_until([&] { return answered == 3; });
}

TEST_F(WebhookDispatcher, RefusesUserEventsPastTheQueuedByteBound) {
    // Regression: only the count was bounded, so 64 waiting events of up to 1 MiB each could hold
    // 64 MiB per connection. An empty queue still takes any one event, so a large event is never
    // refused for its size alone.
    start(
        [&](const request_type& request) {
            if (request["ce-eventName"] == "message") {
                held_.wait();
            }
            return reply(204);
        },
        upstream_options{.max_queued_events = 100, .max_queued_event_bytes = 4096});
    auto events = dispatcher_->open(source(), std::nullopt, 0);
    int answered = 0;
    auto send = [&](std::size_t bytes) {
        return events->user_event("message",
                                  {.type = protocol::data_type::text, .bytes = std::string(bytes, 'x')},
                                  [&](core::user_event_reply) { ++answered; });
    };
    EXPECT_TRUE(send(100));
    run_until([&] { return posts().size() == 2; }); // connected, and the first event in flight
    EXPECT_TRUE(send(10000)) << "an empty queue takes any one event";
    EXPECT_FALSE(send(100)) << "past 4096 queued bytes the next event is refused";
    EXPECT_EQ(dispatcher_->counters().user_events_refused.load(), 1u);
    held_.open();
    run_until([&] { return answered == 2; });
    EXPECT_TRUE(send(3000)) << "the bytes are given back as events leave the queue";
    EXPECT_TRUE(send(1000));
    run_until([&] { return answered == 4; });
}

} // namespace
} // namespace hubcast::upstream

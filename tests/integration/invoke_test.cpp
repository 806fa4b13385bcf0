// invoke / invokeResponse / cancelInvocation against the real binary (docs/protocol.md, "invoke"):
// a client's invoke reaches the hub's event handler as a user event, and the handler's answer, its
// failure, a timeout or a missing handler comes back as exactly one invokeResponse; a cancelled
// invocation gets none; a duplicate id and one past the per-connection limit are answered with an
// error response and the connection stays open.
//
// One test body per scenario, run over all four PubSub subprotocols (style rule 14) through an
// `invoke_codec`: the JSON and protobuf families differ only in how requests are written and how
// server frames are read.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "proto/webpubsub.pb.h"
#include "support/deadline.hpp"
#include "support/encoding.hpp"
#include "support/http_test_server.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/test_failure.hpp"
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

constexpr int invocation_limit = 2;  // --max-invocations-per-connection of this suite
constexpr auto handler_timeout = 3s; // [upstream] user_event_timeout_seconds of this suite
constexpr auto gate_limit = 20s;     // the longest a held handler waits for its gate

/// Holds the app server's "hold" answers until the test opens it.
class gate {
public:
    void close() {
        std::lock_guard lock(mutex_);
        open_ = false;
    }
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        opened_.notify_all();
    }
    void wait() {
        std::unique_lock lock(mutex_);
        opened_.wait_for(lock, gate_limit, [this] { return open_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable opened_;
    bool open_ = true;
};

gate& hold_gate() {
    static gate instance;
    return instance;
}

/// The app server: user events by name. "echo" answers 200 with the request's body and content
/// type, "fail" 500, "hold" 200 "late" once the gate opens (past the suite's handler timeout unless
/// the test opens it sooner).
server_action behave(const handler_request& request) {
    if (request.method() == beast_http::verb::options) {
        auto action = reply(200, "", "");
        action.response.set("WebHook-Allowed-Origin", "*");
        return action;
    }
    const std::string event(request["ce-eventName"]);
    if (event == "fail") {
        return reply(500, "nope");
    }
    if (event == "hold") {
        hold_gate().wait();
        return reply(200, "late", "text/plain");
    }
    return reply(200, request.body(), std::string(request[beast_http::field::content_type]));
}

/// What an invoking client receives, whatever its family.
struct downstream {
    enum class kind { invoke_response, pong, disconnected, other };
    kind type = kind::other;
    std::string invocation_id;
    bool success = false;
    std::string data_type; ///< "" when the response carries no data
    std::string data;      ///< text: the text; json: its serialized JSON; binary: the bytes
    std::string error_name;
    std::string error_message;
    std::string text; ///< the frame, for failure messages
};

/// How one subprotocol family writes requests and reads server frames.
class invoke_codec {
public:
    virtual ~invoke_codec() = default;
    /// `data_type` "" sends no payload at all.
    virtual bool send_invoke(ws_client& ws, std::string_view id, std::string_view event,
                             std::string_view data_type = "", std::string_view data = "") const = 0;
    virtual bool send_cancel(ws_client& ws, std::string_view id) const = 0;
    /// An invoke without an invocation id: malformed, so the connection closes with 1007.
    virtual bool send_invoke_without_id(ws_client& ws) const = 0;
    virtual bool send_ping(ws_client& ws) const = 0;
    virtual downstream decode(const ws_frame& frame) const = 0;
};

/// Standard base64 (what JSON clients carry binary data in) through the tests' base64url decoder.
std::string from_base64(std::string text) {
    for (char& c : text) {
        c = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    auto bytes = base64url_decode(text);
    if (!bytes) {
        throw test_failure("not base64: " + text);
    }
    return *bytes;
}

class json_codec final : public invoke_codec {
public:
    bool send_invoke(ws_client& ws, std::string_view id, std::string_view event, std::string_view data_type,
                     std::string_view data) const override {
        boost::json::object invoke{
            {"type", "invoke"}, {"invocationId", id}, {"target", "event"}, {"event", event}};
        if (data_type == "json") {
            invoke["dataType"] = data_type;
            invoke["data"] = boost::json::parse(data);
        } else if (!data_type.empty()) {
            invoke["dataType"] = data_type;
            invoke["data"] = data_type == "binary" ? base64_encode(data) : std::string(data);
        }
        return ws.send_json(boost::json::serialize(invoke));
    }
    bool send_cancel(ws_client& ws, std::string_view id) const override {
        return ws.send_json(
            boost::json::serialize(boost::json::object{{"type", "cancelInvocation"}, {"invocationId", id}}));
    }
    bool send_invoke_without_id(ws_client& ws) const override {
        return ws.send_json(R"({"type":"invoke","target":"event","event":"echo"})");
    }
    bool send_ping(ws_client& ws) const override { return ws.send_json(ping_message); }
    downstream decode(const ws_frame& frame) const override {
        downstream out;
        out.text = frame.describe();
        boost::system::error_code error;
        const auto value = boost::json::parse(frame.payload, error);
        if (frame.opcode != ws_op::text || error || !value.is_object()) {
            return out;
        }
        const auto& object = value.get_object();
        if (has_string(object, "type", "pong")) {
            out.type = downstream::kind::pong;
        } else if (has_string(object, "event", "disconnected")) {
            out.type = downstream::kind::disconnected;
        } else if (has_string(object, "type", "invokeResponse")) {
            out.type = downstream::kind::invoke_response;
            out.invocation_id = string_at(object, "invocationId");
            out.success = object.at("success").as_bool();
            if (object.contains("dataType")) {
                out.data_type = string_at(object, "dataType");
                const auto& data = object.at("data");
                out.data = data.is_string() ? std::string(data.get_string()) : boost::json::serialize(data);
                if (out.data_type == "binary") {
                    out.data = from_base64(out.data);
                }
            }
            if (const auto* failure = object.if_contains("error")) {
                out.error_name = string_at(failure->as_object(), "name");
                out.error_message = string_at(failure->as_object(), "message");
            }
        }
        return out;
    }
};

/// Built and read with the classes protoc generates from proto/webpubsub.proto, independent of the
/// server's codec.
class protobuf_codec final : public invoke_codec {
public:
    using upstream = azure::webpubsub::UpstreamMessage;
    using downstream_message = azure::webpubsub::DownstreamMessage;

    bool send_invoke(ws_client& ws, std::string_view id, std::string_view event, std::string_view data_type,
                     std::string_view data) const override {
        upstream message;
        auto& invoke = *message.mutable_invoke_event_message();
        invoke.set_invocation_id(std::string(id));
        invoke.set_event(std::string(event));
        if (data_type == "text") {
            invoke.mutable_data()->set_text_data(std::string(data));
        } else if (data_type == "json") {
            invoke.mutable_data()->set_json_data(std::string(data));
        } else if (data_type == "binary") {
            invoke.mutable_data()->set_binary_data(std::string(data));
        }
        return ws.send_binary(message.SerializeAsString());
    }
    bool send_cancel(ws_client& ws, std::string_view id) const override {
        upstream message;
        message.mutable_cancel_invocation_message()->set_invocation_id(std::string(id));
        return ws.send_binary(message.SerializeAsString());
    }
    bool send_invoke_without_id(ws_client& ws) const override {
        upstream message;
        message.mutable_invoke_event_message()->set_event("echo");
        return ws.send_binary(message.SerializeAsString());
    }
    bool send_ping(ws_client& ws) const override {
        upstream message;
        message.mutable_ping_message();
        return ws.send_binary(message.SerializeAsString());
    }
    downstream decode(const ws_frame& frame) const override {
        downstream out;
        out.text = frame.describe();
        downstream_message message;
        if (frame.opcode != ws_op::binary || !message.ParseFromString(frame.payload)) {
            return out;
        }
        out.text += " = {" + message.ShortDebugString() + "}";
        if (message.has_pong_message()) {
            out.type = downstream::kind::pong;
        } else if (message.has_system_message() && message.system_message().has_disconnected_message()) {
            out.type = downstream::kind::disconnected;
        } else if (message.has_invoke_response_message()) {
            const auto& response = message.invoke_response_message();
            out.type = downstream::kind::invoke_response;
            out.invocation_id = response.invocation_id();
            out.success = response.success();
            if (response.has_data()) {
                const auto& data = response.data();
                if (data.has_text_data()) {
                    out.data_type = "text";
                    out.data = data.text_data();
                } else if (data.has_json_data()) {
                    out.data_type = "json";
                    out.data = boost::json::serialize(boost::json::parse(data.json_data()));
                } else if (data.has_binary_data()) {
                    out.data_type = "binary";
                    out.data = data.binary_data();
                }
            }
            if (response.has_error()) {
                out.error_name = response.error().name();
                out.error_message = response.error().message();
            }
        }
        return out;
    }
};

const invoke_codec& codec_for(std::string_view subprotocol) {
    static const json_codec json;
    static const protobuf_codec protobuf;
    return subprotocol.starts_with("protobuf") ? static_cast<const invoke_codec&>(protobuf) : json;
}

/// An invoking client: its transport, its codec, and what it saw.
struct invoking_client {
    ws_client ws;
    const invoke_codec* codec = nullptr;

    downstream next(deadline limit = default_wait) { return codec->decode(ws.expect_message(limit)); }

    /// The next frame is the invokeResponse for `id`.
    downstream expect_response(std::string_view id, deadline limit = default_wait) {
        auto frame = next(limit);
        if (frame.type != downstream::kind::invoke_response || frame.invocation_id != id) {
            throw test_failure("expected the invokeResponse for '" + std::string(id) + "', got " +
                               frame.text);
        }
        return frame;
    }
    downstream expect_success(std::string_view id, deadline limit = default_wait) {
        auto frame = expect_response(id, limit);
        if (!frame.success || !frame.error_name.empty()) {
            throw test_failure("expected success, got " + frame.text);
        }
        return frame;
    }
    downstream expect_failure(std::string_view id, std::string_view name, deadline limit = default_wait) {
        auto frame = expect_response(id, limit);
        if (frame.success || frame.error_name != name || frame.error_message.empty()) {
            throw test_failure("expected a failure named " + std::string(name) + ", got " + frame.text);
        }
        return frame;
    }
    /// Everything sent before is processed once the pong arrives (one connection, in order).
    void round_trip() {
        ASSERT_TRUE(codec->send_ping(ws));
        const auto frame = next();
        ASSERT_EQ(frame.type, downstream::kind::pong) << frame.text;
    }
};

std::string handler_table(const std::string& hub, const std::string& url) {
    return "[hubs." + hub + "]\n[[hubs." + hub + ".event_handlers]]\nurl_template = \"" + url +
           "\"\nuser_event_pattern = \"*\"\nsystem_events = []\n";
}

class Invoke : public ::testing::TestWithParam<std::string> {
protected:
    static void SetUpTestSuite() {
        handler_ = std::make_unique<test_server>(behave);
        std::string config =
            "[upstream]\nuser_event_timeout_seconds = " + std::to_string(handler_timeout.count()) + "\n";
        config +=
            handler_table("events", "http://127.0.0.1:" + std::to_string(handler_->port()) + "/{event}");
        config += "[hubs.plain]\n";
        config_path_ = (std::filesystem::temp_directory_path() /
                        ("hubcast_invoke_" + std::to_string(::getpid()) + ".toml"))
                           .string();
        std::ofstream(config_path_) << config;
        server_ = std::make_unique<hubcast_process>(
            process_options{.args = {"--config", config_path_, "--max-invocations-per-connection",
                                     std::to_string(invocation_limit)}});
    }

    static void TearDownTestSuite() {
        hold_gate().open();
        server_.reset();
        handler_.reset();
        std::filesystem::remove(config_path_);
    }

    void SetUp() override { hold_gate().close(); }

    void TearDown() override {
        hold_gate().open();
        ASSERT_TRUE(server_->running()) << "hubcast is gone. Output:\n" << server_->output();
        if (HasFailure()) {
            std::cerr << "---- hubcast output ----\n" << server_->output() << "\n---- end ----\n";
        }
    }

    /// A client of `hub` speaking this test's subprotocol, past its connected message.
    static invoking_client connect(const std::string& hub = "events") {
        invoking_client client{
            open_websocket(*server_, {.hub = hub, .user = "alice", .subprotocols = {GetParam()}}),
            &codec_for(GetParam())};
        client.ws.expect_message(); // system/connected
        return client;
    }

    inline static std::unique_ptr<test_server> handler_;
    inline static std::unique_ptr<hubcast_process> server_;
    inline static std::string config_path_;
};

TEST_P(Invoke, TheHandlersAnswerComesBackWithItsDataType) {
    auto client = connect();
    ASSERT_TRUE(client.codec->send_invoke(client.ws, "1", "echo", "text", "hello"));
    auto text = client.expect_success("1");
    EXPECT_EQ(text.data_type, "text");
    EXPECT_EQ(text.data, "hello");

    ASSERT_TRUE(client.codec->send_invoke(client.ws, "2", "echo", "json", R"({"sum":[1,2]})"));
    auto json = client.expect_success("2");
    EXPECT_EQ(json.data_type, "json");
    EXPECT_EQ(json.data, R"({"sum":[1,2]})");

    ASSERT_TRUE(client.codec->send_invoke(client.ws, "3", "echo", "binary", std::string("\0\x01\xff", 3)));
    auto binary = client.expect_success("3");
    EXPECT_EQ(binary.data_type, "binary");
    EXPECT_EQ(binary.data, std::string("\0\x01\xff", 3));
}

TEST_P(Invoke, WithoutPayloadAnEmptyAnswerSucceedsWithoutData) {
    auto client = connect();
    ASSERT_TRUE(client.codec->send_invoke(client.ws, "empty", "echo"));
    const auto response = client.expect_success("empty");
    EXPECT_EQ(response.data_type, "") << response.text;
}

TEST_P(Invoke, AHandlerErrorIsAFailedResponseAndTheConnectionStays) {
    auto client = connect();
    ASSERT_TRUE(client.codec->send_invoke(client.ws, "f", "fail", "text", "x"));
    const auto response = client.expect_failure("f", "InternalServerError");
    EXPECT_NE(response.error_message.find("500"), std::string::npos) << response.text;
    client.round_trip();
}

TEST_P(Invoke, AHandlerThatTimesOutIsAFailedResponse) {
    auto client = connect();
    const auto start = test_clock::now();
    ASSERT_TRUE(client.codec->send_invoke(client.ws, "t", "hold", "text", "x"));
    client.expect_failure("t", "InternalServerError", deadline(10s));
    EXPECT_LT(test_clock::now() - start, gate_limit)
        << "answered at the timeout, not when the handler is done";
}

TEST_P(Invoke, AHubWithoutHandlerIsAFailedResponse) {
    auto client = connect("plain");
    ASSERT_TRUE(client.codec->send_invoke(client.ws, "n", "echo", "text", "x"));
    client.expect_failure("n", "InternalServerError");
    client.round_trip();
}

TEST_P(Invoke, ACancelledInvocationGetsNoResponse) {
    auto client = connect();
    ASSERT_TRUE(client.codec->send_invoke(client.ws, "c1", "hold", "text", "x"));
    ASSERT_TRUE(client.codec->send_cancel(client.ws, "c1"));
    client.round_trip(); // the cancel is processed before the handler may answer
    hold_gate().open();
    // Events of one connection reach the handler one at a time: c2's answer comes after c1's.
    ASSERT_TRUE(client.codec->send_invoke(client.ws, "c2", "echo", "text", "after"));
    EXPECT_EQ(client.expect_success("c2").data, "after");
    // Cancelling what is not in progress (answered, or never started) is harmless.
    ASSERT_TRUE(client.codec->send_cancel(client.ws, "c2"));
    ASSERT_TRUE(client.codec->send_cancel(client.ws, "never"));
    client.round_trip();
}

TEST_P(Invoke, ADuplicateIdInProgressIsRefusedAndTheFirstStillAnswered) {
    auto client = connect();
    ASSERT_TRUE(client.codec->send_invoke(client.ws, "d", "hold", "text", "x"));
    ASSERT_TRUE(client.codec->send_invoke(client.ws, "d", "echo", "text", "y"));
    client.expect_failure("d", "Duplicate");
    hold_gate().open();
    EXPECT_EQ(client.expect_success("d").data, "late");
    // Once answered, the id may be used again.
    ASSERT_TRUE(client.codec->send_invoke(client.ws, "d", "echo", "text", "again"));
    EXPECT_EQ(client.expect_success("d").data, "again");
}

TEST_P(Invoke, OneInvocationPastTheLimitIsRefusedWithoutAClose) {
    auto client = connect();
    for (int i = 0; i < invocation_limit; ++i) {
        ASSERT_TRUE(client.codec->send_invoke(client.ws, "m" + std::to_string(i), "hold", "text", "x"));
    }
    ASSERT_TRUE(client.codec->send_invoke(client.ws, "over", "echo", "text", "x"));
    const auto refused = client.expect_failure("over", "InternalServerError");
    EXPECT_NE(refused.error_message.find(std::to_string(invocation_limit)), std::string::npos)
        << refused.text;
    hold_gate().open();
    for (int i = 0; i < invocation_limit; ++i) {
        client.expect_success("m" + std::to_string(i));
    }
    ASSERT_TRUE(client.codec->send_invoke(client.ws, "next", "echo", "text", "x"));
    client.expect_success("next");
}

TEST_P(Invoke, AnInvokeWithoutIdIsMalformedAndClosesWith1007) {
    auto client = connect();
    ASSERT_TRUE(client.codec->send_invoke_without_id(client.ws));
    EXPECT_EQ(client.next().type, downstream::kind::disconnected);
    EXPECT_EQ(client.ws.expect_close().code, 1007);
}

INSTANTIATE_TEST_SUITE_P(
    Subprotocols, Invoke,
    ::testing::Values(std::string(json_subprotocol), std::string(json_reliable_subprotocol),
                      std::string(protobuf_subprotocol), std::string(protobuf_reliable_subprotocol)),
    [](const auto& info) {
        std::string name = info.param.substr(0, info.param.find(".webpubsub"));
        return name == "json" || name == "protobuf" ? name : name.substr(0, name.find('.')) + "_reliable";
    });

// JSON only: a protobuf InvokeEventMessage has no target.
TEST(InvokeJson, AnotherTargetIsABadRequestResponse) {
    hubcast_process server;
    auto client = pubsub_client::connect(server);
    ASSERT_TRUE(
        client.ws().send_json(R"({"type":"invoke","invocationId":"g","target":"group","event":"e"})"));
    const auto response = client.ws().expect_json();
    EXPECT_TRUE(has_string(response, "type", "invokeResponse")) << response;
    EXPECT_TRUE(has_string(response, "invocationId", "g")) << response;
    EXPECT_FALSE(response.at("success").as_bool()) << response;
    EXPECT_TRUE(has_string(response.at("error").as_object(), "name", "BadRequest")) << response;
}

} // namespace
} // namespace hubcast::test

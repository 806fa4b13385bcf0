// The Python, .NET and Java Web PubSub SDKs cannot run here, so what they send and what their event
// handler checks are rebuilt by hand from their sources (docs/sdk-compatibility.md names the file
// each shape comes from) and tried against the real binary: each SDK's REST bearer token with the
// api-version it sends, each SDK's client access token, and the checks that
// Microsoft.Azure.WebPubSub.AspNetCore's middleware applies to every event request hubcast sends.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/deadline.hpp"
#include "support/encoding.hpp"
#include "support/http_test_server.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/rest_client.hpp"
#include "support/tokens.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;
namespace beast_http = boost::beast::http;
using handler_request = beast_http::request<beast_http::string_body>;
using boost::algorithm::iequals;
using http_testing::reply;
using http_testing::server_action;
using http_testing::test_server;

constexpr std::string_view primary_key = "sdk-shapes-primary-access-key-0123456789abcdef";
constexpr std::string_view secondary_key = "sdk-shapes-secondary-access-key-0123456789abcd";

/// The connection state the handler sets on connect, in the form .NET writes it (base64 of a JSON
/// object); every later event of that connection must carry it back unchanged.
const std::string dotnet_state = base64_encode(R"({"visits":"MQ=="})");

/// The checks of the .NET event-handler middleware, each answered with the status the middleware
/// gives when it fails (sources: Internal/WebPubSubMiddleware.cs, Internal/RequestValidator.cs,
/// Extensions/WebPubSubRequestExtensions.cs, Internal/ServiceRequestHandlerAdapter.cs in
/// sdk/webpubsub/Microsoft.Azure.WebPubSub.AspNetCore/src). The app registers one hub class and
/// one connection string, whose Endpoint host and AccessKey the checks use. Thread-safe: the test
/// server calls it from one thread per connection.
class dotnet_middleware {
public:
    dotnet_middleware(std::string hub_class, std::string endpoint_host, std::string access_key)
        : hub_class_(std::move(hub_class)), endpoint_host_(std::move(endpoint_host)),
          access_key_(std::move(access_key)) {}

    server_action handle(const handler_request& request) {
        // Not a Web PubSub request: the next middleware (none here) answers.
        if (request.find("ce-awpsversion") == request.end()) {
            return refuse(404, "no ce-awpsversion header");
        }
        const auto origins = values_of(request, "WebHook-Request-Origin");
        if (request.method() == beast_http::verb::options && !origins.empty()) {
            return preflight(origins);
        }
        const std::string hub(request["ce-hub"]);
        if (request.find("ce-hub") == request.end() || !iequals(hub, hub_class_)) {
            return refuse(404, "ce-hub '" + hub + "' is not the registered hub " + hub_class_);
        }
        const std::string type(request["ce-type"]);
        const std::string event(request["ce-eventName"]);
        const std::string connection_id(request["ce-connectionId"]);
        if (type.empty() || event.empty() || connection_id.empty()) {
            return refuse(500, "ce-type, ce-eventName or ce-connectionId missing");
        }
        if (!signature_is_valid(request, connection_id)) {
            return refuse(401, "Signature validation failed.");
        }
        if (auto state = request.find("ce-connectionState");
            state != request.end() && std::string(state->value()) != dotnet_state) {
            return refuse(500, "ce-connectionState is not the state the handler set");
        }
        if (!boost::algorithm::istarts_with(type, "azure.webpubsub.sys.")) {
            return user_event(request, event);
        }
        return system_event(request, event);
    }

    std::vector<std::string> refusals() const {
        std::lock_guard lock(mutex_);
        return refusals_;
    }
    std::vector<std::string> accepted() const {
        std::lock_guard lock(mutex_);
        return accepted_;
    }
    bool saw(std::string_view what) const {
        const auto all = accepted();
        return std::find(all.begin(), all.end(), what) != all.end();
    }

private:
    static std::vector<std::string> values_of(const handler_request& request, std::string_view name) {
        std::vector<std::string> values;
        for (auto [it, end] = request.equal_range(name); it != end; ++it) {
            values.emplace_back(it->value());
        }
        return values;
    }

    /// RequestValidator.IsValidOrigin: one of the header's values (each line one value, not split
    /// on commas) is the Endpoint's Uri.Host, ignoring case. Allowed: `WebHook-Allowed-Origin: *`.
    server_action preflight(const std::vector<std::string>& origins) {
        for (const auto& origin : origins) {
            if (iequals(origin, endpoint_host_)) {
                note_accepted("preflight");
                auto action = reply(200, "", "");
                action.response.set("WebHook-Allowed-Origin", "*");
                return action;
            }
        }
        return refuse(400, "preflight origin is not " + endpoint_host_);
    }

    /// RequestValidator.IsValidSignature: the origin (every value joined with ",") must be the
    /// Endpoint's host; then `ce-signature`, split on "," with empty entries removed and no
    /// trimming, must hold "sha256=" + the uppercase hex HMAC-SHA256 of the connection id under
    /// the UTF-8 key, compared ignoring case.
    bool signature_is_valid(const handler_request& request, std::string_view connection_id) const {
        std::string origin;
        for (const auto& value : values_of(request, "WebHook-Request-Origin")) {
            origin += (origin.empty() ? "" : ",") + value;
        }
        if (!iequals(origin, endpoint_host_)) {
            return false;
        }
        static constexpr char hex[] = "0123456789ABCDEF";
        std::string expected = "sha256=";
        for (const char c : hmac(hmac_digest::sha256, access_key_, connection_id)) {
            const auto byte = static_cast<unsigned char>(c);
            expected += hex[byte >> 4];
            expected += hex[byte & 0x0F];
        }
        const std::string signatures(request["ce-signature"]);
        std::size_t start = 0;
        while (start <= signatures.size()) {
            const auto comma = signatures.find(',', start);
            const auto entry =
                signatures.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (!entry.empty() && iequals(entry, expected)) {
                return true;
            }
            if (comma == std::string::npos) {
                break;
            }
            start = comma + 1;
        }
        return false;
    }

    /// A user event: the media type of Content-Type must be one of the three .NET maps to a data
    /// type; the answer is what ServiceRequestHandlerAdapter writes for text.
    server_action user_event(const handler_request& request, const std::string& event) {
        std::string media(request[beast_http::field::content_type]);
        media = boost::algorithm::to_lower_copy(media.substr(0, media.find(';')));
        while (!media.empty() && media.back() == ' ') {
            media.pop_back();
        }
        if (media != "text/plain" && media != "application/octet-stream" && media != "application/json") {
            return refuse(500, "ContentType is not supported: " + media);
        }
        if (request["ce-userId"] != "dotnet-user") {
            return refuse(500, "ce-userId is not the user id the connect answer gave");
        }
        note_accepted(event + " " + media);
        return reply(200, "dotnet: " + request.body(), "text/plain; charset=utf-8");
    }

    server_action system_event(const handler_request& request, const std::string& event) {
        if (iequals(event, "connect")) {
            return connect(request);
        }
        if (iequals(event, "disconnected")) {
            boost::system::error_code ec;
            const auto body = boost::json::parse(request.body(), ec);
            if (ec || !body.is_object() ||
                (body.as_object().contains("reason") && !body.as_object().at("reason").is_string())) {
                return refuse(500, "disconnected body is not {\"reason\": string}: " + request.body());
            }
        }
        note_accepted(boost::algorithm::to_lower_copy(event));
        return reply(200, "", "");
    }

    /// ConnectEventRequestJsonConverter reads claims and query as Dictionary<string, string[]>,
    /// subprotocols as string[]; the answer is JsonSerializer's ConnectEventResponse, nulls
    /// included, written with no Content-Type, and the state in ce-connectionState.
    server_action connect(const handler_request& request) {
        boost::system::error_code ec;
        const auto body = boost::json::parse(request.body(), ec);
        if (ec || !body.is_object()) {
            return refuse(500, "connect body is not a JSON object: " + request.body());
        }
        const auto& object = body.as_object();
        for (const std::string_view map : {"claims", "query", "headers"}) {
            if (const auto* member = object.if_contains(map);
                member != nullptr && !is_string_lists(*member)) {
                return refuse(500, std::string(map) + " is not a map of string arrays");
            }
        }
        if (const auto* list = object.if_contains("subprotocols"); list != nullptr && !is_strings(*list)) {
            return refuse(500, "subprotocols is not a string array");
        }
        note_accepted("connect");
        auto action = reply(
            200, R"({"userId":"dotnet-user","groups":["dotnet-group"],"roles":null,"subprotocol":null})", "");
        action.response.set("ce-connectionState", dotnet_state);
        return action;
    }

    static bool is_strings(const boost::json::value& value) {
        return value.is_array() && std::all_of(value.as_array().begin(), value.as_array().end(),
                                               [](const auto& element) { return element.is_string(); });
    }
    static bool is_string_lists(const boost::json::value& value) {
        return value.is_object() &&
               std::all_of(value.as_object().begin(), value.as_object().end(),
                           [](const auto& member) { return is_strings(member.value()); });
    }

    server_action refuse(unsigned status, std::string why) {
        std::lock_guard lock(mutex_);
        refusals_.push_back(why);
        return reply(status, std::move(why));
    }
    void note_accepted(std::string what) {
        std::lock_guard lock(mutex_);
        accepted_.push_back(std::move(what));
    }

    const std::string hub_class_;
    const std::string endpoint_host_;
    const std::string access_key_;
    mutable std::mutex mutex_;
    std::vector<std::string> refusals_;
    std::vector<std::string> accepted_;
};

std::string handler_table(const std::string& hub, std::uint16_t port) {
    return "[hubs." + hub + "]\n[[hubs." + hub +
           ".event_handlers]]\nurl_template = \"http://127.0.0.1:" + std::to_string(port) +
           "/eventhandler/{event}\"\nuser_event_pattern = \"*\"\n"
           "system_events = [\"connect\", \"connected\", \"disconnected\"]\n";
}

/// The value of `key` in a connection string (keys ignoring case, as every SDK reads them).
std::string connection_string_value(std::string_view line, std::string_view key) {
    std::size_t start = 0;
    while (start < line.size()) {
        const auto end = std::min(line.find(';', start), line.size());
        const auto segment = line.substr(start, end - start);
        const auto equals = segment.find('=');
        if (equals != std::string_view::npos && iequals(segment.substr(0, equals), key)) {
            return std::string(segment.substr(equals + 1));
        }
        start = end + 1;
    }
    return {};
}

class OtherSdks : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        // Two apps, as two deployments would be configured from the connection string hubcast
        // prints: one with the primary key, one (after a key rotation) with the secondary.
        primary_app_ =
            std::make_unique<dotnet_middleware>("SampleChatHub", "127.0.0.1", std::string(primary_key));
        secondary_app_ =
            std::make_unique<dotnet_middleware>("RotatedHub", "127.0.0.1", std::string(secondary_key));
        primary_server_ = std::make_unique<test_server>(
            [](const handler_request& request) { return primary_app_->handle(request); });
        secondary_server_ = std::make_unique<test_server>(
            [](const handler_request& request) { return secondary_app_->handle(request); });
        const std::string config = handler_table("samplechathub", primary_server_->port()) +
                                   handler_table("rotatedhub", secondary_server_->port());
        config_path_ = (std::filesystem::temp_directory_path() /
                        ("hubcast_sdk_shapes_" + std::to_string(::getpid()) + ".toml"))
                           .string();
        std::ofstream(config_path_) << config;
        server_ = std::make_unique<hubcast_process>(
            process_options{.access_keys = {std::string(primary_key), std::string(secondary_key)},
                            .args = {"--config", config_path_}});
    }

    static void TearDownTestSuite() {
        server_.reset();
        primary_server_.reset();
        secondary_server_.reset();
        primary_app_.reset();
        secondary_app_.reset();
        std::filesystem::remove(config_path_);
    }

    void TearDown() override {
        if (HasFailure()) {
            std::cerr << "---- hubcast output ----\n" << server_->output() << "\n---- end ----\n";
        }
    }

    static std::string base_url() { return "http://127.0.0.1:" + std::to_string(server_->port()); }

    /// One REST call whose bearer token has `header` and `claims`, with `aud` set to `audience`.
    static http_response rest_with(const std::string& method, const std::string& target,
                                   const boost::json::object& header, boost::json::object claims,
                                   const std::string& audience, std::string body = {},
                                   std::string content_type = {}) {
        claims["aud"] = audience;
        return send_rest(*server_, rest_request{.method = method,
                                                .target = target,
                                                .body = std::move(body),
                                                .content_type = std::move(content_type),
                                                .token = sign_jwt(header, claims, primary_key)});
    }

    /// Upgrades to `hub` with `token` (JSON subprotocol) and returns the client past its
    /// `connected` message, whose userId must be `user`.
    static ws_client connect_with(const std::string& hub, const std::string& token, const std::string& user) {
        ws_client client;
        const auto answer = client.connect(server_->port(), client_path(hub, token), {},
                                           {std::string(json_subprotocol)}, deadline(10s));
        EXPECT_EQ(answer.status, 101) << answer.describe();
        if (answer.status == 101) {
            const auto connected = client.expect_json();
            EXPECT_TRUE(has_string(connected, "event", "connected")) << boost::json::serialize(connected);
            EXPECT_TRUE(has_string(connected, "userId", user)) << boost::json::serialize(connected);
        }
        return client;
    }

    /// Sends to `group` with an ack and requires both the ack and the message back: proves the
    /// token's sendToGroup role and webpubsub.group membership.
    static void expect_own_group_message(ws_client& client, std::string_view group) {
        ASSERT_TRUE(client.send_json(send_to_group_message(group, "text", boost::json::string("hi"), 7)));
        bool acked = false;
        bool delivered = false;
        for (int i = 0; i < 2; ++i) {
            const auto message = client.expect_json();
            acked = acked || (has_string(message, "type", "ack") && message.at("success").as_bool());
            delivered =
                delivered || (has_string(message, "type", "message") && has_string(message, "group", group));
        }
        EXPECT_TRUE(acked);
        EXPECT_TRUE(delivered);
    }

    inline static std::unique_ptr<dotnet_middleware> primary_app_;
    inline static std::unique_ptr<dotnet_middleware> secondary_app_;
    inline static std::unique_ptr<test_server> primary_server_;
    inline static std::unique_ptr<test_server> secondary_server_;
    inline static std::unique_ptr<hubcast_process> server_;
    inline static std::string config_path_;
};

const boost::json::object jwt_header{{"alg", "HS256"}, {"typ", "JWT"}};
const boost::json::object nimbus_header{{"alg", "HS256"}}; // Java's JWSHeader(JWSAlgorithm.HS256)

TEST_F(OtherSdks, ThePrintedConnectionStringNamesTheHostHubcastSendsAsOrigin) {
    // Every SDK reads the port from `Port=` (Python appends it to Endpoint, .NET and Java set it on
    // their URL builder, JS on its URL), so the port stays out of Endpoint: Python would append a
    // second one. The .NET middleware compares Uri(Endpoint).Host with WebHook-Request-Origin.
    const std::string line = server_->connection_string_line();
    EXPECT_EQ(connection_string_value(line, "Endpoint"), "http://127.0.0.1") << line;
    EXPECT_EQ(connection_string_value(line, "Port"), std::to_string(server_->port())) << line;
    EXPECT_EQ(connection_string_value(line, "AccessKey"), primary_key) << line;
    EXPECT_EQ(connection_string_value(line, "Version"), "1.0") << line;
}

TEST_F(OtherSdks, TheDotNetMiddlewareAcceptsEveryEventOfAPubSubClient) {
    auto client = pubsub_client::connect(*server_, {.hub = "SampleChatHub", .user = "alice"});
    EXPECT_TRUE(has_string(client.connected_message(), "userId", "dotnet-user"));
    ASSERT_TRUE(client.ws().send_json(event_message("echo", "text", boost::json::string("hi"), 1)));
    bool answered = false;
    bool acked = false;
    for (int i = 0; i < 2; ++i) {
        const auto message = client.ws().expect_json();
        answered =
            answered || (has_string(message, "from", "server") && has_string(message, "data", "dotnet: hi"));
        acked = acked || has_string(message, "type", "ack");
    }
    EXPECT_TRUE(answered);
    EXPECT_TRUE(acked);
    ASSERT_TRUE(client.ws().send_close(1000));
    EXPECT_EQ(client.ws().expect_close().code, std::optional<std::uint16_t>(1000));
    EXPECT_TRUE(wait_until([] { return primary_app_->saw("disconnected"); }, deadline(10s)));
    EXPECT_TRUE(primary_app_->saw("preflight"));
    EXPECT_TRUE(primary_app_->saw("connect"));
    EXPECT_TRUE(primary_app_->saw("connected"));
    EXPECT_TRUE(primary_app_->saw("echo text/plain"));
    EXPECT_EQ(primary_app_->refusals(), std::vector<std::string>{});
}

TEST_F(OtherSdks, TheDotNetMiddlewareAcceptsASimpleClientsTextAndBinaryMessages) {
    ws_client client;
    const auto token =
        mint_token(server_->port(), primary_key, token_request{.hub = "samplechathub", .user = "bob"});
    ASSERT_EQ(
        client.connect(server_->port(), client_path("samplechathub", token), {}, {}, deadline(10s)).status,
        101);
    ASSERT_TRUE(client.send_text("text frame"));
    EXPECT_EQ(client.expect_message().payload, "dotnet: text frame");
    ASSERT_TRUE(client.send_binary("binary frame"));
    EXPECT_EQ(client.expect_message().payload, "dotnet: binary frame");
    EXPECT_TRUE(primary_app_->saw("message text/plain"));
    EXPECT_TRUE(primary_app_->saw("message application/octet-stream"));
    EXPECT_EQ(primary_app_->refusals(), std::vector<std::string>{});
}

TEST_F(OtherSdks, TheDotNetMiddlewareConfiguredWithTheSecondaryKeyAcceptsTheSignature) {
    // hubcast signs with every key: an app server given the secondary key during a rotation.
    auto client = pubsub_client::connect(*server_, {.hub = "RotatedHub", .user = "carol"});
    EXPECT_TRUE(has_string(client.connected_message(), "userId", "dotnet-user"));
    EXPECT_TRUE(secondary_app_->saw("connect"));
    EXPECT_EQ(secondary_app_->refusals(), std::vector<std::string>{});
}

TEST_F(OtherSdks, DotNetRestTokensAreAccepted) {
    // WebPubSubAuthenticationPolicy.cs: nbf, exp (+5 min), iat, aud = Uri.AbsoluteUri; the
    // generated client sends api-version 2024-12-01 (autorest.md: the 2024-12-01 spec).
    const auto now = unix_now();
    const boost::json::object claims{{"nbf", now}, {"exp", now + 300}, {"iat", now}};
    const std::string send = "/api/hubs/SampleChatHub/:send?api-version=2024-12-01";
    EXPECT_EQ(rest_with("POST", send, jwt_header, claims, base_url() + send, "hello", "text/plain").status,
              202);
    const std::string list = "/api/hubs/SampleChatHub/groups/lobby/connections?api-version=2024-12-01";
    EXPECT_EQ(rest_with("GET", list, jwt_header, claims, base_url() + list).status, 200);
    const std::string exists = "/api/hubs/SampleChatHub/users/nobody?api-version=2021-10-01";
    EXPECT_EQ(rest_with("HEAD", exists, jwt_header, claims, base_url() + exists).status, 404);
}

TEST_F(OtherSdks, PythonRestTokensAreAccepted) {
    // _patch.py JwtCredentialPolicy: aud = the request URL with its query, exp (+60 s), no iat
    // or nbf, the user in the ClaimTypes.Name claim when one is given. api-version: 2024-12-01 in
    // the newest request builders, 2021-10-01 in older releases, or any the app chooses.
    const auto now = unix_now();
    const boost::json::object claims{{"exp", now + 60},
                                     {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "app"}};
    const std::string send = "/api/hubs/samplechathub/users/nobody/:send?api-version=2021-10-01";
    EXPECT_EQ(rest_with("POST", send, jwt_header, claims, base_url() + send, R"({"a":1})", "application/json")
                  .status,
              202);
    const std::string list =
        "/api/hubs/samplechathub/groups/lobby/connections?api-version=2024-12-01&top=100";
    EXPECT_EQ(rest_with("GET", list, jwt_header, claims, base_url() + list).status, 200);
    const std::string add = "/api/hubs/samplechathub/:addToGroups?api-version=2024-01-01";
    EXPECT_EQ(rest_with("POST", add, jwt_header, claims, base_url() + add,
                        R"({"groups":["lobby"],"filter":"userId eq 'nobody'"})", "application/json")
                  .status,
              200);
}

TEST_F(OtherSdks, JavaRestTokensAreAccepted) {
    // WebPubSubAuthenticationPolicy.java: Nimbus JWSHeader(HS256) has no typ; aud =
    // getUrl().toString(); exp (+10 min) only.
    const boost::json::object claims{{"exp", unix_now() + 600}};
    const std::string close = "/api/hubs/samplechathub/:closeConnections?api-version=2022-11-01&reason=bye";
    EXPECT_EQ(rest_with("POST", close, nimbus_header, claims, base_url() + close).status, 204);
    const std::string permission = "/api/hubs/samplechathub/permissions/sendToGroup/connections/"
                                   "nobody?api-version=2024-01-01&targetName=lobby";
    EXPECT_EQ(rest_with("HEAD", permission, nimbus_header, claims, base_url() + permission).status, 404);
}

TEST_F(OtherSdks, DotNetClientAccessTokensConnect) {
    // WebPubSubClientAccessTokenGenerator.cs: sub, role, webpubsub.group, nbf, exp, iat; aud =
    // endpoint.AbsoluteUri (with its "/") + "client/hubs/" + the hub as the app wrote it.
    const auto now = unix_now();
    const boost::json::object claims{{"sub", "dotnet-client"},
                                     {"role", boost::json::array{"webpubsub.sendToGroup"}},
                                     {"webpubsub.group", boost::json::array{"lobby"}},
                                     {"nbf", now},
                                     {"exp", now + 3600},
                                     {"iat", now},
                                     {"aud", base_url() + "/client/hubs/Plain"}};
    auto client = connect_with("Plain", sign_jwt(jwt_header, claims, primary_key), "dotnet-client");
    expect_own_group_message(client, "lobby");
}

TEST_F(OtherSdks, PythonClientAccessTokensConnect) {
    // _operations/_patch.py get_token_by_key: aud = the lowercased endpoint + "/client/hubs/" + hub
    // (its case kept), iat, exp, sub, role and webpubsub.group when given; no nbf. Its jwt_headers
    // argument adds header fields, such as a key id.
    const auto now = unix_now();
    const boost::json::object claims{{"aud", base_url() + "/client/hubs/Plain"},
                                     {"iat", now},
                                     {"exp", now + 3600},
                                     {"sub", "python-client"},
                                     {"role", boost::json::array{"webpubsub.sendToGroup"}},
                                     {"webpubsub.group", boost::json::array{"lobby"}}};
    const boost::json::object header{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "app-key-1"}};
    auto client = connect_with("plain", sign_jwt(header, claims, primary_key), "python-client");
    expect_own_group_message(client, "lobby");
}

TEST_F(OtherSdks, JavaClientAccessTokensConnect) {
    // WebPubSubServiceAsyncClient.getClientAccessToken: Nimbus header without typ; aud = endpoint
    // + "/" + "client/hubs/" + hub; exp, sub, role, webpubsub.group.
    const boost::json::object claims{
        {"aud", base_url() + "/client/hubs/plain"},
        {"exp", unix_now() + 3600},
        {"sub", "java-client"},
        {"role", boost::json::array{"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"}},
        {"webpubsub.group", boost::json::array{"lobby"}}};
    auto client = connect_with("plain", sign_jwt(nimbus_header, claims, primary_key), "java-client");
    ASSERT_TRUE(client.send_json(join_group_message("kitchen", 3)));
    const auto ack = client.expect_json();
    EXPECT_TRUE(has_string(ack, "type", "ack") && ack.at("success").as_bool()) << boost::json::serialize(ack);
    expect_own_group_message(client, "lobby");
}

} // namespace
} // namespace hubcast::test

#include <boost/url/parse.hpp>
#include <gtest/gtest.h>

#include "../core/recording_sink.hpp"
#include "api/client_endpoint.hpp"
#include "auth/client_token.hpp"
#include "proto/webpubsub.pb.h"
#include "util/clock.hpp"

namespace hubcast::api {
namespace {

using core::testing::json_of;
using core::testing::recording_sink;

constexpr const char* host = "127.0.0.1:8080";

class ClientEndpoint : public ::testing::Test {
protected:
    ClientEndpoint() : node_(1), endpoint_(node_, auth::access_keys{{"key-one", "key-two"}}, metrics_) {
        node_.shard_at(0).bind_to_current_thread();
    }

    static std::string token(const std::string& hub, std::vector<std::string> roles = {},
                             std::vector<std::string> groups = {}, const std::string& key = "key-one") {
        auth::client_token_request request{.endpoint = std::string("http://") + host,
                                           .hub = hub,
                                           .user_id = "alice",
                                           .roles = std::move(roles),
                                           .groups = std::move(groups),
                                           .now = util::unix_seconds()};
        return auth::mint_client_token(request, auth::access_keys{{key}});
    }

    static protocol::http_request upgrade(std::string target, std::string subprotocols = "") {
        protocol::http_request request;
        request.method = "GET";
        request.target = std::move(target);
        request.websocket_upgrade = true;
        request.headers.emplace_back("Host", host);
        if (!subprotocols.empty()) {
            request.headers.emplace_back("Sec-WebSocket-Protocol", std::move(subprotocols));
        }
        return request;
    }

    upgrade_decision admit(const protocol::http_request& request) {
        auto target = boost::urls::parse_origin_form(request.target);
        EXPECT_TRUE(target);
        return endpoint_.admit(request, *target);
    }

    static unsigned status_of(const upgrade_decision& decision) {
        const auto* response = std::get_if<protocol::http_response>(&decision);
        return response == nullptr ? 101 : response->status;
    }

    core::node node_;
    metrics metrics_;
    client_endpoint endpoint_;
};

TEST_F(ClientEndpoint, AdmitsAValidTokenFromTheQuery) {
    auto decision = admit(upgrade("/client/hubs/chat?access_token=" + token("chat")));
    ASSERT_EQ(status_of(decision), 101u);
    const auto& admission = std::get<client_admission>(decision);
    EXPECT_EQ(admission.hub, "chat");
    EXPECT_EQ(admission.user_id, "alice");
    EXPECT_EQ(admission.kind, protocol::subprotocol_kind::none);
    EXPECT_EQ(admission.subprotocol, "");
}

TEST_F(ClientEndpoint, AdmitsABearerTokenAndTheHubQueryForm) {
    auto request = upgrade("/client/?hub=chat");
    request.headers.emplace_back("authorization", "BEARER  " + token("chat"));
    EXPECT_EQ(status_of(admit(request)), 101u);
}

TEST_F(ClientEndpoint, HubNamesAreCaseInsensitiveAndLowercased) {
    auto decision = admit(upgrade("/client/hubs/ChAt?access_token=" + token("chat")));
    ASSERT_EQ(status_of(decision), 101u);
    EXPECT_EQ(std::get<client_admission>(decision).hub, "chat");
}

TEST_F(ClientEndpoint, AcceptsTheSecondKey) {
    EXPECT_EQ(status_of(admit(upgrade("/client/hubs/chat?access_token=" + token("chat", {}, {}, "key-two")))),
              101u);
}

TEST_F(ClientEndpoint, RefusesWithTheSpecStatuses) {
    EXPECT_EQ(status_of(admit(upgrade("/client/hubs/?access_token=x"))), 400u);
    EXPECT_EQ(status_of(admit(upgrade("/client/?access_token=x"))), 400u);
    EXPECT_EQ(status_of(admit(upgrade("/client/hubs/9chat?access_token=" + token("9chat")))), 400u);
    EXPECT_EQ(status_of(admit(upgrade("/client/hubs/chat"))), 401u);
    EXPECT_EQ(status_of(admit(upgrade("/client/hubs/chat?access_token=" + token("other")))), 401u);
    EXPECT_EQ(status_of(admit(upgrade("/client/hubs/chat?access_token=" + token("chat", {}, {}, "wrong")))),
              401u);
    EXPECT_EQ(status_of(admit(upgrade("/client/hubs/chat?access_token=" + token("chat", {}, {"  "})))), 400u);
    auto plain = upgrade("/client/hubs/chat?access_token=" + token("chat"));
    plain.websocket_upgrade = false;
    EXPECT_EQ(status_of(admit(plain)), 400u);
    EXPECT_EQ(metrics_.upgrades_rejected.load(), 8u);
}

TEST_F(ClientEndpoint, ChoosesTheFirstSupportedSubprotocolInTheClientsOrder) {
    auto decision = admit(upgrade("/client/hubs/chat?access_token=" + token("chat"),
                                  "custom.v1, JSON.webpubsub.azure.v1, json.reliable.webpubsub.azure.v1"));
    ASSERT_EQ(status_of(decision), 101u);
    EXPECT_EQ(std::get<client_admission>(decision).kind, protocol::subprotocol_kind::json);
    // Echoed in the client's spelling: browsers compare the answer case-sensitively.
    EXPECT_EQ(std::get<client_admission>(decision).subprotocol, "JSON.webpubsub.azure.v1");
}

TEST_F(ClientEndpoint, CustomSubprotocolsMakeASimpleClient) {
    auto decision = admit(upgrade("/client/hubs/chat?access_token=" + token("chat"), "mqtt"));
    ASSERT_EQ(status_of(decision), 101u);
    EXPECT_EQ(std::get<client_admission>(decision).kind, protocol::subprotocol_kind::none);
}

TEST_F(ClientEndpoint, UnimplementedServiceSubprotocolsAreRefusedNotServedAsSomethingElse) {
    for (const char* name : {"json.reliable.webpubsub.azure.v1", "protobuf.reliable.webpubsub.azure.v1"}) {
        EXPECT_EQ(status_of(admit(upgrade("/client/hubs/chat?access_token=" + token("chat"), name))), 400u)
            << name;
    }
}

TEST_F(ClientEndpoint, OpenSendsConnectedFirstAndJoinsTokenGroups) {
    auto decision = admit(upgrade("/client/hubs/chat?access_token=" + token("chat", {}, {"g1", "g2"}),
                                  "json.webpubsub.azure.v1"));
    ASSERT_EQ(status_of(decision), 101u);
    recording_sink sink;
    auto session = endpoint_.open(std::get<client_admission>(std::move(decision)), sink, 0);
    ASSERT_EQ(sink.frames.size(), 1u);
    const auto connected = json_of(sink.frames[0]);
    EXPECT_EQ(connected.at("type"), "system");
    EXPECT_EQ(connected.at("event"), "connected");
    EXPECT_EQ(connected.at("userId"), "alice");
    const std::string id(connected.at("connectionId").as_string());
    EXPECT_TRUE(node_.connection_exists("chat", id));
    EXPECT_TRUE(node_.group_exists("chat", "g1"));
    EXPECT_TRUE(node_.group_exists("chat", "g2"));
    session->on_closed(1000, "");
    EXPECT_FALSE(node_.connection_exists("chat", id));
    EXPECT_FALSE(node_.group_exists("chat", "g1"));
}

// Spec 6.3: a protobuf client's first frame is a binary DownstreamMessage with the ConnectedMessage.
TEST_F(ClientEndpoint, OpenSendsProtobufConnectedToProtobufClients) {
    auto decision =
        admit(upgrade("/client/hubs/chat?access_token=" + token("chat"), "protobuf.webpubsub.azure.v1"));
    ASSERT_EQ(status_of(decision), 101u);
    EXPECT_EQ(std::get<client_admission>(decision).kind, protocol::subprotocol_kind::protobuf);
    recording_sink sink;
    auto session = endpoint_.open(std::get<client_admission>(std::move(decision)), sink, 0);
    ASSERT_EQ(sink.frames.size(), 1u);
    const auto frame = core::testing::parse_frame(sink.frames[0]);
    ASSERT_TRUE(frame.well_formed);
    EXPECT_EQ(frame.opcode, protocol::ws_opcode::binary);
    azure::webpubsub::DownstreamMessage message;
    ASSERT_TRUE(message.ParseFromString(frame.payload));
    ASSERT_TRUE(message.system_message().has_connected_message());
    const auto& connected = message.system_message().connected_message();
    EXPECT_EQ(connected.user_id(), "alice");
    EXPECT_FALSE(connected.has_reconnection_token()) << "only reliable clients get one";
    EXPECT_TRUE(node_.connection_exists("chat", connected.connection_id()));
    session->on_closed(1000, "");
}

} // namespace
} // namespace hubcast::api

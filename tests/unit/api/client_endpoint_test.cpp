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
    ClientEndpoint() : router_(1), endpoint_(router_, auth::access_keys{{"key-one", "key-two"}}, metrics_) {
        router_.shard_at(0).bind_to_current_thread();
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

    core::router router_;
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

// Each service subprotocol offered alone is served as itself, never as another kind.
TEST_F(ClientEndpoint, EveryServiceSubprotocolIsServedAsItself) {
    for (const auto kind :
         {protocol::subprotocol_kind::json, protocol::subprotocol_kind::json_reliable,
          protocol::subprotocol_kind::protobuf, protocol::subprotocol_kind::protobuf_reliable}) {
        const std::string name(protocol::to_string(kind));
        auto decision = admit(upgrade("/client/hubs/chat?access_token=" + token("chat"), name));
        ASSERT_EQ(status_of(decision), 101u) << name;
        EXPECT_EQ(std::get<client_admission>(decision).kind, kind) << name;
        EXPECT_EQ(std::get<client_admission>(decision).subprotocol, name);
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
    EXPECT_TRUE(router_.connection_exists("chat", id));
    EXPECT_TRUE(router_.group_exists("chat", "g1"));
    EXPECT_TRUE(router_.group_exists("chat", "g2"));
    session->on_closed(1000, "");
    EXPECT_FALSE(router_.connection_exists("chat", id));
    EXPECT_FALSE(router_.group_exists("chat", "g1"));
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
    EXPECT_TRUE(router_.connection_exists("chat", connected.connection_id()));
    session->on_closed(1000, "");
}

// Spec 5.5: recovery, from the admission to the resumed session.
class Recovery : public ClientEndpoint {
protected:
    struct opened {
        std::unique_ptr<client_session> session;
        std::string id;
        std::string token;
    };

    opened open_reliable(recording_sink& sink, std::vector<std::string> groups = {}) {
        auto decision = admit(
            upgrade("/client/hubs/chat?access_token=" + token("chat", {}, std::move(groups)), reliable));
        EXPECT_EQ(status_of(decision), 101u);
        opened result;
        result.session = endpoint_.open(std::get<client_admission>(std::move(decision)), sink, 0);
        const auto connected = json_of(sink.frames.at(0));
        result.id = std::string(connected.at("connectionId").as_string());
        result.token = std::string(connected.at("reconnectionToken").as_string());
        return result;
    }

    client_admission recover(const std::string& query, const std::string& subprotocol = reliable) {
        auto decision = admit(upgrade("/client/hubs/chat?" + query, subprotocol));
        EXPECT_EQ(status_of(decision), 101u) << "a recovery request is always upgraded";
        return std::get<client_admission>(std::move(decision));
    }

    static std::string expired_token() {
        auth::client_token_request request{.endpoint = std::string("http://") + host,
                                           .hub = "chat",
                                           .user_id = "alice",
                                           .now = util::unix_seconds() - 7200};
        return auth::mint_client_token(request, auth::access_keys{{"key-one"}});
    }

    static constexpr const char* reliable = "json.reliable.webpubsub.azure.v1";
};

TEST_F(Recovery, ReliableClientsGetAReconnectionTokenAndPlainOnesNone) {
    recording_sink sink;
    const auto first = open_reliable(sink);
    EXPECT_FALSE(first.token.empty());
    recording_sink plain_sink;
    auto decision =
        admit(upgrade("/client/hubs/chat?access_token=" + token("chat"), "json.webpubsub.azure.v1"));
    auto plain = endpoint_.open(std::get<client_admission>(std::move(decision)), plain_sink, 0);
    EXPECT_FALSE(json_of(plain_sink.frames.at(0)).as_object().contains("reconnectionToken"));
}

// Spec 2.1: the JS SDK resends its original access token, possibly expired; the .NET SDK none.
TEST_F(Recovery, IsAuthorisedByTheReconnectionTokenAloneEvenBesideAnExpiredAccessToken) {
    recording_sink sink;
    const auto first = open_reliable(sink);
    ASSERT_EQ(status_of(admit(upgrade("/client/hubs/chat?access_token=" + expired_token(), reliable))), 401u);
    for (const std::string& access : {"access_token=" + expired_token() + "&", std::string()}) {
        const auto admission =
            recover(access + "awps_connection_id=" + first.id + "&awps_reconnection_token=" + first.token);
        ASSERT_TRUE(admission.recovery.has_value()) << access;
        EXPECT_EQ(admission.recovery->connection_id, first.id);
        EXPECT_EQ(admission.recovery->shard, 0u);
        EXPECT_EQ(admission.required_worker(), std::optional<std::size_t>(0));
        EXPECT_FALSE(admission.refuse_recovery);
        EXPECT_EQ(admission.subprotocol, reliable);
    }
}

// Spec 5.5 step 5: accept the WebSocket, then close it with 1008 (never an HTTP refusal, after
// which the SDK would keep retrying).
TEST_F(Recovery, RequestsThatCannotSucceedAreAdmittedToBeRefused) {
    recording_sink sink;
    const auto first = open_reliable(sink);
    recording_sink other_sink;
    const auto second = open_reliable(other_sink);
    const std::string wrong_token =
        "awps_connection_id=" + first.id + "&awps_reconnection_token=" + second.token;
    const std::string no_token = "awps_connection_id=" + first.id;
    const std::string foreign_id = "awps_connection_id=someone-else&awps_reconnection_token=" + first.token;
    for (const std::string& query : {wrong_token, no_token, foreign_id}) {
        const auto admission = recover(query);
        EXPECT_TRUE(admission.refuse_recovery) << query;
        EXPECT_FALSE(admission.recovery.has_value()) << query;
    }
    const auto plain = recover("awps_connection_id=" + first.id + "&awps_reconnection_token=" + first.token,
                               "json.webpubsub.azure.v1");
    EXPECT_TRUE(plain.refuse_recovery) << "the plain protocol cannot recover";
    EXPECT_FALSE(
        recover("awps_reconnection_token=" + first.token + "&access_token=" + token("chat")).refuse_recovery)
        << "a token without a connection id is an ordinary connect";

    recording_sink refused;
    endpoint_.refuse_recovery(recover(wrong_token), refused);
    ASSERT_EQ(refused.frames.size(), 1u);
    EXPECT_EQ(json_of(refused.frames[0]).at("event"), "disconnected");
    ASSERT_EQ(refused.closes.size(), 1u);
    EXPECT_EQ(refused.closes[0].code, 1008);
    EXPECT_EQ(router_.reliable_stats().recoveries_refused.load(), 1u);
}

TEST_F(Recovery, ResumesTheParkedSessionWithItsGroupsAndReplaysWhatIsUnacknowledged) {
    recording_sink first_sink;
    auto first = open_reliable(first_sink, {"room"});
    router_.send_to_group("chat", "room", protocol::message_data{protocol::data_type::text, "one"});
    router_.send_to_group("chat", "room", protocol::message_data{protocol::data_type::text, "two"});
    first.session->on_message(protocol::ws_opcode::text, R"({"type":"sequenceAck","sequenceId":1})");
    first.session->on_closed(1006, "connection lost");
    first.session.reset();
    EXPECT_TRUE(router_.connection_exists("chat", first.id)) << "parked, not gone";
    router_.send_to_group("chat", "room", protocol::message_data{protocol::data_type::text, "three"});

    recording_sink second_sink;
    const auto admission =
        recover("awps_connection_id=" + first.id + "&awps_reconnection_token=" + first.token);
    auto resumed = endpoint_.resume(admission, second_sink);
    ASSERT_NE(resumed, nullptr);
    ASSERT_EQ(second_sink.frames.size(), 2u) << "no connected; the unacknowledged messages";
    EXPECT_EQ(json_of(second_sink.frames[0]).at("sequenceId"), 2);
    EXPECT_EQ(json_of(second_sink.frames[0]).at("data"), "two");
    EXPECT_EQ(json_of(second_sink.frames[1]).at("sequenceId"), 3);
    EXPECT_EQ(json_of(second_sink.frames[1]).at("data"), "three");
    router_.send_to_group("chat", "room", protocol::message_data{protocol::data_type::text, "four"});
    EXPECT_EQ(json_of(second_sink.frames.back()).at("sequenceId"), 4) << "still a member of its group";
    EXPECT_EQ(router_.reliable_stats().recovered.load(), 1u);
}

TEST_F(Recovery, AGoneSessionIsNotResumed) {
    recording_sink first_sink;
    auto first = open_reliable(first_sink);
    const auto admission =
        recover("awps_connection_id=" + first.id + "&awps_reconnection_token=" + first.token);
    first.session->on_closed(1000, "bye");
    recording_sink second_sink;
    EXPECT_EQ(endpoint_.resume(admission, second_sink), nullptr) << "a client's 1000 ends the session";
    EXPECT_TRUE(second_sink.frames.empty());
}

TEST_F(Recovery, ASessionOfAnotherHubIsNotResumed) {
    recording_sink first_sink;
    auto first = open_reliable(first_sink);
    auto decision = admit(upgrade("/client/hubs/other?awps_connection_id=" + first.id +
                                      "&awps_reconnection_token=" + first.token,
                                  reliable));
    const auto& admission = std::get<client_admission>(decision);
    ASSERT_TRUE(admission.recovery.has_value());
    recording_sink second_sink;
    EXPECT_EQ(endpoint_.resume(admission, second_sink), nullptr);
    EXPECT_EQ(first_sink.abandons, 0);
}

// protobuf.reliable.webpubsub.azure.v1: the same session life, every frame in protobuf (spec 5, 6).
class ProtobufRecovery : public Recovery {
protected:
    static constexpr const char* protobuf_reliable = "protobuf.reliable.webpubsub.azure.v1";

    static azure::webpubsub::DownstreamMessage downstream(const util::shared_bytes& frame) {
        const auto parsed = core::testing::parse_frame(frame);
        EXPECT_TRUE(parsed.well_formed);
        EXPECT_EQ(parsed.opcode, protocol::ws_opcode::binary);
        azure::webpubsub::DownstreamMessage message;
        EXPECT_TRUE(message.ParseFromString(parsed.payload));
        return message;
    }

    opened open_protobuf_reliable(recording_sink& sink, std::vector<std::string> groups = {}) {
        auto decision = admit(upgrade(
            "/client/hubs/chat?access_token=" + token("chat", {}, std::move(groups)), protobuf_reliable));
        EXPECT_EQ(status_of(decision), 101u);
        opened result;
        result.session = endpoint_.open(std::get<client_admission>(std::move(decision)), sink, 0);
        const auto connected = downstream(sink.frames.at(0)).system_message().connected_message();
        result.id = connected.connection_id();
        EXPECT_TRUE(connected.has_reconnection_token()) << "reliable clients get a reconnection token";
        result.token = connected.reconnection_token();
        return result;
    }

    static std::string sequence_ack(std::uint64_t id) {
        azure::webpubsub::UpstreamMessage message;
        message.mutable_sequence_ack_message()->set_sequence_id(id);
        return message.SerializeAsString();
    }
};

TEST_F(ProtobufRecovery, ResumesWithTheUnacknowledgedMessagesNumberedInProtobuf) {
    recording_sink first_sink;
    auto first = open_protobuf_reliable(first_sink, {"room"});
    EXPECT_FALSE(first.token.empty());
    router_.send_to_group("chat", "room", protocol::message_data{protocol::data_type::text, "one"});
    router_.send_to_group("chat", "room", protocol::message_data{protocol::data_type::json, R"({"n":2})"});
    ASSERT_EQ(first_sink.frames.size(), 3u);
    EXPECT_EQ(downstream(first_sink.frames[1]).data_message().sequence_id(), 1u);
    EXPECT_EQ(downstream(first_sink.frames[2]).data_message().sequence_id(), 2u);
    first.session->on_message(protocol::ws_opcode::binary, sequence_ack(1));
    first.session->on_closed(1006, "connection lost");
    first.session.reset();
    router_.send_to_group("chat", "room", protocol::message_data{protocol::data_type::binary, "three"});

    recording_sink second_sink;
    auto resumed =
        endpoint_.resume(recover("awps_connection_id=" + first.id + "&awps_reconnection_token=" + first.token,
                                 protobuf_reliable),
                         second_sink);
    ASSERT_NE(resumed, nullptr);
    ASSERT_EQ(second_sink.frames.size(), 2u) << "no connected; the unacknowledged messages";
    const auto two = downstream(second_sink.frames[0]).data_message();
    EXPECT_EQ(two.sequence_id(), 2u);
    EXPECT_EQ(two.group(), "room");
    EXPECT_EQ(two.data().json_data(), R"({"n":2})");
    const auto three = downstream(second_sink.frames[1]).data_message();
    EXPECT_EQ(three.sequence_id(), 3u);
    EXPECT_EQ(three.data().binary_data(), "three");
}

TEST_F(ProtobufRecovery, ARefusedRecoveryHearsWhyInProtobufThen1008) {
    recording_sink sink;
    const auto first = open_protobuf_reliable(sink);
    recording_sink refused;
    endpoint_.refuse_recovery(
        recover("awps_connection_id=" + first.id + "&awps_reconnection_token=forged", protobuf_reliable),
        refused);
    ASSERT_EQ(refused.frames.size(), 1u);
    EXPECT_EQ(downstream(refused.frames[0]).system_message().disconnected_message().reason(),
              "The connection could not be recovered.");
    ASSERT_EQ(refused.closes.size(), 1u);
    EXPECT_EQ(refused.closes[0].code, 1008);
}

TEST_F(ProtobufRecovery, PlainProtobufClientsGetNoReconnectionToken) {
    recording_sink sink;
    auto decision =
        admit(upgrade("/client/hubs/chat?access_token=" + token("chat"), "protobuf.webpubsub.azure.v1"));
    auto plain = endpoint_.open(std::get<client_admission>(std::move(decision)), sink, 0);
    EXPECT_FALSE(downstream(sink.frames.at(0)).system_message().connected_message().has_reconnection_token());
}

} // namespace
} // namespace hubcast::api

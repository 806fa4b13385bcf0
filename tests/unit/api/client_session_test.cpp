#include <gtest/gtest.h>

#include "../core/recording_sink.hpp"
#include "api/client_session.hpp"

namespace hubcast::api {
namespace {

using core::testing::json_of;
using core::testing::parse_frame;
using core::testing::recording_sink;

class ClientSession : public ::testing::Test {
protected:
    ClientSession() : router_(1) { router_.shard_at(0).bind_to_current_thread(); }

    std::unique_ptr<client_session> open(recording_sink& sink, std::vector<std::string> roles,
                                         protocol::subprotocol_kind kind = protocol::subprotocol_kind::json,
                                         std::string user = "alice") {
        auto& shard = router_.shard_at(0);
        auto& connection =
            shard.attach({.id = router_.new_connection_id(0), .hub = "chat", .user_id = user, .kind = kind},
                         auth::permission_set::from_roles(roles), sink);
        return std::make_unique<client_session>(router_, shard, connection, metrics_);
    }

    static void send(client_session& session, const std::string& json) {
        session.on_message(protocol::ws_opcode::text, json);
    }

    core::router router_;
    metrics metrics_;
};

TEST_F(ClientSession, JoinPublishAndReceiveWithAcks) {
    recording_sink sink;
    auto session = open(sink, {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"});
    send(*session, R"({"type":"joinGroup","group":"g","ackId":1})");
    send(*session, R"({"type":"sendToGroup","group":"g","ackId":2,"dataType":"text","data":"hi"})");
    ASSERT_EQ(sink.frames.size(), 3u);
    EXPECT_EQ(json_of(sink.frames[0]), boost::json::parse(R"({"type":"ack","ackId":1,"success":true})"));
    const auto message = json_of(sink.frames[1]);
    EXPECT_EQ(message.at("from"), "group");
    EXPECT_EQ(message.at("fromUserId"), "alice");
    EXPECT_EQ(message.at("data"), "hi");
    EXPECT_EQ(json_of(sink.frames[2]).at("ackId"), 2);
}

TEST_F(ClientSession, NoEchoSkipsTheSenderOnly) {
    recording_sink sender_sink;
    recording_sink other_sink;
    auto sender = open(sender_sink, {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"});
    auto other = open(other_sink, {"webpubsub.joinLeaveGroup"}, protocol::subprotocol_kind::json, "bob");
    send(*sender, R"({"type":"joinGroup","group":"g"})");
    send(*other, R"({"type":"joinGroup","group":"g"})");
    send(*sender, R"({"type":"sendToGroup","group":"g","noEcho":true,"data":{"x":1}})");
    EXPECT_TRUE(sender_sink.frames.empty());
    ASSERT_EQ(other_sink.frames.size(), 1u);
    EXPECT_EQ(json_of(other_sink.frames[0]).at("data"), boost::json::parse(R"({"x":1})"));
}

TEST_F(ClientSession, ForbiddenWithAckIdIsAnsweredWithoutIsDropped) {
    recording_sink sink;
    auto session = open(sink, {});
    send(*session, R"({"type":"joinGroup","group":"g"})");
    EXPECT_TRUE(sink.frames.empty());
    send(*session, R"({"type":"joinGroup","group":"g","ackId":5})");
    ASSERT_EQ(sink.frames.size(), 1u);
    const auto ack = json_of(sink.frames[0]);
    EXPECT_EQ(ack.at("success"), false);
    EXPECT_EQ(ack.at("error").at("name"), "Forbidden");
    EXPECT_FALSE(router_.group_exists("chat", "g"));
    EXPECT_TRUE(sink.closes.empty());
}

TEST_F(ClientSession, DuplicateIsCheckedBeforePermissionsAndOnlyForSuccesses) {
    recording_sink sink;
    auto session = open(sink, {"webpubsub.joinLeaveGroup.a"});
    send(*session, R"({"type":"joinGroup","group":"b","ackId":7})"); // Forbidden: not remembered
    send(*session, R"({"type":"joinGroup","group":"b","ackId":7})"); // Forbidden again
    send(*session, R"({"type":"joinGroup","group":"a","ackId":8})"); // success
    send(*session, R"({"type":"joinGroup","group":"b","ackId":8})"); // Duplicate, though forbidden
    ASSERT_EQ(sink.frames.size(), 4u);
    EXPECT_EQ(json_of(sink.frames[0]).at("error").at("name"), "Forbidden");
    EXPECT_EQ(json_of(sink.frames[1]).at("error").at("name"), "Forbidden");
    EXPECT_EQ(json_of(sink.frames[2]).at("success"), true);
    EXPECT_EQ(json_of(sink.frames[3]).at("error").at("name"), "Duplicate");
}

TEST_F(ClientSession, EventsWithoutAHandlerGetInternalServerErrorWhenAcked) {
    recording_sink sink;
    auto session = open(sink, {});
    send(*session, R"({"type":"event","event":"e","data":"x","dataType":"text"})");
    EXPECT_TRUE(sink.frames.empty());
    send(*session, R"({"type":"event","event":"e","ackId":3,"data":"x","dataType":"text"})");
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(json_of(sink.frames[0]).at("error").at("name"), "InternalServerError");
    EXPECT_EQ(metrics_.events_without_handler.load(), 2u);
}

TEST_F(ClientSession, PingIsAnsweredWithPongAndSequenceAckIgnored) {
    recording_sink sink;
    auto session = open(sink, {});
    send(*session, R"({"type":"sequenceAck","sequenceId":3})");
    send(*session, R"({"type":"PING"})");
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(json_of(sink.frames[0]), boost::json::parse(R"({"type":"pong"})"));
}

TEST_F(ClientSession, InvalidRequestSendsDisconnectedThenCloses1007) {
    recording_sink sink;
    auto session = open(sink, {});
    send(*session, R"({"type":"joinGroup"})");
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(json_of(sink.frames[0]).at("event"), "disconnected");
    ASSERT_EQ(sink.closes.size(), 1u);
    EXPECT_EQ(sink.closes[0].code, protocol::close_code::invalid_payload);
    EXPECT_EQ(sink.closes[0].frames_before, 1u);
    send(*session, R"({"type":"ping"})"); // ignored once closing
    EXPECT_EQ(sink.frames.size(), 1u);
}

TEST_F(ClientSession, JsonInABinaryFrameIsAccepted) {
    recording_sink sink;
    auto session = open(sink, {});
    session->on_message(protocol::ws_opcode::binary, R"({"type":"ping"})");
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(parse_frame(sink.frames[0]).opcode, protocol::ws_opcode::text);
}

TEST_F(ClientSession, SimpleClientFramesAreDroppedAndCounted) {
    recording_sink sink;
    auto session = open(sink, {}, protocol::subprotocol_kind::none);
    session->on_message(protocol::ws_opcode::text, "not json at all");
    session->on_message(protocol::ws_opcode::binary, std::string("\x00\x01", 2));
    EXPECT_TRUE(sink.frames.empty());
    EXPECT_TRUE(sink.closes.empty());
    EXPECT_EQ(metrics_.simple_client_messages_dropped.load(), 2u);
}

TEST_F(ClientSession, SlowConsumerAndIdleTimeoutCloseWith1008AndTheirReasons) {
    recording_sink slow_sink;
    recording_sink idle_sink;
    auto slow = open(slow_sink, {});
    auto idle = open(idle_sink, {});
    slow->on_slow_consumer();
    idle->on_idle_timeout();
    ASSERT_EQ(slow_sink.closes.size(), 1u);
    EXPECT_EQ(slow_sink.closes[0].code, protocol::close_code::policy_violation);
    EXPECT_EQ(slow_sink.closes[0].reason, "SlowClient");
    ASSERT_EQ(idle_sink.closes.size(), 1u);
    EXPECT_EQ(idle_sink.closes[0].reason, "PingTimeout");
}

TEST_F(ClientSession, ClosedSessionLeavesItsGroups) {
    recording_sink sink;
    auto session = open(sink, {"webpubsub.joinLeaveGroup"});
    send(*session, R"({"type":"joinGroup","group":"g"})");
    EXPECT_TRUE(router_.group_exists("chat", "g"));
    session->on_closed(1000, "");
    EXPECT_FALSE(router_.group_exists("chat", "g"));
    EXPECT_EQ(router_.index().connection_count(), 0u);
}

TEST_F(ClientSession, SequenceAcksReleaseAReliableSessionsMessages) {
    recording_sink sink;
    auto session = open(sink, {"webpubsub.joinLeaveGroup"}, protocol::subprotocol_kind::json_reliable);
    send(*session, R"({"type":"joinGroup","group":"g"})");
    for (int i = 0; i < 3; ++i) {
        router_.send_to_group("chat", "g", protocol::message_data{protocol::data_type::text, "m"});
    }
    const core::connection* connection = router_.shard_at(0).connections_of_hub("chat").front();
    EXPECT_EQ(connection->unacked().size(), 3u);
    send(*session, R"({"type":"sequenceAck","sequenceId":2})");
    EXPECT_EQ(connection->unacked().size(), 1u);
    send(*session, R"({"type":"sequenceAck","sequenceId":0})");
    send(*session, R"({"type":"sequenceAck","sequenceId":99})");
    EXPECT_EQ(connection->unacked().size(), 0u);
    EXPECT_TRUE(sink.closes.empty()) << "odd acks never close (spec 5.2)";
}

// Spec 5.7: a lost transport (1006), a close without status (1005, the JS SDK's stop()) or another
// client code keeps a reliable session; the client's 1000 and every close we start end it.
TEST_F(ClientSession, AReliableSessionOutlivesItsTransportUnlessItEndedForGood) {
    struct row {
        std::uint16_t code;
        bool we_closed;
        bool kept;
    };
    for (const row r : {row{1006, false, true}, row{1005, false, true}, row{1001, false, true},
                        row{1000, false, false}, row{1008, true, false}}) {
        recording_sink sink;
        auto session =
            open(sink, {"webpubsub.joinLeaveGroup"}, protocol::subprotocol_kind::json_reliable, "bob");
        send(*session, R"({"type":"joinGroup","group":"g"})");
        if (r.we_closed) {
            session->on_idle_timeout();
        }
        session->on_closed(r.code, "");
        EXPECT_EQ(router_.group_exists("chat", "g"), r.kept) << r.code;
        EXPECT_EQ(router_.user_exists("chat", "bob"), r.kept) << r.code;
        EXPECT_EQ(router_.shard_at(0).parked_count(), r.kept ? 1u : 0u) << r.code;
        router_.shard_at(0).expire_parked(std::chrono::steady_clock::now() + std::chrono::hours(1));
        EXPECT_FALSE(router_.user_exists("chat", "bob")) << r.code;
    }
}

TEST_F(ClientSession, PlainJsonSessionsEndWithTheirTransport) {
    recording_sink sink;
    auto session = open(sink, {"webpubsub.joinLeaveGroup"});
    send(*session, R"({"type":"joinGroup","group":"g"})");
    session->on_closed(1006, "");
    EXPECT_FALSE(router_.group_exists("chat", "g"));
    EXPECT_EQ(router_.shard_at(0).parked_count(), 0u);
}

// A recovery on another transport took the session over: the old handler must not end it.
TEST_F(ClientSession, ADisownedSessionNeverTouchesTheConnectionAgain) {
    recording_sink sink;
    auto session = open(sink, {"webpubsub.joinLeaveGroup"}, protocol::subprotocol_kind::json_reliable);
    send(*session, R"({"type":"joinGroup","group":"g"})");
    session->disown();
    session->on_closed(1000, "");
    session.reset();
    EXPECT_TRUE(router_.group_exists("chat", "g"));
    EXPECT_EQ(router_.index().connection_count(), 1u);
}

} // namespace
} // namespace hubcast::api

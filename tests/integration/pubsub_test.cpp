// Publishing through groups between real clients (spec 4.2-4.4): joins and leaves, every data
// type, noEcho, fromUserId, hubs as isolated namespaces, simple clients in groups.

#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "support/barrier.hpp"
#include "support/deadline.hpp"
#include "support/metrics.hpp"
#include "support/pubsub_client.hpp"
#include "support/server_test.hpp"
#include "support/tokens.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

class PubSub : public server_test {};

TEST_F(PubSub, TwoUsersExchangeThroughAGroup) {
    const std::string group = unique_group();
    pubsub_client alice = connect({.user = "alice", .roles = {"webpubsub.joinLeaveGroup"}});
    pubsub_client bob = connect({.user = "bob", .roles = {"webpubsub.sendToGroup"}});
    alice.join_acked(group, 1);

    bob.send_text(group, "hello alice", 1);
    bob.expect_ack(1);
    boost::json::object message = alice.expect_group_message(group);
    EXPECT_TRUE(has_string(message, "fromUserId", "bob")) << describe_json(message);
    EXPECT_TRUE(has_string(message, "dataType", "text")) << describe_json(message);
    EXPECT_TRUE(has_string(message, "data", "hello alice")) << describe_json(message);
    EXPECT_FALSE(message.contains("sequenceId")) << "sequenceId belongs to the reliable protocol only";
    expect_marker_next(server(), bob); // not a member: no copy of its own message
    expect_marker_next(server(), alice);
}

struct data_case {
    std::string name;
    std::string data_type;
    boost::json::value data;
};

void PrintTo(const data_case& value, std::ostream* out) {
    *out << value.name;
}

class DataType : public PubSub, public ::testing::WithParamInterface<data_case> {};

// What is published arrives with the same dataType (lowercase) and the same data (spec 4.3).
TEST_P(DataType, ArrivesAsSent) {
    const std::string group = unique_group();
    pubsub_client receiver = connect({.user = "receiver", .groups = {group}});
    pubsub_client sender = connect({.user = "sender", .roles = {"webpubsub.sendToGroup"}});
    sender.send(group, GetParam().data_type, GetParam().data, 7);
    sender.expect_ack(7);
    boost::json::object message = receiver.expect_group_message(group);
    std::string expected_type = GetParam().data_type;
    for (char& c : expected_type) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    EXPECT_TRUE(has_string(message, "dataType", expected_type)) << describe_json(message);
    ASSERT_TRUE(message.contains("data")) << describe_json(message);
    EXPECT_EQ(message.at("data"), GetParam().data) << describe_json(message);
}

INSTANTIATE_TEST_SUITE_P(
    Data, DataType,
    ::testing::Values(data_case{"Text", "text", "hello"}, data_case{"TextEmpty", "text", ""},
                      data_case{"TextUnicode", "text", "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9D\x84\x9E"},
                      data_case{"TextWithEscapes", "text", "quote \" backslash \\ newline \n tab \t"},
                      data_case{"JsonObject", "json",
                                boost::json::parse(R"({"a":1,"b":[true,null,"x"],"c":{}})")},
                      data_case{"JsonArray", "json", boost::json::parse("[1,2,3]")},
                      data_case{"JsonNumber", "json", 42}, data_case{"JsonString", "json", "hello"},
                      data_case{"JsonBool", "json", false}, data_case{"Binary", "binary", "AAEC/w=="},
                      data_case{"BinaryEmpty", "binary", ""},
                      data_case{"BinaryLonger", "binary", "SGVsbG8sIFdvcmxkIQ=="},
                      // .NET writes enum names: "Text", "Json", "Binary" (spec 4.1).
                      data_case{"TextCapitalised", "Text", "from .NET"},
                      data_case{"JsonCapitalised", "Json", boost::json::parse(R"({"n":1})")},
                      data_case{"BinaryCapitalised", "Binary", "AQID"}),
    [](const auto& info) { return info.param.name; });

TEST_F(PubSub, DataTypeDefaultsToJson) {
    const std::string group = unique_group();
    pubsub_client receiver = connect({.groups = {group}});
    pubsub_client sender = connect({.roles = {"webpubsub.sendToGroup"}});
    sender.ws().send_json(R"({"type":"sendToGroup","group":")" + group + R"(","data":{"k":"v"}})");
    boost::json::object message = receiver.expect_group_message(group);
    EXPECT_TRUE(has_string(message, "dataType", "json")) << describe_json(message);
    EXPECT_EQ(message.at("data"), boost::json::parse(R"({"k":"v"})")) << describe_json(message);
}

TEST_F(PubSub, NoEchoKeepsTheSendersOwnCopyAway) {
    const std::string group = unique_group();
    pubsub_client alice = connect({.user = "alice", .roles = {"webpubsub.sendToGroup"}, .groups = {group}});
    pubsub_client bob = connect({.user = "bob", .groups = {group}});

    alice.send_text(group, "echoed", std::nullopt, false);
    EXPECT_TRUE(has_string(alice.expect_group_message(group), "data", "echoed"));
    EXPECT_TRUE(has_string(bob.expect_group_message(group), "data", "echoed"));

    alice.send_text(group, "not echoed", std::nullopt, true);
    EXPECT_TRUE(has_string(bob.expect_group_message(group), "data", "not echoed"));
    expect_marker_next(server(), alice);

    alice.send_text(group, "default echoes");
    EXPECT_TRUE(has_string(alice.expect_group_message(group), "data", "default echoes"));
    EXPECT_TRUE(has_string(bob.expect_group_message(group), "data", "default echoes"));
}

// noEcho spares the sending connection only: the same user's other connections still get it.
TEST_F(PubSub, NoEchoSparesOnlyTheSendingConnection) {
    const std::string group = unique_group();
    pubsub_client phone = connect({.user = "alice", .roles = {"webpubsub.sendToGroup"}, .groups = {group}});
    pubsub_client laptop = connect({.user = "alice", .groups = {group}});
    phone.send_text(group, "from the phone", std::nullopt, true);
    boost::json::object message = laptop.expect_group_message(group);
    EXPECT_TRUE(has_string(message, "data", "from the phone")) << describe_json(message);
    EXPECT_TRUE(has_string(message, "fromUserId", "alice")) << describe_json(message);
    expect_marker_next(server(), phone);
}

TEST_F(PubSub, LeaveStopsDelivery) {
    const std::string group = unique_group();
    pubsub_client alice = connect({.user = "alice", .roles = {"webpubsub.joinLeaveGroup"}});
    pubsub_client bob = connect({.user = "bob", .roles = {"webpubsub.sendToGroup"}});
    alice.join_acked(group, 1);
    bob.send_text(group, "while in");
    EXPECT_TRUE(has_string(alice.expect_group_message(group), "data", "while in"));

    alice.leave(group, 2);
    alice.expect_ack(2);
    bob.send_text(group, "after leaving", 3);
    bob.expect_ack(3);
    expect_marker_next(server(), alice);

    // Leaving a group one is not in is not an error.
    alice.leave(group, 4);
    alice.expect_ack(4);
}

TEST_F(PubSub, JoiningTwiceDeliversOnce) {
    const std::string group = unique_group();
    pubsub_client alice =
        connect({.user = "alice", .roles = {"webpubsub.joinLeaveGroup"}, .groups = {group}});
    pubsub_client bob = connect({.user = "bob", .roles = {"webpubsub.sendToGroup"}});
    alice.join_acked(group, 1);
    alice.join_acked(group, 2);
    bob.send_text(group, "once");
    bob.send_text(group, "marker");
    EXPECT_TRUE(has_string(alice.expect_group_message(group), "data", "once"));
    EXPECT_TRUE(has_string(alice.expect_group_message(group), "data", "marker"));
}

TEST_F(PubSub, AnonymousSenderHasNullFromUserId) {
    const std::string group = unique_group();
    pubsub_client receiver = connect({.user = "receiver", .groups = {group}});
    pubsub_client anonymous = connect({.roles = {"webpubsub.sendToGroup"}});
    anonymous.send_text(group, "who am I");
    boost::json::object message = receiver.expect_group_message(group);
    ASSERT_TRUE(message.contains("fromUserId")) << describe_json(message);
    EXPECT_TRUE(message.at("fromUserId").is_null()) << describe_json(message);
}

// type and dataType are matched case-insensitively; what the server writes is lowercase (4.1, 4.4).
TEST_F(PubSub, TypeAndDataTypeMatchCaseInsensitively) {
    const std::string group = unique_group();
    pubsub_client alice =
        connect({.user = "alice", .roles = {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"}});
    alice.ws().send_json(R"({"type":"JoinGroup","group":")" + group + R"(","ackId":1})");
    alice.expect_ack(1);
    alice.ws().send_json(R"({"type":"SENDTOGROUP","group":")" + group +
                         R"(","dataType":"TEXT","data":"loud","ackId":2})");
    boost::json::object first = alice.ws().expect_json();
    boost::json::object second = alice.ws().expect_json();
    const boost::json::object& message = has_string(first, "type", "message") ? first : second;
    EXPECT_TRUE(has_string(message, "dataType", "text")) << describe_json(message);
    EXPECT_TRUE(has_string(message, "data", "loud")) << describe_json(message);
    const boost::json::object& ack = has_string(first, "type", "ack") ? first : second;
    EXPECT_TRUE(has_string(ack, "type", "ack")) << describe_json(first) << describe_json(second);
}

TEST_F(PubSub, UnknownPropertiesAreIgnored) {
    const std::string group = unique_group();
    pubsub_client alice = connect({.roles = {"webpubsub.joinLeaveGroup"}});
    alice.ws().send_json(R"({"extra":{"deep":[1,{"x":null}]},"type":"joinGroup","ackId":1,"group":")" +
                         group + R"(","more":"stuff"})");
    alice.expect_ack(1);
}

TEST_F(PubSub, PingIsAnsweredWithPong) {
    pubsub_client alice = connect({.user = "alice"});
    alice.ws().send_json(ping_message);
    boost::json::object pong = alice.ws().expect_json();
    EXPECT_TRUE(has_string(pong, "type", "pong")) << describe_json(pong);
    expect_marker_next(server(), alice);
}

TEST_F(PubSub, GroupClaimJoinsAtConnect) {
    const std::string first = unique_group();
    const std::string second = unique_group();
    pubsub_client alice = connect({.user = "alice", .groups = {first, second}});
    pubsub_client bob = connect({.user = "bob", .roles = {"webpubsub.sendToGroup"}});
    bob.send_text(first, "to first");
    bob.send_text(second, "to second");
    EXPECT_TRUE(has_string(alice.expect_group_message(first), "data", "to first"));
    EXPECT_TRUE(has_string(alice.expect_group_message(second), "data", "to second"));
}

TEST_F(PubSub, MessagesFromOneSenderArriveInOrder) {
    const std::string group = unique_group();
    pubsub_client receiver = connect({.groups = {group}});
    pubsub_client sender = connect({.roles = {"webpubsub.sendToGroup"}});
    constexpr int count = 200;
    for (int i = 0; i < count; ++i) {
        sender.send_text(group, std::to_string(i));
    }
    for (int i = 0; i < count; ++i) {
        ASSERT_TRUE(has_string(receiver.expect_group_message(group), "data", std::to_string(i)))
            << "message " << i;
    }
}

// Group names are 1-1024 characters of anything but only whitespace (spec 8).
class GroupName : public PubSub, public ::testing::WithParamInterface<std::string> {};

TEST_P(GroupName, WorksForJoinSendAndLeave) {
    const std::string& group = GetParam();
    pubsub_client member =
        connect({.user = "member", .roles = {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"}});
    member.join_acked(group, 1);
    member.send_text(group, "named");
    boost::json::object message = member.expect_group_message(group);
    EXPECT_TRUE(has_string(message, "data", "named")) << describe_json(message);
    member.leave(group, 2);
    member.expect_ack(2);
}

INSTANTIATE_TEST_SUITE_P(Names, GroupName,
                         ::testing::Values("g", "with space", "a.b.c",
                                           "\xC3\xBC"
                                           "n"
                                           "\xC3\xAF"
                                           "c"
                                           "\xC3\xB6"
                                           "d"
                                           "\xC3\xA9",
                                           "emoji \xF0\x9F\x98\x80", "quote\"and\\backslash", " padded ",
                                           std::string(1024, 'g')),
                         [](const auto& info) { return "Name" + std::to_string(info.index); });

// Members that leave by closing, cleanly or by dropping the TCP connection, are gone from the
// group; the others keep receiving.
TEST_F(PubSub, ClosedMembersDoNotDisturbTheRest) {
    const std::string group = unique_group();
    pubsub_client clean = connect({.user = "clean", .groups = {group}});
    pubsub_client abrupt = connect({.user = "abrupt", .groups = {group}});
    pubsub_client stays = connect({.user = "stays", .groups = {group}});
    pubsub_client sender = connect({.user = "sender", .roles = {"webpubsub.sendToGroup"}});

    clean.ws().send_close(1000);
    EXPECT_EQ(clean.ws().expect_close().code, 1000);
    abrupt.ws().connection().close();

    for (int i = 0; i < 20; ++i) {
        sender.send_text(group, "after " + std::to_string(i), i);
        sender.expect_ack(static_cast<std::uint64_t>(i));
        EXPECT_TRUE(has_string(stays.expect_group_message(group), "data", "after " + std::to_string(i)));
    }
}

// Hubs are separate namespaces: the same group name in two hubs is two groups.
TEST_F(PubSub, NothingCrossesHubs) {
    const std::string group = unique_group();
    pubsub_client in_chat = connect({.hub = "chat", .user = "a", .groups = {group}});
    pubsub_client in_other = connect({.hub = "other", .user = "c", .groups = {group}});
    pubsub_client chat_sender = connect({.hub = "chat", .user = "b", .roles = {"webpubsub.sendToGroup"}});
    pubsub_client other_sender = connect({.hub = "other", .user = "d", .roles = {"webpubsub.sendToGroup"}});

    chat_sender.send_text(group, "chat only", 1);
    chat_sender.expect_ack(1);
    EXPECT_TRUE(has_string(in_chat.expect_group_message(group), "data", "chat only"));
    other_sender.send_text(group, "other only", 1);
    other_sender.expect_ack(1);
    EXPECT_TRUE(has_string(in_other.expect_group_message(group), "data", "other only"));
    expect_marker_next(server(), in_chat, "chat");
    expect_marker_next(server(), in_other, "other");
}

// Hub names are case-insensitive (spec 1.2): `Chat` and `chat` are one hub.
TEST_F(PubSub, HubNamesAreCaseInsensitive) {
    const std::string group = unique_group();
    pubsub_client upper =
        connect({.hub = "Chat", .user = "upper", .roles = {"webpubsub.sendToGroup"}, .groups = {group}});
    pubsub_client lower =
        connect({.hub = "chat", .user = "lower", .roles = {"webpubsub.sendToGroup"}, .groups = {group}});
    upper.send_text(group, "from Chat", std::nullopt, true);
    EXPECT_TRUE(has_string(lower.expect_group_message(group), "data", "from Chat"));
    lower.send_text(group, "from chat", std::nullopt, true);
    EXPECT_TRUE(has_string(upper.expect_group_message(group), "data", "from chat"));
}

// A simple client (no subprotocol) in a group gets the data itself as a frame: text for text and
// json data, binary for binary (spec 4.3).
struct raw_case {
    std::string name;
    std::string data_type;
    boost::json::value data;
    std::uint8_t opcode;
    std::string payload; ///< exact bytes, or for json a JSON text compared by value
};

void PrintTo(const raw_case& value, std::ostream* out) {
    *out << value.name;
}

class SimpleClientDelivery : public PubSub, public ::testing::WithParamInterface<raw_case> {};

TEST_P(SimpleClientDelivery, GetsRawFrames) {
    const auto& param = GetParam();
    const std::string group = unique_group();
    ws_client simple = open_websocket(server(), {.user = "simple", .groups = {group}, .subprotocols = {}});
    pubsub_client sender = connect({.user = "sender", .roles = {"webpubsub.sendToGroup"}});
    sender.send(group, param.data_type, param.data, 1);
    sender.expect_ack(1);
    ws_frame frame = simple.expect_message();
    EXPECT_EQ(frame.opcode, param.opcode) << frame.describe();
    if (param.data_type == "json") {
        boost::system::error_code error;
        boost::json::value value = boost::json::parse(frame.payload, error);
        ASSERT_FALSE(error) << frame.describe();
        EXPECT_EQ(value, boost::json::parse(param.payload)) << frame.describe();
    } else {
        EXPECT_EQ(frame.payload, param.payload) << frame.describe();
    }
    // One publisher's messages keep their order: its next one is the next frame, nothing between.
    sender.send(group, "text", "last", 2);
    sender.expect_ack(2);
    const ws_frame last = simple.expect_message();
    EXPECT_EQ(last.opcode, ws_op::text) << last.describe();
    EXPECT_EQ(last.payload, "last") << last.describe();
}

INSTANTIATE_TEST_SUITE_P(
    Data, SimpleClientDelivery,
    ::testing::Values(
        raw_case{"Text", "text", "hello", ws_op::text, "hello"},
        raw_case{"TextUnicode", "text", "\xE2\x9C\x93", ws_op::text, "\xE2\x9C\x93"},
        raw_case{"JsonObject", "json", boost::json::parse(R"({"a":[1,2]})"), ws_op::text, R"({"a":[1,2]})"},
        // A JSON string arrives as JSON text, quotes included.
        raw_case{"JsonString", "json", "hello", ws_op::text, "\"hello\""},
        raw_case{"Binary", "binary", "AAEC/w==", ws_op::binary, std::string("\x00\x01\x02\xff", 4)}),
    [](const auto& info) { return info.param.name; });

// Without an upstream handler, what a simple client sends goes nowhere: each message is dropped
// and counted, and the connection stays open. On a server of its own, so the count is exact.
TEST(PubSubCounters, SimpleClientMessagesAreDroppedAndCounted) {
    constexpr std::string_view counter = "hubcast_simple_client_messages_dropped_total";
    hubcast_process own;
    ws_client simple = open_websocket(own, {.user = "simple", .subprotocols = {}});
    ASSERT_TRUE(simple.send_text("one"));
    ASSERT_TRUE(simple.send_binary(std::string("\x00\x01", 2)));
    ASSERT_TRUE(simple.send_fragmented(ws_op::text, {"thr", "ee"}));
    // A connection's frames are handled in order: once the pong is back, the three were counted.
    simple.send_ping("still here");
    ws_frame pong = simple.expect_message();
    EXPECT_EQ(pong.opcode, ws_op::pong) << pong.describe();
    EXPECT_EQ(pong.payload, "still here");
    EXPECT_EQ(read_metric(own.port(), counter), 3);
}

} // namespace
} // namespace hubcast::test

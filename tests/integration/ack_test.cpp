// ackId semantics (spec 4.5): one ack per request that carries an id, none without; the
// duplicate check runs before the permission check, and only successful ids are remembered.

#include <cstdint>
#include <string>

#include <boost/json/string.hpp>
#include <gtest/gtest.h>

#include "support/barrier.hpp"
#include "support/pubsub_client.hpp"
#include "support/server_test.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

class Ack : public server_test {};

TEST_F(Ack, ForbiddenIsNotRememberedSuccessIs) {
    const std::string allowed = unique_group("allowed");
    const std::string forbidden = unique_group("forbidden");
    pubsub_client alice = connect({.user = "alice", .roles = {"webpubsub.joinLeaveGroup." + allowed}});

    // Forbidden with id 5, and again: still Forbidden, not Duplicate.
    alice.join(forbidden, 5);
    alice.expect_ack_error(5, "Forbidden");
    alice.join(forbidden, 5);
    alice.expect_ack_error(5, "Forbidden");
    // The same id now used for an allowed request succeeds: nothing was remembered.
    alice.join(allowed, 5);
    alice.expect_ack(5);

    // Success with id 6, then the same id again: Duplicate.
    alice.leave(allowed, 6);
    alice.expect_ack(6);
    alice.leave(allowed, 6);
    boost::json::object duplicate = alice.expect_ack_error(6, "Duplicate");
    EXPECT_FALSE(duplicate.at("error").at("message").get_string().empty()) << describe_json(duplicate);
}

// The duplicate check comes before the permission check: a remembered id reused for a forbidden
// request is a Duplicate, not Forbidden.
TEST_F(Ack, DuplicateIsCheckedBeforePermissions) {
    const std::string allowed = unique_group("allowed");
    pubsub_client alice = connect({.user = "alice", .roles = {"webpubsub.joinLeaveGroup." + allowed}});
    alice.join_acked(allowed, 6);
    alice.send_text(allowed, "not allowed to send", 6);
    alice.expect_ack_error(6, "Duplicate");
    alice.join(unique_group("elsewhere"), 6);
    alice.expect_ack_error(6, "Duplicate");
}

// A duplicate is answered, not executed again.
TEST_F(Ack, DuplicateSendIsNotDeliveredAgain) {
    const std::string group = unique_group();
    pubsub_client receiver = connect({.user = "receiver", .groups = {group}});
    pubsub_client sender = connect({.user = "sender", .roles = {"webpubsub.sendToGroup"}});
    sender.send_text(group, "once", 10);
    sender.expect_ack(10);
    EXPECT_TRUE(has_string(receiver.expect_group_message(group), "data", "once"));
    sender.send_text(group, "twice?", 10);
    sender.expect_ack_error(10, "Duplicate");
    expect_marker_next(server(), receiver);
}

// Ids are per connection: another connection may use the same id.
TEST_F(Ack, IdsArePerConnection) {
    const std::string group = unique_group();
    pubsub_client first = connect({.roles = {"webpubsub.joinLeaveGroup"}});
    pubsub_client second = connect({.roles = {"webpubsub.joinLeaveGroup"}});
    first.join_acked(group, 1);
    second.join_acked(group, 1);
}

// Ids are shared by every request type of a connection.
TEST_F(Ack, IdsSpanRequestTypes) {
    const std::string group = unique_group();
    pubsub_client alice = connect({.roles = {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"}});
    alice.join_acked(group, 3);
    alice.leave(group, 3);
    alice.expect_ack_error(3, "Duplicate");
    alice.send_text(group, "x", 3);
    alice.expect_ack_error(3, "Duplicate");
}

// Without an ackId nothing comes back, whether the request succeeds or is forbidden (7.4).
TEST_F(Ack, NoAckIdMeansNoAck) {
    const std::string group = unique_group();
    pubsub_client alice = connect({.user = "alice", .roles = {"webpubsub.joinLeaveGroup"}});
    alice.join(group);
    alice.send_text(group, "forbidden, silently dropped");
    alice.leave(group);
    expect_pong_next(alice);
    // Still connected and in order: a request with an id is answered.
    alice.join_acked(group, 1);
}

// Forbidden leaves the connection open (7.4).
TEST_F(Ack, ForbiddenKeepsTheConnectionOpen) {
    const std::string group = unique_group();
    pubsub_client alice = connect({.user = "alice"});
    alice.join(group, 1);
    alice.expect_ack_error(1, "Forbidden");
    alice.send_text(group, "x", 2);
    alice.expect_ack_error(2, "Forbidden");
    alice.leave(group, 3);
    alice.expect_ack_error(3, "Forbidden");
    alice.ws().send_json(ping_message);
    EXPECT_TRUE(has_string(alice.ws().expect_json(), "type", "pong"));
}

// ackId is a uint64 and comes back as the same JSON number.
class AckIdRange : public Ack, public ::testing::WithParamInterface<std::uint64_t> {};

TEST_P(AckIdRange, IsEchoedExactly) {
    pubsub_client alice = connect({.roles = {"webpubsub.joinLeaveGroup"}});
    alice.join(unique_group(), GetParam());
    alice.expect_ack(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Ids, AckIdRange,
                         ::testing::Values(std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{4294967296},
                                           std::uint64_t{9007199254740991},
                                           std::uint64_t{18446744073709551615u}));

// With no upstream event handler configured, an event with an ackId gets InternalServerError
// (the emulator's answer when the handler fails), every time (it never succeeded, so it is not a
// Duplicate); without an ackId nothing comes back.
TEST_F(Ack, EventWithoutUpstreamIsInternalServerError) {
    pubsub_client alice = connect({.user = "alice"});
    alice.ws().send_json(event_message("ping-server", "text", boost::json::string("hi"), 42));
    alice.expect_ack_error(42, "InternalServerError");
    alice.ws().send_json(event_message("ping-server", "json", boost::json::object{{"a", 1}}, 42));
    alice.expect_ack_error(42, "InternalServerError");

    alice.ws().send_json(event_message("fire-and-forget", "text", boost::json::string("hi")));
    alice.ws().send_json(event_message("fire-and-forget", "binary", boost::json::string("AAEC")));
    expect_pong_next(alice);
}

// Event names follow ^[a-z][a-z0-9_.-]{0,127}$ case-insensitively: these are valid, so they get the
// InternalServerError of the missing upstream, not a close.
class EventName : public Ack, public ::testing::WithParamInterface<std::string> {};

TEST_P(EventName, IsValid) {
    pubsub_client alice = connect({.user = "alice"});
    alice.ws().send_json(event_message(GetParam(), "text", boost::json::string("x"), 1));
    alice.expect_ack_error(1, "InternalServerError");
}

INSTANTIATE_TEST_SUITE_P(Names, EventName,
                         ::testing::Values("a", "Z", "message", "a.b-c_d9", "UPPER.Case",
                                           "e" + std::string(127, 'x')),
                         [](const auto& info) { return "Name" + std::to_string(info.index); });

} // namespace
} // namespace hubcast::test

// Reliable subprotocols against the real binary (spec 5): sequence ids, acknowledgements, the
// unacked bound, and recovery after a lost connection, on a server with two workers so that a
// recovery also lands on a worker other than the session's.
//
// One test body per scenario, run over every reliable subprotocol (style rule 14) through a
// `reliable_codec`: what differs between the JSON and protobuf families is only how requests are
// written and how server frames are read.

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "proto/webpubsub.pb.h"
#include "support/deadline.hpp"
#include "support/encoding.hpp"
#include "support/hubcast_process.hpp"
#include "support/metrics.hpp"
#include "support/pubsub_client.hpp"
#include "support/rest_client.hpp"
#include "support/test_failure.hpp"
#include "support/tokens.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

constexpr int recovery_seconds = 2;
constexpr int max_unacked = 20;

/// What a reliable client receives, whatever its family.
struct downstream {
    enum class kind { connected, disconnected, message, ack, pong, other };
    kind type = kind::other;
    std::uint64_t sequence_id = 0; ///< messages; 0 when absent
    std::string data;              ///< messages: the text data
    std::string connection_id;     ///< connected
    std::string reconnection_token;
    std::uint64_t ack_id = 0; ///< acks
    bool success = false;
    std::string error_name;
    std::string text; ///< the frame, for failure messages
};

/// How one reliable subprotocol writes requests and reads server frames.
class reliable_codec {
public:
    virtual ~reliable_codec() = default;
    virtual std::string subprotocol() const = 0;
    virtual bool send_join(ws_client& ws, std::string_view group, std::uint64_t ack_id) const = 0;
    virtual bool send_text(ws_client& ws, std::string_view group, std::string_view text,
                           std::uint64_t ack_id) const = 0;
    virtual bool send_sequence_ack(ws_client& ws, std::uint64_t sequence_id) const = 0;
    /// A sequenceAck whose sequence id cannot be read.
    virtual bool send_malformed_sequence_ack(ws_client& ws) const = 0;
    virtual bool send_ping(ws_client& ws) const = 0;
    virtual downstream decode(const ws_frame& frame) const = 0;
};

class json_codec final : public reliable_codec {
public:
    std::string subprotocol() const override { return std::string(json_reliable_subprotocol); }
    bool send_join(ws_client& ws, std::string_view group, std::uint64_t ack_id) const override {
        return ws.send_json(join_group_message(group, ack_id));
    }
    bool send_text(ws_client& ws, std::string_view group, std::string_view text,
                   std::uint64_t ack_id) const override {
        return ws.send_json(send_to_group_message(group, "text", boost::json::string(text), ack_id));
    }
    bool send_sequence_ack(ws_client& ws, std::uint64_t sequence_id) const override {
        return ws.send_json(boost::json::serialize(
            boost::json::object{{"type", "sequenceAck"}, {"sequenceId", sequence_id}}));
    }
    bool send_malformed_sequence_ack(ws_client& ws) const override {
        return ws.send_json(R"({"type":"sequenceAck","sequenceId":"1"})");
    }
    bool send_ping(ws_client& ws) const override { return ws.send_json(ping_message); }
    downstream decode(const ws_frame& frame) const override {
        downstream out;
        out.text = frame.describe();
        if (frame.opcode != ws_op::text) {
            return out;
        }
        boost::system::error_code error;
        const auto value = boost::json::parse(frame.payload, error);
        if (error || !value.is_object()) {
            return out;
        }
        const auto& object = value.get_object();
        const auto* sequence = object.if_contains("sequenceId");
        if (sequence != nullptr) {
            out.sequence_id = boost::json::value_to<std::uint64_t>(*sequence);
        }
        if (has_string(object, "type", "message")) {
            out.type = downstream::kind::message;
            if (const auto* data = object.if_contains("data"); data != nullptr && data->is_string()) {
                out.data = std::string(data->get_string());
            }
        } else if (has_string(object, "type", "ack")) {
            out.type = downstream::kind::ack;
            out.ack_id = boost::json::value_to<std::uint64_t>(object.at("ackId"));
            out.success = object.at("success").as_bool();
            if (const auto* error_object = object.if_contains("error")) {
                out.error_name = string_at(error_object->as_object(), "name");
            }
        } else if (has_string(object, "event", "connected")) {
            out.type = downstream::kind::connected;
            out.connection_id = string_at(object, "connectionId");
            if (object.contains("reconnectionToken")) {
                out.reconnection_token = string_at(object, "reconnectionToken");
            }
        } else if (has_string(object, "event", "disconnected")) {
            out.type = downstream::kind::disconnected;
        } else if (has_string(object, "type", "pong")) {
            out.type = downstream::kind::pong;
        }
        return out;
    }
};

/// Messages are built and read with the classes protoc generates from proto/webpubsub.proto, the
/// schema itself rather than the server's codec (src/protocol/protobuf_protocol.cpp); the SDK tests
/// check the same bytes against an independent protobufjs reading of the schema.
class protobuf_codec final : public reliable_codec {
public:
    using upstream = azure::webpubsub::UpstreamMessage;
    using downstream_message = azure::webpubsub::DownstreamMessage;

    std::string subprotocol() const override { return std::string(protobuf_reliable_subprotocol); }
    bool send_join(ws_client& ws, std::string_view group, std::uint64_t ack_id) const override {
        upstream message;
        auto* join = message.mutable_join_group_message();
        join->set_group(std::string(group));
        join->set_ack_id(ack_id);
        return ws.send_binary(message.SerializeAsString());
    }
    bool send_text(ws_client& ws, std::string_view group, std::string_view text,
                   std::uint64_t ack_id) const override {
        upstream message;
        auto* send = message.mutable_send_to_group_message();
        send->set_group(std::string(group));
        send->set_ack_id(ack_id);
        send->mutable_data()->set_text_data(std::string(text));
        return ws.send_binary(message.SerializeAsString());
    }
    bool send_sequence_ack(ws_client& ws, std::uint64_t sequence_id) const override {
        upstream message;
        message.mutable_sequence_ack_message()->set_sequence_id(sequence_id);
        return ws.send_binary(message.SerializeAsString());
    }
    bool send_malformed_sequence_ack(ws_client& ws) const override {
        // Field 8 (sequence_ack_message, length-delimited, 2 bytes) holding field 1 as a varint
        // cut short: proto3's one way for this message to be malformed.
        return ws.send_binary(std::string("\x42\x02\x08\xff", 4));
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
        switch (message.message_case()) {
        case downstream_message::kAckMessage: {
            const auto& ack = message.ack_message();
            out.type = downstream::kind::ack;
            out.ack_id = ack.ack_id();
            out.success = ack.success();
            if (ack.has_error()) {
                out.error_name = ack.error().name();
            }
            break;
        }
        case downstream_message::kDataMessage: {
            const auto& data = message.data_message();
            out.type = downstream::kind::message;
            out.sequence_id = data.has_sequence_id() ? data.sequence_id() : 0;
            if (data.data().has_text_data()) {
                out.data = data.data().text_data();
            }
            break;
        }
        case downstream_message::kSystemMessage: {
            const auto& system = message.system_message();
            if (system.has_connected_message()) {
                out.type = downstream::kind::connected;
                out.connection_id = system.connected_message().connection_id();
                out.reconnection_token = system.connected_message().reconnection_token();
            } else if (system.has_disconnected_message()) {
                out.type = downstream::kind::disconnected;
            }
            break;
        }
        case downstream_message::kPongMessage:
            out.type = downstream::kind::pong;
            break;
        default:
            break;
        }
        return out;
    }
};

const reliable_codec& codec_named(const std::string& name) {
    static const json_codec json;
    static const protobuf_codec protobuf;
    if (name == "json") {
        return json;
    }
    if (name == "protobuf") {
        return protobuf;
    }
    throw test_failure("no reliable codec named " + name);
}

/// A reliable client: its transport, its session's id and token, and what it saw.
struct reliable_client {
    ws_client ws;
    std::string connection_id;
    std::string reconnection_token;
    const reliable_codec* codec = nullptr;

    downstream next(deadline limit = default_wait) {
        const ws_frame frame = ws.expect_message(limit);
        return codec->decode(frame);
    }
    /// The next frame must be the data message `text` numbered `sequence_id`.
    void expect_message(std::uint64_t sequence_id, std::string_view text, deadline limit = default_wait) {
        const downstream got = next(limit);
        if (got.type != downstream::kind::message || got.sequence_id != sequence_id || got.data != text) {
            throw test_failure("expected message '" + std::string(text) + "' with sequenceId " +
                               std::to_string(sequence_id) + ", got " + got.text);
        }
    }
    void expect_ack(std::uint64_t ack_id, std::string_view error_name = {}) {
        const downstream got = next();
        if (got.type != downstream::kind::ack || got.ack_id != ack_id || got.sequence_id != 0 ||
            got.success != error_name.empty() || got.error_name != error_name) {
            throw test_failure(
                fmt::format("expected ack {} {} without a sequenceId, got {}", ack_id, error_name, got.text));
        }
    }
    /// Sends a ping and waits for its pong. A connection's messages are handled in the order they
    /// arrive, so after the pong the server has handled everything sent before the ping.
    void round_trip() {
        codec->send_ping(ws);
        const downstream got = next();
        if (got.type != downstream::kind::pong) {
            throw test_failure("expected the pong, got " + got.text);
        }
    }
    /// `disconnected`, then the close with `code`, then the end of the TCP connection.
    void expect_refused(std::uint16_t code = 1008) {
        const downstream got = next();
        if (got.type != downstream::kind::disconnected) {
            throw test_failure("expected disconnected before the close, got " + got.text);
        }
        const close_info closed = ws.expect_close();
        if (closed.code != code) {
            throw test_failure(fmt::format("expected close {}, got {} {}", code,
                                           closed.code ? std::to_string(*closed.code) : "none",
                                           closed.reason));
        }
    }
};

class Reliable : public ::testing::TestWithParam<std::string> {
protected:
    static process_options options() {
        return {.args = {"--workers", "2", "--reliable-recovery-seconds", std::to_string(recovery_seconds),
                         "--reliable-max-unacked-messages", std::to_string(max_unacked)}};
    }
    /// The suite's shared server, or this test's own once use_own_server() was called.
    hubcast_process& server() {
        if (own_) {
            return *own_;
        }
        if (!server_) {
            server_ = std::make_unique<hubcast_process>(options());
        }
        return *server_;
    }
    /// For tests that read the process-wide counters: on a server nobody else uses, every count is
    /// this test's, so it is compared exactly (another test's session expiring late cannot move it).
    void use_own_server() { own_ = std::make_unique<hubcast_process>(options()); }
    static void TearDownTestSuite() { server_.reset(); }
    void TearDown() override {
        if (own_ && !own_->running()) {
            ADD_FAILURE() << "hubcast is no longer running after this test. Output:\n" << own_->output();
        }
        if (server_ && !server_->running()) {
            ADD_FAILURE() << "hubcast is no longer running after this test. Output:\n" << server_->output();
            server_.reset();
        }
    }

    const reliable_codec& codec() const { return codec_named(GetParam()); }

    static std::string unique(std::string_view stem) {
        static int counter = 0;
        return fmt::format("{}-{}", stem, ++counter);
    }

    reliable_client connect(std::string user, std::vector<std::string> roles = {"webpubsub.joinLeaveGroup"}) {
        client_options options{
            .user = std::move(user), .roles = std::move(roles), .subprotocols = {codec().subprotocol()}};
        reliable_client client{open_websocket(server(), options), {}, {}, &codec()};
        EXPECT_EQ(client.ws.subprotocol(), codec().subprotocol());
        const downstream connected = client.next();
        if (connected.type != downstream::kind::connected || connected.reconnection_token.empty()) {
            throw test_failure("expected connected with a reconnectionToken first, got " + connected.text);
        }
        client.connection_id = connected.connection_id;
        client.reconnection_token = connected.reconnection_token;
        return client;
    }

    /// Opens the recovery WebSocket for `session` as the JS SDK does: the original URL (here with
    /// an access token that has long expired) plus the two awps_* parameters. Always a 101.
    reliable_client recover(const reliable_client& session, std::string_view token_override = {}) {
        token_request expired{.user = "whoever", .lifetime = std::chrono::minutes(-30)};
        const std::string path =
            client_path("chat", mint_token(server().port(), server().access_key(), expired)) +
            "&awps_connection_id=" + url_encode(session.connection_id) + "&awps_reconnection_token=" +
            url_encode(token_override.empty() ? session.reconnection_token : token_override);
        reliable_client client{ws_client{}, session.connection_id, session.reconnection_token, &codec()};
        const http_response response = client.ws.connect(server().port(), path, {}, {codec().subprotocol()});
        if (response.status != 101) {
            throw test_failure("a recovery must be upgraded, got:\n" + response.describe());
        }
        EXPECT_EQ(client.ws.subprotocol(), codec().subprotocol());
        return client;
    }

    pubsub_client publisher() {
        return pubsub_client::connect(server(), {.user = "publisher", .roles = {"webpubsub.sendToGroup"}});
    }
    static void publish(pubsub_client& from, std::string_view group, std::string_view text) {
        static std::uint64_t ack = 0;
        from.send_text(group, text, ++ack);
        from.expect_ack(ack);
    }

    void join(reliable_client& client, std::string_view group, std::uint64_t ack_id) {
        codec().send_join(client.ws, group, ack_id);
        client.expect_ack(ack_id);
    }

    double metric(std::string_view name) { return read_metric(server().port(), name); }

private:
    inline static std::unique_ptr<hubcast_process> server_;
    std::unique_ptr<hubcast_process> own_;
};

// Spec 5.1: data messages only, numbered per session from 1; acks carry no sequenceId.
TEST_P(Reliable, NumbersDataMessagesFromOneAndNothingElse) {
    const std::string group = unique("numbers");
    reliable_client alice = connect("alice");
    reliable_client bob = connect("bob");
    pubsub_client from = publisher();
    join(alice, group, 1);
    publish(from, group, "first");
    join(bob, group, 1);
    publish(from, group, "second");
    alice.expect_message(1, "first");
    alice.expect_message(2, "second");
    bob.expect_message(1, "second");
    EXPECT_NE(alice.reconnection_token, bob.reconnection_token);
}

// docs/protocol.md: no well-formed ack closes the connection, whatever its value; a malformed one is
// a message that is not a valid request, closed with 1007 like any other, and the session ends.
TEST_P(Reliable, AMalformedSequenceAckClosesWith1007AndEndsTheSession) {
    const std::string group = unique("malformed-ack");
    pubsub_client from = publisher();
    reliable_client session = connect("alice");
    join(session, group, 1);
    publish(from, group, "m1");
    session.expect_message(1, "m1");
    for (const std::uint64_t id : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1}, ~std::uint64_t{0}}) {
        codec().send_sequence_ack(session.ws, id);
    }
    session.round_trip(); // still open after the odd but well-formed acks
    codec().send_malformed_sequence_ack(session.ws);
    session.expect_refused(1007);
    reliable_client again = recover(session);
    again.expect_refused(1008); // a protocol error ends the session at once: nothing to recover
}

// Spec 5.5, and the worker crossing of docs/architecture.md: each round is a new TCP connection
// that the kernel may hand to either worker, so both "same worker" and "other worker" recoveries
// happen (all eight on one side has probability 1/128).
TEST_P(Reliable, RecoversOnWhicheverWorkerTheNewConnectionLands) {
    use_own_server();
    const std::string group = unique("workers");
    pubsub_client from = publisher();
    reliable_client session = connect("alice");
    join(session, group, 1);
    std::uint64_t next = 1;
    for (int round = 0; round < 8; ++round) {
        const std::string acked = fmt::format("acked-{}", round);
        const std::string unacked = fmt::format("unacked-{}", round);
        const std::string away = fmt::format("away-{}", round);
        publish(from, group, acked);
        publish(from, group, unacked);
        session.expect_message(next, acked);
        session.expect_message(next + 1, unacked);
        codec().send_sequence_ack(session.ws, next);
        // The ack must be handled before a recovery can abandon this transport with it unread.
        session.round_trip();
        session.ws.connection().close(); // TCP gone: no close frame (1006)
        publish(from, group, away);

        reliable_client resumed = recover(session);
        resumed.expect_message(next + 1, unacked); // replayed with its original id
        resumed.expect_message(next + 2, away);
        publish(from, group, fmt::format("after-{}", round));
        resumed.expect_message(next + 3, fmt::format("after-{}", round));
        next += 4;
        session = std::move(resumed);
    }
    EXPECT_EQ(metric("hubcast_reliable_sessions_recovered_total"), 8);
    EXPECT_EQ(metric("hubcast_reliable_sessions_expired_total"), 0);
    EXPECT_EQ(metric("hubcast_reliable_recoveries_refused_total"), 0);
}

// Spec 5.5 step 2: the old transport, still open from the server's view, is aborted (no close
// handshake) and the new one gets everything unacknowledged.
TEST_P(Reliable, AHalfOpenTransportIsAbortedByTheRecovery) {
    const std::string group = unique("half-open");
    pubsub_client from = publisher();
    reliable_client old = connect("alice");
    join(old, group, 1);
    publish(from, group, "m1");
    old.expect_message(1, "m1");
    reliable_client fresh = recover(old);
    fresh.expect_message(1, "m1");
    EXPECT_TRUE(old.ws.wait_tcp_closed()) << "the old transport must be dropped";
    publish(from, group, "m2");
    fresh.expect_message(2, "m2");
}

// Spec 5.3: groups, permissions and the ackId history belong to the session.
TEST_P(Reliable, GroupsPermissionsAndAckIdsSurviveARecovery) {
    const std::string group = unique("state");
    reliable_client session =
        connect("alice", {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup." + group});
    join(session, group, 7);
    codec().send_text(session.ws, group, "mine", 8);
    session.expect_message(1, "mine"); // its own echo, delivered before the ack
    session.expect_ack(8);
    codec().send_sequence_ack(session.ws, 1);
    // Regression (seen once under load): a recovery that reached the session's worker before it had
    // read this sequenceAck abandoned the old transport with the ack unread, so "mine" was replayed
    // ahead of the Duplicate ack. The pong proves the ack was handled.
    session.round_trip();
    session.ws.connection().close();

    // The recovery URL's access token has no roles and has expired: the token's roles still hold.
    reliable_client resumed = recover(session);
    codec().send_text(resumed.ws, group, "again", 8);
    resumed.expect_ack(8, "Duplicate");
    codec().send_text(resumed.ws, group, "still allowed", 9);
    resumed.expect_message(2, "still allowed");
    resumed.expect_ack(9);
    codec().send_text(resumed.ws, unique("elsewhere"), "not allowed", 10);
    resumed.expect_ack(10, "Forbidden");
}

// Spec 5.6 / 5.5 step 5: after the window the session is gone; a late recovery is upgraded, then
// told so with 1008, and the session's group membership has ended.
TEST_P(Reliable, ALateRecoveryIsAcceptedThenClosedWith1008) {
    use_own_server();
    const std::string group = unique("late");
    reliable_client session = connect("alice");
    join(session, group, 1);
    session.ws.connection().close();
    // The session ends when the window has passed, which only time can show: REST finds its
    // connection until then.
    const std::string exists = api("/api/hubs/chat/connections/" + session.connection_id);
    EXPECT_EQ(rest(server(), "HEAD", exists).status, 200) << "parked, it still exists";
    ASSERT_TRUE(wait_until([&] { return rest(server(), "HEAD", exists).status == 404; },
                           std::chrono::seconds(recovery_seconds + 5)))
        << "the session never expired";
    EXPECT_EQ(metric("hubcast_reliable_sessions_expired_total"), 1);
    reliable_client late = recover(session);
    late.expect_refused(1008);
    EXPECT_EQ(metric("hubcast_reliable_recoveries_refused_total"), 1);
    EXPECT_EQ(metric("hubcast_reliable_sessions_recovered_total"), 0);
    pubsub_client from = publisher();
    publish(from, group, "nobody listens");
    EXPECT_EQ(rest(server(), "HEAD", api("/api/hubs/chat/groups/" + group)).status, 404)
        << "the expired session's group membership has ended";
}

// Spec 5.7: a client's 1000 ends the session at once; a close without status (the JS SDK's
// stop()) keeps it for the window.
TEST_P(Reliable, AClientsNormalCloseEndsTheSessionButNoStatusKeepsIt) {
    reliable_client normal = connect("alice");
    normal.ws.send_close(1000);
    normal.ws.expect_close();
    recover(normal).expect_refused(1008);

    const std::string group = unique("no-status");
    pubsub_client from = publisher();
    reliable_client quiet = connect("bob");
    join(quiet, group, 1);
    quiet.ws.send_close(std::nullopt);
    quiet.ws.expect_close();
    publish(from, group, "while closed");
    reliable_client resumed = recover(quiet);
    resumed.expect_message(1, "while closed");
}

TEST_P(Reliable, AWrongTokenIsRefusedWith1008AndLeavesTheSessionAlone) {
    const std::string group = unique("wrong-token");
    pubsub_client from = publisher();
    reliable_client session = connect("alice");
    reliable_client other = connect("bob");
    join(session, group, 1);
    recover(session, other.reconnection_token).expect_refused(1008);
    recover(session, "not-a-token").expect_refused(1008);
    publish(from, group, "still here");
    session.expect_message(1, "still here");
}

// Spec 5.2: past the unacked bound the session ends for good, with 1008 so that no recovery is
// tried, and a recovery attempt anyway is refused.
TEST_P(Reliable, OverflowEndsTheSessionForGood) {
    use_own_server();
    const std::string group = unique("overflow");
    pubsub_client from = publisher();
    reliable_client session = connect("alice");
    join(session, group, 1);
    for (int i = 1; i <= max_unacked + 1; ++i) {
        publish(from, group, fmt::format("m{}", i));
    }
    for (int i = 1; i <= max_unacked; ++i) {
        session.expect_message(static_cast<std::uint64_t>(i), fmt::format("m{}", i));
    }
    session.expect_refused(1008);
    EXPECT_EQ(metric("hubcast_reliable_buffer_overflows_total"), 1);
    recover(session).expect_refused(1008);
    EXPECT_EQ(metric("hubcast_reliable_recoveries_refused_total"), 1);
}

TEST_P(Reliable, AcknowledgedMessagesMakeRoom) {
    use_own_server();
    const std::string group = unique("room");
    pubsub_client from = publisher();
    reliable_client session = connect("alice");
    join(session, group, 1);
    for (int i = 1; i <= 3 * max_unacked; ++i) {
        publish(from, group, fmt::format("m{}", i));
        session.expect_message(static_cast<std::uint64_t>(i), fmt::format("m{}", i));
        codec().send_sequence_ack(session.ws, static_cast<std::uint64_t>(i));
    }
    session.round_trip(); // the pong next: no overflow close
    EXPECT_EQ(metric("hubcast_reliable_buffer_overflows_total"), 0);
}

INSTANTIATE_TEST_SUITE_P(Subprotocols, Reliable,
                         ::testing::Values(std::string("json"), std::string("protobuf")),
                         [](const auto& info) { return info.param; });

} // namespace
} // namespace hubcast::test

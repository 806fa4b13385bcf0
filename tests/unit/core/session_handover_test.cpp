// A reliable session leaving one node (shard::hand_over) and taken over by another (shard::adopt):
// what crosses, what the old node forgets, and what the new node refuses. Two routers stand for
// the two nodes, driven from one thread (each shard bound while it is used).
#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/router.hpp"
#include "core/session_snapshot.hpp"
#include "core/shard.hpp"
#include "recording_sink.hpp"

namespace hubcast::core {
namespace {

using protocol::data_type;
using protocol::message_data;
using protocol::subprotocol_kind;
using testing::json_of;
using testing::recording_sink;
using clock_type = std::chrono::steady_clock;

class SessionHandover : public ::testing::Test {
protected:
    ~SessionHandover() override { shard::unbind_current_thread(); }

    /// Makes `node`'s shard the calling thread's, as its worker would be.
    static shard& on(router& node) {
        shard& s = node.shard_at(0);
        s.bind_to_current_thread();
        return s;
    }
    connection& add_reliable(router& node, subprotocol_kind kind = subprotocol_kind::json_reliable) {
        return on(node).attach(connection_info{node.new_connection_id(0), "chat", "alice", kind},
                               auth::permission_set::from_roles({"webpubsub.sendToGroup.g1"}),
                               sinks_.emplace_back());
    }
    static void publish(router& node, std::string_view group, std::string text) {
        on(node);
        node.send_to_group("chat", group, message_data{data_type::text, std::move(text)});
    }
    /// The sequence ids and texts of the data messages `s` got, in order.
    static std::vector<std::pair<std::int64_t, std::string>> received(const recording_sink& s) {
        std::vector<std::pair<std::int64_t, std::string>> out;
        for (const auto& frame : s.frames) {
            const auto json = json_of(frame);
            if (json.is_object() && json.at("type") == "message") {
                out.emplace_back(json.at("sequenceId").as_int64(), std::string(json.at("data").as_string()));
            }
        }
        return out;
    }
    /// A session of `node` with three messages sent to it, the first acknowledged, two ackIds
    /// remembered, in groups g1 and g2, handed over.
    session_snapshot moved_from(router& node) {
        connection& c = add_reliable(node);
        on(node).join(c, "g1");
        on(node).join(c, "g2");
        for (int i = 1; i <= 3; ++i) {
            publish(node, "g1", fmt::format("m{}", i));
        }
        c.acknowledge(1);
        c.acks().remember(5);
        c.acks().remember(7);
        return on(node).hand_over(c);
    }

    /// Both steps of a takeover on `node`, with `moved` announced and then settled: the session,
    /// or null when either step refused it.
    static connection* take_over(router& node, const session_snapshot& moved, recording_sink& sink) {
        connection* c = on(node).arrive(announced(moved), clock_type::now());
        if (c == nullptr || !on(node).settle_arrival(*c, moved)) {
            return nullptr;
        }
        on(node).resume(*c, sink);
        return c;
    }
    /// What the holding node says first: who the session is, without its messages.
    static session_snapshot announced(const session_snapshot& moved) {
        session_snapshot first = moved;
        first.unacked.clear();
        first.processed.clear();
        return first;
    }
    /// A message to group g1, to hand to a session with the origin a test chooses.
    static prepared_message_ptr group_message(std::string text) {
        return prepared_message::for_group("g1", std::nullopt,
                                           message_data{data_type::text, std::move(text)});
    }

    router a_{1};
    router b_{1};
    std::deque<recording_sink> sinks_;
};

using Numbered = std::vector<std::pair<std::int64_t, std::string>>;

TEST_F(SessionHandover, TheSnapshotCarriesEverythingButTheTransport) {
    const session_snapshot moved = moved_from(a_);
    EXPECT_EQ(moved.info.hub, "chat");
    EXPECT_EQ(moved.info.user_id, "alice");
    EXPECT_EQ(moved.info.kind, subprotocol_kind::json_reliable);
    EXPECT_EQ(moved.groups, (std::vector<std::string>{"g1", "g2"}));
    EXPECT_EQ(moved.remembered_ack_ids, (std::vector<std::uint64_t>{5, 7}));
    EXPECT_EQ(moved.next_sequence_id, 4u);
    ASSERT_EQ(moved.unacked.size(), 2u);
    EXPECT_EQ(moved.unacked[0].sequence_id, 2u);
    EXPECT_EQ(moved.unacked[1].sequence_id, 3u);
    EXPECT_EQ(moved.permissions.send.literals, (std::vector<std::string>{"g1"}));
}

TEST_F(SessionHandover, TheOldNodeForgetsTheSessionWithoutAWord) {
    const session_snapshot moved = moved_from(a_);
    shard& old = on(a_);
    EXPECT_EQ(old.find(moved.info.id), nullptr);
    EXPECT_FALSE(a_.connection_exists("chat", moved.info.id));
    EXPECT_FALSE(a_.group_exists("chat", "g1"));
    EXPECT_FALSE(a_.user_exists("chat", "alice"));
    EXPECT_EQ(sinks_[0].abandons, 1) << "the half-open transport is dropped";
    EXPECT_TRUE(sinks_[0].closes.empty()) << "no close, no disconnected: the session lives on";
    EXPECT_EQ(received(sinks_[0]).size(), 3u) << "nothing after the three messages";
}

TEST_F(SessionHandover, AParkedSessionHasNoTransportToAbandon) {
    connection& c = add_reliable(a_);
    on(a_).park(c, std::chrono::steady_clock::now());
    const session_snapshot moved = on(a_).hand_over(c);
    EXPECT_EQ(sinks_[0].abandons, 0);
    EXPECT_EQ(on(a_).parked_count(), 0u);
    EXPECT_EQ(moved.next_sequence_id, 1u);
}

TEST_F(SessionHandover, TheNewNodeReplaysTheUnacknowledgedAndGoesOnNumbering) {
    const session_snapshot moved = moved_from(a_);
    recording_sink& fresh = sinks_.emplace_back();
    connection* adopted = take_over(b_, moved, fresh);
    ASSERT_NE(adopted, nullptr);
    EXPECT_EQ(adopted->id(), moved.info.id) << "the id still names the node that made it";
    EXPECT_EQ(received(fresh), (Numbered{{2, "m2"}, {3, "m3"}}));
    publish(b_, "g1", "m4");
    publish(b_, "g2", "m5");
    EXPECT_EQ(received(fresh), (Numbered{{2, "m2"}, {3, "m3"}, {4, "m4"}, {5, "m5"}}));
    EXPECT_EQ(adopted->unacked().size(), 4u);
}

TEST_F(SessionHandover, TheNewNodeFindsTheSessionByItsForeignId) {
    const session_snapshot moved = moved_from(a_);
    recording_sink& fresh = sinks_.emplace_back();
    ASSERT_NE(take_over(b_, moved, fresh), nullptr);
    EXPECT_EQ(b_.shard_of(moved.info.id), 0u);
    EXPECT_TRUE(b_.connection_exists("chat", moved.info.id));
    EXPECT_TRUE(b_.user_exists("chat", "alice"));
    EXPECT_TRUE(b_.group_exists("chat", "g2"));
    on(b_).detach(moved.info.id);
    EXPECT_EQ(b_.shard_of(moved.info.id), std::nullopt) << "forgotten with the session";
}

TEST_F(SessionHandover, PermissionsAndRememberedAckIdsCrossWithTheSession) {
    const session_snapshot moved = moved_from(a_);
    recording_sink& fresh = sinks_.emplace_back();
    connection* adopted = take_over(b_, moved, fresh);
    ASSERT_NE(adopted, nullptr);
    EXPECT_TRUE(adopted->permissions().allows(auth::permission_kind::send_to_group, "g1"));
    EXPECT_FALSE(adopted->permissions().allows(auth::permission_kind::send_to_group, "g3"));
    EXPECT_TRUE(adopted->acks().contains(5));
    EXPECT_TRUE(adopted->acks().contains(7));
    EXPECT_FALSE(adopted->acks().contains(6));
}

// What another node sends is checked, not trusted: a session that would break its own numbering,
// pass this node's limits, or clash with one already here is refused whole.
TEST_F(SessionHandover, AGapInTheUnacknowledgedIdsIsRefused) {
    session_snapshot moved = moved_from(a_);
    moved.unacked[0].sequence_id = 1;
    EXPECT_EQ(take_over(b_, moved, sinks_.emplace_back()), nullptr);
    EXPECT_FALSE(b_.connection_exists("chat", moved.info.id));
}

TEST_F(SessionHandover, IdsThatWouldStartBelowOneAreRefused) {
    session_snapshot moved = moved_from(a_);
    moved.next_sequence_id = 2;
    EXPECT_EQ(take_over(b_, moved, sinks_.emplace_back()), nullptr);
}

TEST_F(SessionHandover, ASessionPastThisNodesLimitsIsRefused) {
    router small(1, mailbox::default_max_bytes, reliable_options{reliable_limits{.max_messages = 1}, {}});
    const session_snapshot moved = moved_from(a_);
    EXPECT_EQ(take_over(small, moved, sinks_.emplace_back()), nullptr);
    EXPECT_EQ(small.shard_of(moved.info.id), std::nullopt);
}

TEST_F(SessionHandover, ASessionAlreadyHereIsNotAdoptedTwice) {
    const session_snapshot moved = moved_from(a_);
    ASSERT_NE(take_over(b_, moved, sinks_.emplace_back()), nullptr);
    EXPECT_EQ(take_over(b_, moved, sinks_.emplace_back()), nullptr);
}

TEST_F(SessionHandover, OnlyReliableSessionsAreAdopted) {
    session_snapshot moved = moved_from(a_);
    moved.info.kind = subprotocol_kind::json;
    EXPECT_EQ(take_over(b_, moved, sinks_.emplace_back()), nullptr);
}

TEST_F(SessionHandover, PermissionsThatDoNotParseAreRefused) {
    session_snapshot moved = moved_from(a_);
    moved.permissions.join_leave.patterns.push_back("a\\b");
    EXPECT_EQ(take_over(b_, moved, sinks_.emplace_back()), nullptr);
}

// Between the two steps the session is registered on the new node and keeps what is sent to it,
// unnumbered and with no client: it has none until the holding node said what it delivered.
TEST_F(SessionHandover, AnArrivingSessionIsRegisteredParkedAndKeepsWhatIsSentToItUnnumbered) {
    session_snapshot moved = moved_from(a_);
    connection* c = on(b_).arrive(announced(moved), clock_type::now());
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(c->arriving());
    EXPECT_FALSE(c->has_transport());
    EXPECT_EQ(on(b_).parked_count(), 1u) << "ends with the recovery window if step two never comes";
    EXPECT_TRUE(b_.group_exists("chat", "g1")) << "registered at once: sends from here reach it";
    publish(b_, "g1", "early");
    EXPECT_EQ(c->unacked().size(), 0u);
    moved.processed.clear();
    ASSERT_TRUE(on(b_).settle_arrival(*c, moved));
    EXPECT_EQ(c->unacked().size(), 3u) << "m2, m3, then what it kept";
}

// What the holding node processed of a stream it delivered itself; the rest is numbered after its
// messages, in the order it arrived here.
TEST_F(SessionHandover, SettlingDropsWhatTheHoldingNodeProcessedAndNumbersTheRest) {
    session_snapshot moved = moved_from(a_);
    recording_sink& fresh = sinks_.emplace_back();
    connection* c = on(b_).arrive(announced(moved), clock_type::now());
    ASSERT_NE(c, nullptr);
    const std::uint64_t stream = 0xABCD0001;
    for (std::uint64_t position = 4; position <= 7; ++position) {
        c->deliver(*group_message(fmt::format("s{}", position)), no_deadline, send_origin{stream, position});
    }
    c->deliver(*group_message("other-stream"), no_deadline, send_origin{0xABCD0002, 1});
    c->deliver(*group_message("unnumbered"), no_deadline, send_origin{});
    moved.processed = {{stream, 5}, {0x99, 40}};
    ASSERT_TRUE(on(b_).settle_arrival(*c, moved));
    EXPECT_FALSE(c->arriving());
    EXPECT_TRUE(fresh.frames.empty()) << "parked until its client is bound";
    on(b_).resume(*c, fresh);
    EXPECT_EQ(received(fresh),
              (Numbered{{2, "m2"}, {3, "m3"}, {4, "s6"}, {5, "s7"}, {6, "other-stream"}, {7, "unnumbered"}}));
}

TEST_F(SessionHandover, SettlingTakesTheGroupsTheHoldingNodeEndedWith) {
    session_snapshot moved = moved_from(a_);
    session_snapshot first = announced(moved);
    first.groups = {"g1", "gone"};
    connection* c = on(b_).arrive(first, clock_type::now());
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(b_.group_exists("chat", "gone"));
    ASSERT_TRUE(on(b_).settle_arrival(*c, moved));
    EXPECT_FALSE(b_.group_exists("chat", "gone"));
    EXPECT_TRUE(b_.group_exists("chat", "g2"));
    EXPECT_EQ(c->groups().size(), 2u);
}

TEST_F(SessionHandover, AMalformedSettlementForgetsTheArrivingSession) {
    session_snapshot moved = moved_from(a_);
    connection* c = on(b_).arrive(announced(moved), clock_type::now());
    ASSERT_NE(c, nullptr);
    moved.unacked[1].sequence_id = 9;
    EXPECT_FALSE(on(b_).settle_arrival(*c, moved));
    EXPECT_FALSE(b_.connection_exists("chat", moved.info.id));
    EXPECT_EQ(b_.shard_of(moved.info.id), std::nullopt);
    EXPECT_EQ(on(b_).parked_count(), 0u);
}

TEST_F(SessionHandover, AnArrivingSessionSentMoreThanItsBoundEndsOverflowed) {
    router small(1, mailbox::default_max_bytes, reliable_options{reliable_limits{.max_messages = 2}, {}});
    session_snapshot moved = moved_from(a_);
    moved.unacked.clear();
    connection* c = on(small).arrive(announced(moved), clock_type::now());
    ASSERT_NE(c, nullptr);
    for (std::uint64_t position = 1; position <= 3; ++position) {
        c->deliver(*group_message("x"), no_deadline, send_origin{7, position});
    }
    EXPECT_TRUE(c->closing());
    EXPECT_TRUE(on(small).settle_arrival(*c, moved)) << "it settles closed: its client is refused";
    EXPECT_TRUE(c->closing());
    EXPECT_FALSE(c->arriving());
}

// The path a send from another node takes: through the router to the shard, with its origin.
TEST_F(SessionHandover, ASendFromAnotherNodeReachesAnArrivingSessionWithItsOrigin) {
    session_snapshot moved = moved_from(a_);
    connection* c = on(b_).arrive(announced(moved), clock_type::now());
    ASSERT_NE(c, nullptr);
    for (const std::uint64_t position : {1, 2}) {
        incoming_send send;
        send.scope = send_scope::group;
        send.hub = "chat";
        send.target = "g1";
        send.data = message_data{data_type::text, fmt::format("p{}", position)};
        send.origin = send_origin{0x5150, position};
        ASSERT_TRUE(b_.deliver_from_node(std::move(send)));
    }
    moved.processed = {{0x5150, 1}};
    ASSERT_TRUE(on(b_).settle_arrival(*c, moved));
    recording_sink& fresh = sinks_.emplace_back();
    on(b_).resume(*c, fresh);
    EXPECT_EQ(received(fresh), (Numbered{{2, "m2"}, {3, "m3"}, {4, "p2"}}));
}

} // namespace
} // namespace hubcast::core

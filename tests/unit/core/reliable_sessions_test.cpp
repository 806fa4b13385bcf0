// Reliable sessions in the core (spec 5): numbering, acknowledgements, the unacked bound, parking
// after a lost transport, recovery and expiry. Connections, shard and node together, on one thread.
#include <chrono>
#include <deque>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/router.hpp"
#include "core/shard.hpp"
#include "protocol/json_protocol.hpp"
#include "recording_sink.hpp"

namespace hubcast::core {
namespace {

using protocol::data_type;
using protocol::message_data;
using protocol::subprotocol_kind;
using testing::json_of;
using testing::recording_sink;
using clock_type = std::chrono::steady_clock;
using std::chrono::seconds;

class ReliableSessions : public ::testing::Test {
protected:
    explicit ReliableSessions(reliable_limits limits = {})
        : router_(1, mailbox::default_max_bytes, reliable_options{limits, seconds(30)}) {
        shard_.bind_to_current_thread();
    }
    ~ReliableSessions() override { shard::unbind_current_thread(); }

    connection& add(subprotocol_kind kind = subprotocol_kind::json_reliable, std::string user = "alice") {
        auto& sink = sinks_.emplace_back();
        return shard_.attach(connection_info{router_.new_connection_id(0), "chat", std::move(user), kind},
                             auth::permission_set{}, sink);
    }
    recording_sink& sink(std::size_t i) { return sinks_.at(i); }
    recording_sink& extra_sink() { return sinks_.emplace_back(); }

    void publish(std::string_view group, std::string text) {
        router_.send_to_group("chat", group, message_data{data_type::text, std::move(text)});
    }
    /// The sequenceId and data of every message frame sent to `s`, in order.
    static std::vector<std::pair<std::int64_t, std::string>> received(const recording_sink& s) {
        std::vector<std::pair<std::int64_t, std::string>> out;
        for (const auto& frame : s.frames) {
            const auto json = json_of(frame);
            if (json.is_object() && json.at("type") == "message") {
                const auto* id = json.as_object().if_contains("sequenceId");
                out.emplace_back(id != nullptr ? id->as_int64() : -1,
                                 std::string(json.at("data").as_string()));
            }
        }
        return out;
    }

    router router_;
    shard& shard_ = router_.shard_at(0);
    std::deque<recording_sink> sinks_;
};

using Numbered = std::vector<std::pair<std::int64_t, std::string>>;

TEST_F(ReliableSessions, DataMessagesAreNumberedPerSessionFromOne) {
    connection& a = add();
    connection& b = add();
    shard_.join(a, "g");
    shard_.join(b, "g");
    shard_.join(b, "h");
    publish("h", "only-b");
    publish("g", "both");
    EXPECT_EQ(received(sink(0)), (Numbered{{1, "both"}}));
    EXPECT_EQ(received(sink(1)), (Numbered{{1, "only-b"}, {2, "both"}}));
    EXPECT_EQ(a.unacked().size(), 1u);
    EXPECT_EQ(b.unacked().size(), 2u);
}

// Design section 5: the payload is encoded once; the sequence id is the only per-connection part.
TEST_F(ReliableSessions, ReliableRecipientsShareOneBodyAndPlainOnesTheUnnumberedFrame) {
    connection& a = add();
    connection& b = add();
    connection& plain = add(subprotocol_kind::json);
    for (connection* c : {&a, &b, &plain}) {
        shard_.join(*c, "g");
    }
    router_.send_to_group("chat", "g", message_data{data_type::json, R"({"k":[1,2]})"}, {}, "bob");
    ASSERT_EQ(sink(0).sequenced.size(), 1u);
    ASSERT_EQ(sink(1).sequenced.size(), 1u);
    EXPECT_EQ(sink(0).sequenced[0].body, sink(1).sequenced[0].body) << "one body object for both";
    EXPECT_TRUE(sink(2).sequenced.empty());
    ASSERT_EQ(sink(2).frames.size(), 1u);
    const auto numbered = json_of(sink(0).frames[0]);
    auto unnumbered = json_of(sink(2).frames[0]);
    EXPECT_EQ(numbered.at("sequenceId"), 1);
    EXPECT_FALSE(unnumbered.as_object().contains("sequenceId"));
    unnumbered.as_object()["sequenceId"] = 1;
    EXPECT_EQ(numbered, unnumbered) << "the same message plus its sequence id";
}

TEST_F(ReliableSessions, SequenceAcksReleaseCumulatively) {
    connection& a = add();
    shard_.join(a, "g");
    for (int i = 0; i < 4; ++i) {
        publish("g", fmt::format("m{}", i));
    }
    a.acknowledge(0);
    EXPECT_EQ(a.unacked().size(), 4u);
    a.acknowledge(3);
    EXPECT_EQ(a.unacked().size(), 1u);
    a.acknowledge(2);
    EXPECT_EQ(a.unacked().size(), 1u);
    a.acknowledge(99);
    EXPECT_EQ(a.unacked().size(), 0u);
    EXPECT_TRUE(sink(0).closes.empty()) << "odd acks never close";
}

// Acks, system messages and pongs carry no sequence id and are never kept (spec 5.1).
TEST_F(ReliableSessions, NonDataFramesAreNeitherNumberedNorKept) {
    connection& a = add();
    a.send_frame(
        util::make_shared_bytes(protocol::encode_frame(protocol::ws_opcode::text, protocol::encode_ack(7))));
    EXPECT_EQ(sink(0).frames.size(), 1u);
    EXPECT_EQ(a.unacked().size(), 0u);
}

TEST_F(ReliableSessions, ParkedSessionsNumberAndKeepWhatArrivesAndRecoveryReplaysItFirst) {
    connection& a = add();
    shard_.join(a, "g");
    publish("g", "before");
    a.acknowledge(1);
    publish("g", "unacked");
    shard_.park(a, clock_type::now());
    EXPECT_FALSE(a.has_transport());
    EXPECT_EQ(shard_.parked_count(), 1u);
    publish("g", "while-away-1");
    router_.send_to_user("chat", "alice", message_data{data_type::text, "while-away-2"});
    EXPECT_EQ(a.send_frame(util::make_shared_bytes("x")), send_result::dropped) << "no transport";
    EXPECT_EQ(sink(0).frames.size(), 2u) << "nothing reaches the old sink once parked";

    recording_sink& fresh = extra_sink();
    shard_.resume(a, fresh);
    EXPECT_TRUE(a.has_transport());
    EXPECT_EQ(shard_.parked_count(), 0u);
    publish("g", "after");
    EXPECT_EQ(received(fresh),
              (Numbered{{2, "unacked"}, {3, "while-away-1"}, {4, "while-away-2"}, {5, "after"}}));
    EXPECT_EQ(sink(0).abandons, 0) << "a parked session has no transport to abandon";
    EXPECT_TRUE(a.groups().contains("g")) << "groups survive";
}

// Spec 5.5: a half-open transport still bound to the session is abandoned before the replay.
TEST_F(ReliableSessions, RecoveryOverAHalfOpenTransportAbandonsIt) {
    connection& a = add();
    shard_.join(a, "g");
    publish("g", "m1");
    recording_sink& fresh = extra_sink();
    shard_.resume(a, fresh);
    EXPECT_EQ(sink(0).abandons, 1);
    publish("g", "m2");
    EXPECT_EQ(received(sink(0)), (Numbered{{1, "m1"}}));
    EXPECT_EQ(received(fresh), (Numbered{{1, "m1"}, {2, "m2"}}));
}

TEST_F(ReliableSessions, AParkedSessionEndsWhenItsWindowPasses) {
    connection& a = add();
    connection& b = add(subprotocol_kind::json_reliable, "bob");
    shard_.join(a, "g");
    shard_.join(b, "g");
    const std::string id = a.id();
    const auto parked_at = clock_type::now();
    shard_.park(a, parked_at);
    EXPECT_EQ(shard_.expire_parked(parked_at + seconds(29)), 0u);
    EXPECT_NE(shard_.find(id), nullptr);
    EXPECT_TRUE(router_.connection_exists("chat", id)) << "a parked session still exists";
    EXPECT_EQ(shard_.expire_parked(parked_at + seconds(30)), 1u);
    EXPECT_EQ(shard_.find(id), nullptr);
    EXPECT_FALSE(router_.connection_exists("chat", id));
    EXPECT_FALSE(router_.user_exists("chat", "alice"));
    EXPECT_TRUE(router_.group_exists("chat", "g")) << "bob is still in it";
    EXPECT_EQ(shard_.parked_count(), 0u);
    EXPECT_EQ(router_.reliable_stats().expired.load(), 1u);
}

// A REST close (or shutdown) of a parked session ends it for good at the next sweep.
TEST_F(ReliableSessions, ClosingAParkedSessionEndsItAtTheNextSweep) {
    connection& a = add();
    const std::string id = a.id();
    shard_.park(a, clock_type::now());
    router_.close_connection("chat", id, 1008, "ClosedByAppServer");
    EXPECT_TRUE(sink(0).closes.empty()) << "there is no transport to close";
    EXPECT_FALSE(router_.connection_exists("chat", id)) << "forgotten at once, before the sweep";
    EXPECT_EQ(shard_.expire_parked(clock_type::now()), 1u);
    EXPECT_EQ(shard_.find(id), nullptr);
    EXPECT_EQ(router_.reliable_stats().expired.load(), 0u) << "closed, not expired";
}

TEST_F(ReliableSessions, DetachingAParkedSessionForgetsIt) {
    connection& a = add();
    shard_.park(a, clock_type::now());
    shard_.detach(a.id());
    EXPECT_EQ(shard_.parked_count(), 0u);
    EXPECT_EQ(shard_.expire_parked(clock_type::now() + seconds(60)), 0u);
}

class ReliableSessionsSmallBuffer : public ReliableSessions {
protected:
    ReliableSessionsSmallBuffer()
        : ReliableSessions(reliable_limits{.max_messages = 3, .max_bytes = 1 << 20}) {}
};

// Spec 5.2: an overflowing buffer ends the session for good, with 1008 so the SDK does not try to
// recover, and the overflow is counted.
TEST_F(ReliableSessionsSmallBuffer, OverflowClosesForGoodWith1008) {
    connection& a = add();
    shard_.join(a, "g");
    for (int i = 0; i < 3; ++i) {
        publish("g", fmt::format("m{}", i));
    }
    EXPECT_TRUE(sink(0).closes.empty());
    publish("g", "one too many");
    ASSERT_EQ(sink(0).closes.size(), 1u);
    EXPECT_EQ(sink(0).closes[0].code, 1008);
    EXPECT_TRUE(a.closing());
    EXPECT_EQ(json_of(sink(0).frames.back()).at("event"), "disconnected") << "disconnected before the close";
    EXPECT_EQ(router_.reliable_stats().overflows.load(), 1u);
    publish("g", "later");
    EXPECT_EQ(sink(0).closes.size(), 1u);
    EXPECT_EQ(received(sink(0)).size(), 3u);
}

TEST_F(ReliableSessionsSmallBuffer, AcknowledgingMakesRoom) {
    connection& a = add();
    shard_.join(a, "g");
    for (int i = 0; i < 10; ++i) {
        publish("g", "m");
        a.acknowledge(a.unacked().last_sequence_id());
    }
    EXPECT_TRUE(sink(0).closes.empty());
    EXPECT_EQ(received(sink(0)).back().first, 10);
}

TEST_F(ReliableSessionsSmallBuffer, OverflowWhileParkedEndsTheSessionAtTheNextSweep) {
    connection& a = add();
    shard_.join(a, "g");
    const std::string id = a.id();
    shard_.park(a, clock_type::now());
    for (int i = 0; i < 4; ++i) {
        publish("g", "m");
    }
    EXPECT_TRUE(a.closing());
    EXPECT_EQ(router_.reliable_stats().overflows.load(), 1u);
    EXPECT_EQ(shard_.expire_parked(clock_type::now()), 1u);
    EXPECT_EQ(shard_.find(id), nullptr);
    EXPECT_FALSE(router_.group_exists("chat", "g"));
}

TEST_F(ReliableSessions, PlainConnectionsAreNeverNumbered) {
    connection& plain = add(subprotocol_kind::json);
    shard_.join(plain, "g");
    publish("g", "x");
    EXPECT_EQ(received(sink(0)), (Numbered{{-1, "x"}}));
    EXPECT_EQ(plain.unacked().size(), 0u);
}

} // namespace
} // namespace hubcast::core

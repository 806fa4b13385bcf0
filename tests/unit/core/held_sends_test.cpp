// Sends per turn (docs/architecture.md section 4): sends to one member list within a turn of the
// worker's loop are held and given to each member that receives all of them as one buffer. These
// pin what a recipient sees: the same bytes in the same order as without holding, whatever comes
// in between.

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/connection_filter.hpp"
#include "core/router.hpp"
#include "core/shard.hpp"
#include "protocol/sequence_head.hpp"
#include "recording_sink.hpp"

namespace hubcast::core {
namespace {

using protocol::data_type;
using protocol::frame_family;
using protocol::message_data;
using protocol::subprotocol_kind;
using testing::recording_sink;

class HeldSendsTest : public ::testing::Test {
protected:
    HeldSendsTest() {
        shard_.set_turn_end([this](std::function<void()> task) {
            if (!turn_open_) {
                return false;
            }
            turn_end_.push_back(std::move(task));
            return true;
        });
    }

    connection& add(std::string_view group, subprotocol_kind kind = subprotocol_kind::json) {
        auto& sink = sinks_.emplace_back();
        connection& c =
            shard_.attach(connection_info{owner_.new_connection_id(0), "chat", std::nullopt, kind},
                          auth::permission_set{}, sink);
        if (!group.empty()) {
            EXPECT_TRUE(shard_.join(c, group));
        }
        return c;
    }
    recording_sink& sink(std::size_t i) { return sinks_.at(i); }

    /// A message to `group`, kept alive by `owner` as the router's job keeps its own.
    struct send {
        std::shared_ptr<const prepared_message> message;
        std::shared_ptr<exclusions> skip = std::make_shared<exclusions>();
    };
    send make(std::string_view group, std::string text) {
        return send{prepared_message::for_group(std::string(group), std::nullopt,
                                                message_data{data_type::text, std::move(text)})};
    }
    void deliver(std::string_view group, const send& s, delivery_options options = {}) {
        options.owner = std::make_shared<send>(s);
        shard_.deliver_to_group("chat", group, *s.message, *s.skip, options);
    }
    /// The loop's end of turn: runs what was deferred to it.
    void end_turn() {
        auto tasks = std::move(turn_end_);
        turn_end_.clear();
        for (auto& task : tasks) {
            task();
        }
    }
    static std::string joined(const std::vector<send>& sends, frame_family family = frame_family::json) {
        std::string bytes;
        for (const send& s : sends) {
            bytes += *s.message->frame(family);
        }
        return bytes;
    }

    router owner_{1};
    shard& shard_ = owner_.shard_at(0);
    std::deque<recording_sink> sinks_;
    std::vector<std::function<void()>> turn_end_;
    bool turn_open_ = true;
};

TEST_F(HeldSendsTest, EachMemberGetsTheTurnsSendsAsOneBufferAtTheTurnsEnd) {
    add("g");
    add("g");
    add(""); // not a member
    const std::vector<send> sends{make("g", "one"), make("g", "two"), make("g", "three")};
    for (const send& s : sends) {
        deliver("g", s);
    }
    EXPECT_TRUE(sink(0).frames.empty()) << "held until the turn ends";
    end_turn();
    for (std::size_t i = 0; i < 2; ++i) {
        ASSERT_EQ(sink(i).frames.size(), 1u);
        EXPECT_EQ(*sink(i).frames[0], joined(sends));
    }
    EXPECT_EQ(sink(0).frames[0], sink(1).frames[0]) << "one buffer shared by every member";
    EXPECT_TRUE(sink(2).frames.empty());
    end_turn();
    EXPECT_EQ(sink(0).frames.size(), 1u) << "delivered once";
}

TEST_F(HeldSendsTest, ALoneHeldSendIsItsOwnFrameNotACopy) {
    add("g");
    add("g");
    const send only = make("g", "x");
    deliver("g", only);
    end_turn();
    ASSERT_EQ(sink(0).frames.size(), 1u);
    EXPECT_EQ(sink(0).frames[0], only.message->frame(frame_family::json));
}

TEST_F(HeldSendsTest, SendsThatCannotBeHeldAreDeliveredAtOnceAfterTheHeldOnes) {
    add("g");
    add("g");
    const send held = make("g", "held");
    deliver("g", held);
    const send with_deadline = make("g", "ttl");
    deliver("g", with_deadline,
            delivery_options{.deadline = std::chrono::steady_clock::now() + std::chrono::hours(1)});
    ASSERT_EQ(sink(0).frames.size(), 2u)
        << "a send with a deadline is not held, and what was held goes first";
    EXPECT_EQ(sink(0).frames[0], held.message->frame(frame_family::json));
    EXPECT_EQ(sink(0).frames[1], with_deadline.message->frame(frame_family::json));

    const auto filter = connection_filter::parse("userId eq null");
    ASSERT_TRUE(filter);
    deliver("g", make("g", "filtered"), delivery_options{.filter = filter.value().get()});
    EXPECT_EQ(sink(0).frames.size(), 3u) << "a filtered send is not held";

    const send unowned = make("g", "unowned");
    shard_.deliver_to_group("chat", "g", *unowned.message, *unowned.skip);
    EXPECT_EQ(sink(0).frames.size(), 4u) << "without an owner the caller's message dies with the call";

    end_turn();
    turn_open_ = false;
    deliver("g", make("g", "no turn"));
    EXPECT_EQ(sink(0).frames.size(), 5u) << "off the worker's loop nothing waits for a turn's end";
}

TEST_F(HeldSendsTest, ASingleMemberIsNotHeld) {
    add("g");
    deliver("g", make("g", "x"));
    EXPECT_EQ(sink(0).frames.size(), 1u);
}

TEST_F(HeldSendsTest, AnExcludedMemberGetsTheOthersOneByOneInOrder) {
    connection& publisher = add("g");
    add("g");
    const std::vector<send> sends{make("g", "a"), make("g", "b"), make("g", "c")};
    sends[1].skip->no_echo_connection = publisher.id();
    for (const send& s : sends) {
        deliver("g", s);
    }
    end_turn();
    ASSERT_EQ(sink(0).frames.size(), 2u);
    EXPECT_EQ(sink(0).frames[0], sends[0].message->frame(frame_family::json));
    EXPECT_EQ(sink(0).frames[1], sends[2].message->frame(frame_family::json));
    ASSERT_EQ(sink(1).frames.size(), 1u);
    EXPECT_EQ(*sink(1).frames[0], joined(sends));
}

TEST_F(HeldSendsTest, AReliableMemberGetsItsOwnNumberedFramesJoinedInOneBuffer) {
    add("g");
    connection& reliable = add("g", subprotocol_kind::json_reliable);
    const std::vector<send> sends{make("g", "a"), make("g", "b")};
    for (const send& s : sends) {
        deliver("g", s);
    }
    end_turn();
    std::string expected;
    for (std::uint64_t id = 1; id <= 2; ++id) {
        const auto& body = sends[id - 1].message->sequenced_body(frame_family::json);
        expected += protocol::sequence_head(frame_family::json, id, body->size()).bytes();
        expected += *body;
    }
    ASSERT_EQ(sink(1).frames.size(), 1u);
    EXPECT_EQ(*sink(1).frames[0], expected);
    ASSERT_EQ(reliable.unacked().size(), 2u) << "each message kept for a recovery, as one by one";
    EXPECT_EQ(reliable.unacked().unacked()[0].sequence_id, 1u);
    EXPECT_EQ(reliable.unacked().unacked()[0].body,
              sends[0].message->sequenced_body(frame_family::json).get());
    EXPECT_EQ(reliable.unacked().unacked()[1].sequence_id, 2u);
    EXPECT_EQ(reliable.unacked().unacked().back().body,
              sends[1].message->sequenced_body(frame_family::json).get());
    EXPECT_EQ(*sink(0).frames.at(0), joined(sends));
}

TEST_F(HeldSendsTest, AnExcludedReliableMemberNumbersOnlyWhatReachesIt) {
    connection& publisher = add("g", subprotocol_kind::json_reliable);
    add("g");
    const std::vector<send> sends{make("g", "a"), make("g", "b"), make("g", "c")};
    sends[0].skip->no_echo_connection = publisher.id();
    for (const send& s : sends) {
        deliver("g", s);
    }
    end_turn();
    ASSERT_EQ(sink(0).sequenced.size(), 2u);
    EXPECT_EQ(sink(0).sequenced[0].sequence_id, 1u);
    EXPECT_EQ(sink(0).sequenced[0].body, sends[1].message->sequenced_body(frame_family::json));
    EXPECT_EQ(sink(0).sequenced[1].sequence_id, 2u);
    EXPECT_EQ(sink(0).sequenced[1].body, sends[2].message->sequenced_body(frame_family::json));
}

TEST_F(HeldSendsTest, AParkedReliableMemberKeepsTheHeldSendsForItsRecovery) {
    add("g");
    connection& parked = add("g", subprotocol_kind::json_reliable);
    shard_.park(parked, std::chrono::steady_clock::now());
    deliver("g", make("g", "a"));
    deliver("g", make("g", "b"));
    end_turn();
    EXPECT_TRUE(sink(1).frames.empty());
    ASSERT_EQ(parked.unacked().size(), 2u);
    EXPECT_EQ(parked.unacked().unacked().back().sequence_id, 2u);
}

TEST_F(HeldSendsTest, AFrameForAMemberWaitsBetweenTheSendsItCameBetween) {
    connection& publisher = add("g");
    add("g");
    connection& outsider = add("");
    const send first = make("g", "1");
    const send second = make("g", "2");
    deliver("g", first);
    const auto ack = util::make_shared_bytes("ack");
    EXPECT_EQ(publisher.send_frame(ack), send_result::queued);
    EXPECT_TRUE(sink(0).frames.empty()) << "the ack waits behind the send before it";
    EXPECT_EQ(outsider.send_frame(ack), send_result::queued);
    EXPECT_EQ(sink(2).frames.size(), 1u) << "a connection no held send reaches is written at once";
    deliver("g", second);
    end_turn();
    ASSERT_EQ(sink(0).frames.size(), 3u);
    EXPECT_EQ(sink(0).frames[0], first.message->frame(frame_family::json));
    EXPECT_EQ(sink(0).frames[1], ack);
    EXPECT_EQ(sink(0).frames[2], second.message->frame(frame_family::json));
    ASSERT_EQ(sink(1).frames.size(), 1u);
    EXPECT_EQ(*sink(1).frames[0], joined({first, second}));
}

TEST_F(HeldSendsTest, AJoinAfterAHeldSendDoesNotReceiveIt) {
    add("g");
    add("g");
    const send before = make("g", "before");
    deliver("g", before);
    connection& joiner = add("");
    EXPECT_TRUE(shard_.join(joiner, "g"));
    EXPECT_EQ(sink(0).frames.size(), 1u) << "a membership change delivers what was held first";
    const send after = make("g", "after");
    deliver("g", after);
    end_turn();
    ASSERT_EQ(sink(2).frames.size(), 1u);
    EXPECT_EQ(sink(2).frames[0], after.message->frame(frame_family::json));
}

TEST_F(HeldSendsTest, SendsToAnotherListComeAfterTheHeldOnes) {
    add("a");
    connection& both = add("a");
    EXPECT_TRUE(shard_.join(both, "b"));
    add("b"); // sink 2: only in b
    const send to_a = make("a", "to a");
    const send to_b = make("b", "to b");
    deliver("a", to_a);
    deliver("b", to_b);
    end_turn();
    ASSERT_EQ(sink(1).frames.size(), 2u);
    EXPECT_EQ(sink(1).frames[0], to_a.message->frame(frame_family::json));
    EXPECT_EQ(sink(1).frames[1], to_b.message->frame(frame_family::json));
    EXPECT_EQ(sink(2).frames.size(), 1u);
}

TEST_F(HeldSendsTest, AClosedMemberGetsWhatWasHeldBeforeItsClose) {
    connection& closing = add("g");
    add("g");
    const send held = make("g", "last words");
    deliver("g", held);
    shard_.close(closing, 1000, "bye");
    ASSERT_EQ(sink(0).closes.size(), 1u);
    EXPECT_EQ(sink(0).closes[0].frames_before, 2u) << "the held send, then `disconnected`";
    EXPECT_EQ(sink(0).frames[0], held.message->frame(frame_family::json));
}

TEST_F(HeldSendsTest, ATurnHoldsAtMost256Sends) {
    add("g");
    add("g");
    std::vector<send> sends;
    for (int i = 0; i < 257; ++i) {
        sends.push_back(make("g", std::to_string(i)));
        deliver("g", sends.back());
    }
    ASSERT_EQ(sink(0).frames.size(), 1u) << "the 257th send delivers the first 256";
    EXPECT_EQ(*sink(0).frames[0], joined(std::vector<send>(sends.begin(), sends.begin() + 256)));
    end_turn();
    ASSERT_EQ(sink(0).frames.size(), 2u);
    EXPECT_EQ(sink(0).frames[1], sends.back().message->frame(frame_family::json));
}

TEST_F(HeldSendsTest, DetachingAMemberDeliversWhatWasHeldFirst) {
    connection& leaving = add("g");
    add("g");
    deliver("g", make("g", "x"));
    shard_.detach(leaving.id());
    EXPECT_EQ(sink(0).frames.size(), 1u);
    EXPECT_EQ(sink(1).frames.size(), 1u);
    end_turn();
    EXPECT_EQ(sink(1).frames.size(), 1u);
}

} // namespace
} // namespace hubcast::core

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/reliable_buffer.hpp"

namespace hubcast::core {
namespace {

util::shared_bytes bytes(std::size_t size) {
    return util::make_shared_bytes(std::string(size, 'x'));
}

std::vector<std::uint64_t> ids(const reliable_buffer& buffer) {
    std::vector<std::uint64_t> out;
    for (const auto& entry : buffer.unacked()) {
        out.push_back(entry.sequence_id);
    }
    return out;
}

// Spec 5.1: ids start at 1 and grow by one per message.
TEST(ReliableBuffer, NumbersFromOneInOrder) {
    reliable_buffer buffer;
    EXPECT_EQ(buffer.next_sequence_id(), 1u);
    EXPECT_EQ(buffer.last_sequence_id(), 0u);
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(buffer.push(bytes(10), 2));
    }
    EXPECT_EQ(ids(buffer), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(buffer.next_sequence_id(), 4u);
    EXPECT_EQ(buffer.bytes(), 36u);
}

// Spec 5.2: cumulative; 0 and stale acks release nothing; above the last id releases all.
TEST(ReliableBuffer, AcknowledgementsAreCumulativeAndToleratedWhenOdd) {
    reliable_buffer buffer;
    for (int i = 0; i < 5; ++i) {
        buffer.push(bytes(9), 1);
    }
    EXPECT_EQ(buffer.acknowledge(0), 0u);
    EXPECT_EQ(buffer.acknowledge(2), 2u);
    EXPECT_EQ(ids(buffer), (std::vector<std::uint64_t>{3, 4, 5}));
    EXPECT_EQ(buffer.bytes(), 30u);
    EXPECT_EQ(buffer.acknowledge(2), 0u) << "a repeated ack";
    EXPECT_EQ(buffer.acknowledge(1), 0u) << "a stale ack";
    EXPECT_EQ(buffer.acknowledge(1000), 3u) << "an ack above the last id sent";
    EXPECT_EQ(buffer.size(), 0u);
    EXPECT_EQ(buffer.bytes(), 0u);
    EXPECT_TRUE(buffer.push(bytes(1), 1));
    EXPECT_EQ(ids(buffer), (std::vector<std::uint64_t>{6})) << "ids keep counting after acks";
}

TEST(ReliableBuffer, TheMessageLimitIsInclusive) {
    reliable_buffer buffer(reliable_limits{.max_messages = 3, .max_bytes = 1000});
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(buffer.push(bytes(1), 1));
    }
    EXPECT_FALSE(buffer.push(bytes(1), 1));
    EXPECT_EQ(buffer.next_sequence_id(), 4u) << "a refused message takes no id";
    buffer.acknowledge(1);
    EXPECT_TRUE(buffer.push(bytes(1), 1)) << "room again after an ack";
}

TEST(ReliableBuffer, TheByteLimitCountsWholeFramesAndIsInclusive) {
    reliable_buffer buffer(reliable_limits{.max_messages = 100, .max_bytes = 30});
    EXPECT_TRUE(buffer.push(bytes(15), 5));
    EXPECT_FALSE(buffer.push(bytes(6), 5));
    EXPECT_TRUE(buffer.push(bytes(5), 5));
    EXPECT_EQ(buffer.bytes(), 30u);
    EXPECT_FALSE(buffer.push(bytes(0), 1));
    EXPECT_FALSE(reliable_buffer(reliable_limits{.max_messages = 1, .max_bytes = 10}).push(bytes(6), 5))
        << "one message larger than the whole bound";
}

TEST(ReliableBuffer, KeepsWhatItWasGiven) {
    reliable_buffer buffer;
    const auto body = bytes(7);
    const auto deadline = std::chrono::steady_clock::now();
    buffer.push(body, 3, deadline);
    ASSERT_EQ(buffer.size(), 1u);
    EXPECT_EQ(buffer.unacked().front().sequence_id, 1u);
    EXPECT_EQ(buffer.unacked().front().size(), 10u) << "the head counts";
    EXPECT_EQ(buffer.unacked().front().body, body.get()) << "the shared body, not a copy";
    EXPECT_EQ(buffer.body_of(buffer.unacked().front()), body);
    EXPECT_EQ(buffer.unacked().front().deadline, deadline);
}

TEST(ReliableBuffer, ClearForgetsMessagesButNotTheCount) {
    reliable_buffer buffer;
    buffer.push(bytes(1), 1);
    buffer.push(bytes(1), 1);
    buffer.clear();
    EXPECT_EQ(buffer.size(), 0u);
    EXPECT_EQ(buffer.bytes(), 0u);
    EXPECT_EQ(buffer.next_sequence_id(), 3u);
}

// A session moving to another node goes on with its own numbering there.
TEST(ReliableBuffer, StartAtContinuesTheNumberingOfAnotherBuffer) {
    reliable_buffer buffer;
    buffer.start_at(41);
    EXPECT_EQ(buffer.last_sequence_id(), 40u);
    EXPECT_TRUE(buffer.push(bytes(1), 1));
    EXPECT_EQ(ids(buffer), (std::vector<std::uint64_t>{41}));
}

TEST(ReliableBuffer, StartAtIsRefusedWhileMessagesAreHeldOrForIdZero) {
    reliable_buffer buffer;
    EXPECT_THROW(buffer.start_at(0), std::logic_error);
    ASSERT_TRUE(buffer.push(bytes(1), 1));
    EXPECT_THROW(buffer.start_at(5), std::logic_error);
}

// A turn's messages kept by one owner (shard::deliver_held) hold it once, until the last of them
// is acknowledged.
TEST(ReliableBuffer, MessagesOfOneOwnerHoldItOnceUntilTheLastIsAcknowledged) {
    reliable_buffer buffer;
    auto bodies = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"aa", "bbb", "c"});
    const std::weak_ptr<const void> watch = bodies;
    std::shared_ptr<const void> owner = bodies;
    for (const std::string& body : *bodies) {
        EXPECT_TRUE(buffer.push_owned(body, 2, owner));
    }
    EXPECT_EQ(watch.use_count(), 3) << "`bodies`, `owner` and one for all three messages";
    EXPECT_EQ(buffer.bytes(), 12u);
    EXPECT_EQ(*buffer.body_of(buffer.unacked()[1]), "bbb");
    bodies.reset();
    owner.reset();
    EXPECT_EQ(buffer.acknowledge(2), 2u);
    ASSERT_FALSE(watch.expired()) << "message 3 still needs its body";
    EXPECT_EQ(*buffer.unacked().front().body, "c");
    EXPECT_EQ(buffer.acknowledge(3), 1u);
    EXPECT_TRUE(watch.expired());
}

TEST(ReliableBuffer, EachBodyIsSharedWithTheOwnerThatKeepsIt) {
    reliable_buffer buffer;
    const auto first = bytes(3);
    auto run = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"x", "y"});
    const auto last = bytes(4);
    buffer.push(first, 1);
    buffer.push_owned((*run)[0], 1, run);
    buffer.push_owned((*run)[1], 1, run);
    buffer.push(last, 1);
    const auto& entries = buffer.unacked();
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(buffer.body_of(entries[0]), first);
    EXPECT_EQ(buffer.body_of(entries[1]).get(), &(*run)[0]);
    EXPECT_EQ(buffer.body_of(entries[2]).get(), &(*run)[1]);
    EXPECT_EQ(buffer.body_of(entries[3]), last);
    const std::weak_ptr<const void> watch = run;
    run.reset();
    const auto shared = buffer.body_of(entries[2]);
    buffer.clear();
    EXPECT_FALSE(watch.expired()) << "a shared body keeps its owner after the buffer forgot it";
    EXPECT_EQ(*shared, "y");
}

} // namespace
} // namespace hubcast::core

// The outbound ring of a WebSocket session: order, growth across the wrap-around, removal in the
// middle (expired frames) and the references it gives back.
#include <chrono>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "transport/frame_queue.hpp"

namespace hubcast::transport {
namespace {

queued_frame frame(const std::string& text, send_deadline deadline = no_deadline) {
    return {util::make_shared_bytes(text), deadline};
}

std::vector<std::string> contents(const frame_queue& queue) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < queue.size(); ++i) {
        out.push_back(*queue[i].bytes);
    }
    return out;
}

TEST(FrameQueue, StartsEmptyAndKeepsOrderThroughGrowth) {
    frame_queue queue;
    EXPECT_TRUE(queue.empty());
    std::vector<std::string> expected;
    for (int i = 0; i < 37; ++i) {
        queue.push_back(frame(std::to_string(i)));
        expected.push_back(std::to_string(i));
    }
    EXPECT_EQ(contents(queue), expected);
}

TEST(FrameQueue, GrowsWhileWrappedAroundWithoutReordering) {
    frame_queue queue;
    for (int i = 0; i < 4; ++i) {
        queue.push_back(frame(fmt::format("a{}", i)));
    }
    queue.pop_front();
    queue.pop_front();
    // The head is now in the middle of the four slots: the next pushes wrap, then force a growth.
    for (int i = 0; i < 5; ++i) {
        queue.push_back(frame(fmt::format("b{}", i)));
    }
    EXPECT_EQ(contents(queue), (std::vector<std::string>{"a2", "a3", "b0", "b1", "b2", "b3", "b4"}));
    EXPECT_EQ(*queue.front().bytes, "a2");
}

TEST(FrameQueue, PopFrontReleasesTheSharedBytes) {
    frame_queue queue;
    const auto bytes = util::make_shared_bytes("payload");
    queue.push_back({bytes, no_deadline});
    EXPECT_EQ(bytes.use_count(), 2);
    queue.pop_front();
    EXPECT_EQ(bytes.use_count(), 1);
}

TEST(FrameQueue, EraseIfFromKeepsTheFirstFramesAndTheOrderOfTheRest) {
    frame_queue queue;
    for (const char* text : {"keep-head", "drop", "x1", "drop", "drop", "x2"}) {
        queue.push_back(frame(text));
    }
    queue.pop_front();
    queue.push_back(frame("drop"));
    queue.push_back(frame("x3"));
    queue.erase_if_from(1, [](const queued_frame& f) { return *f.bytes == "drop"; });
    // Index 0 ("drop", the old second frame) is exempt, as a partly written head would be.
    EXPECT_EQ(contents(queue), (std::vector<std::string>{"drop", "x1", "x2", "x3"}));
    queue.erase_if_from(0, [](const queued_frame& f) { return *f.bytes == "drop"; });
    EXPECT_EQ(contents(queue), (std::vector<std::string>{"x1", "x2", "x3"}));
    queue.push_back(frame("x4"));
    EXPECT_EQ(contents(queue), (std::vector<std::string>{"x1", "x2", "x3", "x4"}));
}

// A frame is due when its deadline is the clock's value or earlier; frames without one, later
// ones and the exempt head stay, and what was removed is counted in frames and bytes.
TEST(FrameQueue, DropExpiredRemovesWhatIsDueAfterTheExemptFrames) {
    const send_deadline t0{std::chrono::seconds(1000)};
    frame_queue queue;
    queue.push_back(frame("head-due", t0 - std::chrono::seconds(5))); // the kernel has part of it
    queue.push_back(frame("due", t0 - std::chrono::milliseconds(1)));
    queue.push_back(frame("plain"));
    queue.push_back(frame("at-deadline", t0));
    queue.push_back(frame("later", t0 + std::chrono::milliseconds(1)));
    // A reliable message: a 20-byte sequence head, built when written, and the shared body.
    queue.push_back({util::make_shared_bytes("body"), t0, 7, 20, protocol::frame_family::json});
    const auto dropped = queue.drop_expired(1, t0);
    EXPECT_EQ(dropped.frames, 3u);
    EXPECT_EQ(dropped.bytes, std::string("due").size() + std::string("at-deadline").size() + 20 +
                                 std::string("body").size());
    EXPECT_EQ(contents(queue), (std::vector<std::string>{"head-due", "plain", "later"}));

    const auto none = queue.drop_expired(1, t0);
    EXPECT_EQ(none.frames, 0u);
    EXPECT_EQ(none.bytes, 0u);
    const auto head = queue.drop_expired(0, t0);
    EXPECT_EQ(head.frames, 1u);
    EXPECT_EQ(contents(queue), (std::vector<std::string>{"plain", "later"}));
}

TEST(FrameQueue, SizeCountsTheSequenceHeadAndTheBody) {
    const queued_frame sequenced{util::make_shared_bytes("body!"), no_deadline, 1, 4,
                                 protocol::frame_family::json};
    EXPECT_EQ(sequenced.size(), 9u);
    EXPECT_EQ(frame("abc").size(), 3u);
}

TEST(FrameQueue, ClearEmptiesAndTheQueueIsReusable) {
    frame_queue queue;
    for (int i = 0; i < 6; ++i) {
        queue.push_back(frame(std::to_string(i)));
    }
    queue.pop_front();
    queue.clear();
    EXPECT_TRUE(queue.empty());
    queue.push_back(frame("again"));
    EXPECT_EQ(contents(queue), (std::vector<std::string>{"again"}));
}

} // namespace
} // namespace hubcast::transport

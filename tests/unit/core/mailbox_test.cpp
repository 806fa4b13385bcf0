#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/mailbox.hpp"

namespace hubcast::core {
namespace {

TEST(Mailbox, DrainRunsQueuedTasksInOrder) {
    mailbox box;
    std::vector<int> ran;
    for (int i = 0; i < 5; ++i) {
        EXPECT_TRUE(box.push([&ran, i] { ran.push_back(i); }));
    }
    EXPECT_TRUE(ran.empty()); // nothing runs on the pushing side
    EXPECT_EQ(box.drain(), 5u);
    EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(box.drain(), 0u);
    EXPECT_EQ(box.accepted(), 5u);
}

// Design section 3: a burst of cross-worker posts costs one wake-up, not one per task.
TEST(Mailbox, WakesOnlyWhenTheQueueBecomesNonEmpty) {
    mailbox box;
    int wakes = 0;
    box.set_wake([&] { ++wakes; });
    for (int i = 0; i < 100; ++i) {
        box.push([] {});
    }
    EXPECT_EQ(wakes, 1);
    box.drain();
    box.push([] {});
    EXPECT_EQ(wakes, 2);
    box.push([] {});
    EXPECT_EQ(wakes, 2);
}

// A task queued while a drain runs is left for the next drain, and its push must wake the owner:
// otherwise it would sit in the queue until some unrelated push arrives.
TEST(Mailbox, TaskPushedDuringDrainWakesAndRunsNextTime) {
    mailbox box;
    int wakes = 0;
    box.set_wake([&] { ++wakes; });
    bool second_ran = false;
    box.push([&] { box.push([&] { second_ran = true; }); });
    EXPECT_EQ(wakes, 1);
    EXPECT_EQ(box.drain(), 1u);
    EXPECT_FALSE(second_ran);
    EXPECT_EQ(wakes, 2);
    EXPECT_EQ(box.drain(), 1u);
    EXPECT_TRUE(second_ran);
}

TEST(Mailbox, RefusesAndCountsTasksPastItsBound) {
    mailbox box(3);
    int wakes = 0;
    box.set_wake([&] { ++wakes; });
    int ran = 0;
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(box.push([&] { ++ran; }));
    }
    EXPECT_FALSE(box.push([&] { ++ran; }));
    EXPECT_FALSE(box.push([&] { ++ran; }));
    EXPECT_EQ(box.dropped(), 2u);
    EXPECT_EQ(box.accepted(), 3u);
    EXPECT_EQ(wakes, 1);
    EXPECT_EQ(box.drain(), 3u);
    EXPECT_EQ(ran, 3);
    // Draining frees the room again.
    EXPECT_TRUE(box.push([&] { ++ran; }));
    EXPECT_EQ(box.drain(), 1u);
    EXPECT_EQ(ran, 4);
    EXPECT_EQ(box.dropped(), 2u);
}

// Producers on several threads, one consumer woken through the wake-up as a worker would be:
// every task runs exactly once and none is stranded without a wake-up.
TEST(Mailbox, ManyProducersOneConsumerLoseNothing) {
    constexpr int producers = 4;
    constexpr int per_producer = 20000;
    mailbox box;
    std::mutex m;
    std::condition_variable cv;
    bool woken = false;
    bool stop = false;
    box.set_wake([&] {
        {
            const std::lock_guard lock(m);
            woken = true;
        }
        cv.notify_one();
    });
    std::vector<int> counts(producers, 0); // written only by the consumer
    std::atomic<int> total{0};
    std::thread consumer([&] {
        for (;;) {
            {
                std::unique_lock lock(m);
                cv.wait(lock, [&] { return woken || stop; });
                if (!woken) {
                    return;
                }
                woken = false;
            }
            box.drain();
        }
    });
    std::vector<std::thread> threads;
    threads.reserve(producers);
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            for (int i = 0; i < per_producer; ++i) {
                ASSERT_TRUE(box.push([&, p] {
                    ++counts[p];
                    total.fetch_add(1, std::memory_order_release);
                }));
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (total.load(std::memory_order_acquire) < producers * per_producer &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    {
        const std::lock_guard lock(m);
        stop = true;
    }
    cv.notify_one();
    consumer.join();
    EXPECT_EQ(total.load(), producers * per_producer);
    for (int c : counts) {
        EXPECT_EQ(c, per_producer);
    }
    EXPECT_EQ(box.accepted(), static_cast<std::size_t>(producers * per_producer));
    EXPECT_EQ(box.dropped(), 0u);
}

} // namespace
} // namespace hubcast::core

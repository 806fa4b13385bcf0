#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
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
        box.post([&ran, i] { ran.push_back(i); });
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
        box.post([] {});
    }
    EXPECT_EQ(wakes, 1);
    box.drain();
    box.post([] {});
    EXPECT_EQ(wakes, 2);
    box.post([] {});
    EXPECT_EQ(wakes, 2);
}

// A task queued while a drain runs is left for the next drain, and its push must wake the owner:
// otherwise it would sit in the queue until some unrelated push arrives.
TEST(Mailbox, TaskPushedDuringDrainWakesAndRunsNextTime) {
    mailbox box;
    int wakes = 0;
    box.set_wake([&] { ++wakes; });
    bool second_ran = false;
    box.post([&] { box.post([&] { second_ran = true; }); });
    EXPECT_EQ(wakes, 1);
    EXPECT_EQ(box.drain(), 1u);
    EXPECT_FALSE(second_ran);
    EXPECT_EQ(wakes, 2);
    EXPECT_EQ(box.drain(), 1u);
    EXPECT_TRUE(second_ran);
}

// Issue 14, defect 5: the bound was a count of tasks, whatever each kept alive. It is in bytes
// now: a fan-out that would pass the budget is refused and counted with its weight.
TEST(Mailbox, RefusesAndCountsFanOutsPastItsByteBudget) {
    constexpr std::size_t payload = 1000;
    constexpr std::size_t weight = payload + mailbox::task_overhead;
    mailbox box(3 * weight);
    int wakes = 0;
    box.set_wake([&] { ++wakes; });
    int ran = 0;
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(box.offer([&] { ++ran; }, payload));
    }
    EXPECT_EQ(box.queued_bytes(), 3 * weight);
    EXPECT_FALSE(box.offer([&] { ++ran; }, payload));
    EXPECT_FALSE(box.offer([&] { ++ran; }, 1)); // a light one does not fit either
    EXPECT_EQ(box.dropped(), 2u);
    EXPECT_EQ(box.dropped_bytes(), weight + 1 + mailbox::task_overhead);
    EXPECT_EQ(box.accepted(), 3u);
    EXPECT_EQ(wakes, 1);
    EXPECT_EQ(box.drain(), 3u);
    EXPECT_EQ(ran, 3);
    EXPECT_EQ(box.queued_bytes(), 0u);
    EXPECT_EQ(box.peak_queued_bytes(), 3 * weight);
    EXPECT_EQ(box.last_drain_bytes(), 3 * weight);
    // Draining frees the room again.
    EXPECT_TRUE(box.offer([&] { ++ran; }, payload));
    EXPECT_EQ(box.drain(), 1u);
    EXPECT_EQ(ran, 4);
    EXPECT_EQ(box.dropped(), 2u);
}

// A task heavier than the whole budget passes an empty mailbox (a small budget delays the largest
// messages rather than losing them all), and nothing passes it while it waits.
TEST(Mailbox, AnEmptyMailboxTakesOneTaskHeavierThanTheBudget) {
    mailbox box(2 * mailbox::task_overhead);
    EXPECT_TRUE(box.offer([] {}, 10 * mailbox::task_overhead));
    EXPECT_FALSE(box.offer([] {}, 0));
    EXPECT_EQ(box.drain(), 1u);
    EXPECT_TRUE(box.offer([] {}, 0));
}

// Control tasks (close, membership, permissions) are never refused, and count towards the budget
// the fan-outs see.
TEST(Mailbox, ControlTasksPassAFullBudgetAndCountInIt) {
    mailbox box(4 * mailbox::task_overhead);
    for (int i = 0; i < 10; ++i) {
        box.post([] {});
    }
    EXPECT_EQ(box.queued_bytes(), 10 * mailbox::task_overhead);
    EXPECT_FALSE(box.offer([] {}, 0));
    EXPECT_EQ(box.dropped(), 1u);
    EXPECT_EQ(box.accepted(), 10u);
    EXPECT_EQ(box.drain(), 10u);
    EXPECT_TRUE(box.offer([] {}, 0));
}

// The bytes of a batch stay counted while it runs: the budget bounds what the mailbox keeps alive,
// and a producer cannot refill it while the owner still holds the previous batch.
TEST(Mailbox, ARunningBatchStillCountsAgainstTheBudget) {
    mailbox box(2 * mailbox::task_overhead);
    std::optional<bool> offered_meanwhile;
    box.post([&] { offered_meanwhile = box.offer([] {}, 0); });
    box.post([] {});
    EXPECT_EQ(box.drain(), 2u);
    EXPECT_EQ(offered_meanwhile, false);
    EXPECT_EQ(box.queued_bytes(), 0u);
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
                box.post([&, p] {
                    ++counts[p];
                    total.fetch_add(1, std::memory_order_release);
                });
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

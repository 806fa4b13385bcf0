// One periodic timer per worker: each worker's tick runs on that worker's own thread, and once
// stopped the timers hold no loop open.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "transport/worker_io.hpp"
#include "transport/worker_pool.hpp"
#include "transport/worker_ticker.hpp"

namespace hubcast::transport {
namespace {

using namespace std::chrono_literals;

TEST(WorkerTicker, EachWorkerTicksOnItsOwnThreadUntilStopped) {
    // Declared before the pool, so that they outlive its threads whatever way the test ends.
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<int> ticks(2, 0);
    std::atomic<int> off_thread{0};
    worker_pool pool(2);
    worker_ticker ticker(pool, 1ms, [&](std::size_t worker) {
        if (worker_io::current() == nullptr || !worker_io::current()->runs(pool.context(worker))) {
            ++off_thread;
        }
        const std::lock_guard lock(mutex);
        ++ticks.at(worker);
        changed.notify_all();
    });
    ticker.start();
    pool.start([&pool](std::size_t index) { worker_io::bind_to_current_thread(pool.context(index)); });
    {
        std::unique_lock lock(mutex);
        ASSERT_TRUE(changed.wait_for(lock, 10s, [&] { return ticks[0] >= 3 && ticks[1] >= 3; }))
            << ticks[0] << " and " << ticks[1] << " ticks";
    }
    EXPECT_EQ(off_thread.load(), 0);

    // Stopped, the timers keep no loop running: the workers end once they run out of work.
    ticker.stop();
    pool.stop(false);
    auto joined = std::async(std::launch::async, [&pool] { pool.join(); });
    const bool ended = joined.wait_for(10s) == std::future_status::ready;
    if (!ended) {
        pool.stop(true); // the timers kept the loops open: end them so the test can report it
    }
    EXPECT_TRUE(ended);
}

} // namespace
} // namespace hubcast::transport

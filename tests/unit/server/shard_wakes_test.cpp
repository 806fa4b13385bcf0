// Cross-worker wake-ups: a worker that pushes tasks to another shard wakes it once its own handler
// has returned, so the other worker drains the whole burst in one go; off a worker thread the
// wake-up is immediate.
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "core/router.hpp"
#include "server/shard_wakes.hpp"

namespace hubcast::server {
namespace {

namespace asio = boost::asio;

class ShardWakes : public ::testing::Test {
protected:
    ShardWakes() {
        target_shard().inbox().set_wake([this] { wake_shard(target_, target_shard()); });
    }
    core::shard& target_shard() { return router_.shard_at(1); }

    core::router router_{2};
    asio::io_context own_;    // the pushing worker's loop
    asio::io_context target_; // the loop of the shard that receives the tasks
};

TEST_F(ShardWakes, AWorkersBurstIsDrainedInOneGoAfterItsHandlerReturns) {
    int ran = 0;
    std::size_t ready_during_handler = 0;
    std::thread worker([&] {
        bind_shard_wakes_to_current_thread(own_);
        asio::post(own_, [&] {
            for (int i = 0; i < 5; ++i) {
                target_shard().inbox().post([&ran] { ++ran; });
            }
            ready_during_handler = target_.poll(); // nothing may be posted to the target yet
        });
        own_.run();
    });
    worker.join();
    EXPECT_EQ(ready_during_handler, 0u);
    target_.restart(); // the empty poll above stopped it
    EXPECT_EQ(target_.poll(), 1u) << "one wake-up, one drain";
    EXPECT_EQ(ran, 5);
}

TEST_F(ShardWakes, OffAWorkerThreadTheWakeUpIsImmediate) {
    int ran = 0;
    std::thread outsider([&] { target_shard().inbox().post([&ran] { ++ran; }); });
    outsider.join();
    EXPECT_EQ(target_.poll(), 1u);
    EXPECT_EQ(ran, 1);
}

TEST_F(ShardWakes, AWorkerWakingItsOwnShardPostsAtOnce) {
    int ran = 0;
    std::size_t ready_during_handler = 0;
    std::thread worker([&] {
        bind_shard_wakes_to_current_thread(target_);
        asio::post(own_, [&] {
            target_shard().inbox().post([&ran] { ++ran; });
            ready_during_handler = target_.poll();
        });
        own_.run();
    });
    worker.join();
    EXPECT_EQ(ready_during_handler, 1u);
    EXPECT_EQ(ran, 1);
}

} // namespace
} // namespace hubcast::server

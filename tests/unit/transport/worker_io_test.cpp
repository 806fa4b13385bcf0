// The end of a loop turn, as worker_io offers it: work deferred from a handler runs after that
// handler returns, all of it in one posted task, and the thread a worker loop runs on knows it.
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "transport/worker_io.hpp"

namespace hubcast::transport {
namespace {

namespace asio = boost::asio;

TEST(WorkerIo, DeferredWorkRunsAfterTheHandlerInOneTaskInOrder) {
    asio::io_context loop;
    auto& io = asio::use_service<worker_io>(loop);
    std::vector<int> ran;
    asio::post(loop, [&] {
        io.defer([&ran] { ran.push_back(1); });
        io.defer([&ran] { ran.push_back(2); });
        ran.push_back(0); // the handler itself finishes first
    });
    EXPECT_EQ(loop.run_one(), 1u);
    EXPECT_EQ(ran, (std::vector<int>{0}));
    EXPECT_EQ(loop.run_one(), 1u) << "both deferred tasks run in one posted task";
    EXPECT_EQ(ran, (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(loop.poll(), 0u);
}

TEST(WorkerIo, WorkDeferredByDeferredWorkWaitsForTheNextTurn) {
    asio::io_context loop;
    auto& io = asio::use_service<worker_io>(loop);
    int ran = 0;
    io.defer([&] {
        ++ran;
        io.defer([&ran] { ++ran; });
    });
    EXPECT_EQ(loop.run_one(), 1u);
    EXPECT_EQ(ran, 1);
    EXPECT_EQ(loop.run_one(), 1u);
    EXPECT_EQ(ran, 2);
}

TEST(WorkerIo, OnlyAThreadBoundToALoopHasACurrentWorker) {
    asio::io_context loop;
    EXPECT_EQ(worker_io::current(), nullptr);
    worker_io* seen = nullptr;
    bool runs_own = false;
    std::thread worker([&] {
        worker_io::bind_to_current_thread(loop);
        seen = worker_io::current();
        runs_own = seen != nullptr && seen->runs(loop);
    });
    worker.join();
    EXPECT_EQ(seen, &asio::use_service<worker_io>(loop));
    EXPECT_TRUE(runs_own);
    EXPECT_EQ(worker_io::current(), nullptr) << "the binding is the worker thread's own";
    asio::io_context other;
    EXPECT_FALSE(asio::use_service<worker_io>(loop).runs(other));
}

} // namespace
} // namespace hubcast::transport

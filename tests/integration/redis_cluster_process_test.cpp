// The test-support Redis Cluster (support/redis_cluster_process): three real masters on loopback
// that serve each key on the master owning its slot, count shard subscribers where hubcast's
// backplane will look for them, and survive a master stopped and started again.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "support/deadline.hpp"
#include "support/redis_cluster_process.hpp"
#include "support/test_failure.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

using context_ptr = std::unique_ptr<redisContext, void (*)(redisContext*)>;
using reply_ptr = std::unique_ptr<redisReply, void (*)(void*)>;

const std::string commands_channel = "hubcast:0:commands";

context_ptr connect(std::uint16_t port) {
    const timeval timeout{2, 0};
    context_ptr context(redisConnectWithTimeout("127.0.0.1", port, timeout), &redisFree);
    if (!context || context->err != 0 || redisSetTimeout(context.get(), timeout) != REDIS_OK) {
        throw test_failure("cannot connect to Redis on port " + std::to_string(port));
    }
    return context;
}

reply_ptr command(redisContext* context, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    reply_ptr reply(static_cast<redisReply*>(redisCommandArgv(context, static_cast<int>(argv.size()),
                                                              argv.data(), lengths.data())),
                    &freeReplyObject);
    if (!reply) {
        throw test_failure(args.front() + ": no reply (" + context->errstr + ")");
    }
    return reply;
}

std::string text_of(const redisReply& reply) {
    return {reply.str, reply.len};
}

TEST(RedisClusterProcess, ServesKeysOnTheirMasterAndCountsShardSubscribers) {
    const redis_cluster_process cluster;
    const std::vector<std::uint16_t> ports = cluster.ports();
    ASSERT_EQ(ports.size(), 3U);
    std::string expected_url("redis+cluster://");
    for (std::size_t i = 0; i < ports.size(); ++i) {
        expected_url.append(i == 0 ? "" : ",").append("127.0.0.1:").append(std::to_string(ports[i]));
    }
    EXPECT_EQ(cluster.url(), expected_url);

    const std::string key = "hubcast:self-test";
    const std::uint16_t owner = ports.at(cluster.master_of(key));
    const auto context = connect(owner);
    EXPECT_EQ(command(context.get(), {"SET", key, "value"})->type, REDIS_REPLY_STATUS);
    EXPECT_EQ(text_of(*command(context.get(), {"GET", key})), "value");
    // Any other master redirects: the three really are one cluster.
    const auto other = connect(owner == ports[0] ? ports[1] : ports[0]);
    const auto moved = command(other.get(), {"GET", key});
    ASSERT_EQ(moved->type, REDIS_REPLY_ERROR);
    EXPECT_TRUE(text_of(*moved).ends_with("127.0.0.1:" + std::to_string(owner))) << text_of(*moved);

    EXPECT_EQ(cluster.shard_subscribers(commands_channel), 0);
    auto subscriber = connect(ports.at(cluster.master_of(commands_channel)));
    const auto confirmed = command(subscriber.get(), {"SSUBSCRIBE", commands_channel});
    ASSERT_EQ(confirmed->type, REDIS_REPLY_ARRAY);
    EXPECT_EQ(text_of(*confirmed->element[0]), "ssubscribe");
    EXPECT_EQ(cluster.shard_subscribers(commands_channel), 1);
    // Redis drops a closed connection's subscriptions when it reads the close: asynchronously.
    subscriber.reset();
    EXPECT_TRUE(cluster.wait_for_shard_subscribers(commands_channel, 0));
}

} // namespace
} // namespace hubcast::test

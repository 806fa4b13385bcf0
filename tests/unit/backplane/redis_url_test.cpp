// The forms of --redis: what each part of the URL becomes, and refusals that never echo a password.
#include <gtest/gtest.h>

#include "backplane/redis_url.hpp"

namespace hubcast::backplane {
namespace {

TEST(RedisUrl, HostPortAndDatabase) {
    const auto parsed = parse_redis_url("redis://127.0.0.1:6380/2");
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->host, "127.0.0.1");
    EXPECT_EQ(parsed->port, 6380);
    EXPECT_EQ(parsed->database, 2);
    EXPECT_TRUE(parsed->password.empty());
    EXPECT_EQ(parsed->describe(), "redis://127.0.0.1:6380/2");
}

TEST(RedisUrl, DefaultsArePort6379AndDatabase0) {
    const auto parsed = parse_redis_url("redis://cache");
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->port, 6379);
    EXPECT_EQ(parsed->database, 0);
}

TEST(RedisUrl, PasswordAndUserAreKeptButNeverDescribed) {
    const auto parsed = parse_redis_url("redis://app:s3cret@[::1]:7000/1");
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->host, "::1");
    EXPECT_EQ(parsed->user, "app");
    EXPECT_EQ(parsed->password, "s3cret");
    EXPECT_EQ(parsed->describe(), "redis://app:***@[::1]:7000/1");
    const auto only_password = parse_redis_url("redis://:pw@h");
    ASSERT_TRUE(only_password);
    EXPECT_TRUE(only_password->user.empty());
    EXPECT_EQ(only_password->password, "pw");
}

TEST(RedisUrl, UnixSocketWithDatabase) {
    const auto parsed = parse_redis_url("unix:///tmp/r/redis.sock?db=4");
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->socket_path, "/tmp/r/redis.sock");
    EXPECT_EQ(parsed->database, 4);
    EXPECT_TRUE(parsed->host.empty());
}

TEST(RedisUrl, AClusterIsItsSeedsWithOneLogin) {
    const auto parsed = parse_redis_url("redis+cluster://app:pw@10.0.0.1:7000,10.0.0.2,[::1]:7002");
    ASSERT_TRUE(parsed) << parsed.error();
    ASSERT_TRUE(parsed->is_cluster());
    ASSERT_EQ(parsed->cluster_seeds.size(), 3U);
    EXPECT_EQ(parsed->cluster_seeds[0], (redis_endpoint::address{"10.0.0.1", 7000}));
    EXPECT_EQ(parsed->cluster_seeds[1], (redis_endpoint::address{"10.0.0.2", 6379}));
    EXPECT_EQ(parsed->cluster_seeds[2], (redis_endpoint::address{"::1", 7002}));
    EXPECT_EQ(parsed->database, 0);
    EXPECT_EQ(parsed->describe(), "redis+cluster://app:***@10.0.0.1:7000,10.0.0.2:6379,[::1]:7002");
    const auto master = parsed->at({"10.0.0.5", 7005});
    EXPECT_FALSE(master.is_cluster());
    EXPECT_EQ(master.user, "app");
    EXPECT_EQ(master.password, "pw");
    EXPECT_EQ(master.describe(), "redis://app:***@10.0.0.5:7005/0");
    EXPECT_FALSE(parse_redis_url("redis://h")->is_cluster());
}

TEST(RedisUrl, RefusalsSayWhyWithoutThePassword) {
    for (const char* bad : {"http://h", "redis://", "redis://h:0", "redis://h:70000", "redis://h:x",
                            "redis://h/x", "redis://user@h", "redis://[::1", "unix://relative",
                            "unix:///s?x=1", "rediss://h", "redis+cluster://", "redis+cluster://a:1,",
                            "redis+cluster://a:1/2", "redis+cluster://a:1,b:x", "redis+cluster://a:0"}) {
        const auto parsed = parse_redis_url(bad);
        EXPECT_FALSE(parsed) << bad;
    }
    const auto refused = parse_redis_url("redis://:topsecret@h:99999");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().find("topsecret"), std::string::npos) << refused.error();
}

} // namespace
} // namespace hubcast::backplane

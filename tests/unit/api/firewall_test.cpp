// Abuse-limit keys and the per-connection inbound meter (docs/configuration.md, "Abuse limits").

#include <chrono>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include "api/firewall.hpp"

namespace hubcast::api {
namespace {

using namespace std::chrono_literals;

const core::limit_clock::time_point t0 = core::limit_clock::time_point{} + 1000s;

TEST(AddressKey, Ipv4IsTheAddressWithoutThePort) {
    EXPECT_EQ(address_key("203.0.113.7:51234"), "203.0.113.7");
    EXPECT_EQ(address_key("203.0.113.7:1"), address_key("203.0.113.7:65535"));
}

// One subscriber holds a whole IPv6 /64: keyed per address, a limit would be no limit at all.
TEST(AddressKey, Ipv6IsKeyedByItsSlash64) {
    EXPECT_EQ(address_key("2001:db8:1:2:aaaa::1:443"), address_key("2001:db8:1:2:bbbb::9:443"));
    EXPECT_NE(address_key("2001:db8:1:2::1:443"), address_key("2001:db8:1:3::1:443"));
    EXPECT_EQ(address_key("[2001:db8:1:2::1]:443"), address_key("2001:db8:1:2::7:80"));
}

TEST(AddressKey, Ipv4MappedIpv6IsTheIpv4Address) {
    EXPECT_EQ(address_key("::ffff:198.51.100.4:8080"), "198.51.100.4");
}

TEST(AddressKey, SomethingElseIsLimitedAsWritten) {
    EXPECT_EQ(address_key("unix-socket:0"), "unix-socket");
    EXPECT_EQ(address_key(""), "");
}

TEST(TokenKey, JtiWhenPresentElseTheSignature) {
    EXPECT_EQ(token_key("h.p.sig1", boost::json::object{{"jti", "abc"}}), "jti:abc");
    EXPECT_EQ(token_key("h.p.sig2", boost::json::object{{"jti", "abc"}}), "jti:abc");
    EXPECT_EQ(token_key("h.p.sig1", boost::json::object{}), "sig:sig1");
    EXPECT_EQ(token_key("h.p.sig1", boost::json::object{{"jti", 7}}), "sig:sig1") << "jti must be a string";
    EXPECT_NE(token_key("h.p.sig1", {}), token_key("h.p.sig2", {}));
}

TEST(InboundMeter, NamesTheLimitThatWasPassed) {
    firewall_options options;
    options.inbound_window = 10s;
    options.max_inbound_messages = 2;
    options.max_inbound_bytes = 100;
    inbound_meter meter(options);
    EXPECT_EQ(meter.add(t0, 10), inbound_meter::verdict::allowed);
    EXPECT_EQ(meter.add(t0, 90), inbound_meter::verdict::allowed);
    EXPECT_EQ(meter.add(t0, 0), inbound_meter::verdict::too_many_messages);

    inbound_meter bytes(options);
    EXPECT_EQ(bytes.add(t0, 101), inbound_meter::verdict::too_many_bytes);
}

TEST(InboundMeter, ANewWindowStartsAfresh) {
    firewall_options options;
    options.inbound_window = 10s;
    options.max_inbound_messages = 1;
    inbound_meter meter(options);
    EXPECT_EQ(meter.add(t0, 1'000'000), inbound_meter::verdict::allowed) << "no byte limit configured";
    EXPECT_EQ(meter.add(t0 + 10s, 1), inbound_meter::verdict::allowed);
    EXPECT_EQ(meter.add(t0 + 11s, 1), inbound_meter::verdict::too_many_messages);
}

TEST(Firewall, ExpiresConnectionsOnceTheirLifetimeHasPassedOldestFirst) {
    firewall_options options;
    options.max_connection_lifetime = 60s;
    firewall limits(options, 2);
    limits.opened(0, "a", t0);
    limits.opened(0, "b", t0 + 1s);
    limits.opened(1, "c", t0);
    std::vector<std::string> expired;
    auto collect = [&](const std::string& id) {
        expired.push_back(id);
    };
    limits.expire(0, t0 + 59s, collect);
    EXPECT_TRUE(expired.empty());
    limits.expire(0, t0 + 61s, collect);
    EXPECT_EQ(expired, (std::vector<std::string>{"a", "b"}));
    limits.expire(0, t0 + 3600s, collect);
    EXPECT_EQ(expired.size(), 2u) << "each id is passed once";
    limits.expire(1, t0 + 60s, collect);
    EXPECT_EQ(expired.back(), "c") << "shards keep their own queues";
}

TEST(Firewall, NoLifetimeKeepsNothing) {
    firewall limits(firewall_options{}, 1);
    limits.opened(0, "a", t0);
    bool called = false;
    limits.expire(0, t0 + 24h * 365, [&](const std::string&) { called = true; });
    EXPECT_FALSE(called);
}

TEST(Firewall, HandshakesAreUnlimitedByDefault) {
    firewall limits(firewall_options{}, 1);
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(limits.take_handshake("10.0.0.1:1234", t0).allowed);
    }
}

TEST(Firewall, HandshakesAreLimitedPerAddress) {
    firewall_options options;
    options.handshakes_per_ip_per_second = 1;
    options.handshake_burst_per_ip = 1;
    firewall limits(options, 1);
    EXPECT_TRUE(limits.take_handshake("10.0.0.1:1000", t0).allowed);
    EXPECT_FALSE(limits.take_handshake("10.0.0.1:1001", t0).allowed) << "another port, the same address";
    EXPECT_TRUE(limits.take_handshake("10.0.0.2:1000", t0).allowed);
}

} // namespace
} // namespace hubcast::api

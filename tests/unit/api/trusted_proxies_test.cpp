// --trusted-proxy (docs/configuration.md, "Behind a proxy"): X-Forwarded-For and
// X-Forwarded-Proto are believed from trusted proxies only, and the client is the last address
// that is not one of them.
#include <gtest/gtest.h>

#include "api/trusted_proxies.hpp"

namespace hubcast::api {
namespace {

trusted_proxies proxies(const std::vector<std::string>& entries) {
    auto parsed = trusted_proxies::parse(entries);
    EXPECT_TRUE(parsed) << parsed.error();
    return std::move(parsed).value();
}

protocol::http_request from(std::string remote, std::vector<std::pair<std::string, std::string>> headers) {
    protocol::http_request request;
    request.remote_address = std::move(remote);
    request.headers = std::move(headers);
    return request;
}

TEST(TrustedProxies, ParsesAddressesAndRangesOfBothFamilies) {
    const auto trusted = proxies({"10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"});
    EXPECT_TRUE(trusted.trusts("10.200.3.4"));
    EXPECT_FALSE(trusted.trusts("11.0.0.1"));
    EXPECT_TRUE(trusted.trusts("192.168.1.7"));
    EXPECT_FALSE(trusted.trusts("192.168.1.8"));
    EXPECT_TRUE(trusted.trusts("fd12::5"));
    EXPECT_FALSE(trusted.trusts("fe80::1"));
    EXPECT_TRUE(trusted.trusts("::1"));
    EXPECT_TRUE(trusted.trusts("::ffff:10.1.2.3")); // IPv4-mapped, as a dual-stack socket reports it
    EXPECT_FALSE(trusted.trusts("not-an-address"));
    EXPECT_TRUE(proxies({"0.0.0.0/0"}).trusts("8.8.8.8"));
    EXPECT_FALSE(proxies({"0.0.0.0/0"}).trusts("2001:db8::1"));
}

TEST(TrustedProxies, RefusesWhatIsNotAnAddressOrRange) {
    for (const char* entry : {"", "localhost", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::/129", "1.2.3"}) {
        EXPECT_FALSE(trusted_proxies::parse({entry})) << entry;
    }
}

TEST(TrustedProxies, TheClientIsTheLastAddressThatIsNotATrustedProxy) {
    const auto trusted = proxies({"127.0.0.1", "10.0.0.0/8"});
    auto request = from("127.0.0.1:40000",
                        {{"X-Forwarded-For", "203.0.113.9, 10.1.1.1"}, {"X-Forwarded-Proto", "https"}});
    trusted.apply(request);
    EXPECT_EQ(request.remote_address, "203.0.113.9:0");
    EXPECT_TRUE(request.secure);

    // A client cannot push its own choice in front: only the last untrusted hop counts.
    auto spoofed =
        from("127.0.0.1:40000", {{"x-forwarded-for", "1.1.1.1"}, {"X-Forwarded-For", "198.51.100.4"}});
    trusted.apply(spoofed);
    EXPECT_EQ(spoofed.remote_address, "198.51.100.4:0");
    EXPECT_FALSE(spoofed.secure);

    auto all_trusted = from("127.0.0.1:40000", {{"X-Forwarded-For", "10.0.0.2, 10.0.0.3"}});
    trusted.apply(all_trusted);
    EXPECT_EQ(all_trusted.remote_address, "10.0.0.2:0");

    auto ports_and_v6 = from("127.0.0.1:1", {{"X-Forwarded-For", "[2001:db8::7]:5555, 198.51.100.4:8080"}});
    trusted.apply(ports_and_v6);
    EXPECT_EQ(ports_and_v6.remote_address, "198.51.100.4:0");
    auto v6 = from("127.0.0.1:1", {{"X-Forwarded-For", "2001:db8::7"}});
    trusted.apply(v6);
    EXPECT_EQ(v6.remote_address, "2001:db8::7:0");

    auto garbage = from("127.0.0.1:1", {{"X-Forwarded-For", "203.0.113.9, unknown"}});
    trusted.apply(garbage);
    EXPECT_EQ(garbage.remote_address, "127.0.0.1:1"); // the proxy that wrote "unknown"
}

TEST(TrustedProxies, HeadersFromAnyoneElseAreIgnored) {
    const auto trusted = proxies({"10.0.0.0/8"});
    auto request = from("203.0.113.9:5000", {{"X-Forwarded-For", "1.2.3.4"}, {"X-Forwarded-Proto", "https"}});
    trusted.apply(request);
    EXPECT_EQ(request.remote_address, "203.0.113.9:5000");
    EXPECT_FALSE(request.secure);

    auto none_configured =
        from("10.0.0.1:5000", {{"X-Forwarded-For", "1.2.3.4"}, {"X-Forwarded-Proto", "https"}});
    proxies({}).apply(none_configured);
    EXPECT_EQ(none_configured.remote_address, "10.0.0.1:5000");
    EXPECT_FALSE(none_configured.secure);
}

} // namespace
} // namespace hubcast::api

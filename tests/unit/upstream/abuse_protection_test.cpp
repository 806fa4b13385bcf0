#include <gtest/gtest.h>

#include "upstream/abuse_protection.hpp"

namespace hubcast::upstream {
namespace {

transport::http_client_response answer(unsigned status, std::vector<std::string> allowed) {
    transport::http_client_response response;
    response.status = status;
    for (auto& value : allowed) {
        response.headers.emplace_back("webhook-allowed-origin", std::move(value));
    }
    return response;
}

TEST(AbuseProtection, WhatTheHandlerSdksAnswerAllowsUs) {
    EXPECT_TRUE(allows_origin(answer(200, {"*"}), "hubcast.example"))
        << "express without allowedEndpoints, .NET";
    EXPECT_TRUE(allows_origin(answer(200, {"other.example", "hubcast.example:8080"}), "hubcast.example"))
        << "express lists new URL(endpoint).host, one line each, with the port";
    EXPECT_TRUE(allows_origin(answer(204, {"a.example, HUBCAST.example"}), "hubcast.example"));
    EXPECT_TRUE(allows_origin(answer(200, {"[::1]:8080"}), "::1"));
}

TEST(AbuseProtection, AnIpv6OriginIsAllowedByItsHostWithAPort) {
    // Regression: hubcast's origin for an IPv6 listen address is "[::1]" (as .NET's Uri.Host writes
    // it), and express lists new URL("http://[::1]:8080").host, "[::1]:8080": the brackets were
    // stripped from the allowed host only, so the two never compared equal and the handler was
    // never called.
    EXPECT_TRUE(allows_origin(answer(200, {"[::1]:8080"}), "[::1]"));
    EXPECT_TRUE(allows_origin(answer(200, {"[::1]"}), "[::1]"));
    EXPECT_TRUE(allows_origin(answer(200, {"[FE80::1]:443"}), "[fe80::1]"));
    EXPECT_FALSE(allows_origin(answer(200, {"[::2]:8080"}), "[::1]"));
}

TEST(AbuseProtection, TheFlaskHandlersCommaAndSpaceListAllowsUs) {
    // azure-messaging-webpubsubservice-flask answers ", ".join(endpoints).
    EXPECT_TRUE(allows_origin(answer(200, {"other.example, hubcast.example"}), "hubcast.example"));
}

TEST(AbuseProtection, AnythingElseRefuses) {
    EXPECT_FALSE(allows_origin(answer(200, {}), "hubcast.example")) << "no header";
    EXPECT_FALSE(allows_origin(answer(200, {"other.example"}), "hubcast.example"));
    EXPECT_FALSE(allows_origin(answer(200, {"hubcast.example.evil"}), "hubcast.example"));
    EXPECT_FALSE(allows_origin(answer(400, {"*"}), "hubcast.example")) << ".NET's refusal";
    EXPECT_FALSE(allows_origin(answer(404, {}), "hubcast.example")) << "no handler at that path";
}

TEST(PreflightCache, AllowedStaysRefusedIsAskedAgainLater) {
    preflight_cache cache(std::chrono::seconds{30});
    const auto now = preflight_cache::clock::now();
    EXPECT_EQ(cache.lookup("a:80", now), preflight_cache::verdict::unknown);
    cache.record("a:80", true, now);
    cache.record("b:80", false, now);
    EXPECT_EQ(cache.lookup("a:80", now + std::chrono::hours{1}), preflight_cache::verdict::allowed);
    EXPECT_EQ(cache.lookup("b:80", now + std::chrono::seconds{29}), preflight_cache::verdict::refused);
    EXPECT_EQ(cache.lookup("b:80", now + std::chrono::seconds{30}), preflight_cache::verdict::unknown);
    cache.clear();
    EXPECT_EQ(cache.lookup("a:80", now), preflight_cache::verdict::unknown);
}

} // namespace
} // namespace hubcast::upstream

#include <atomic>
#include <cstdint>

#include <gtest/gtest.h>

#include "util/metrics_registry.hpp"

namespace hubcast::util {
namespace {

TEST(MetricsRegistry, EmptyRendersNothing) {
    const metrics_registry registry;
    EXPECT_EQ(registry.render(), "");
}

TEST(MetricsRegistry, RendersHelpTypeAndSampleInRegistrationOrder) {
    std::atomic<std::uint64_t> opened{3};
    metrics_registry registry;
    registry.add_counter("hubcast_things_opened_total", "Things opened.", opened);
    registry.add_gauge("hubcast_things_open", "Things open now.", [] { return std::uint64_t{2}; });
    registry.add_counter("hubcast_trims_total", "Trims.", [] { return std::uint64_t{0}; });
    EXPECT_EQ(registry.render(), "# HELP hubcast_things_opened_total Things opened.\n"
                                 "# TYPE hubcast_things_opened_total counter\n"
                                 "hubcast_things_opened_total 3\n"
                                 "# HELP hubcast_things_open Things open now.\n"
                                 "# TYPE hubcast_things_open gauge\n"
                                 "hubcast_things_open 2\n"
                                 "# HELP hubcast_trims_total Trims.\n"
                                 "# TYPE hubcast_trims_total counter\n"
                                 "hubcast_trims_total 0\n");
}

TEST(MetricsRegistry, ReadsValuesWhenRendering) {
    std::atomic<std::uint64_t> sent{0};
    metrics_registry registry;
    registry.add_counter("hubcast_sent_total", "Sent.", sent);
    sent.fetch_add(18446744073709551615ULL, std::memory_order_relaxed);
    EXPECT_NE(registry.render().find("\nhubcast_sent_total 18446744073709551615\n"), std::string::npos);
}

} // namespace
} // namespace hubcast::util

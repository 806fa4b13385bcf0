#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "support/deadline.hpp"

namespace hubcast::test {

/// The value of metric `name` in Prometheus text exposition format, summed over its label sets;
/// std::nullopt when no sample of that name is present.
std::optional<double> metric_value(std::string_view exposition, std::string_view name);

/// GET /metrics and metric_value(); a missing metric reads as 0 (a counter never incremented may
/// not be exported yet). Throws test_failure unless the answer is 200.
double read_metric(std::uint16_t port, std::string_view name, deadline limit = default_wait);

} // namespace hubcast::test

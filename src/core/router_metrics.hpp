#pragma once

#include "core/router.hpp"
#include "util/metrics_registry.hpp"

namespace hubcast::core {

/// Registers the node's reliable-session counters and its shards' mailbox totals (cross-worker
/// fan-out backlog and drops). `owner` must outlive every render of `registry`.
void register_router_metrics(util::metrics_registry& registry, router& owner);

} // namespace hubcast::core

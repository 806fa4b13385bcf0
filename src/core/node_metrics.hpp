#pragma once

#include "core/node.hpp"
#include "util/metrics_registry.hpp"

namespace hubcast::core {

/// Registers the node's reliable-session counters and its shards' mailbox totals (cross-worker
/// fan-out backlog and drops). `owner` must outlive every render of `registry`.
void register_node_metrics(util::metrics_registry& registry, node& owner);

} // namespace hubcast::core

#pragma once

#include "transport/worker_pool.hpp"
#include "util/metrics_registry.hpp"

namespace hubcast::transport {

/// Registers the open WebSocket sessions and the connections refused at the descriptor limit.
/// `counters` must outlive every render of `registry`.
void register_session_metrics(util::metrics_registry& registry, const session_counters& counters);

} // namespace hubcast::transport

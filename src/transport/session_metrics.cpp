#include "transport/session_metrics.hpp"

namespace hubcast::transport {

void register_session_metrics(util::metrics_registry& registry, const session_counters& counters) {
    registry.add_gauge("hubcast_websocket_sessions", "Open WebSocket sessions.", [&counters] {
        return static_cast<std::uint64_t>(counters.websocket.load(std::memory_order_relaxed));
    });
    registry.add_counter("hubcast_refused_at_descriptor_limit_total",
                         "Connections refused at the descriptor limit.",
                         counters.refused_at_descriptor_limit);
    registry.add_counter("hubcast_pongs_skipped_total",
                         "Pongs not queued because the client's outbound queue was past its hard bound.",
                         counters.pongs_skipped);
}

} // namespace hubcast::transport

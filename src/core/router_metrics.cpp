#include "core/router_metrics.hpp"

namespace hubcast::core {

void register_router_metrics(util::metrics_registry& registry, router& owner) {
    const reliable_counters& reliable = owner.reliable_stats();
    registry.add_counter("hubcast_reliable_buffer_overflows_total",
                         "Reliable sessions ended for good because too many messages were unacknowledged.",
                         reliable.overflows);
    registry.add_counter("hubcast_reliable_sessions_expired_total",
                         "Reliable sessions ended because no recovery came within the recovery window.",
                         reliable.expired);
    registry.add_counter("hubcast_reliable_sessions_recovered_total",
                         "Reliable sessions resumed by a recovery.", reliable.recovered);
    registry.add_counter("hubcast_reliable_sessions_taken_over_total",
                         "Reliable sessions this node took over from another node (among those recovered).",
                         reliable.taken_over);
    registry.add_counter("hubcast_reliable_recoveries_refused_total",
                         "Recovery requests closed with 1008 (session gone, bad token, not reliable).",
                         reliable.recoveries_refused);
    // Each reader sums the shards again: a few relaxed loads per shard, once per scrape.
    const router* const boxes = &owner;
    registry.add_counter(
        "hubcast_mailbox_dropped_tasks_total",
        "Cross-worker fan-outs dropped because the worker's mailbox budget was full.",
        [boxes] { return static_cast<std::uint64_t>(boxes->mailbox_stats().dropped_tasks); });
    registry.add_counter(
        "hubcast_mailbox_dropped_bytes_total", "Weight in bytes of the dropped fan-outs.",
        [boxes] { return static_cast<std::uint64_t>(boxes->mailbox_stats().dropped_bytes); });
    registry.add_gauge("hubcast_mailbox_queued_bytes",
                       "Weight of the cross-worker tasks queued or running now.",
                       [boxes] { return static_cast<std::uint64_t>(boxes->mailbox_stats().queued_bytes); });
    registry.add_gauge("hubcast_mailbox_peak_queued_bytes",
                       "The most any one worker's mailbox has held since the start, in bytes.", [boxes] {
                           return static_cast<std::uint64_t>(boxes->mailbox_stats().peak_queued_bytes);
                       });
}

} // namespace hubcast::core

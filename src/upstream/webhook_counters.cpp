#include "upstream/webhook_counters.hpp"

namespace hubcast::upstream {

void webhook_counters::register_into(util::metrics_registry& registry) const {
    registry.add_counter("hubcast_webhook_requests_total", "Event handler requests sent, retries included.",
                         requests);
    registry.add_counter("hubcast_webhook_failures_total",
                         "Events that ended without a 2xx answer from the handler.", failures);
    registry.add_counter("hubcast_webhook_retries_total", "connected/disconnected attempts after the first.",
                         retries);
    registry.add_counter("hubcast_webhook_connects_rejected_total",
                         "Upgrades the connect handler refused with a 4xx.", connects_rejected);
    registry.add_counter("hubcast_webhook_preflight_refusals_total",
                         "Abuse-protection preflights that did not allow this server.", preflight_refusals);
    registry.add_counter("hubcast_webhook_user_events_refused_total",
                         "User events refused because too many were queued for their connection.",
                         user_events_refused);
}

} // namespace hubcast::upstream

#include "api/metrics.hpp"

namespace hubcast::api {

void metrics::register_into(util::metrics_registry& registry) const {
    registry.add_counter("hubcast_connections_opened_total", "Client connections accepted.",
                         connections_opened);
    registry.add_counter("hubcast_connections_closed_total", "Client connections ended.", connections_closed);
    registry.add_counter("hubcast_upgrades_rejected_total", "WebSocket upgrade requests refused.",
                         upgrades_rejected);
    registry.add_counter("hubcast_messages_received_total", "Data messages received from clients.",
                         messages_received);
    registry.add_counter("hubcast_simple_client_messages_dropped_total",
                         "Messages from simple clients dropped because no event handler takes them.",
                         simple_client_messages_dropped);
    registry.add_counter("hubcast_events_without_handler_total",
                         "PubSub event requests with no event handler.", events_without_handler);
    registry.add_counter("hubcast_invalid_messages_total",
                         "Client messages that closed the connection as invalid.", invalid_messages);
    registry.add_counter("hubcast_forbidden_requests_total", "Requests refused for lack of permission.",
                         forbidden_requests);
    registry.add_counter("hubcast_duplicate_requests_total", "Requests answered Duplicate.",
                         duplicate_requests);
    registry.add_counter("hubcast_group_messages_published_total", "sendToGroup requests published.",
                         group_messages_published);
    registry.add_counter("hubcast_slow_consumer_closes_total",
                         "Clients closed because they could not keep up.", slow_consumer_closes);
    registry.add_counter("hubcast_idle_timeout_closes_total",
                         "Clients closed after missing keep-alive pings.", idle_timeout_closes);
    registry.add_counter("hubcast_handshakes_throttled_total",
                         "Upgrade requests refused with 429 by the per-address handshake rate.",
                         handshakes_throttled);
    registry.add_counter("hubcast_handshake_addresses_untracked_total",
                         "Handshakes let through unlimited because the table of addresses was full.",
                         handshake_addresses_untracked);
    registry.add_counter("hubcast_connections_refused_per_user_total",
                         "Upgrade requests refused with 429: the user had its maximum of connections.",
                         connections_refused_per_user);
    registry.add_counter(
        "hubcast_connections_refused_per_token_total",
        "Upgrade requests refused with 429: the access token had its maximum of connections.",
        connections_refused_per_token);
    registry.add_counter("hubcast_lifetime_closes_total", "Connections closed at their maximum lifetime.",
                         lifetime_closes);
    registry.add_counter(
        "hubcast_inbound_limit_closes_total",
        "Connections closed for sending more messages or bytes than the inbound limits allow.",
        inbound_limit_closes);
}

} // namespace hubcast::api

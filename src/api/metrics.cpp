#include "api/metrics.hpp"

#include <fmt/format.h>

namespace hubcast::api {

namespace {
void counter(std::string& out, const char* name, const char* help, const std::atomic<std::uint64_t>& value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help,
                       value.load(std::memory_order_relaxed));
}
void gauge(std::string& out, const char* name, const char* help, std::size_t value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, value);
}
} // namespace

std::string metrics::render() const {
    std::string out;
    out.reserve(2048);
    counter(out, "hubcast_connections_opened_total", "Client connections accepted.", connections_opened);
    counter(out, "hubcast_connections_closed_total", "Client connections ended.", connections_closed);
    counter(out, "hubcast_upgrades_rejected_total", "WebSocket upgrade requests refused.", upgrades_rejected);
    counter(out, "hubcast_messages_received_total", "Data messages received from clients.",
            messages_received);
    counter(out, "hubcast_simple_client_messages_dropped_total",
            "Messages from simple clients dropped because no event handler takes them.",
            simple_client_messages_dropped);
    counter(out, "hubcast_events_without_handler_total", "PubSub event requests with no event handler.",
            events_without_handler);
    counter(out, "hubcast_invalid_messages_total", "Client messages that closed the connection as invalid.",
            invalid_messages);
    counter(out, "hubcast_forbidden_requests_total", "Requests refused for lack of permission.",
            forbidden_requests);
    counter(out, "hubcast_duplicate_requests_total", "Requests answered Duplicate.", duplicate_requests);
    counter(out, "hubcast_group_messages_published_total", "sendToGroup requests published.",
            group_messages_published);
    counter(out, "hubcast_slow_consumer_closes_total", "Clients closed because they could not keep up.",
            slow_consumer_closes);
    counter(out, "hubcast_idle_timeout_closes_total", "Clients closed after missing keep-alive pings.",
            idle_timeout_closes);
    counter(out, "hubcast_handshakes_throttled_total",
            "Upgrade requests refused with 429 by the per-address handshake rate.", handshakes_throttled);
    counter(out, "hubcast_handshake_addresses_untracked_total",
            "Handshakes let through unlimited because the table of addresses was full.",
            handshake_addresses_untracked);
    counter(out, "hubcast_connections_refused_per_user_total",
            "Upgrade requests refused with 429: the user had its maximum of connections.",
            connections_refused_per_user);
    counter(out, "hubcast_connections_refused_per_token_total",
            "Upgrade requests refused with 429: the access token had its maximum of connections.",
            connections_refused_per_token);
    counter(out, "hubcast_lifetime_closes_total", "Connections closed at their maximum lifetime.",
            lifetime_closes);
    counter(out, "hubcast_inbound_limit_closes_total",
            "Connections closed for sending more messages or bytes than the inbound limits allow.",
            inbound_limit_closes);
    if (reliable != nullptr) {
        counter(out, "hubcast_reliable_buffer_overflows_total",
                "Reliable sessions ended for good because too many messages were unacknowledged.",
                reliable->overflows);
        counter(out, "hubcast_reliable_sessions_expired_total",
                "Reliable sessions ended because no recovery came within the recovery window.",
                reliable->expired);
        counter(out, "hubcast_reliable_sessions_recovered_total", "Reliable sessions resumed by a recovery.",
                reliable->recovered);
        counter(out, "hubcast_reliable_recoveries_refused_total",
                "Recovery requests closed with 1008 (session gone, bad token, not reliable).",
                reliable->recoveries_refused);
    }
    if (mailboxes) {
        const core::mailbox_totals boxes = mailboxes();
        out += fmt::format(
            "# HELP hubcast_mailbox_dropped_tasks_total Cross-worker fan-outs dropped because the "
            "worker's mailbox budget was full.\n# TYPE hubcast_mailbox_dropped_tasks_total "
            "counter\nhubcast_mailbox_dropped_tasks_total {}\n",
            boxes.dropped_tasks);
        out += fmt::format(
            "# HELP hubcast_mailbox_dropped_bytes_total Weight in bytes of the dropped fan-outs.\n"
            "# TYPE hubcast_mailbox_dropped_bytes_total counter\n"
            "hubcast_mailbox_dropped_bytes_total {}\n",
            boxes.dropped_bytes);
        gauge(out, "hubcast_mailbox_queued_bytes", "Weight of the cross-worker tasks queued or running now.",
              boxes.queued_bytes);
        gauge(out, "hubcast_mailbox_peak_queued_bytes",
              "The most any one worker's mailbox has held since the start, in bytes.",
              boxes.peak_queued_bytes);
    }
    if (extra) {
        out += extra();
    }
    return out;
}

} // namespace hubcast::api

#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace hubcast::upstream {

/// How hubcast calls event handlers: the `[upstream]` table of the configuration. Timeouts are per
/// event kind (server spec 4.9 leaves them to us); each runs from the moment the event is sent,
/// waiting for a free connection included.
struct upstream_options {
    /// `WebHook-Request-Origin`: the host (no scheme, no port) of the endpoint app servers reach
    /// hubcast at, as the .NET handler compares it with its connection string. Empty: the host of
    /// `listen`.
    std::string origin;
    std::chrono::seconds connect_timeout{20};      // the client waits for its 101 meanwhile
    std::chrono::seconds user_event_timeout{20};   // later events of the connection queue behind it
    std::chrono::seconds notification_timeout{10}; // connected / disconnected, per attempt
    int notification_retries = 3;                  // after the first attempt, 1 s, 2 s, 4 s apart
    std::chrono::milliseconds retry_backoff{1000}; // the first wait; each next one doubles
    std::size_t max_requests_per_host = 32;        // per worker; more wait for a free connection
    std::size_t max_queued_events = 64;            // per connection, behind the one in flight
    /// Per connection: bytes (event names and data) the waiting events may hold. A client's event
    /// may be as large as a message (1 MiB), so the count alone let one connection hold 64 MiB. An
    /// empty queue takes any one event, so no event is refused for its size alone.
    std::size_t max_queued_event_bytes = 1024 * 1024;
};

} // namespace hubcast::upstream

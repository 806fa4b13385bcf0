#pragma once

#include <chrono>
#include <cstddef>

namespace hubcast::transport {

/// Limits and timers of HTTP and WebSocket sessions. Defaults follow Azure where it documents one.
struct session_options {
    std::size_t max_header_bytes = 16 * 1024;           // generous for JWTs in headers, bounded against abuse
    std::size_t max_body_bytes = 1024 * 1024;           // REST bodies: Azure's 1 MiB message limit
    std::chrono::seconds request_timeout{30};           // a client must send a whole request within this
    std::size_t max_message_bytes = 1024 * 1024;        // inbound WebSocket message: Azure's 1 MiB
    std::size_t read_buffer_bytes = 64 * 1024;          // one per worker, shared by its sessions
    std::size_t outbound_soft_bytes = 1024 * 1024;      // past this, send() reports backpressure
    std::size_t outbound_hard_bytes = 16 * 1024 * 1024; // past this, the client is a slow consumer
    std::chrono::seconds keepalive_interval{20};        // Azure's default ping interval
    int keepalive_misses = 3;                           // silent intervals before the idle timeout
    std::chrono::seconds close_timeout{5};              // wait for the peer's close frame, then drop
    // What queued frames' deadlines are compared with; a test substitutes its own clock so that a
    // deadline passes when it says, not when the machine gets round to it.
    std::chrono::steady_clock::time_point (*clock)() = &std::chrono::steady_clock::now;
};

} // namespace hubcast::transport

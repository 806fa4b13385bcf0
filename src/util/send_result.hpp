#pragma once

#include <chrono>
#include <cstdint>

namespace hubcast::util {

// The words for handing a frame to a connection, shared by the two layers that speak them: the
// core's port (core::connection_sink) and the transport's WebSocket (transport::ws_link). The core
// must not include the transport, and both may include util, so the one definition lives here and
// the server's bridge between them passes results through unchanged.

/// What happened to a frame handed to a connection.
enum class send_result : std::uint8_t {
    queued,       ///< accepted; the queue is below its bound
    backpressure, ///< accepted, but the queue is past its soft bound (no caller acts on this yet)
    dropped,      ///< not accepted: the queue is full (the client is then closed, 1008 SlowClient),
                  ///< or the connection is closing or has no transport
};

/// The moment a queued frame stops being worth writing (a REST send's `messageTtlSeconds`): a
/// frame still unwritten then is dropped whole instead. Most frames have none.
using send_deadline = std::chrono::steady_clock::time_point;
inline constexpr send_deadline no_deadline = send_deadline::max();

} // namespace hubcast::util

#pragma once

#include <boost/asio/io_context.hpp>

#include "core/shard.hpp"

namespace hubcast::server {

/// Wakes a shard's worker to drain its mailbox. Called on a worker thread, the wake-up is sent
/// once the calling handler has returned rather than at once: a worker that reads a burst of
/// publishes pushes them all before the other worker drains, so that worker flushes each of its
/// connections once for the whole burst. Woken at once, it could drain after the first push and
/// write one frame per connection per publish (measured with two workers on one core: 9.2 frames
/// per sendmsg against 15.6 with one worker; see docs/architecture.md section 10). Off a worker
/// thread (tests, the main thread) the wake-up is posted at once.
void wake_shard(boost::asio::io_context& shard_context, core::shard& shard);

/// Marks the calling thread as the worker running `own`: its wake-ups are deferred as above, to
/// the end of its loop turn (transport::worker_io, the one place that knows which worker a thread
/// is and what waits for the end of its turn).
void bind_shard_wakes_to_current_thread(boost::asio::io_context& own);

/// Lets `shard` hold sends until the end of its worker's loop turn (core::shard::set_turn_end):
/// they are delivered by work deferred to that turn's end, before its sessions flush.
void hold_sends_to_turn_end(boost::asio::io_context& shard_context, core::shard& shard);

} // namespace hubcast::server

#pragma once

#include <string_view>

#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"

namespace hubcast::test {

// Barriers: "nothing (more) arrives" proven by a message that must come after it, instead of a
// quiet period that a slow machine makes pass when it should fail. Each throws test_failure naming
// what arrived instead.

/// Nothing the server did for `client`'s own earlier frames is still to come: sends a ping and
/// requires the pong as its very next message. A connection's frames are handled in order, and
/// whatever handling one produces is queued before the next frame is read.
void expect_pong_next(pubsub_client& client);

/// Nothing that hubcast acknowledged before this call (a REST 202 or 204, a client's ack) is still
/// on its way to `client`, a JSON client of `hub`: sends it a REST text message and requires that
/// marker as its very next message. An acknowledged send was queued on each recipient's worker
/// before the marker is, and a worker delivers in queue order.
void expect_marker_next(const hubcast_process& server, pubsub_client& client, std::string_view hub = "chat");

} // namespace hubcast::test

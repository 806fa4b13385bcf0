#include "core/connection_sink.hpp"

#include <string>

#include "protocol/sequence_head.hpp"

namespace hubcast::core {

send_result connection_sink::send_sequenced(protocol::frame_family family, std::uint64_t sequence_id,
                                            const util::shared_bytes& body, send_deadline deadline) {
    const protocol::sequence_head head(family, sequence_id, body->size());
    std::string frame;
    frame.reserve(head.size() + body->size());
    frame += head.bytes();
    frame += *body;
    return send(util::make_shared_bytes(std::move(frame)), deadline);
}

void connection_sink::hold_writes() {}

void connection_sink::release_writes() {}

void connection_sink::abandon() {
    // 1001 (going away), not 1008: the session lives on, and this transport is simply replaced.
    close(1001, "The connection was recovered on another transport.");
}

} // namespace hubcast::core

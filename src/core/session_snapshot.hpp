#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/permissions.hpp"
#include "core/connection.hpp"
#include "core/send_origin.hpp"
#include "util/send_result.hpp"
#include "util/shared_bytes.hpp"

namespace hubcast::core {

/// A reliable session as it moves from the node that holds it to the node its client reconnected
/// to (docs/architecture.md, "Reliable sessions across nodes"): everything the connection is but
/// its transport. What the event handler channel holds (the connection state) is the caller's
/// to carry, since the core does not own that channel's contents.
struct session_snapshot {
    struct message {
        std::uint64_t sequence_id = 0;
        util::shared_bytes body; ///< the frame body of the connection's family (sequence_head omitted)
        util::send_deadline deadline = util::no_deadline;
        bool operator==(const message& other) const {
            return sequence_id == other.sequence_id && deadline == other.deadline &&
                   (body == other.body || (body && other.body && *body == *other.body));
        }
    };

    connection_info info;
    std::vector<std::string> groups; ///< sorted
    auth::permission_set::parts permissions;
    std::vector<std::uint64_t> remembered_ack_ids; ///< the ack window, oldest first
    std::uint64_t next_sequence_id = 1;
    /// Unacknowledged, oldest first, ids consecutive and ending at next_sequence_id - 1.
    std::vector<message> unacked;
    /// What the session's shard had processed when it left: every send of a stream up to its
    /// watermark that was for this session is among the messages above (or was acknowledged).
    stream_watermarks processed;
    /// What a recovery must present (connection::recovery_digest); empty when none was issued.
    std::string recovery_digest;
    /// The state its event handler set (`ce-connectionState`), carried for the event channel.
    std::optional<std::string> connection_state;
    bool operator==(const session_snapshot&) const = default;
};

} // namespace hubcast::core

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "auth/permissions.hpp"
#include "core/ack_window.hpp"
#include "core/connection_sink.hpp"
#include "core/prepared_message.hpp"
#include "protocol/subprotocol.hpp"

namespace hubcast::core {

struct connection_info {
    std::string id;
    std::string hub; ///< lowercase
    std::optional<std::string> user_id;
    protocol::subprotocol_kind kind = protocol::subprotocol_kind::none;
};

/// The core's view of one client: identity, groups, permissions, ack history and the sink its
/// frames go to. Lives on its owning shard and is touched only on that shard's thread.
class connection {
public:
    connection(connection_info info, auth::permission_set permissions, connection_sink& sink);

    const std::string& id() const noexcept { return info_.id; }
    const std::string& hub() const noexcept { return info_.hub; }
    const std::optional<std::string>& user_id() const noexcept { return info_.user_id; }
    protocol::subprotocol_kind kind() const noexcept { return info_.kind; }
    bool is_pubsub() const noexcept { return info_.kind != protocol::subprotocol_kind::none; }

    const std::unordered_set<std::string>& groups() const noexcept { return groups_; }
    auth::permission_set& permissions() noexcept { return permissions_; }
    const auth::permission_set& permissions() const noexcept { return permissions_; }
    ack_window& acks() noexcept { return acks_; }

    /// Queues the frame of this connection's family (`dropped` when that family has no frame yet).
    /// The transport drops it unwritten once `deadline` passes (REST messageTtlSeconds).
    send_result deliver(const prepared_message& message, send_deadline deadline = no_deadline);
    /// Queues an already-framed message (acks, system messages, pongs).
    send_result send_frame(const util::shared_bytes& frame, send_deadline deadline = no_deadline);
    /// Sends `system/disconnected` with `reason` to PubSub clients, in their subprotocol (JSON text
    /// or protobuf binary frame; simple clients get none), then closes the sink with `code`.
    /// Idempotent: only the first call has an effect. Afterwards deliver() and send_frame() drop.
    void close(std::uint16_t code, std::string_view reason);
    bool closing() const noexcept { return closing_; }

private:
    friend class shard; // maintains groups_ together with the shard's indexes

    connection_info info_;
    auth::permission_set permissions_;
    connection_sink& sink_;
    ack_window acks_;
    std::unordered_set<std::string> groups_;
    bool closing_ = false;
};

} // namespace hubcast::core

#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "core/connection_sink.hpp"
#include "util/shared_bytes.hpp"

namespace hubcast::core {

/// Bounds of one reliable session's unacknowledged messages (spec 5.2, spec 8).
struct reliable_limits {
    std::size_t max_messages = 1000;          // Azure's documented bound, also the emulator's
    std::size_t max_bytes = 16 * 1024 * 1024; // Azure's 16 MB, read as MiB as the emulator does
};

/// The numbered data messages a reliable session sent and the client has not acknowledged yet
/// (spec 5.1-5.3). Ids start at 1 and grow by one per message; acknowledgements are cumulative.
/// Each entry is the id and the `body` shared by every reliable recipient of the message: the
/// rest of the frame, its protocol::sequence_head, is rebuilt from the id when the message is
/// (re)sent, so holding a message costs this session an entry and nothing on the heap of its own.
/// The bodies are kept alive by owners held beside the entries, one per run of consecutive
/// messages with the same owner: a turn's sends kept by one owner cost this session one reference
/// count, not one atomic increment and decrement per message (bench/analysis.md, "Sends per turn").
/// Owned by one connection; not thread-safe.
class reliable_buffer {
public:
    struct entry {
        std::uint64_t sequence_id;
        const std::string* body; ///< alive while the entry is (body_of() shares it)
        send_deadline deadline;  ///< a replay after it is dropped by the transport, as the first send
        std::uint32_t head_size; ///< the sequence head's bytes, counted under the byte limit
        std::size_t size() const noexcept { return head_size + body->size(); }
    };

    explicit reliable_buffer(reliable_limits limits = {}) : limits_(limits) {}

    /// The id the next pushed message gets.
    std::uint64_t next_sequence_id() const noexcept { return next_id_; }
    /// The highest id handed out so far (0 before the first message).
    std::uint64_t last_sequence_id() const noexcept { return next_id_ - 1; }

    /// Keeps message next_sequence_id(), whose frame is a head of `head_size` bytes then `body`,
    /// and advances the id. Returns false, keeping nothing and not advancing, when the message
    /// would pass either limit: the session has overflowed and must end for good.
    bool push(util::shared_bytes body, std::size_t head_size, send_deadline deadline = no_deadline);
    /// push() of a body that `owner` keeps alive (with no deadline): consecutive pushes with the
    /// same owner hold it once.
    bool push_owned(const std::string& body, std::size_t head_size, const std::shared_ptr<const void>& owner);

    /// The body of `e`, one of unacked(), as shared bytes (sharing its owner): what a replay queues
    /// or a session moving to another node takes along.
    util::shared_bytes body_of(const entry& e) const;

    /// A cumulative `sequenceAck` (spec 5.2): releases every message with an id up to
    /// `sequence_id`; an id above the last one sent releases all of them. 0 and stale ids release
    /// nothing. Returns how many were released.
    std::size_t acknowledge(std::uint64_t sequence_id);

    /// The unacknowledged messages, oldest first: what a recovery replays, in this order.
    const std::deque<entry>& unacked() const noexcept;
    std::size_t size() const noexcept { return held_ ? held_->entries.size() : 0; }
    /// The frame bytes held (heads and bodies counted whole, as the client would receive them).
    std::size_t bytes() const noexcept { return bytes_; }
    const reliable_limits& limits() const noexcept { return limits_; }

    /// Makes `next_id` the id of the next message, so that a session moved from another node
    /// goes on with its own numbering. Only while it holds no message (std::logic_error otherwise).
    void start_at(std::uint64_t next_id);

    /// Forgets every message (the session ended); ids keep counting.
    void clear() noexcept;

private:
    /// What keeps the bodies of entries alive, oldest first: an owner keeps every body of the
    /// entries up to `last_id` since the previous owner's last_id.
    struct owner_run {
        std::uint64_t last_id;
        std::shared_ptr<const void> owner;
    };
    struct held {
        std::deque<entry> entries;
        std::deque<owner_run> owners;
    };
    bool keep(const std::string& body, std::size_t head_size, send_deadline deadline);

    reliable_limits limits_;
    // Made on the first push: libstdc++'s deque allocates a ~0.5 KB node when constructed and is
    // 80 bytes itself, and every connection has a buffer though only reliable ones ever fill it.
    std::unique_ptr<held> held_;
    std::size_t bytes_ = 0;
    std::uint64_t next_id_ = 1;
};

} // namespace hubcast::core

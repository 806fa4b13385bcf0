#pragma once

#include <cstdint>
#include <unordered_map>

namespace hubcast::core {

/// Where a send comes from when nodes share a backplane: the stream of the thread that sent it (its
/// node's key and the thread) and its position in that stream. A stream's sends reach each shard,
/// of any node, in position order, so a shard can say exactly which of them it has processed: what
/// a reliable session moving to another node needs to be delivered every message once
/// (docs/architecture.md, "Reliable sessions across nodes"). {0, 0}, a single node's, is none.
struct send_origin {
    std::uint64_t stream = 0;
    std::uint64_t position = 0;
    bool operator==(const send_origin&) const = default;
};

/// For each stream of sends a shard has processed sends of, the last position processed.
using stream_watermarks = std::unordered_map<std::uint64_t, std::uint64_t>;

} // namespace hubcast::core

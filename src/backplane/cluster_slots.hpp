#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backplane/redis_url.hpp"
#include "util/result.hpp"

struct redisReply;

namespace hubcast::backplane {

/// Redis Cluster splits keys and sharded channels over 16,384 hash slots.
inline constexpr std::size_t cluster_slot_count = 16384;

/// The hash slot of a key or sharded channel, as Redis Cluster computes it: CRC16 (XMODEM) of the
/// name, or of its hash tag (the text between the first '{' and the next '}', when not empty),
/// modulo 16,384. Written here because hiredis has no cluster support: it is twenty lines, and
/// the tests pin it to values Redis itself gives (CLUSTER KEYSLOT).
std::uint16_t key_slot(std::string_view name) noexcept;

/// The masters of a Redis Cluster and which of them serves each slot, from CLUSTER SLOTS.
struct cluster_layout {
    std::vector<redis_endpoint::address> masters; ///< numbered by the first slot each serves
    std::array<std::uint16_t, cluster_slot_count> master_of_slot{}; ///< index into masters

    bool operator==(const cluster_layout&) const = default;
};

/// Reads a CLUSTER SLOTS reply. A master whose host is empty (Redis does not know its own
/// address) is taken to be at `asked`'s host. Refused unless every slot has a master: a cluster
/// that is still forming or has lost slots cannot carry every channel.
util::result<cluster_layout, std::string> parse_cluster_slots(const redisReply& reply,
                                                              const redis_endpoint::address& asked);

} // namespace hubcast::backplane

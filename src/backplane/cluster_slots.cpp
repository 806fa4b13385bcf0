#include "backplane/cluster_slots.hpp"

#include <algorithm>

#include <hiredis/hiredis.h>

namespace hubcast::backplane {
namespace {

std::uint16_t crc16_xmodem(std::string_view bytes) noexcept {
    std::uint16_t crc = 0;
    for (const char c : bytes) {
        crc ^= static_cast<std::uint16_t>(static_cast<unsigned char>(c) << 8);
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                                      : static_cast<std::uint16_t>(crc << 1);
        }
    }
    return crc;
}

std::string_view hash_tag_or_name(std::string_view name) noexcept {
    const auto open = name.find('{');
    if (open == std::string_view::npos) {
        return name;
    }
    const auto close = name.find('}', open + 1);
    if (close == std::string_view::npos || close == open + 1) {
        return name;
    }
    return name.substr(open + 1, close - open - 1);
}

bool is_integer(const redisReply* reply) {
    return reply != nullptr && reply->type == REDIS_REPLY_INTEGER;
}

} // namespace

std::uint16_t key_slot(std::string_view name) noexcept {
    return static_cast<std::uint16_t>(crc16_xmodem(hash_tag_or_name(name)) % cluster_slot_count);
}

util::result<cluster_layout, std::string> parse_cluster_slots(const redisReply& reply,
                                                              const redis_endpoint::address& asked) {
    if (reply.type != REDIS_REPLY_ARRAY) {
        return util::fail(std::string("CLUSTER SLOTS did not answer with a list"));
    }
    struct range_of_master {
        long long first = 0;
        long long last = 0;
        redis_endpoint::address master;
    };
    std::vector<range_of_master> ranges;
    // Each entry: start slot, end slot, then the master [host, port, id, ...], then replicas.
    for (std::size_t i = 0; i < reply.elements; ++i) {
        const redisReply& range = *reply.element[i];
        if (range.type != REDIS_REPLY_ARRAY || range.elements < 3 || !is_integer(range.element[0]) ||
            !is_integer(range.element[1]) || range.element[2]->type != REDIS_REPLY_ARRAY ||
            range.element[2]->elements < 2 || range.element[2]->element[0]->type != REDIS_REPLY_STRING ||
            !is_integer(range.element[2]->element[1])) {
            return util::fail(std::string("CLUSTER SLOTS answered an entry of unknown shape"));
        }
        const long long first = range.element[0]->integer;
        const long long last = range.element[1]->integer;
        const long long port = range.element[2]->element[1]->integer;
        if (first < 0 || last < first || last >= static_cast<long long>(cluster_slot_count) || port <= 0 ||
            port > 65535) {
            return util::fail(std::string("CLUSTER SLOTS answered a slot range or port out of bounds"));
        }
        const std::string_view host(range.element[2]->element[0]->str, range.element[2]->element[0]->len);
        ranges.push_back({first, last,
                          redis_endpoint::address{host.empty() ? asked.host : std::string(host),
                                                  static_cast<std::uint16_t>(port)}});
    }
    // Numbered in slot order, so that one layout always reads the same whatever node answered.
    std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    cluster_layout layout;
    std::vector<bool> covered(cluster_slot_count, false);
    for (const auto& range : ranges) {
        auto found = std::find(layout.masters.begin(), layout.masters.end(), range.master);
        if (found == layout.masters.end()) {
            found = layout.masters.insert(layout.masters.end(), range.master);
        }
        const auto index = static_cast<std::uint16_t>(found - layout.masters.begin());
        for (long long slot = range.first; slot <= range.last; ++slot) {
            layout.master_of_slot.at(static_cast<std::size_t>(slot)) = index;
            covered.at(static_cast<std::size_t>(slot)) = true;
        }
    }
    if (std::find(covered.begin(), covered.end(), false) != covered.end()) {
        return util::fail(
            std::string("the cluster does not serve every slot (still forming, or slots lost)"));
    }
    return layout;
}

} // namespace hubcast::backplane

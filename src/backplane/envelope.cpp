#include "backplane/envelope.hpp"

#include <cstdint>
#include <limits>

#include "backplane/wire.hpp"

namespace hubcast::backplane {
namespace {

constexpr std::uint8_t version = 4; // also its wire_kind (command_wire.hpp)
constexpr std::uint8_t from_user_flag = 1;
constexpr std::uint8_t time_to_live_flag = 2;
constexpr std::uint8_t metadata_flag = 4;
constexpr std::uint8_t last_scope = static_cast<std::uint8_t>(core::send_scope::connection);
constexpr std::uint8_t last_data_type = static_cast<std::uint8_t>(protocol::data_type::protobuf);

util::result<envelope, std::string> truncated() {
    return util::fail(std::string("truncated envelope"));
}

} // namespace

std::string encode_envelope(std::string_view origin, const core::outgoing_send& send,
                            std::chrono::steady_clock::time_point now) {
    const auto& data = send.message.data();
    const auto& from_user = send.message.from_user_id();
    const bool has_from_user = send.scope == core::send_scope::group && from_user.has_value();
    const bool has_time_to_live = send.deadline != core::no_deadline;
    const bool has_metadata = !data.metadata.empty();
    std::string out;
    out.reserve(64 + origin.size() + send.hub.size() + send.target.size() + data.bytes.size() +
                send.skip.bytes());
    out.push_back(static_cast<char>(version));
    out.push_back(static_cast<char>(send.scope));
    out.push_back(static_cast<char>(data.type));
    out.push_back(static_cast<char>((has_from_user ? from_user_flag : 0) |
                                    (has_time_to_live ? time_to_live_flag : 0) |
                                    (has_metadata ? metadata_flag : 0)));
    if (has_time_to_live) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(send.deadline - now).count();
        put_integer(out, left > 0 ? static_cast<std::uint64_t>(left) : 0, 8);
    }
    put_integer(out, send.origin.stream, 8);
    put_integer(out, send.origin.position, 8);
    put_string(out, origin);
    put_string(out, send.hub);
    put_string(out, send.target);
    if (has_from_user) {
        put_string(out, *from_user);
    }
    put_string(out, send.filter != nullptr ? std::string_view(send.filter->source()) : std::string_view{});
    put_string(out, send.skip.no_echo_connection);
    put_integer(out, send.skip.connection_ids.size(), 4);
    for (const auto& id : send.skip.connection_ids) {
        put_string(out, id);
    }
    if (has_metadata) {
        put_integer(out, data.metadata.size(), 4);
        for (const auto& [key, value] : data.metadata) {
            put_string(out, key);
            put_string(out, value);
        }
    }
    put_string(out, data.bytes);
    return out;
}

util::result<envelope, std::string> decode_envelope(std::string_view bytes) {
    reader in(bytes);
    std::uint64_t header = 0;
    if (!in.integer(header, 4)) {
        return truncated();
    }
    const auto field = [header](int index) {
        return static_cast<std::uint8_t>(header >> (8 * (3 - index)));
    };
    if (field(0) != version) {
        return util::fail("unknown envelope version " + std::to_string(field(0)));
    }
    if (field(1) > last_scope || field(2) > last_data_type ||
        (field(3) & ~(from_user_flag | time_to_live_flag | metadata_flag)) != 0) {
        return util::fail(std::string("malformed envelope header"));
    }
    envelope out;
    auto& send = out.send;
    send.scope = static_cast<core::send_scope>(field(1));
    send.data.type = static_cast<protocol::data_type>(field(2));
    if ((field(3) & time_to_live_flag) != 0) {
        std::uint64_t milliseconds = 0;
        if (!in.integer(milliseconds, 8)) {
            return truncated();
        }
        const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 1'000'000);
        send.time_to_live = std::chrono::milliseconds(static_cast<std::int64_t>(std::min(milliseconds, max)));
    }
    if (!in.integer(send.origin.stream, 8) || !in.integer(send.origin.position, 8) ||
        !in.string(out.origin) || !in.string(send.hub) || !in.string(send.target)) {
        return truncated();
    }
    if ((field(3) & from_user_flag) != 0) {
        send.from_user_id.emplace();
        if (!in.string(*send.from_user_id)) {
            return truncated();
        }
    }
    std::uint64_t excluded = 0;
    if (!in.string(send.filter) || !in.string(send.no_echo_connection) || !in.integer(excluded, 4)) {
        return truncated();
    }
    // Each id takes at least its 4-byte length: a count the bytes cannot hold is refused before
    // anything is reserved for it.
    if (excluded > in.left() / 4) {
        return truncated();
    }
    send.excluded.resize(excluded);
    for (auto& id : send.excluded) {
        if (!in.string(id)) {
            return truncated();
        }
    }
    if ((field(3) & metadata_flag) != 0) {
        std::uint64_t pairs = 0;
        // A pair takes at least its two 4-byte lengths.
        if (!in.count(pairs, 8)) {
            return truncated();
        }
        send.data.metadata.resize(pairs);
        for (auto& [key, value] : send.data.metadata) {
            if (!in.string(key) || !in.string(value)) {
                return truncated();
            }
        }
        // What recipients get is what any node would accept from a client.
        if (send.data.metadata.empty() || !protocol::metadata_error(send.data.metadata).empty()) {
            return util::fail(std::string("malformed metadata in the envelope"));
        }
    }
    if (!in.string(send.data.bytes)) {
        return truncated();
    }
    if (!in.done()) {
        return util::fail(std::string("bytes after the payload"));
    }
    return out;
}

} // namespace hubcast::backplane

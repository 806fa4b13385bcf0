#include "backplane/session_wire.hpp"

#include <limits>

#include "backplane/wire.hpp"

namespace hubcast::backplane {
namespace {

constexpr std::uint64_t no_time_left = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint8_t last_kind = static_cast<std::uint8_t>(protocol::subprotocol_kind::protobuf_reliable);

void put_grants(std::string& out, const auth::permission_set::kind_parts& grants) {
    out.push_back(static_cast<char>(grants.all ? 1 : 0));
    put_strings(out, grants.literals);
    put_strings(out, grants.patterns);
    put_strings(out, grants.revoked);
}

bool read_grants(reader& in, auth::permission_set::kind_parts& grants) {
    std::uint8_t all = 0;
    if (!read_small(in, all, 1)) {
        return false;
    }
    grants.all = all != 0;
    return read_strings(in, grants.literals) && read_strings(in, grants.patterns) &&
           read_strings(in, grants.revoked);
}

std::uint64_t milliseconds_left(util::send_deadline deadline, std::chrono::steady_clock::time_point now) {
    if (deadline == util::no_deadline) {
        return no_time_left;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    return left > 0 ? static_cast<std::uint64_t>(left) : 0;
}

util::send_deadline deadline_after(std::uint64_t left, std::chrono::steady_clock::time_point now) {
    // Past what the clock can hold the message simply never expires.
    const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(util::no_deadline - now).count();
    if (left == no_time_left || left >= static_cast<std::uint64_t>(room)) {
        return util::no_deadline;
    }
    return now + std::chrono::milliseconds(left);
}

bool read_identity(reader& in, core::connection_info& info) {
    std::uint8_t has_user = 0;
    if (!in.string(info.id) || !in.string(info.hub) || !read_small(in, has_user, 1)) {
        return false;
    }
    if (has_user != 0 && !in.string(info.user_id.emplace())) {
        return false;
    }
    std::uint8_t kind = 0;
    if (!read_small(in, kind, last_kind)) {
        return false;
    }
    info.kind = static_cast<protocol::subprotocol_kind>(kind);
    return true;
}

bool read_unacked(reader& in, core::session_snapshot& out, std::chrono::steady_clock::time_point now) {
    std::uint64_t count = 0;
    // A message takes at least its two integers and its body's length: 20 bytes.
    if (!in.integer(out.next_sequence_id, 8) || !in.count(count, 20)) {
        return false;
    }
    out.unacked.resize(count);
    for (auto& message : out.unacked) {
        std::uint64_t left = 0;
        std::string body;
        if (!in.integer(message.sequence_id, 8) || !in.integer(left, 8) || !in.string(body)) {
            return false;
        }
        message.deadline = deadline_after(left, now);
        message.body = util::make_shared_bytes(std::move(body));
    }
    return true;
}

} // namespace

std::string encode_session(const core::session_snapshot& session, std::chrono::steady_clock::time_point now) {
    std::string out;
    put_string(out, session.info.id);
    put_string(out, session.info.hub);
    out.push_back(static_cast<char>(session.info.user_id ? 1 : 0));
    if (session.info.user_id) {
        put_string(out, *session.info.user_id);
    }
    out.push_back(static_cast<char>(session.info.kind));
    put_strings(out, session.groups);
    put_grants(out, session.permissions.join_leave);
    put_grants(out, session.permissions.send);
    put_integer(out, session.remembered_ack_ids.size(), 4);
    for (const std::uint64_t id : session.remembered_ack_ids) {
        put_integer(out, id, 8);
    }
    put_integer(out, session.next_sequence_id, 8);
    put_integer(out, session.unacked.size(), 4);
    for (const auto& message : session.unacked) {
        put_integer(out, message.sequence_id, 8);
        put_integer(out, milliseconds_left(message.deadline, now), 8);
        put_string(out, *message.body);
    }
    put_integer(out, session.processed.size(), 4);
    for (const auto& [stream, position] : session.processed) {
        put_integer(out, stream, 8);
        put_integer(out, position, 8);
    }
    put_string(out, session.recovery_digest);
    out.push_back(static_cast<char>(session.connection_state ? 1 : 0));
    if (session.connection_state) {
        put_string(out, *session.connection_state);
    }
    return out;
}

util::result<core::session_snapshot, std::string> decode_session(std::string_view bytes,
                                                                 std::chrono::steady_clock::time_point now) {
    reader in(bytes);
    core::session_snapshot out;
    std::uint64_t acks = 0;
    if (!read_identity(in, out.info) || !read_strings(in, out.groups) ||
        !read_grants(in, out.permissions.join_leave) || !read_grants(in, out.permissions.send) ||
        !in.count(acks, 8)) {
        return util::fail(std::string("truncated or malformed session"));
    }
    out.remembered_ack_ids.resize(acks);
    for (auto& id : out.remembered_ack_ids) {
        if (!in.integer(id, 8)) {
            return util::fail(std::string("truncated session"));
        }
    }
    std::uint64_t streams = 0;
    if (!read_unacked(in, out, now) || !in.count(streams, 16)) {
        return util::fail(std::string("truncated or malformed session"));
    }
    for (std::uint64_t i = 0; i < streams; ++i) {
        std::uint64_t stream = 0;
        std::uint64_t position = 0;
        if (!in.integer(stream, 8) || !in.integer(position, 8)) {
            return util::fail(std::string("truncated session"));
        }
        out.processed[stream] = position;
    }
    std::uint8_t has_state = 0;
    if (!in.string(out.recovery_digest) || !read_small(in, has_state, 1) ||
        (has_state != 0 && !in.string(out.connection_state.emplace()))) {
        return util::fail(std::string("truncated or malformed session"));
    }
    if (!in.done()) {
        return util::fail(std::string("bytes after the session"));
    }
    return out;
}

} // namespace hubcast::backplane

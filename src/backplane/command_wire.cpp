#include "backplane/command_wire.hpp"

#include "backplane/session_wire.hpp"
#include "backplane/wire.hpp"

namespace hubcast::backplane {
namespace {

constexpr std::uint8_t last_permission = static_cast<std::uint8_t>(auth::permission_kind::send_to_group);
constexpr std::uint8_t last_subprotocol =
    static_cast<std::uint8_t>(protocol::subprotocol_kind::protobuf_reliable);

template <typename T> util::result<T, std::string> refused(const char* why) {
    return util::fail(std::string(why));
}

} // namespace

std::string encode_command(const command_message& message) {
    const auto& c = message.command;
    std::string out;
    out.reserve(128 + c.hub.size() + c.reason.size() + c.filter.size());
    out.push_back(static_cast<char>(wire_kind::command));
    out.push_back(static_cast<char>(c.kind));
    put_integer(out, message.request, 8);
    put_string(out, message.origin);
    put_string(out, c.hub);
    put_string(out, c.connection_id);
    put_string(out, c.user_id);
    put_string(out, c.group);
    put_strings(out, c.groups);
    put_string(out, c.filter);
    put_strings(out, c.excluded);
    put_integer(out, c.code, 2);
    put_string(out, c.reason);
    out.push_back(static_cast<char>(c.permission));
    out.push_back(static_cast<char>(c.permission_target ? 1 : 0));
    if (c.permission_target) {
        put_string(out, *c.permission_target);
    }
    put_string(out, c.after);
    put_integer(out, c.limit, 8);
    put_string(out, c.node);
    put_string(out, c.recovery_digest);
    out.push_back(static_cast<char>(c.subprotocol));
    return out;
}

util::result<command_message, std::string> decode_command(std::string_view bytes) {
    reader in(bytes);
    std::uint8_t kind = 0;
    std::uint8_t command_kind = 0;
    if (!read_small(in, kind, 255) || kind != static_cast<std::uint8_t>(wire_kind::command)) {
        return refused<command_message>("not a command");
    }
    if (!read_small(in, command_kind, static_cast<std::uint8_t>(core::last_command_kind))) {
        return refused<command_message>("unknown command kind");
    }
    command_message out;
    auto& c = out.command;
    c.kind = static_cast<core::command_kind>(command_kind);
    std::uint64_t code = 0;
    std::uint8_t permission = 0;
    std::uint8_t has_target = 0;
    if (!in.integer(out.request, 8) || !in.string(out.origin) || !in.string(c.hub) ||
        !in.string(c.connection_id) || !in.string(c.user_id) || !in.string(c.group) ||
        !read_strings(in, c.groups) || !in.string(c.filter) || !read_strings(in, c.excluded) ||
        !in.integer(code, 2) || !in.string(c.reason) || !read_small(in, permission, last_permission) ||
        !read_small(in, has_target, 1)) {
        return refused<command_message>("truncated or malformed command");
    }
    c.code = static_cast<std::uint16_t>(code);
    c.permission = static_cast<auth::permission_kind>(permission);
    if (has_target != 0) {
        c.permission_target.emplace();
        if (!in.string(*c.permission_target)) {
            return refused<command_message>("truncated command");
        }
    }
    std::uint8_t subprotocol = 0;
    if (!in.string(c.after) || !in.integer(c.limit, 8) || !in.string(c.node) ||
        !in.string(c.recovery_digest) || !read_small(in, subprotocol, last_subprotocol)) {
        return refused<command_message>("truncated or malformed command");
    }
    c.subprotocol = static_cast<protocol::subprotocol_kind>(subprotocol);
    if (!in.done()) {
        return refused<command_message>("bytes after the command");
    }
    return out;
}

std::string encode_answer(const answer_message& message) {
    std::string out;
    out.push_back(static_cast<char>(wire_kind::answer));
    put_integer(out, message.request, 8);
    put_integer(out, static_cast<std::uint64_t>(message.answer.value), 8);
    put_integer(out, message.answer.members.size(), 4);
    for (const auto& member : message.answer.members) {
        put_string(out, member.connection_id);
        out.push_back(static_cast<char>(member.user_id ? 1 : 0));
        if (member.user_id) {
            put_string(out, *member.user_id);
        }
    }
    // The clock only turns deadlines into time left; both ends use their own.
    out.push_back(static_cast<char>(message.answer.session ? 1 : 0));
    if (message.answer.session) {
        put_string(out, encode_session(*message.answer.session, std::chrono::steady_clock::now()));
    }
    return out;
}

util::result<answer_message, std::string> decode_answer(std::string_view bytes) {
    reader in(bytes);
    std::uint8_t kind = 0;
    if (!read_small(in, kind, 255) || kind != static_cast<std::uint8_t>(wire_kind::answer)) {
        return refused<answer_message>("not an answer");
    }
    answer_message out;
    std::uint64_t value = 0;
    std::uint64_t members = 0;
    // A member takes at least its id's length and the user flag: 5 bytes.
    if (!in.integer(out.request, 8) || !in.integer(value, 8) || !in.count(members, 5)) {
        return refused<answer_message>("truncated answer");
    }
    out.answer.value = static_cast<std::int64_t>(value);
    out.answer.members.resize(members);
    for (auto& member : out.answer.members) {
        std::uint8_t has_user = 0;
        if (!in.string(member.connection_id) || !read_small(in, has_user, 1)) {
            return refused<answer_message>("truncated answer");
        }
        if (has_user != 0) {
            member.user_id.emplace();
            if (!in.string(*member.user_id)) {
                return refused<answer_message>("truncated answer");
            }
        }
    }
    std::uint8_t has_session = 0;
    if (!read_small(in, has_session, 1)) {
        return refused<answer_message>("truncated answer");
    }
    if (has_session != 0) {
        std::string session;
        if (!in.string(session)) {
            return refused<answer_message>("truncated answer");
        }
        auto decoded = decode_session(session, std::chrono::steady_clock::now());
        if (!decoded) {
            return refused<answer_message>("malformed session in the answer");
        }
        out.answer.session = std::move(*decoded);
    }
    if (!in.done()) {
        return refused<answer_message>("bytes after the answer");
    }
    return out;
}

} // namespace hubcast::backplane

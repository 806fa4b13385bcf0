#include "upstream/connect_reply.hpp"

#include <utility>

#include <fmt/format.h>

#include "protocol/cloud_events.hpp"

namespace hubcast::upstream {

bool is_success_status(unsigned status) noexcept {
    return status >= 200 && status <= 299;
}

std::string printable_snippet(std::string_view body, std::size_t limit) {
    std::string out(body.substr(0, limit));
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20) {
            c = ' ';
        }
    }
    if (body.size() > limit) {
        out += "...";
    }
    return out;
}

core::connect_outcome failed_connect_outcome() {
    core::connect_outcome outcome;
    outcome.result = core::connect_outcome::verdict::failed;
    outcome.status = 500;
    outcome.detail = "Internal Server Error: the connect event handler failed.";
    return outcome;
}

connect_reply interpret_connect_reply(unsigned status, std::string_view body,
                                      std::string_view connection_state) {
    connect_reply reply;
    if (status >= 400 && status <= 499) {
        reply.outcome.result = core::connect_outcome::verdict::rejected;
        reply.outcome.status = status;
        reply.outcome.detail = printable_snippet(body, max_detail_bytes);
        return reply;
    }
    if (!is_success_status(status)) {
        reply.outcome = failed_connect_outcome();
        reply.failure = fmt::format("answered {}: {}", status, printable_snippet(body));
        return reply;
    }
    auto answer = protocol::decode_connect_response(body);
    if (!answer) {
        reply.outcome = failed_connect_outcome();
        reply.failure = "answered an invalid body: " + answer.error();
        return reply;
    }
    reply.outcome.user_id = std::move(answer->user_id);
    reply.outcome.groups = std::move(answer->groups);
    reply.outcome.roles = std::move(answer->roles);
    reply.outcome.subprotocol = std::move(answer->subprotocol);
    if (!connection_state.empty()) {
        reply.outcome.connection_state = std::string(connection_state);
    }
    return reply;
}

} // namespace hubcast::upstream

#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/event_sink.hpp"

namespace hubcast::upstream {

/// A handler's refusal text reaches the client in the upgrade's response body; kept short.
inline constexpr std::size_t max_detail_bytes = 1024;
/// How much of a handler's body a log line quotes.
inline constexpr std::size_t max_logged_body = 200;

/// A 2xx status.
bool is_success_status(unsigned status) noexcept;

/// The first `limit` bytes of `body` with control characters as spaces, and "..." when cut: for
/// log lines and the upgrade's answer, which must not carry a handler's line breaks.
std::string printable_snippet(std::string_view body, std::size_t limit = max_logged_body);

/// The outcome of a connect whose handler could not be asked or answered nonsense: the upgrade
/// fails with 500 and a fixed text (the handler's words are for the log, not the client).
core::connect_outcome failed_connect_outcome();

/// What a connect event handler's answer means for the upgrade (server spec 4.2).
struct connect_reply {
    core::connect_outcome outcome;
    /// Why the answer was unusable (outcome `failed`), for the log; empty otherwise.
    std::string failure;
};

/// Reads the connect handler's HTTP answer: a 4xx rejects the upgrade with that status and the
/// body (printable_snippet, max_detail_bytes) as detail; a 2xx accepts it with what the body sets
/// (protocol::decode_connect_response; an invalid body fails) and `connection_state`, the
/// `ce-connectionState` header (empty: none); any other status fails. Pure: the caller logs and
/// counts.
connect_reply interpret_connect_reply(unsigned status, std::string_view body,
                                      std::string_view connection_state);

} // namespace hubcast::upstream

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace hubcast::upstream {

/// An event handler URL, split the way the HTTP client needs it.
struct webhook_url {
    std::string host; ///< name or IP literal, IPv6 without brackets
    std::uint16_t port = 80;
    std::string target; ///< path and query, percent-encoded, never empty
    std::string text;   ///< the whole URL, for logs

    /// "host:port": what abuse-protection results are kept by.
    std::string authority() const;
};

/// Checks a `url_template` (server spec 6): an absolute `http://` URL with a host, placeholders
/// `{hub}` and `{event}` (any case) only after the host, no other `{...}`. The error says what is
/// wrong.
util::result<bool, std::string> check_url_template(std::string_view url_template);

/// Replaces `{hub}` and `{event}` (case-insensitively) with the percent-encoded values.
std::string expand_url_template(std::string_view url_template, std::string_view hub, std::string_view event);

/// Parses an expanded URL; the error says why it cannot be called.
util::result<webhook_url, std::string> parse_webhook_url(std::string_view url);

} // namespace hubcast::upstream

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace hubcast::auth {

/// `Endpoint=http://HOST;Port=PORT;AccessKey=KEY;Version=1.0;` as Azure's SDKs read it.
struct connection_string {
    std::string endpoint; ///< scheme://host, without the port
    std::optional<std::uint16_t> port;
    std::string access_key;
    std::string version = "1.0";

    /// scheme://host[:port], what the SDKs use as the base URL.
    std::string base_url() const;
    std::string to_string() const;
};

/// Keys are case-insensitive, order free, a trailing `;` optional. Error: a message naming the
/// missing or bad key.
util::result<connection_string, std::string> parse_connection_string(std::string_view text);

} // namespace hubcast::auth

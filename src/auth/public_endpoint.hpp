#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace hubcast::auth {

/// Where clients and app servers reach the service when it is given (`--public-endpoint`): the
/// tokens hubcast verifies must then name it, and the ones it mints (`:generateToken`) and the
/// links it writes (`nextLink`) name it (docs/configuration.md, "Behind a proxy").
struct public_endpoint {
    std::string url;       ///< "https://chat.example.com" or "http://10.0.0.5:8080": no path, no slash
    std::string authority; ///< lowercase "host:port", the port explicit (443 for https, 80 for http)
};

/// Parses "http(s)://host[:port]" (one trailing `/` allowed); says what is wrong otherwise.
util::result<public_endpoint, std::string> parse_public_endpoint(std::string_view text);

/// The authority of an absolute URL as lowercase "host:port", the port made explicit by its scheme
/// (80 for http and ws, 443 for https and wss); nullopt for another scheme, user info, or no host.
std::optional<std::string> explicit_authority_of(std::string_view url);

} // namespace hubcast::auth

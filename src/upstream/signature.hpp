#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hubcast::upstream {

/// `ce-signature` (server spec 0.4 and 4.2): `sha256=<hex HMAC-SHA256(key, connectionId)>` for every
/// access key, joined with `,`; the key is the UTF-8 bytes of the key string, the hex lowercase.
/// Empty when there are no keys. The handler SDKs accept a request when any entry matches the key
/// they know, so a key rotation never breaks them.
std::string sign_connection_id(const std::vector<std::string>& keys, std::string_view connection_id);

} // namespace hubcast::upstream

#pragma once

#include <string>
#include <vector>

namespace hubcast::auth {

/// The server's access keys. The first signs (tokens hubcast mints); all verify (key rotation).
/// A key is used as the UTF-8 bytes of the string, never base64-decoded (spec 2.2).
struct access_keys {
    std::vector<std::string> keys;

    const std::string& signing_key() const { return keys.front(); }
    bool empty() const noexcept { return keys.empty(); }
};

} // namespace hubcast::auth

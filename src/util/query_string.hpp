#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hubcast::util {

/// One parameter to look for with find_query_params().
struct query_lookup {
    std::string_view name; ///< compared with each key once percent-decoded ('+' stays '+' in keys)
    bool found = false;    ///< some parameter has this key; only the first one is kept
    /// That parameter's value, still percent-encoded (decode_query_value()); nullopt when it has no `=`.
    std::optional<std::string_view> raw_value;
};

/// One pass over an encoded query (without the `?`): parameters are separated by `&`, a key ends at
/// its first `=`. Fills every lookup with the first parameter whose decoded key equals its name,
/// decoding nothing but the keys that could match. The same choice as Boost.URL's
/// `params().find(name)`. The views point into `query`.
void find_query_params(std::string_view query, std::span<query_lookup> lookups) noexcept;

/// A query value percent-decoded, with `+` as a space (what Boost.URL's `params()` gives). A `%`
/// not followed by two hex digits (which a validated URL never holds) is kept as it is.
std::string decode_query_value(std::string_view raw);

/// `text` percent-decoded, strictly: nullopt on a truncated or non-hex escape. `plus_is_space` for
/// query components (form encoding, which Python's and .NET's stacks may produce).
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

/// True when decode_query_value(raw) would return `raw` unchanged (no `%`, no `+`).
bool is_plain_query_value(std::string_view raw) noexcept;

} // namespace hubcast::util

#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/url/url_view.hpp>

namespace hubcast::api {

/// A request target as routing reads it, kept whole so that every decision about a request (its
/// route, its token's audience) is made on the same decoded bytes.
struct request_target {
    std::string escaped;       ///< the target with bytes a URI cannot hold raw percent-encoded
    boost::urls::url_view url; ///< a view of `escaped`
    /// The percent-decoded path segments ("api", "hubs", hub, ...): `%2F` stays inside its segment.
    std::vector<std::string> segments() const;
    /// The percent-decoded query parameters, in order (`+` is a space).
    std::vector<std::pair<std::string, std::string>> parameters() const;
};

/// Parses an origin-form target (`/path?query`). Server SDKs put hub names into the path
/// unescaped, and hub names may hold characters a strict URI parser refuses (backtick, brackets),
/// so every byte that cannot appear raw is percent-encoded first, while encoded bytes stay as
/// they were. Returns false for a target that is still not a URI path and query. The result refers
/// to its own storage: keep it alive while its url is used.
bool parse_request_target(std::string_view raw, request_target& out);

} // namespace hubcast::api

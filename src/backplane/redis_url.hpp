#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace hubcast::backplane {

/// Where the Redis of a cluster is, from its URL:
///   redis://[[user]:password@]host[:port][/db]   (port 6379, db 0 by default; IPv6 as [::1])
///   unix://[[user]:password@]/path/to/socket[?db=N]
///   redis+cluster://[[user]:password@]host[:port][,host[:port]...]   a Redis Cluster, found from
///                                         any of these nodes (its seeds); database 0 only
/// The user and password are taken as written (no percent-decoding); a user needs a password.
struct redis_endpoint {
    struct address {
        std::string host;
        std::uint16_t port = 6379;
        bool operator==(const address&) const = default;
    };

    std::string host; ///< empty for a unix socket
    std::uint16_t port = 6379;
    std::string socket_path; ///< set for unix://
    std::string user;        ///< ACL user (AUTH user password); empty: the default user
    std::string password;    ///< empty: no AUTH
    int database = 0;
    /// redis+cluster://: the nodes to ask for the cluster's layout (host and port are the first).
    std::vector<address> cluster_seeds;

    bool is_cluster() const noexcept { return !cluster_seeds.empty(); }
    /// The same credentials at another host and port (a node of the cluster), not a cluster URL.
    redis_endpoint at(const address& where) const;
    /// The URL without its password, for logs.
    std::string describe() const;
};

/// The error says what is wrong, never repeating the password.
util::result<redis_endpoint, std::string> parse_redis_url(std::string_view url);

} // namespace hubcast::backplane

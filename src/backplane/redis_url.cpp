#include "backplane/redis_url.hpp"

#include "util/decimal.hpp"

namespace hubcast::backplane {
namespace {

constexpr int max_database = 1'000'000; // Redis's `databases` is a small count; this bounds the text

util::result<redis_endpoint, std::string> refuse(std::string_view why) {
    return util::fail("invalid Redis URL: " + std::string(why));
}

/// Splits "[[user]:password@]rest" off the front of `text`.
bool take_credentials(std::string_view& text, redis_endpoint& out) {
    const auto at = text.rfind('@');
    if (at == std::string_view::npos) {
        return true;
    }
    const auto credentials = text.substr(0, at);
    text.remove_prefix(at + 1);
    const auto colon = credentials.find(':');
    if (colon == std::string_view::npos) {
        return false; // "user@" alone: Redis has no password-less user login
    }
    out.user = std::string(credentials.substr(0, colon));
    out.password = std::string(credentials.substr(colon + 1));
    return !out.password.empty();
}

bool parse_database(std::string_view text, redis_endpoint& out) {
    const auto number = util::parse_decimal<int>(text);
    if (!number || *number < 0 || *number > max_database) {
        return false;
    }
    out.database = *number;
    return true;
}

util::result<redis_endpoint, std::string> parse_tcp(std::string_view rest) {
    redis_endpoint out;
    if (!take_credentials(rest, out)) {
        return refuse("credentials must be [user]:password@ with a password");
    }
    std::string_view authority = rest.substr(0, rest.find('/'));
    const std::string_view path = rest.substr(authority.size());
    std::string_view port;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return refuse("unclosed '[' in the host");
        }
        out.host = std::string(authority.substr(1, close - 1));
        const auto after = authority.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) {
            return refuse("text after the IPv6 host");
        }
        port = after.empty() ? std::string_view{} : after.substr(1);
    } else {
        const auto colon = authority.find(':');
        out.host = std::string(authority.substr(0, colon));
        port = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon + 1);
    }
    if (out.host.empty()) {
        return refuse("no host");
    }
    if (!port.empty() || authority.ends_with(':')) {
        const auto number = util::parse_decimal<std::uint16_t>(port);
        if (!number || *number == 0) {
            return refuse("the port must be a number from 1 to 65535");
        }
        out.port = *number;
    }
    if (path.size() > 1 && !parse_database(path.substr(1), out)) {
        return refuse("the database must be a number after the '/'");
    }
    return out;
}

util::result<redis_endpoint, std::string> parse_unix(std::string_view rest) {
    redis_endpoint out;
    if (!take_credentials(rest, out)) {
        return refuse("credentials must be [user]:password@ with a password");
    }
    const auto query = rest.find('?');
    out.socket_path = std::string(rest.substr(0, query));
    if (!out.socket_path.starts_with('/')) {
        return refuse("a unix socket path must be absolute (unix:///path)");
    }
    if (query != std::string_view::npos) {
        const auto parameter = rest.substr(query + 1);
        if (!parameter.starts_with("db=") || !parse_database(parameter.substr(3), out)) {
            return refuse("the only query parameter is db=N");
        }
    }
    return out;
}

/// "host[:port]" or "[v6]:port", one seed of a cluster URL.
util::result<redis_endpoint::address, std::string> parse_seed(std::string_view text) {
    auto parsed = parse_tcp(text);
    if (!parsed) {
        return util::fail(parsed.error());
    }
    if (text.find('/') != std::string_view::npos || text.find('@') != std::string_view::npos) {
        return util::fail(std::string("invalid Redis URL: a cluster node is host[:port] (credentials go "
                                      "before the first node; Redis Cluster has database 0 only)"));
    }
    return redis_endpoint::address{parsed->host, parsed->port};
}

util::result<redis_endpoint, std::string> parse_cluster(std::string_view rest) {
    redis_endpoint out;
    if (!take_credentials(rest, out)) {
        return refuse("credentials must be [user]:password@ with a password");
    }
    while (true) {
        const auto comma = rest.find(',');
        auto seed = parse_seed(rest.substr(0, comma));
        if (!seed) {
            return util::fail(seed.error());
        }
        out.cluster_seeds.push_back(*seed);
        if (comma == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(comma + 1);
    }
    out.host = out.cluster_seeds.front().host;
    out.port = out.cluster_seeds.front().port;
    return out;
}

} // namespace

redis_endpoint redis_endpoint::at(const address& where) const {
    redis_endpoint node;
    node.host = where.host;
    node.port = where.port;
    node.user = user;
    node.password = password;
    return node;
}

std::string redis_endpoint::describe() const {
    const std::string login = password.empty() ? std::string{} : user + ":***@";
    if (!socket_path.empty()) {
        return "unix://" + login + socket_path + "?db=" + std::to_string(database);
    }
    const auto shown = [](const address& where) {
        const std::string host =
            where.host.find(':') != std::string::npos ? "[" + where.host + "]" : where.host;
        return host + ":" + std::to_string(where.port);
    };
    if (is_cluster()) {
        std::string seeds;
        for (const auto& seed : cluster_seeds) {
            seeds.append(seeds.empty() ? "" : ",").append(shown(seed));
        }
        return "redis+cluster://" + login + seeds;
    }
    return "redis://" + login + shown({host, port}) + "/" + std::to_string(database);
}

util::result<redis_endpoint, std::string> parse_redis_url(std::string_view url) {
    if (url.starts_with("redis://")) {
        return parse_tcp(url.substr(8));
    }
    if (url.starts_with("unix://")) {
        return parse_unix(url.substr(7));
    }
    if (url.starts_with("redis+cluster://")) {
        return parse_cluster(url.substr(16));
    }
    return refuse("it must start with redis://, unix:// or redis+cluster:// (rediss:// is not supported)");
}

} // namespace hubcast::backplane

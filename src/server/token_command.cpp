#include "server/token_command.hpp"

#include <cstdio>

#include "auth/client_token.hpp"
#include "auth/connection_string.hpp"
#include "protocol/names.hpp"
#include "protocol/utf8.hpp"
#include "util/clock.hpp"

namespace hubcast::server {

int run_token_command(const token_command& command) {
    std::string endpoint = command.endpoint;
    std::string key = command.access_key;
    if (!command.connection_string.empty()) {
        auto parsed = auth::parse_connection_string(command.connection_string);
        if (!parsed) {
            std::fprintf(stderr, "hubcast token: invalid connection string: %s\n", parsed.error().c_str());
            return 2;
        }
        endpoint = parsed->base_url();
        key = parsed->access_key;
    }
    if (key.empty()) {
        std::fprintf(stderr,
                     "hubcast token: an access key is needed (--access-key or --connection-string)\n");
        return 2;
    }
    if (!protocol::is_valid_hub_name(command.hub)) {
        std::fprintf(stderr, "hubcast token: invalid hub name '%s'\n", command.hub.c_str());
        return 2;
    }
    // The server refuses a token whose sub is not a user id or whose claims are not UTF-8 (they
    // could not be JSON text): say so here rather than print a URL that cannot connect.
    if (command.user_id && !protocol::is_valid_user_id(*command.user_id)) {
        std::fprintf(stderr, "hubcast token: --user must be 1 to 1024 characters of UTF-8\n");
        return 2;
    }
    for (const auto& role : command.roles) {
        if (!protocol::is_valid_utf8(role)) {
            std::fprintf(stderr, "hubcast token: --role must be UTF-8 text\n");
            return 2;
        }
    }
    for (const auto& group : command.groups) {
        if (!protocol::is_valid_group_name(group)) {
            std::fprintf(stderr, "hubcast token: invalid group name '%s'\n", group.c_str());
            return 2;
        }
    }
    if (command.minutes < 1 || command.minutes > auth::max_client_token_lifetime.count()) {
        std::fprintf(stderr, "hubcast token: --minutes must be from 1 to %lld (365 days)\n",
                     static_cast<long long>(auth::max_client_token_lifetime.count()));
        return 2;
    }
    auth::client_token_request request{.endpoint = endpoint,
                                       .hub = command.hub,
                                       .user_id = command.user_id,
                                       .roles = command.roles,
                                       .groups = command.groups,
                                       .lifetime = std::chrono::minutes(command.minutes),
                                       .now = util::unix_seconds()};
    const auto token = auth::mint_client_token(request, auth::access_keys{{key}});
    std::printf("%s\n", auth::client_access_url(endpoint, command.hub, token).c_str());
    return 0;
}

} // namespace hubcast::server

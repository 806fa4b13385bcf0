// Spec 2.3 #4: a client access token, signed with the first access key, for the endpoint the
// caller reached us at.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/rest_router.hpp"
#include "auth/client_token.hpp"
#include "auth/jwt.hpp"
#include "util/clock.hpp"

namespace hubcast::api {
namespace {

boost::json::array to_array(const std::vector<std::string>& strings) {
    boost::json::array array(strings.begin(), strings.end());
    return array;
}

} // namespace

void rest_router::generate_token(call& c) {
    auto parameters = parse_token_parameters(c.query);
    if (!parameters) {
        c.fail(parameters.error());
        return;
    }
    // The upgrade refuses a token naming more groups than a connection may join.
    if (parameters->groups.size() > router_.max_groups_per_connection()) {
        c.fail(rest_error{400, rest_error_code::invalid_parameter,
                          "group may be given at most " +
                              std::to_string(router_.max_groups_per_connection()) +
                              " times, the most groups one connection may be in."});
        return;
    }
    const std::string endpoint = base_url(c);
    const std::int64_t now = util::unix_seconds();
    std::string token;
    if (parameters->type == client_type::default_client) {
        token = auth::mint_client_token({.endpoint = endpoint,
                                         .hub = c.route.hub,
                                         .user_id = parameters->user_id,
                                         .roles = parameters->roles,
                                         .groups = parameters->groups,
                                         .lifetime = parameters->lifetime,
                                         .now = now},
                                        keys_);
    } else {
        // MQTT and Socket.IO clients connect to their own paths (spec 1.2), which hubcast does not
        // serve yet; the token is what Azure would give them, with the same claims.
        boost::json::object claims;
        if (!parameters->roles.empty()) {
            claims["role"] = to_array(parameters->roles);
        }
        if (!parameters->groups.empty()) {
            claims["webpubsub.group"] = to_array(parameters->groups);
        }
        claims["iat"] = now;
        claims["exp"] = auth::client_token_expiry(now, parameters->lifetime);
        claims["aud"] =
            endpoint +
            (parameters->type == client_type::mqtt ? "/clients/mqtt/hubs/" : "/clients/socketio/hubs/") +
            c.route.hub;
        if (parameters->user_id) {
            claims["sub"] = *parameters->user_id;
        }
        token = auth::sign_hs256(claims, keys_.signing_key());
    }
    // hubcast refuses a token over 8 KiB before reading it (docs/protocol.md): minting one would
    // hand out a token that can never connect.
    if (token.size() > auth::max_token_bytes) {
        c.fail(rest_error{400, rest_error_code::invalid_parameter,
                          "The token would be " + std::to_string(token.size()) + " bytes, over the " +
                              std::to_string(auth::max_token_bytes) +
                              " a client token may have: name fewer or shorter roles and groups."});
        return;
    }
    c.answer(json_response(boost::json::serialize(boost::json::object{{"token", std::move(token)}})));
}

} // namespace hubcast::api

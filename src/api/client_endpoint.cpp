#include "api/client_endpoint.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <chrono>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_set>

#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "auth/client_token.hpp"
#include "auth/permissions.hpp"
#include "protocol/ascii.hpp"
#include "protocol/json_protocol.hpp"
#include "protocol/names.hpp"
#include "protocol/protobuf_protocol.hpp"
#include "protocol/websocket_frame.hpp"
#include "util/clock.hpp"
#include "util/query_string.hpp"

namespace hubcast::api {

namespace {

using protocol::http_response;

/// The query parameters the endpoint reads, found with one scan of the raw query: decoding every
/// parameter to find these (Boost.URL's params().find) was 9 % of a connect. The first parameter
/// of a name wins, as with params().find(); values decode with '+' as a space, as params() does.
class client_query {
public:
    explicit client_query(const boost::urls::url_view& target) {
        util::find_query_params(target.encoded_query(), lookups_);
    }

    const util::query_lookup& hub() const noexcept { return lookups_[0]; }
    const util::query_lookup& access_token() const noexcept { return lookups_[1]; }
    const util::query_lookup& connection_id() const noexcept { return lookups_[2]; }
    const util::query_lookup& reconnection_token() const noexcept { return lookups_[3]; }

    /// The decoded value; nullopt when the parameter is absent or has no '='.
    static std::optional<std::string> value(const util::query_lookup& param) {
        if (!param.raw_value) {
            return std::nullopt;
        }
        return util::decode_query_value(*param.raw_value);
    }

private:
    std::array<util::query_lookup, 4> lookups_{util::query_lookup{.name = "hub"},
                                               util::query_lookup{.name = "access_token"},
                                               util::query_lookup{.name = "awps_connection_id"},
                                               util::query_lookup{.name = "awps_reconnection_token"}};
};

/// The hub of `/client/hubs/{hub}` or of `/client/?hub={hub}`; empty when absent.
std::string requested_hub(const boost::urls::url_view& target, const client_query& query) {
    const auto segments = target.segments();
    std::size_t count = segments.size();
    if (count > 0 && (*std::prev(segments.end())).empty()) {
        --count; // a trailing slash
    }
    if (count == 3) {
        auto it = std::next(segments.begin());
        if (*it == "hubs") {
            return *++it;
        }
    }
    return client_query::value(query.hub()).value_or("");
}

std::string_view bearer_token(const protocol::http_request& request) {
    std::string_view value = request.header("Authorization");
    constexpr std::string_view scheme = "bearer ";
    if (value.size() <= scheme.size() || !protocol::iequals(value.substr(0, scheme.size()), scheme)) {
        return {};
    }
    value.remove_prefix(scheme.size());
    while (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
    }
    while (!value.empty() && value.back() == ' ') {
        value.remove_suffix(1);
    }
    return value;
}

/// The offered names, in the client's order, from every Sec-WebSocket-Protocol header.
std::vector<std::string> offered_subprotocols(const protocol::http_request& request) {
    std::vector<std::string> names;
    for (const auto& [key, value] : request.headers) {
        if (!protocol::iequals(key, "Sec-WebSocket-Protocol")) {
            continue;
        }
        protocol::any_listed(value, [&names](std::string_view item) {
            names.emplace_back(item);
            return false; // every item
        });
    }
    return names;
}

struct subprotocol_choice {
    protocol::subprotocol_kind kind = protocol::subprotocol_kind::none;
    std::string echoed;
};

/// Spec 3.2: the first service subprotocol in the client's order; custom names are skipped (a
/// simple client when no service one is offered).
subprotocol_choice choose_subprotocol(const std::vector<std::string>& offered) {
    for (const auto& name : offered) {
        if (const auto kind = protocol::parse_subprotocol(name)) {
            // Echo the client's own spelling: browsers compare the answer case-sensitively.
            return {*kind, name};
        }
    }
    return {};
}

// The emulator's words for a refused recovery (spec 5.5).
constexpr std::string_view unrecoverable_reason = "The connection could not be recovered.";

/// `values` of `name` in `lists`, appended in order; names compare case-insensitively when `fold`.
void add_value(core::string_lists& lists, std::string_view name, std::string value, bool fold) {
    for (auto& [key, values] : lists) {
        if (fold ? protocol::iequals(key, name) : key == name) {
            values.push_back(std::move(value));
            return;
        }
    }
    lists.emplace_back(std::string(name), std::vector<std::string>{std::move(value)});
}

/// Server spec 4.3: claims as string arrays (strings as they are, other JSON values as their JSON
/// text, an array's elements one by one), every query parameter (decoded), every header.
core::connect_request connect_request_of(const protocol::http_request& request,
                                         const boost::urls::url_view& target,
                                         const boost::json::object& claims, const client_admission& admission,
                                         const std::vector<std::string>& offered) {
    core::connect_request event;
    event.source =
        core::event_source{.hub = admission.hub, .connection_id = {}, .user_id = admission.user_id};
    auto text_of = [](const boost::json::value& value) {
        return value.is_string() ? std::string(value.get_string()) : boost::json::serialize(value);
    };
    for (const auto& claim : claims) {
        std::vector<std::string> values;
        if (const auto* array = claim.value().if_array()) {
            for (const auto& item : *array) {
                values.push_back(text_of(item));
            }
        } else {
            values.push_back(text_of(claim.value()));
        }
        event.claims.emplace_back(std::string(claim.key()), std::move(values));
    }
    for (const auto param : target.params()) {
        add_value(event.query, param.key, param.has_value ? std::string(param.value) : std::string(), false);
    }
    for (const auto& [name, value] : request.headers) {
        add_value(event.headers, name, value, true);
    }
    event.subprotocols = offered;
    return event;
}

/// More distinct groups than a connection may be in (router::max_groups_per_connection)?
bool over_group_limit(const std::vector<std::string>& groups, std::size_t limit) {
    if (groups.size() <= limit) {
        return false;
    }
    // Only now is a set worth building: a list may name a group twice.
    const std::unordered_set<std::string_view> distinct(groups.begin(), groups.end());
    return distinct.size() > limit;
}

http_response refuse(metrics& counters, unsigned status, std::string body) {
    count(counters.upgrades_rejected);
    return http_response::text(status, std::move(body));
}

/// Azure's answer to a connection over a connection count rule of its application firewall.
http_response refuse_too_many(metrics& counters, std::atomic<std::uint64_t>& reason, std::string body) {
    count(reason);
    return refuse(counters, 429, std::move(body));
}

// The close reason of a connection whose maximum lifetime passed (docs/configuration.md).
constexpr std::string_view lifetime_reason = "The connection reached its maximum lifetime.";

using refusal = http_response;

/// The per-address handshake rate: 429 with Retry-After past it. Run first, before any token is
/// verified, so that a flood of handshakes costs one lookup each.
std::optional<refusal> throttle_handshake(firewall* limits, metrics& counters,
                                          const protocol::http_request& request) {
    if (limits == nullptr) {
        return std::nullopt;
    }
    const auto verdict = limits->take_handshake(request.remote_address, core::limit_clock::now());
    if (verdict.untracked) {
        count(counters.handshake_addresses_untracked);
    }
    if (verdict.allowed) {
        return std::nullopt;
    }
    count(counters.handshakes_throttled);
    auto response = refuse(counters, 429, "Too Many Requests: too many handshakes from this address.");
    // Whole seconds, rounded up: a client retrying after it finds a token waiting.
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(verdict.retry_after).count();
    response.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, seconds)));
    return response;
}

/// The hub the request names, when it names a valid one and asks for a WebSocket upgrade.
util::result<std::string, refusal> requested_upgrade_hub(metrics& counters,
                                                         const protocol::http_request& request,
                                                         const boost::urls::url_view& target,
                                                         const client_query& query) {
    std::string hub = requested_hub(target, query);
    if (hub.empty()) {
        return util::fail(refuse(counters, 400, "Bad Request: the hub is missing."));
    }
    if (!protocol::is_valid_hub_name(hub)) {
        return util::fail(refuse(counters, 400, "Bad Request: invalid hub name."));
    }
    if (!request.websocket_upgrade) {
        const auto version = request.header("Sec-WebSocket-Version");
        if (!version.empty() && version != "13") {
            // RFC 6455 section 4.4: name the version we speak.
            auto response =
                refuse(counters, 426, "Upgrade Required: only WebSocket version 13 is supported.");
            response.headers.emplace_back("Sec-WebSocket-Version", "13");
            return util::fail(std::move(response));
        }
        return util::fail(
            refuse(counters, 400, "Bad Request: this endpoint only accepts WebSocket upgrade requests."));
    }
    return hub;
}

/// The access token of the query (`access_token`) or else of the Authorization header; empty when
/// there is none. `storage` holds it when it had to be decoded.
std::string_view access_token_of(const protocol::http_request& request, const client_query& query,
                                 std::string& storage) {
    const auto& raw = query.access_token().raw_value;
    if (!raw) {
        return bearer_token(request);
    }
    // A token needs decoding only when it holds an escape or a '+' (base64url tokens never do).
    if (util::is_plain_query_value(*raw)) {
        return *raw;
    }
    storage = util::decode_query_value(*raw);
    return storage;
}

/// The groups the token names, when they are valid and not more than a connection may be in.
std::optional<refusal> check_token_groups(metrics& counters, const std::vector<std::string>& groups,
                                          std::size_t max_groups) {
    for (const auto& group : groups) {
        if (!protocol::is_valid_group_name(group)) {
            return refuse(counters, 400, "Bad Request: the token contains an invalid group name.");
        }
    }
    if (over_group_limit(groups, max_groups)) {
        return refuse(counters, 400,
                      "Bad Request: the token names more groups than a connection may be in (" +
                          std::to_string(max_groups) + ").");
    }
    return std::nullopt;
}

/// Slots under the per-user and per-token connection limits. Azure's connection count rules run
/// behind authentication, in this order; a rule whose claim the token lacks (no user, no token)
/// is skipped.
util::result<core::connection_leases, refusal> take_leases(firewall* limits, metrics& counters,
                                                           const auth::client_identity& identity,
                                                           std::string_view token) {
    core::connection_leases leases;
    if (limits == nullptr) {
        return leases;
    }
    if (identity.user_id) {
        auto user = limits->per_user().acquire(*identity.user_id);
        if (!user.allowed) {
            return util::fail(refuse_too_many(counters, counters.connections_refused_per_user,
                                              "Too Many Requests: the user has too many connections."));
        }
        leases.user = std::move(user.held);
    }
    if (!token.empty()) {
        auto shared = limits->per_token().acquire(token_key(token, identity.claims));
        if (!shared.allowed) {
            return util::fail(
                refuse_too_many(counters, counters.connections_refused_per_token,
                                "Too Many Requests: the access token has too many connections."));
        }
        leases.token = std::move(shared.held);
    }
    return leases;
}

} // namespace

client_endpoint::client_endpoint(core::router& router, auth::access_keys keys, metrics& counters,
                                 client_endpoint_options options)
    : router_(router), keys_(std::move(keys)), metrics_(counters), options_(std::move(options)) {}

upgrade_decision client_endpoint::admit(const protocol::http_request& request,
                                        const boost::urls::url_view& target) {
    if (auto throttled = throttle_handshake(firewall_, metrics_, request)) {
        return std::move(*throttled);
    }
    const client_query query(target);
    const auto hub = requested_upgrade_hub(metrics_, request, target, query);
    if (!hub) {
        return hub.error();
    }
    const auto offered = offered_subprotocols(request);
    const auto choice = choose_subprotocol(offered);

    // Spec 2.1: a recovery is authorised by its reconnection token alone, before and instead of
    // any access token check (the JS SDK resends the original, possibly expired, access token).
    const std::string lower_hub = protocol::to_lower_ascii(*hub);
    const auto settings = hubs_ != nullptr ? hubs_->snapshot() : nullptr;
    const core::hub_settings hub_defaults;
    const core::hub_settings& hub_settings = settings ? settings->of(lower_hub) : hub_defaults;

    if (const auto recovering = client_query::value(query.connection_id())) {
        auto recovery = admit_recovery(lower_hub, choice.kind, choice.echoed, *recovering,
                                       client_query::value(query.reconnection_token()));
        recovery.keepalive_seconds = hub_settings.keepalive_seconds; // the new transport pings like the first
        return recovery;
    }

    std::string decoded_token;
    const std::string_view token = access_token_of(request, query, decoded_token);
    auto identity = authenticate(*hub, token, hub_settings);
    if (!identity) {
        return identity.error();
    }
    if (auto refused = check_token_groups(metrics_, identity->groups, router_.max_groups_per_connection())) {
        return std::move(*refused);
    }
    auto leases = take_leases(firewall_, metrics_, *identity, token);
    if (!leases) {
        return leases.error();
    }
    client_admission admission{.hub = lower_hub,
                               .kind = choice.kind,
                               .subprotocol = choice.echoed,
                               .user_id = std::move(identity->user_id),
                               .roles = std::move(identity->roles),
                               .groups = std::move(identity->groups)};
    admission.keepalive_seconds = hub_settings.keepalive_seconds;
    admission.leases = std::move(*leases);
    if (events_ != nullptr && events_->handles_connect(lower_hub)) {
        admission.connect_event = connect_request_of(request, target, identity->claims, admission, offered);
    }
    return admission;
}

util::result<auth::client_identity, http_response>
client_endpoint::authenticate(const std::string& hub, std::string_view token,
                              const core::hub_settings& hub_settings) {
    if (token.empty()) {
        // Server spec 6: anonymous_connect lets a client in without a token (its connect handler,
        // if any, may then name the user); a token that is present must still be valid.
        if (!hub_settings.anonymous_connect) {
            return util::fail(refuse(metrics_, 401, "Unauthorized: the access token is missing."));
        }
        return auth::client_identity{};
    }
    auto verified =
        auth::verify_client_token(token, keys_,
                                  auth::client_token_context{.hub = hub,
                                                             .required_authority = options_.public_authority,
                                                             .now = util::unix_seconds(),
                                                             .clock_skew = options_.clock_skew});
    if (!verified) {
        return util::fail(
            refuse(metrics_, 401, "Unauthorized: " + std::string(auth::describe(verified.error()))));
    }
    return std::move(*verified);
}

client_admission client_endpoint::admit_recovery(std::string hub, protocol::subprotocol_kind kind,
                                                 std::string subprotocol, const std::string& connection_id,
                                                 const std::optional<std::string>& reconnection_token) {
    client_admission admission{.hub = std::move(hub), .kind = kind, .subprotocol = std::move(subprotocol)};
    if (!protocol::is_reliable(kind) || !reconnection_token) {
        admission.refuse_recovery = true;
        return admission;
    }
    std::string digest = auth::reconnection_tokens::digest(*reconnection_token);
    // A session of this node is checked here, on whichever worker took the request: it needs no
    // shard. Whether the session still exists, and was given this very token, is known only on its
    // own shard (resume()); a session taken over from another node has only that check, as this
    // node cannot verify a token another node signed.
    const auto shard = router_.shard_of(connection_id);
    const auto owner = core::router::node_key_of(connection_id);
    const bool made_here = owner && *owner == router_.node_key();
    if (made_here && !reconnection_tokens_.verify(*reconnection_token, connection_id, util::unix_seconds())) {
        admission.refuse_recovery = true;
        return admission;
    }
    if (made_here && shard && router_.moved_to(connection_id)) {
        // Made here, moved to another node since, and back: taken over from there, on its shard.
        admission.takeover = session_takeover{
            .connection_id = connection_id, .recovery_digest = std::move(digest), .shard = *shard};
        return admission;
    }
    if (shard) {
        admission.recovery = session_recovery{
            .connection_id = connection_id, .shard = *shard, .recovery_digest = std::move(digest)};
        return admission;
    }
    if (owner && !made_here && router_.clustered()) {
        // Held by another node (it made the id, or the session moved on from there).
        admission.takeover = session_takeover{
            .connection_id = connection_id, .recovery_digest = std::move(digest), .shard = {}};
        return admission;
    }
    admission.refuse_recovery = true;
    return admission;
}

void client_endpoint::set_hub_settings(const core::live_hub_settings& hubs, core::event_sink* events) {
    hubs_ = &hubs;
    events_ = events;
}

void client_endpoint::complete(client_admission admission, std::size_t worker,
                               std::function<void(upgrade_decision)> done) {
    if (!admission.connect_event || events_ == nullptr) {
        done(std::move(admission));
        return;
    }
    auto event = std::move(*admission.connect_event);
    admission.connect_event.reset();
    // The handler is told the id before the connection exists; open() gives it that id.
    admission.connection_id = router_.new_connection_id(worker);
    event.source.connection_id = admission.connection_id;
    auto offered = event.subprotocols;
    events_->connect(std::move(event), worker,
                     [this, admission = std::move(admission), offered = std::move(offered),
                      done = std::move(done)](core::connect_outcome outcome) mutable {
                         done(apply_connect_outcome(std::move(admission), offered, std::move(outcome)));
                     });
}

upgrade_decision client_endpoint::apply_connect_outcome(client_admission admission,
                                                        const std::vector<std::string>& offered,
                                                        core::connect_outcome outcome) {
    using verdict = core::connect_outcome::verdict;
    if (outcome.result == verdict::rejected) {
        // Server spec 4.3: the handler's 4xx is the upgrade's answer.
        return refuse(metrics_, outcome.status,
                      outcome.detail.empty() ? "Rejected by the connect event handler." : outcome.detail);
    }
    if (outcome.result == verdict::failed) {
        return refuse(metrics_, 500, outcome.detail);
    }
    // Client spec 3.3: what the handler sets replaces the token's; what it leaves out stays.
    if (outcome.user_id) {
        if (firewall_ != nullptr && outcome.user_id != admission.user_id) {
            // The connection counts for the user it will have, not the one its token named.
            auto user = firewall_->per_user().acquire(*outcome.user_id);
            if (!user.allowed) {
                return refuse_too_many(metrics_, metrics_.connections_refused_per_user,
                                       "Too Many Requests: the user has too many connections.");
            }
            admission.leases.user = std::move(user.held);
        }
        admission.user_id = std::move(outcome.user_id);
    }
    if (outcome.roles) {
        admission.roles = std::move(*outcome.roles);
    }
    if (outcome.groups) {
        // The handler's answer is the app server's to fix: a 500, as for any answer hubcast cannot
        // carry out, rather than a connection in only some of the groups it was promised.
        if (over_group_limit(*outcome.groups, router_.max_groups_per_connection())) {
            spdlog::error(
                "hub '{}': the connect event handler named {} groups, more than a connection may be in "
                "({}); connection refused",
                admission.hub, outcome.groups->size(), router_.max_groups_per_connection());
            return refuse(
                metrics_, 500,
                "Internal Server Error: the connect event handler named more groups than a connection "
                "may be in.");
        }
        admission.groups = std::move(*outcome.groups);
    }
    if (outcome.subprotocol) {
        const auto it = std::find_if(offered.begin(), offered.end(), [&](const std::string& name) {
            return protocol::iequals(name, *outcome.subprotocol);
        });
        if (it == offered.end()) {
            spdlog::error(
                "hub '{}': the connect event handler chose subprotocol '{}', which the client did not "
                "offer; connection refused",
                admission.hub, *outcome.subprotocol);
            return refuse(metrics_, 500,
                          "Internal Server Error: the connect event handler chose a subprotocol the "
                          "client did not offer.");
        }
        const auto kind = protocol::parse_subprotocol(*it);
        // A name that is not a service subprotocol makes a simple client that speaks it (spec 3.2).
        admission.kind = kind.value_or(protocol::subprotocol_kind::none);
        admission.subprotocol = *it; // the client's spelling: browsers compare it exactly
    }
    admission.connection_state = std::move(outcome.connection_state);
    return admission;
}

std::unique_ptr<client_session> client_endpoint::open(client_admission admission, core::connection_sink& sink,
                                                      std::size_t shard_index) {
    std::vector<std::string> rejected_roles;
    auto permissions = auth::permission_set::from_roles(admission.roles, &rejected_roles);
    for (const auto& role : rejected_roles) {
        spdlog::warn("hub '{}': ignoring role '{}' (invalid pattern or over the limits)", admission.hub,
                     role);
    }
    auto& shard = router_.shard_at(shard_index);
    core::connection_info info{.id = admission.connection_id.empty() ? router_.new_connection_id(shard_index)
                                                                     : std::move(admission.connection_id),
                               .hub = std::move(admission.hub),
                               .user_id = std::move(admission.user_id),
                               .kind = admission.kind};
    auto& connection = shard.attach(std::move(info), std::move(permissions), sink);
    count(metrics_.connections_opened);
    connection.hold(std::move(admission.leases));
    if (firewall_ != nullptr) {
        firewall_->opened(shard_index, connection.id(), core::limit_clock::now());
    }
    // In a cluster the client hears nothing, `connected` included, until every node can see the
    // connection and its groups (docs/scale-out.md, "Read your writes"); what arrives for it
    // meanwhile waits behind `connected` in its queue.
    const bool fenced = router_.has_other_nodes();
    if (fenced) {
        sink.hold_writes();
    }
    send_connected(connection);
    for (const auto& group : admission.groups) {
        shard.join(connection, group);
    }
    if (fenced) {
        router_.when_visible(shard_index,
                             [this, id = connection.id(), subprotocol = std::move(admission.subprotocol),
                              state = std::move(admission.connection_state),
                              shard_index](core::shard& owner) mutable {
                                 core::connection* visible = owner.find(id);
                                 if (visible == nullptr) {
                                     return; // gone before it was visible: no event was sent, so none ends it
                                 }
                                 visible->release_writes();
                                 open_events(*visible, std::move(subprotocol), std::move(state), shard_index);
                             });
    } else {
        open_events(connection, std::move(admission.subprotocol), std::move(admission.connection_state),
                    shard_index);
    }
    return make_session(shard, connection);
}

void client_endpoint::send_connected(core::connection& connection) {
    // Spec 4.4, 6.3: `connected` is the first frame after the upgrade.
    std::optional<std::string> token;
    if (connection.is_reliable()) {
        token = reconnection_tokens_.issue(connection.id(), util::unix_seconds());
        // What a recovery must present, on whichever node holds the session by then.
        connection.set_recovery_digest(auth::reconnection_tokens::digest(*token));
    }
    if (protocol::family_of(connection.kind()) == protocol::frame_family::protobuf) {
        connection.send_frame(util::make_shared_bytes(protocol::encode_frame(
            protocol::ws_opcode::binary,
            protocol::encode_protobuf_connected(connection.user_id(), connection.id(), token))));
    } else if (connection.is_pubsub()) {
        const std::string connected =
            token ? protocol::encode_connected(connection.user_id(), connection.id(), *token)
                  : protocol::encode_connected(connection.user_id(), connection.id());
        connection.send_frame(
            util::make_shared_bytes(protocol::encode_frame(protocol::ws_opcode::text, connected)));
    }
}

void client_endpoint::open_events(core::connection& connection, std::string subprotocol,
                                  std::optional<std::string> state, std::size_t shard_index) {
    if (events_ == nullptr) {
        return;
    }
    // Sends `connected`; the channel lives as long as the connection (reliable recoveries too).
    connection.set_events(events_->open(core::event_source{.hub = connection.hub(),
                                                           .connection_id = connection.id(),
                                                           .user_id = connection.user_id(),
                                                           .subprotocol = std::move(subprotocol)},
                                        std::move(state), shard_index));
}

void client_endpoint::expire_lifetimes(std::size_t shard_index, core::limit_clock::time_point now) {
    if (firewall_ == nullptr || !firewall_->options().limits_lifetime()) {
        return;
    }
    auto& shard = router_.shard_at(shard_index);
    firewall_->expire(shard_index, now, [this, &shard](const std::string& id) {
        core::connection* connection = shard.find(id);
        if (connection == nullptr || connection->closing()) {
            return; // gone already, or closing for another reason
        }
        count(metrics_.lifetime_closes);
        // 1008: the SDKs then start a new connection (with a fresh token) instead of recovering
        // this one (client spec 5.7); a parked session just ends.
        connection->close(protocol::close_code::policy_violation, lifetime_reason);
    });
}

std::unique_ptr<client_session> client_endpoint::resume(const client_admission& admission,
                                                        core::connection_sink& sink) {
    auto& stats = router_.reliable_stats();
    auto& shard = router_.shard_at(admission.recovery->shard);
    assert(core::router::current_shard() == &shard && "a session is resumed on its own shard's worker");
    core::connection* connection = shard.find(admission.recovery->connection_id);
    if (connection == nullptr || connection->hub() != admission.hub || connection->kind() != admission.kind ||
        connection->closing() || connection->recovery_digest() != admission.recovery->recovery_digest) {
        return nullptr;
    }
    shard.resume(*connection, sink);
    stats.recovered.fetch_add(1, std::memory_order_relaxed);
    return make_session(shard, *connection);
}

void client_endpoint::take_over(const client_admission& admission,
                                std::shared_ptr<core::connection_sink*> sink, std::size_t shard_index,
                                std::function<void(std::unique_ptr<client_session>)> done) {
    router_.take_over_session(
        admission.hub, admission.takeover->connection_id, admission.kind, admission.takeover->recovery_digest,
        shard_index,
        [this, hub = admission.hub, subprotocol = admission.subprotocol, sink = std::move(sink), shard_index,
         done = std::move(done)](core::connection* connection, std::optional<std::string> state) mutable {
            auto& shard = router_.shard_at(shard_index);
            if (connection != nullptr && (connection->hub() != hub || connection->closing())) {
                connection = nullptr; // another hub's session, or it ended as it arrived (overflowed)
            }
            if (connection != nullptr && events_ != nullptr) {
                // The handler had `connected` from the first node: the channel goes on without it.
                connection->set_events(
                    events_->adopt(core::event_source{.hub = connection->hub(),
                                                      .connection_id = connection->id(),
                                                      .user_id = connection->user_id(),
                                                      .subprotocol = std::move(subprotocol)},
                                   std::move(state), shard_index));
            }
            if (*sink == nullptr) {
                return; // the client went away meanwhile: the session waits here, parked
            }
            if (connection == nullptr) {
                done(nullptr);
                return;
            }
            shard.resume(*connection, **sink);
            router_.reliable_stats().recovered.fetch_add(1, std::memory_order_relaxed);
            router_.reliable_stats().taken_over.fetch_add(1, std::memory_order_relaxed);
            done(make_session(shard, *connection));
        });
}

std::unique_ptr<client_session> client_endpoint::make_session(core::shard& shard,
                                                              core::connection& connection) {
    auto session = std::make_unique<client_session>(router_, shard, connection, metrics_);
    if (firewall_ != nullptr && firewall_->options().limits_inbound()) {
        session->limit_inbound(firewall_->options());
    }
    return session;
}

void client_endpoint::refuse_recovery(const client_admission& admission, core::connection_sink& sink) {
    router_.reliable_stats().recoveries_refused.fetch_add(1, std::memory_order_relaxed);
    switch (protocol::family_of(admission.kind)) {
    case protocol::frame_family::json:
        sink.send(util::make_shared_bytes(protocol::encode_frame(
            protocol::ws_opcode::text, protocol::encode_disconnected(unrecoverable_reason))));
        break;
    case protocol::frame_family::protobuf:
        sink.send(util::make_shared_bytes(protocol::encode_frame(
            protocol::ws_opcode::binary, protocol::encode_protobuf_disconnected(unrecoverable_reason))));
        break;
    case protocol::frame_family::raw:
        break;
    }
    sink.close(protocol::close_code::policy_violation, unrecoverable_reason);
}

} // namespace hubcast::api

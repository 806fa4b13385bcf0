#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/url/url_view.hpp>

#include "api/client_session.hpp"
#include "api/firewall.hpp"
#include "api/metrics.hpp"
#include "auth/access_keys.hpp"
#include "auth/client_token.hpp"
#include "auth/reconnection_token.hpp"
#include "core/connection_sink.hpp"
#include "core/event_sink.hpp"
#include "core/hub_settings.hpp"
#include "core/router.hpp"
#include "protocol/http_types.hpp"
#include "protocol/subprotocol.hpp"
#include "util/result.hpp"

namespace hubcast::api {

struct client_endpoint_options {
    std::chrono::seconds clock_skew{300}; // spec 2.4: the emulator's 5 minutes
    /// `--public-endpoint`'s lowercase "host:port" that client tokens must name; empty: any host.
    std::string public_authority;
};

/// A recovery request whose reconnection token verified (spec 5.5): the session to resume.
struct session_recovery {
    std::string connection_id;
    /// The shard that owns the session. Only its worker may serve the new transport: a session and
    /// its transport always share one thread (docs/architecture.md, "Reliable sessions").
    std::size_t shard = 0;
    /// The digest of the reconnection token presented (auth::reconnection_tokens::digest), which
    /// the session must have been given.
    std::string recovery_digest;
};

/// A recovery of a session that another node holds (docs/architecture.md, "Reliable sessions
/// across nodes"): this node takes it over, on whichever worker took the request.
struct session_takeover {
    std::string connection_id;
    std::string recovery_digest;
    /// For a session made on this node that comes back: the shard its id names, whose worker
    /// must serve it; none for another node's session (any worker).
    std::optional<std::size_t> shard;
};

/// An upgrade request that passed every check: who the client is and what it speaks.
struct client_admission {
    std::string hub; ///< lowercase
    protocol::subprotocol_kind kind = protocol::subprotocol_kind::none;
    std::string subprotocol; ///< the name to echo in the 101; empty for none
    std::optional<std::string> user_id;
    std::vector<std::string> roles;
    std::vector<std::string> groups;
    /// Set for a recovery to attempt: serve it with resume(), on the session's shard.
    std::optional<session_recovery> recovery;
    /// Set for a recovery of another node's session: serve it with take_over().
    std::optional<session_takeover> takeover;
    /// A recovery request that cannot succeed (bad or missing token, an id this node never made,
    /// not a reliable subprotocol): accept the upgrade, then refuse_recovery() (spec 5.5 step 5).
    bool refuse_recovery = false;

    /// Set when the hub's connect handler must be asked before the upgrade (complete()).
    std::optional<core::connect_request> connect_event;
    /// The id the connect handler was told; open() gives the connection this id. Empty: a new one.
    std::string connection_id;
    /// `ce-connectionState` set by the connect handler (server spec 4.7).
    std::optional<std::string> connection_state;
    /// The hub's own keep-alive interval, when its settings name one.
    std::optional<int> keepalive_seconds;
    /// Slots taken under the per-user and per-token connection limits; the connection holds them
    /// for its life, and dropping a refused or abandoned admission returns them.
    core::connection_leases leases;

    /// The worker that must accept this WebSocket; nullopt: the one the request arrived on.
    std::optional<std::size_t> required_worker() const {
        return recovery   ? std::optional<std::size_t>(recovery->shard)
               : takeover ? takeover->shard
                          : std::nullopt;
    }
};

using upgrade_decision = std::variant<protocol::http_response, client_admission>;

/// The client endpoint: `GET /client/hubs/{hub}` and `GET /client/?hub={hub}` (spec 1-3).
/// admit() answers every refusal with the HTTP status the spec gives, before any upgrade; open()
/// turns an admission into a live connection on the calling worker's shard.
class client_endpoint {
public:
    client_endpoint(core::router& router, auth::access_keys keys, metrics& counters,
                    client_endpoint_options options = {});

    /// Per-hub settings (anonymous connect, keep-alive) and where events go (null: nowhere).
    /// Without this call every hub has the defaults and no event handler.
    void set_hub_settings(const core::live_hub_settings& hubs, core::event_sink* events);

    /// The abuse limits to apply (docs/configuration.md, "Abuse limits"); without this call there
    /// are none. `limits` must outlive every connection.
    void set_firewall(firewall& limits) noexcept { firewall_ = &limits; }
    /// Runs on shard `shard_index`'s thread: closes the connections of that shard whose maximum
    /// lifetime has passed at `now` (PubSub clients hear `disconnected` first).
    void expire_lifetimes(std::size_t shard_index, core::limit_clock::time_point now);

    /// `target` is the parsed request target (path /client/...). An admission for a hub whose
    /// handler takes `connect` still needs complete() before the upgrade.
    upgrade_decision admit(const protocol::http_request& request, const boost::urls::url_view& target);

    /// The second step of an admitted upgrade (server spec 4.3): asks the hub's connect handler,
    /// when admit() prepared a connect event, and applies its answer: a 4xx refuses the upgrade with
    /// that status, a failure with 500; userId, groups, roles and subprotocol replace the token's.
    /// `worker` is the one that will serve the WebSocket; call on its thread. `done` is called
    /// exactly once on that thread: inline when there is no handler to ask.
    void complete(client_admission admission, std::size_t worker, std::function<void(upgrade_decision)> done);

    /// Registers the connection on `shard_index` (the calling thread's shard), sends `connected` to
    /// PubSub clients (with a reconnection token to reliable ones), joins the groups of the
    /// admission.
    std::unique_ptr<client_session> open(client_admission admission, core::connection_sink& sink,
                                         std::size_t shard_index);

    /// Serves an admission with `recovery` on the session's shard (the calling thread's): binds the
    /// session to `sink`, aborting a transport still bound to it, and queues every unacknowledged
    /// message first (spec 5.5). No `connected` is sent (the emulator sends none; the SDKs need
    /// none). Null, with nothing sent, when the session is gone (window passed, ended, another hub
    /// or subprotocol): then call refuse_recovery().
    std::unique_ptr<client_session> resume(const client_admission& admission, core::connection_sink& sink);
    /// Serves an admission with `takeover` on the calling worker's shard `shard_index`: asks the
    /// node holding the session for it (core::router::take_over_session) and, once it settled here,
    /// binds it to `*sink` as resume() does. `done` runs on this worker, later, with the session,
    /// or null when it cannot be taken over (then call refuse_recovery()). When `*sink` is null by
    /// then (the transport is gone), `done` is not called and the session stays parked here for
    /// its recovery window, as any session whose client dropped.
    void take_over(const client_admission& admission, std::shared_ptr<core::connection_sink*> sink,
                   std::size_t shard_index, std::function<void(std::unique_ptr<client_session>)> done);
    /// Tells a recovering client its session cannot be recovered: `disconnected` (JSON clients),
    /// then close 1008, after which the SDKs start a new connection instead of retrying (spec 5.7).
    void refuse_recovery(const client_admission& admission, core::connection_sink& sink);

    const auth::access_keys& keys() const noexcept { return keys_; }

private:
    upgrade_decision apply_connect_outcome(client_admission admission,
                                           const std::vector<std::string>& offered,
                                           core::connect_outcome outcome);
    /// The identity the access token proves (none without a token, when the hub allows anonymous
    /// connects), or the 401 that refuses the upgrade.
    util::result<auth::client_identity, protocol::http_response>
    authenticate(const std::string& hub, std::string_view token, const core::hub_settings& hub_settings);
    client_admission admit_recovery(std::string hub, protocol::subprotocol_kind kind, std::string subprotocol,
                                    const std::string& connection_id,
                                    const std::optional<std::string>& reconnection_token);
    /// The `connected` frame, in the connection's subprotocol (none for simple clients).
    void send_connected(core::connection& connection);
    /// The client side of a session bound to a transport (open, resume, take_over).
    std::unique_ptr<client_session> make_session(core::shard& shard, core::connection& connection);
    /// The connection's event handler channel, which sends the `connected` event; none without
    /// an event handler.
    void open_events(core::connection& connection, std::string subprotocol, std::optional<std::string> state,
                     std::size_t shard_index);

    core::router& router_;
    auth::access_keys keys_;
    metrics& metrics_;
    client_endpoint_options options_;
    auth::reconnection_tokens reconnection_tokens_;
    const core::live_hub_settings* hubs_ = nullptr;
    core::event_sink* events_ = nullptr;
    firewall* firewall_ = nullptr;
};

} // namespace hubcast::api

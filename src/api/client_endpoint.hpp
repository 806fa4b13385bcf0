#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/url/url_view.hpp>

#include "api/client_session.hpp"
#include "api/metrics.hpp"
#include "auth/access_keys.hpp"
#include "auth/reconnection_token.hpp"
#include "core/connection_sink.hpp"
#include "core/node.hpp"
#include "protocol/http_types.hpp"
#include "protocol/subprotocol.hpp"

namespace hubcast::api {

struct client_endpoint_options {
    std::chrono::seconds clock_skew{300}; // spec 2.4: the emulator's 5 minutes
};

/// A recovery request whose reconnection token verified (spec 5.5): the session to resume.
struct session_recovery {
    std::string connection_id;
    /// The shard that owns the session. Only its worker may serve the new transport: a session and
    /// its transport always share one thread (docs/architecture.md, "Reliable sessions").
    std::size_t shard = 0;
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
    /// A recovery request that cannot succeed (bad or missing token, an id this node never made,
    /// not a reliable subprotocol): accept the upgrade, then refuse_recovery() (spec 5.5 step 5).
    bool refuse_recovery = false;

    /// The worker that must accept this WebSocket; nullopt: the one the request arrived on.
    std::optional<std::size_t> required_worker() const {
        return recovery ? std::optional<std::size_t>(recovery->shard) : std::nullopt;
    }
};

using upgrade_decision = std::variant<protocol::http_response, client_admission>;

/// The client endpoint: `GET /client/hubs/{hub}` and `GET /client/?hub={hub}` (spec 1-3).
/// admit() answers every refusal with the HTTP status the spec gives, before any upgrade; open()
/// turns an admission into a live connection on the calling worker's shard.
class client_endpoint {
public:
    client_endpoint(core::node& node, auth::access_keys keys, metrics& counters,
                    client_endpoint_options options = {});

    /// `target` is the parsed request target (path /client/...).
    upgrade_decision admit(const protocol::http_request& request, const boost::urls::url_view& target);

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
    /// Tells a recovering client its session cannot be recovered: `disconnected` (JSON clients),
    /// then close 1008, after which the SDKs start a new connection instead of retrying (spec 5.7).
    void refuse_recovery(const client_admission& admission, core::connection_sink& sink);

    const auth::access_keys& keys() const noexcept { return keys_; }

private:
    client_admission admit_recovery(std::string hub, protocol::subprotocol_kind kind, std::string subprotocol,
                                    const std::string& connection_id,
                                    const std::optional<std::string>& reconnection_token);

    core::node& node_;
    auth::access_keys keys_;
    metrics& metrics_;
    client_endpoint_options options_;
    auth::reconnection_tokens reconnection_tokens_;
};

} // namespace hubcast::api

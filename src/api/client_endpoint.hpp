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
#include "core/connection_sink.hpp"
#include "core/node.hpp"
#include "protocol/http_types.hpp"
#include "protocol/subprotocol.hpp"

namespace hubcast::api {

struct client_endpoint_options {
    std::chrono::seconds clock_skew{300}; // spec 2.4: the emulator's 5 minutes
};

/// An upgrade request that passed every check: who the client is and what it speaks.
struct client_admission {
    std::string hub; ///< lowercase
    protocol::subprotocol_kind kind = protocol::subprotocol_kind::none;
    std::string subprotocol; ///< the name to echo in the 101; empty for none
    std::optional<std::string> user_id;
    std::vector<std::string> roles;
    std::vector<std::string> groups;
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
    /// PubSub clients, joins the groups of the admission.
    std::unique_ptr<client_session> open(client_admission admission, core::connection_sink& sink,
                                         std::size_t shard_index);

    const auth::access_keys& keys() const noexcept { return keys_; }

private:
    core::node& node_;
    auth::access_keys keys_;
    metrics& metrics_;
    client_endpoint_options options_;
};

} // namespace hubcast::api

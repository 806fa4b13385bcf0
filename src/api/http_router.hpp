#pragma once

#include <functional>

#include "api/client_endpoint.hpp"
#include "api/rest_router.hpp"
#include "protocol/http_types.hpp"
#include "util/metrics_registry.hpp"

namespace hubcast::api {

/// Called exactly once with what a request gets, possibly later and on another thread.
using route_reply = std::function<void(upgrade_decision)>;

/// Decides what every HTTP request on the public port gets: the client endpoint under /client/,
/// the REST data plane under /api/, health and metrics, 404 for anything else. Routing over plain
/// requests; the transport carries the answer out. GET /metrics renders `metrics`, which must
/// outlive the router.
class http_router {
public:
    http_router(client_endpoint& clients, rest_router& rest, const util::metrics_registry& metrics);

    /// `ready` reports whether the server is accepting work (false while shutting down).
    void set_readiness(std::function<bool()> ready) { ready_ = std::move(ready); }

    /// Answers through `reply`: inline for everything but the REST operations that wait for a
    /// connection's shard (rest_router), which reply from that shard's worker.
    void route(protocol::http_request request, route_reply reply);

private:
    protocol::http_response health(const protocol::http_request& request, bool readiness) const;

    client_endpoint& clients_;
    rest_router& rest_;
    const util::metrics_registry& metrics_;
    std::function<bool()> ready_;
};

} // namespace hubcast::api

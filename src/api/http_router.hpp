#pragma once

#include <functional>

#include "api/client_endpoint.hpp"
#include "api/metrics.hpp"
#include "protocol/http_types.hpp"

namespace hubcast::api {

/// Decides what every HTTP request on the public port gets: the client endpoint under /client/,
/// health and metrics, 404 for anything else. Pure routing over plain requests; the transport
/// carries the answer out.
class http_router {
public:
    http_router(client_endpoint& clients, metrics& counters);

    /// `ready` reports whether the server is accepting work (false while shutting down).
    void set_readiness(std::function<bool()> ready) { ready_ = std::move(ready); }

    upgrade_decision route(const protocol::http_request& request);

private:
    protocol::http_response health(const protocol::http_request& request, bool readiness) const;

    client_endpoint& clients_;
    metrics& metrics_;
    std::function<bool()> ready_;
};

} // namespace hubcast::api

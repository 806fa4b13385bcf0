#pragma once

#include <utility>

#include "api/client_endpoint.hpp"
#include "api/http_router.hpp"
#include "api/trusted_proxies.hpp"
#include "transport/handlers.hpp"

namespace hubcast::server {

/// The transport's http_handler: asks the router what a request gets and carries the answer out,
/// turning an admitted upgrade into a client_bridge.
class http_frontend final : public transport::http_handler {
public:
    /// `proxies`: whose X-Forwarded-For and X-Forwarded-Proto each request's are believed.
    http_frontend(api::http_router& router, api::client_endpoint& clients, api::trusted_proxies proxies)
        : router_(router), clients_(clients), proxies_(std::move(proxies)) {}

    void handle(protocol::http_request request,
                std::shared_ptr<transport::http_responder> responder) override;

private:
    api::http_router& router_;
    api::client_endpoint& clients_;
    api::trusted_proxies proxies_;
};

} // namespace hubcast::server

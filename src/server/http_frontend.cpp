#include "server/http_frontend.hpp"

#include <chrono>
#include <string>

#include <spdlog/spdlog.h>

#include "server/client_bridge.hpp"
#include "server/logging.hpp"

namespace hubcast::server {
namespace {

/// What the access log says of a request once it is answered (docs/observability.md).
struct request_line {
    std::string client;
    std::string method;
    std::string path; ///< without the query: a client's access token travels there
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

std::shared_ptr<const request_line> line_for(const protocol::http_request& request) {
    if (access_log() == nullptr) {
        return nullptr;
    }
    return std::make_shared<const request_line>(
        request_line{.client = request.remote_address,
                     .method = request.method,
                     .path = request.target.substr(0, request.target.find('?'))});
}

void log_answer(const std::shared_ptr<const request_line>& line, unsigned status, std::size_t body_bytes) {
    if (line == nullptr) {
        return;
    }
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - line->start;
    access_log()->info("{} \"{} {}\" {} {} {:.3f} ms", line->client, line->method, line->path, status,
                       body_bytes, took.count());
}

} // namespace

// GCC 12 reports the moves out of an upgrade_decision alternative below as "may be used
// uninitialized" once std::variant's storage is inlined into the lambdas: a false positive (the
// alternative was just checked with get_if/get, which GCC's flow analysis does not see through).
#if defined(__GNUC__) && !defined(__clang__) // clang (and clang-tidy) has no such warning
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
void http_frontend::handle(protocol::http_request request,
                           std::shared_ptr<transport::http_responder> responder) {
    // The client's own address and scheme, when a trusted proxy forwarded the request: every layer
    // after this one (per-address limits, links, logs) sees the client, not the proxy.
    proxies_.apply(request);
    auto line = line_for(request);
    // The responder is thread-safe: a REST answer may come from another worker's shard.
    router_.route(std::move(request), [this, responder = std::move(responder),
                                       line = std::move(line)](api::upgrade_decision decision) {
        if (auto* response = std::get_if<protocol::http_response>(&decision)) {
            log_answer(line, response->status, response->body.size());
            responder->respond(std::move(*response));
            return;
        }
        auto& admission = std::get<api::client_admission>(decision);
        // A recovered session must be served where it lives (docs/architecture.md).
        const std::size_t worker = admission.required_worker().value_or(responder->worker_index());
        if (worker != responder->worker_index()) {
            spdlog::debug("recovery of {} arrived on worker {}: moving it to worker {}",
                          admission.recovery ? admission.recovery->connection_id
                                             : admission.takeover->connection_id,
                          responder->worker_index(), worker);
        }
        // The hub's connect handler, if any, answers before the 101 (server spec 4.3).
        clients_.complete(std::move(admission), worker,
                          [this, responder, worker, line](api::upgrade_decision completed) {
                              if (auto* refusal = std::get_if<protocol::http_response>(&completed)) {
                                  log_answer(line, refusal->status, refusal->body.size());
                                  responder->respond(std::move(*refusal));
                                  return;
                              }
                              log_answer(line, 101, 0);
                              auto& admitted = std::get<api::client_admission>(completed);
                              std::string subprotocol = admitted.subprotocol;
                              responder->accept_websocket_on(
                                  worker, std::move(subprotocol),
                                  std::make_unique<client_bridge>(clients_, std::move(admitted), worker));
                          });
    });
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

} // namespace hubcast::server

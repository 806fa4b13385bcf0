#include "upstream/webhook_dispatcher.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "protocol/cloud_events.hpp"
#include "upstream/connect_reply.hpp"
#include "upstream/connection_channel.hpp"
#include "upstream/webhook_lane.hpp"

// The dispatcher's life (start, stop), the connect event and opening connection channels. The
// rest lives beside it: delivery (webhook_delivery.cpp), the abuse-protection preflight
// (webhook_preflight.cpp), connected/disconnected with their retries (webhook_notifications.cpp),
// user events (connection_channel.cpp) and the reading of a connect answer (connect_reply.cpp).

namespace hubcast::upstream {

namespace asio = boost::asio;

webhook_dispatcher::webhook_dispatcher(const core::live_hub_settings& hubs,
                                       std::vector<std::string> access_keys, upstream_options options)
    : hubs_(hubs), access_keys_(std::move(access_keys)), options_(std::move(options)) {}

webhook_dispatcher::~webhook_dispatcher() {
    stop();
}

void webhook_dispatcher::start(const std::vector<asio::any_io_executor>& workers,
                               transport::http_client_options client_options) {
    client_options.max_connections_per_host = options_.max_requests_per_host;
    lanes_.reserve(workers.size());
    for (const auto& executor : workers) {
        lanes_.push_back(std::make_unique<lane>(executor, client_options));
    }
}

void webhook_dispatcher::stop() {
    for (auto& on : lanes_) {
        if (on->stopped) {
            continue;
        }
        on->stopped = true;
        for (const auto& timer : on->retry_timers) {
            timer->cancel();
        }
        on->retry_timers.clear();
        on->preflights.clear();
        on->client->shutdown();
        on->client.reset();
    }
}

webhook_dispatcher::lane& webhook_dispatcher::lane_of(std::size_t worker) {
    return *lanes_.at(worker);
}

cloud_event webhook_dispatcher::new_event(std::string type, std::string name, std::string_view content_type) {
    return cloud_event{.type = std::move(type),
                       .name = std::move(name),
                       .content_type = content_type,
                       .id = std::to_string(next_event_id_.fetch_add(1, std::memory_order_relaxed)),
                       .time = rfc3339_now()};
}

bool webhook_dispatcher::handles_connect(std::string_view hub) const {
    return hubs_.snapshot()->of(hub).handler_for(core::system_event::connect) != nullptr;
}

void webhook_dispatcher::connect(core::connect_request request, std::size_t worker,
                                 std::function<void(core::connect_outcome)> done) {
    auto& on = lane_of(worker);
    const auto settings = hubs_.snapshot();
    const auto* handler = settings->of(request.source.hub).handler_for(core::system_event::connect);
    if (handler == nullptr) {
        asio::post(on.executor, [done = std::move(done)] { done(core::connect_outcome{}); });
        return;
    }
    auto body =
        protocol::encode_connect_body(request.claims, request.query, request.headers, request.subprotocols);
    const auto event = new_event(system_event_type("connect"), "connect", json_content_type);
    const auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
    post_event(on, request.source, handler->url_template, event, std::nullopt, std::move(body), deadline,
               [this, source = request.source, done = std::move(done)](delivery result) {
                   auto log_failure = [&](const std::string& why) {
                       counters_.failures.fetch_add(1, std::memory_order_relaxed);
                       spdlog::error("connect of connection {} (hub '{}') failed: {} {}",
                                     source.connection_id, source.hub, result.url, why);
                   };
                   if (!result.response) {
                       log_failure(result.error);
                       done(failed_connect_outcome());
                       return;
                   }
                   const auto& response = *result.response;
                   auto reply = interpret_connect_reply(response.status, response.body,
                                                        response.header("ce-connectionState"));
                   switch (reply.outcome.result) {
                   case core::connect_outcome::verdict::rejected:
                       counters_.connects_rejected.fetch_add(1, std::memory_order_relaxed);
                       break;
                   case core::connect_outcome::verdict::failed:
                       log_failure(reply.failure);
                       break;
                   case core::connect_outcome::verdict::accepted:
                       break;
                   }
                   done(std::move(reply.outcome));
               });
}

std::unique_ptr<core::connection_events>
webhook_dispatcher::open(core::event_source source, std::optional<std::string> state, std::size_t worker) {
    return make_channel(std::move(source), std::move(state), worker, true);
}

std::unique_ptr<core::connection_events>
webhook_dispatcher::adopt(core::event_source source, std::optional<std::string> state, std::size_t worker) {
    return make_channel(std::move(source), std::move(state), worker, false);
}

std::unique_ptr<core::connection_events> webhook_dispatcher::make_channel(core::event_source source,
                                                                          std::optional<std::string> state,
                                                                          std::size_t worker, bool announce) {
    auto shared = std::make_shared<connection_channel::state>();
    shared->owner = this;
    shared->on = &lane_of(worker);
    shared->source = std::move(source);
    shared->connection_state = std::move(state);
    if (announce &&
        hubs_.snapshot()->of(shared->source.hub).handler_for(core::system_event::connected) != nullptr) {
        connection_channel::send_connected(shared);
    }
    return std::make_unique<connection_channel>(std::move(shared));
}

} // namespace hubcast::upstream

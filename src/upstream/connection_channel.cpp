#include "upstream/connection_channel.hpp"

#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "protocol/cloud_events.hpp"
#include "upstream/connect_reply.hpp"
#include "upstream/webhook_lane.hpp"

namespace hubcast::upstream {

namespace asio = boost::asio;

connection_channel::~connection_channel() {
    // Without closed() the session is being torn down with the process: no event is owed.
    state_->closed = true;
    state_->queue.clear();
    state_->queued_bytes = 0;
}

bool connection_channel::handles(std::string_view name) const {
    const auto settings = state_->owner->hubs_.snapshot();
    return settings->of(state_->source.hub).handler_for_user_event(name) != nullptr;
}

bool connection_channel::user_event(std::string name, protocol::message_data data,
                                    std::function<void(core::user_event_reply)> done) {
    auto& shared = *state_;
    if (shared.closed) {
        return false;
    }
    queued_event event{std::move(name), std::move(data), std::move(done)};
    const auto& options = shared.owner->options_;
    if (shared.queue.size() >= options.max_queued_events ||
        (!shared.queue.empty() && shared.queued_bytes + event.bytes() > options.max_queued_event_bytes)) {
        shared.owner->counters_.user_events_refused.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    shared.queued_bytes += event.bytes();
    shared.queue.push_back(std::move(event));
    if (!shared.busy) {
        // Never answer inside the call that queued: the session may be in the middle of a request.
        asio::post(shared.on->executor, [self = state_] { pump(self); });
    }
    return true;
}

void connection_channel::closed(std::string reason) {
    auto& shared = *state_;
    if (shared.closed) {
        return;
    }
    shared.closed = true;
    shared.queue.clear();
    shared.queued_bytes = 0;
    if (shared.busy) {
        shared.disconnect_reason = std::move(reason);
        return;
    }
    send_disconnected(state_, reason);
}

void connection_channel::send_connected(const std::shared_ptr<state>& self) {
    self->busy = true;
    self->owner->notify(*self->on, core::system_event::connected, self->source, self->connection_state, "{}",
                        [self] {
                            self->busy = false;
                            after_request(self);
                        });
}

void connection_channel::pump(const std::shared_ptr<state>& self) {
    while (!self->busy && !self->closed && !self->queue.empty()) {
        auto item = std::move(self->queue.front());
        self->queue.pop_front();
        self->queued_bytes -= item.bytes();
        auto& owner = *self->owner;
        const auto settings = owner.hubs_.snapshot();
        const auto* handler = settings->of(self->source.hub).handler_for_user_event(item.name);
        if (handler == nullptr) {
            // The settings changed since the event was accepted.
            owner.counters_.failures.fetch_add(1, std::memory_order_relaxed);
            item.done(
                {.success = false, .data = std::nullopt, .error = "No event handler takes this event."});
            continue;
        }
        self->busy = true;
        auto event =
            owner.new_event(user_event_type(item.name), item.name, protocol::content_type_of(item.data.type));
        event.metadata = std::move(item.data.metadata);
        const auto deadline = std::chrono::steady_clock::now() + owner.options_.user_event_timeout;
        owner.post_event(
            *self->on, self->source, handler->url_template, event, self->connection_state,
            std::move(item.data.bytes), deadline,
            [self, done = std::move(item.done), name = item.name](webhook_dispatcher::delivery result) {
                self->busy = false;
                auto reply = interpret(*self, name, std::move(result));
                if (!self->closed && done) {
                    done(std::move(reply));
                }
                after_request(self);
            });
    }
}

void connection_channel::after_request(const std::shared_ptr<state>& self) {
    if (!self->closed) {
        pump(self);
    } else if (self->disconnect_reason) {
        auto reason = std::move(*self->disconnect_reason);
        self->disconnect_reason.reset();
        send_disconnected(self, reason);
    }
}

void connection_channel::send_disconnected(const std::shared_ptr<state>& self, std::string_view reason) {
    self->owner->notify(*self->on, core::system_event::disconnected, self->source, self->connection_state,
                        protocol::encode_disconnected_body(reason), nullptr);
}

core::user_event_reply connection_channel::interpret(state& self, std::string_view name,
                                                     webhook_dispatcher::delivery result) {
    auto& counters = self.owner->counters_;
    core::user_event_reply reply;
    if (!result.response) {
        counters.failures.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("event '{}' of connection {} (hub '{}'): {} failed: {}", name, self.source.connection_id,
                     self.source.hub, result.url, result.error);
        reply.error = "The event handler failed: " + result.error + ".";
        return reply;
    }
    auto& response = *result.response;
    if (!is_success_status(response.status)) {
        counters.failures.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("event '{}' of connection {} (hub '{}'): {} answered {}: {}", name,
                     self.source.connection_id, self.source.hub, result.url, response.status,
                     printable_snippet(response.body));
        reply.error = fmt::format("The event handler answered {}.", response.status);
        if (!response.body.empty()) {
            reply.error += ' ';
            reply.error += printable_snippet(response.body, max_detail_bytes);
        }
        return reply;
    }
    if (const auto state_header = response.header("ce-connectionState"); !state_header.empty()) {
        self.connection_state = std::string(state_header);
    }
    reply.success = true;
    if (!response.body.empty()) {
        auto data = protocol::decode_reply(response.header("Content-Type"), std::move(response.body));
        if (!data) {
            counters.failures.fetch_add(1, std::memory_order_relaxed);
            spdlog::warn("event '{}' of connection {} (hub '{}'): {}: {}", name, self.source.connection_id,
                         self.source.hub, result.url, data.error());
            return {.success = false,
                    .data = std::nullopt,
                    .error = "The event handler's reply is invalid: " + data.error() + "."};
        }
        reply.data = std::move(*data);
    }
    return reply;
}

} // namespace hubcast::upstream

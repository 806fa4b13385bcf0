#include "upstream/webhook_dispatcher.hpp"

#include <algorithm>
#include <list>
#include <map>
#include <set>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "protocol/cloud_events.hpp"
#include "upstream/connect_reply.hpp"
#include "upstream/signature.hpp"
#include "upstream/webhook_url.hpp"

namespace hubcast::upstream {

namespace asio = boost::asio;

namespace {

constexpr std::string_view json_content_type = "application/json; charset=utf-8";

std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline) {
    // Rounded up: a request is never given less than its event's timeout.
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return std::max(left, std::chrono::milliseconds{1});
}

/// Failures worth another attempt: the handler may be restarting or briefly overloaded.
bool is_retryable_status(unsigned status) {
    return status >= 500 || status == 408 || status == 429;
}

} // namespace

std::string webhook_counters::render() const {
    auto line = [](std::string_view name, std::string_view help, const std::atomic<std::uint64_t>& value) {
        return fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help,
                           value.load(std::memory_order_relaxed));
    };
    return line("hubcast_webhook_requests_total", "Event handler requests sent, retries included.",
                requests) +
           line("hubcast_webhook_failures_total", "Events that ended without a 2xx answer from the handler.",
                failures) +
           line("hubcast_webhook_retries_total", "connected/disconnected attempts after the first.",
                retries) +
           line("hubcast_webhook_connects_rejected_total", "Upgrades the connect handler refused with a 4xx.",
                connects_rejected) +
           line("hubcast_webhook_preflight_refusals_total",
                "Abuse-protection preflights that did not allow this server.", preflight_refusals) +
           line("hubcast_webhook_user_events_refused_total",
                "User events refused because too many were queued for their connection.",
                user_events_refused);
}

struct webhook_dispatcher::lane {
    lane(const asio::any_io_executor& on, const transport::http_client_options& client_options)
        : executor(on), client(std::make_unique<transport::http_client>(on, client_options)) {}

    asio::any_io_executor executor;
    /// Reset by stop(): Asio objects must go before the event loop they belong to.
    std::unique_ptr<transport::http_client> client;
    /// Preflights in flight from this worker, by host: the callbacks waiting for the verdict.
    std::map<std::string, std::vector<std::function<void(std::optional<delivery>)>>, std::less<>> preflights;
    std::set<std::shared_ptr<asio::steady_timer>> retry_timers;
    bool stopped = false;
};

struct webhook_dispatcher::notification {
    core::system_event kind = core::system_event::connected;
    core::event_source source;
    std::optional<std::string> state;
    std::string body;
    cloud_event event;
    std::function<void()> first_attempt_done;
};

/// One connection's channel (core::connection_events). The state is shared with the callbacks in
/// flight, so that the session may go away while a request is outstanding: `closed` then stops
/// every callback, and the disconnected event still goes out after the request in flight.
class connection_channel final : public core::connection_events {
public:
    struct queued_event {
        std::string name;
        protocol::message_data data;
        std::function<void(core::user_event_reply)> done;
    };

    struct state {
        webhook_dispatcher* owner = nullptr;
        webhook_dispatcher::lane* on = nullptr;
        core::event_source source;
        std::optional<std::string> connection_state;
        std::list<queued_event> queue; // not a deque: that allocates a 512-byte node per idle connection
        bool busy = false;             // a request of this connection is in flight (one at a time)
        bool closed = false;           // the session is gone: no callback may run
        std::optional<std::string> disconnect_reason; // closed while busy: sent once idle
    };

    explicit connection_channel(std::shared_ptr<state> shared) : state_(std::move(shared)) {}

    ~connection_channel() override {
        // Without closed() the session is being torn down with the process: no event is owed.
        state_->closed = true;
        state_->queue.clear();
    }

    bool handles(std::string_view name) const override {
        const auto settings = state_->owner->hubs_.snapshot();
        return settings->of(state_->source.hub).handler_for_user_event(name) != nullptr;
    }

    bool user_event(std::string name, protocol::message_data data,
                    std::function<void(core::user_event_reply)> done) override {
        auto& shared = *state_;
        if (shared.closed) {
            return false;
        }
        if (shared.queue.size() >= shared.owner->options_.max_queued_events) {
            shared.owner->counters_.user_events_refused.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        shared.queue.push_back({std::move(name), std::move(data), std::move(done)});
        if (!shared.busy) {
            // Never answer inside the call that queued: the session may be in the middle of a request.
            asio::post(shared.on->executor, [self = state_] { pump(self); });
        }
        return true;
    }

    void closed(std::string reason) override {
        auto& shared = *state_;
        if (shared.closed) {
            return;
        }
        shared.closed = true;
        shared.queue.clear();
        if (shared.busy) {
            shared.disconnect_reason = std::move(reason);
            return;
        }
        send_disconnected(state_, std::move(reason));
    }

    /// Sends `connected` as the first event of the channel; user events queue behind its first
    /// attempt, so a handler sees connected before anything else of the connection.
    static void send_connected(const std::shared_ptr<state>& self) {
        self->busy = true;
        self->owner->notify(*self->on, core::system_event::connected, self->source, self->connection_state,
                            "{}", [self] {
                                self->busy = false;
                                after_request(self);
                            });
    }

private:
    static void pump(const std::shared_ptr<state>& self) {
        while (!self->busy && !self->closed && !self->queue.empty()) {
            auto item = std::move(self->queue.front());
            self->queue.pop_front();
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
            auto event = owner.new_event(user_event_type(item.name), item.name,
                                         protocol::content_type_of(item.data.type));
            const auto deadline = std::chrono::steady_clock::now() + owner.options_.user_event_timeout;
            owner.deliver(
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

    static void after_request(const std::shared_ptr<state>& self) {
        if (!self->closed) {
            pump(self);
        } else if (self->disconnect_reason) {
            auto reason = std::move(*self->disconnect_reason);
            self->disconnect_reason.reset();
            send_disconnected(self, std::move(reason));
        }
    }

    static void send_disconnected(const std::shared_ptr<state>& self, std::string reason) {
        self->owner->notify(*self->on, core::system_event::disconnected, self->source, self->connection_state,
                            protocol::encode_disconnected_body(reason), nullptr);
    }

    /// Spec 4.6: a 2xx passes its body back (nothing for 204 or an empty body) and may set the
    /// connection state; anything else is a failure the caller is told about.
    static core::user_event_reply interpret(state& self, std::string_view name,
                                            webhook_dispatcher::delivery result) {
        auto& counters = self.owner->counters_;
        core::user_event_reply reply;
        if (!result.response) {
            counters.failures.fetch_add(1, std::memory_order_relaxed);
            spdlog::warn("event '{}' of connection {} (hub '{}'): {} failed: {}", name,
                         self.source.connection_id, self.source.hub, result.url, result.error);
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
                reply.error += " " + printable_snippet(response.body, max_detail_bytes);
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
                spdlog::warn("event '{}' of connection {} (hub '{}'): {}: {}", name,
                             self.source.connection_id, self.source.hub, result.url, data.error());
                return {.success = false,
                        .data = std::nullopt,
                        .error = "The event handler's reply is invalid: " + data.error() + "."};
            }
            reply.data = std::move(*data);
        }
        return reply;
    }

    std::shared_ptr<state> state_;
};

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
    deliver(on, request.source, handler->url_template, event, std::nullopt, std::move(body), deadline,
            [this, source = request.source, done = std::move(done)](delivery result) {
                auto log_failure = [&](const std::string& why) {
                    counters_.failures.fetch_add(1, std::memory_order_relaxed);
                    spdlog::error("connect of connection {} (hub '{}') failed: {} {}", source.connection_id,
                                  source.hub, result.url, why);
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
    auto shared = std::make_shared<connection_channel::state>();
    shared->owner = this;
    shared->on = &lane_of(worker);
    shared->source = std::move(source);
    shared->connection_state = std::move(state);
    if (hubs_.snapshot()->of(shared->source.hub).handler_for(core::system_event::connected) != nullptr) {
        connection_channel::send_connected(shared);
    }
    return std::make_unique<connection_channel>(std::move(shared));
}

void webhook_dispatcher::deliver(lane& on, const core::event_source& source, const std::string& url_template,
                                 const cloud_event& event, const std::optional<std::string>& state,
                                 std::string body, clock::time_point deadline, delivered done) {
    if (on.stopped) {
        return; // shutting down: nothing more is sent, and nobody waits for an answer
    }
    const auto url_text = expand_url_template(url_template, source.hub, event.name);
    auto url = parse_webhook_url(url_text);
    if (!url) {
        // Templates are checked when the configuration is read; only a bad expansion gets here.
        asio::post(on.executor, [done = std::move(done), error = url.error(), url_text] {
            done(delivery{.response = std::nullopt, .error = error, .retryable = false, .url = url_text});
        });
        return;
    }
    transport::http_client_request request;
    request.host = url->host;
    request.port = url->port;
    request.method = "POST";
    request.target = url->target;
    request.headers = event_headers(event, source, state,
                                    sign_connection_id(access_keys_, source.connection_id), options_.origin);
    request.body = std::move(body);
    const auto validate_url = expand_url_template(url_template, source.hub, "validate");
    ensure_allowed(
        on, url->authority(), validate_url, deadline,
        [this, &on, request = std::move(request), deadline, done = std::move(done),
         url_text](std::optional<delivery> refusal) mutable {
            if (refusal) {
                refusal->url = url_text;
                done(std::move(*refusal));
                return;
            }
            request.timeout = remaining(deadline);
            counters_.requests.fetch_add(1, std::memory_order_relaxed);
            on.client->send(
                std::move(request), [done = std::move(done), url_text](transport::http_client_result result) {
                    if (!result) {
                        done(delivery{.response = std::nullopt,
                                      .error = std::string(describe(result.error())),
                                      .retryable = true,
                                      .url = url_text});
                        return;
                    }
                    done(delivery{
                        .response = std::move(*result), .error = {}, .retryable = false, .url = url_text});
                });
        });
}

void webhook_dispatcher::ensure_allowed(lane& on, const std::string& authority,
                                        const std::string& validate_url, clock::time_point deadline,
                                        std::function<void(std::optional<delivery>)> done) {
    switch (preflights_.lookup(authority)) {
    case preflight_cache::verdict::allowed:
        done(std::nullopt);
        return;
    case preflight_cache::verdict::refused:
        asio::post(on.executor, [done = std::move(done)] {
            done(delivery{.response = std::nullopt,
                          .error = "refused by the handler's abuse protection",
                          .retryable = false,
                          .url = {}});
        });
        return;
    case preflight_cache::verdict::unknown:
        break;
    }
    auto& waiting = on.preflights[authority];
    waiting.push_back(std::move(done));
    if (waiting.size() > 1) {
        return; // this worker already asked; the verdict serves everyone waiting
    }
    auto url = parse_webhook_url(validate_url);
    transport::http_client_request request;
    if (url) {
        request.host = url->host;
        request.port = url->port;
        request.target = url->target;
    }
    request.method = "OPTIONS";
    request.headers = preflight_headers(options_.origin);
    request.timeout = remaining(deadline);
    on.client->send(
        std::move(request), [this, &on, authority, validate_url](transport::http_client_result result) {
            std::optional<delivery> verdict;
            if (!result) {
                verdict =
                    delivery{.response = std::nullopt,
                             .error = std::string(describe(result.error())) + " (abuse-protection preflight)",
                             .retryable = true,
                             .url = {}};
            } else if (allows_origin(*result, options_.origin)) {
                preflights_.record(authority, true);
                spdlog::info("event handler host {} allows origin '{}' (preflight OPTIONS {})", authority,
                             options_.origin, validate_url);
            } else {
                preflights_.record(authority, false);
                counters_.preflight_refusals.fetch_add(1, std::memory_order_relaxed);
                spdlog::error("abuse protection: OPTIONS {} answered {} without allowing origin '{}' "
                              "(WebHook-Allowed-Origin: '{}'); hubcast does not call this handler and asks "
                              "again in 30 s",
                              validate_url, result->status, options_.origin,
                              result->header("WebHook-Allowed-Origin"));
                verdict = delivery{.response = std::nullopt,
                                   .error = "refused by the handler's abuse protection",
                                   .retryable = false,
                                   .url = {}};
            }
            auto waiters = std::move(on.preflights[authority]);
            on.preflights.erase(authority);
            for (auto& waiter : waiters) {
                waiter(verdict);
            }
        });
}

void webhook_dispatcher::notify(lane& on, core::system_event kind, core::event_source source,
                                std::optional<std::string> state, std::string body,
                                std::function<void()> first_attempt_done) {
    if (on.stopped || hubs_.snapshot()->of(source.hub).handler_for(kind) == nullptr) {
        // Most hubs have no handler: a closing connection then costs no allocation and no post.
        if (first_attempt_done && !on.stopped) {
            asio::post(on.executor, std::move(first_attempt_done));
        }
        return;
    }
    auto note = std::make_shared<notification>();
    note->kind = kind;
    note->source = std::move(source);
    note->state = std::move(state);
    note->body = std::move(body);
    note->event = new_event(system_event_type(core::to_string(kind)), std::string(core::to_string(kind)),
                            json_content_type);
    note->first_attempt_done = std::move(first_attempt_done);
    pending_.fetch_add(1, std::memory_order_acq_rel);
    attempt_notification(on, note, 0);
}

void webhook_dispatcher::attempt_notification(lane& on, const std::shared_ptr<notification>& note,
                                              int attempt) {
    auto finished = [note] {
        if (note->first_attempt_done) {
            auto first = std::move(note->first_attempt_done);
            note->first_attempt_done = nullptr;
            first();
        }
    };
    const auto settings = hubs_.snapshot();
    const auto* handler = settings->of(note->source.hub).handler_for(note->kind);
    if (on.stopped) {
        pending_.fetch_sub(1, std::memory_order_acq_rel);
        return; // shutting down: the event loop may be gone already
    }
    if (handler == nullptr) {
        // Unsubscribed by a reload between two attempts.
        pending_.fetch_sub(1, std::memory_order_acq_rel);
        asio::post(on.executor, finished);
        return;
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.notification_timeout;
    deliver(on, note->source, handler->url_template, note->event, note->state, note->body, deadline,
            [this, &on, note, attempt, finished](delivery result) {
                finished();
                const bool answered = result.response.has_value();
                if (answered && is_success_status(result.response->status)) {
                    pending_.fetch_sub(1, std::memory_order_acq_rel);
                    return;
                }
                const bool retryable =
                    answered ? is_retryable_status(result.response->status) : result.retryable;
                const std::string why = answered ? fmt::format("answered {}: {}", result.response->status,
                                                               printable_snippet(result.response->body))
                                                 : result.error;
                if (retryable && attempt < options_.notification_retries && !on.stopped) {
                    counters_.retries.fetch_add(1, std::memory_order_relaxed);
                    const auto delay = options_.retry_backoff * (1 << attempt);
                    spdlog::debug("{} event of connection {}: {} {}; retrying in {} ms", note->event.name,
                                  note->source.connection_id, result.url, why, delay.count());
                    auto timer = std::make_shared<asio::steady_timer>(on.executor, delay);
                    on.retry_timers.insert(timer);
                    timer->async_wait([this, &on, note, attempt, timer](boost::system::error_code ec) {
                        on.retry_timers.erase(timer);
                        if (ec) {
                            pending_.fetch_sub(1, std::memory_order_acq_rel);
                            return;
                        }
                        attempt_notification(on, note, attempt + 1);
                    });
                    return;
                }
                counters_.failures.fetch_add(1, std::memory_order_relaxed);
                spdlog::warn("{} event of connection {} (hub '{}'): {} {} (gave up after {} attempt(s))",
                             note->event.name, note->source.connection_id, note->source.hub, result.url, why,
                             attempt + 1);
                pending_.fetch_sub(1, std::memory_order_acq_rel);
            });
}

} // namespace hubcast::upstream

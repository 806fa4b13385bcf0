#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "upstream/connect_reply.hpp"
#include "upstream/webhook_dispatcher.hpp"
#include "upstream/webhook_lane.hpp"

namespace hubcast::upstream {

namespace asio = boost::asio;

namespace {

/// Failures worth another attempt: the handler may be restarting or briefly overloaded.
bool is_retryable_status(unsigned status) {
    return status >= 500 || status == 408 || status == 429;
}

} // namespace

/// One connected or disconnected event, shared by its attempts. It counts as pending for as long
/// as anything (a request in flight, a retry timer, a queued callback) still holds it.
struct webhook_dispatcher::notification {
    core::system_event kind = core::system_event::connected;
    core::event_source source;
    std::optional<std::string> state;
    std::string body;
    cloud_event event;
    std::function<void()> first_attempt_done;
    pending_work::token pending;
};

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
    note->pending = pending_.begin();
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
        return; // shutting down: the event loop may be gone already
    }
    if (handler == nullptr) {
        // Unsubscribed by a reload between two attempts.
        asio::post(on.executor, finished);
        return;
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.notification_timeout;
    post_event(on, note->source, handler->url_template, note->event, note->state, note->body, deadline,
               [this, &on, note, attempt, finished](delivery result) {
                   finished();
                   const bool answered = result.response.has_value();
                   if (answered && is_success_status(result.response->status)) {
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
                           if (!ec) {
                               attempt_notification(on, note, attempt + 1);
                           }
                       });
                       return;
                   }
                   counters_.failures.fetch_add(1, std::memory_order_relaxed);
                   spdlog::warn("{} event of connection {} (hub '{}'): {} {} (gave up after {} attempt(s))",
                                note->event.name, note->source.connection_id, note->source.hub, result.url,
                                why, attempt + 1);
               });
}

} // namespace hubcast::upstream

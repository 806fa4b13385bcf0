#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "core/event_sink.hpp"
#include "core/hub_settings.hpp"
#include "transport/http_client.hpp"
#include "upstream/abuse_protection.hpp"
#include "upstream/cloud_event.hpp"
#include "upstream/pending_work.hpp"
#include "upstream/upstream_options.hpp"
#include "upstream/webhook_counters.hpp"

namespace hubcast::upstream {

/// The upstream layer's implementation of core::event_sink: turns connection events into
/// CloudEvents webhooks (server spec 4) to the handlers the hub settings name, after the
/// abuse-protection preflight (spec 5) of each handler host.
///
/// Threading: one HTTP client per worker, used only on that worker; every call with a `worker`
/// must come from that worker's thread, and its callback runs there. The hub settings are read
/// per event, so a reload applies to the next event of every connection. The preflight verdicts
/// are shared by all workers (preflight_cache).
class webhook_dispatcher final : public core::event_sink {
public:
    /// `access_keys` sign `ce-signature`; `options.origin` must be set (the server fills it in).
    webhook_dispatcher(const core::live_hub_settings& hubs, std::vector<std::string> access_keys,
                       upstream_options options);
    ~webhook_dispatcher() override;
    webhook_dispatcher(const webhook_dispatcher&) = delete;
    webhook_dispatcher& operator=(const webhook_dispatcher&) = delete;

    /// One HTTP client per worker executor, in worker order. Call once, before any event.
    void start(const std::vector<boost::asio::any_io_executor>& workers,
               transport::http_client_options client_options = {});
    /// Abandons everything pending (no callbacks). Call once the workers have stopped running.
    void stop();
    /// Forgets the preflight verdicts (after a reload: handlers may have moved or changed).
    void forget_preflights() { preflights_.clear(); }
    /// Events started and not yet finished, across workers (a shutdown waits for disconnected).
    std::size_t pending() const noexcept { return pending_.count(); }
    const webhook_counters& counters() const noexcept { return counters_; }

    // core::event_sink
    bool handles_connect(std::string_view hub) const override;
    void connect(core::connect_request request, std::size_t worker,
                 std::function<void(core::connect_outcome)> done) override;
    std::unique_ptr<core::connection_events> open(core::event_source source, std::optional<std::string> state,
                                                  std::size_t worker) override;
    std::unique_ptr<core::connection_events>
    adopt(core::event_source source, std::optional<std::string> state, std::size_t worker) override;

private:
    /// A new channel on the lane of `worker`; `announce`: it sends `connected` first (when a
    /// handler takes it).
    std::unique_ptr<core::connection_events> make_channel(core::event_source source,
                                                          std::optional<std::string> state,
                                                          std::size_t worker, bool announce);
    friend class connection_channel;
    struct lane;
    struct notification;
    using clock = std::chrono::steady_clock;

    /// The outcome of one POST: the handler's answer, or why there is none.
    struct delivery {
        std::optional<transport::http_client_response> response;
        std::string error;      ///< without a response: what went wrong, for logs and acks
        bool retryable = false; ///< without a response: a later attempt may succeed
        std::string url;        ///< where it went, for logs
    };
    using delivered = std::function<void(delivery)>;

    lane& lane_of(std::size_t worker);
    /// Expands the handler URL, runs the preflight when the host has none, POSTs the event.
    /// `done` runs on the lane's thread, never inside this call.
    void post_event(lane& on, const core::event_source& source, const std::string& url_template,
                    const cloud_event& event, const std::optional<std::string>& state, std::string body,
                    clock::time_point deadline, delivered done);
    /// `done(nullopt)` when the host allows us, `done(reason)` otherwise.
    void ensure_allowed(lane& on, const std::string& authority, const std::string& validate_url,
                        clock::time_point deadline, std::function<void(std::optional<delivery>)> done);
    /// connected / disconnected: sent, retried with back-off on failures that may pass, logged when
    /// they end badly. `first_attempt_done` runs once the first attempt has an outcome.
    void notify(lane& on, core::system_event kind, core::event_source source,
                std::optional<std::string> state, std::string body, std::function<void()> first_attempt_done);
    void attempt_notification(lane& on, const std::shared_ptr<notification>& note, int attempt);
    cloud_event new_event(std::string type, std::string name, std::string_view content_type);

    const core::live_hub_settings& hubs_;
    std::vector<std::string> access_keys_;
    upstream_options options_;
    std::vector<std::unique_ptr<lane>> lanes_;
    preflight_cache preflights_;
    webhook_counters counters_;
    /// connected/disconnected notifications not yet finished (each holds a token until it ends).
    pending_work pending_;
    std::atomic<std::uint64_t> next_event_id_{1};
};

} // namespace hubcast::upstream

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "upstream/webhook_dispatcher.hpp"
#include "upstream/webhook_lane.hpp"
#include "upstream/webhook_url.hpp"

namespace hubcast::upstream {

namespace asio = boost::asio;

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

} // namespace hubcast::upstream

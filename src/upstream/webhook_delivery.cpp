#include <boost/asio/post.hpp>

#include "upstream/signature.hpp"
#include "upstream/webhook_dispatcher.hpp"
#include "upstream/webhook_lane.hpp"
#include "upstream/webhook_url.hpp"

namespace hubcast::upstream {

namespace asio = boost::asio;

void webhook_dispatcher::post_event(lane& on, const core::event_source& source,
                                    const std::string& url_template, const cloud_event& event,
                                    const std::optional<std::string>& state, std::string body,
                                    clock::time_point deadline, delivered done) {
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

} // namespace hubcast::upstream

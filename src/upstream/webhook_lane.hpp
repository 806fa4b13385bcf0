#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "transport/http_client.hpp"
#include "upstream/webhook_dispatcher.hpp"

// The webhook dispatcher's per-worker state, shared by the files that implement it (delivery,
// preflight, notifications, connection channels). Not for use outside src/upstream.

namespace hubcast::upstream {

/// Every system event body is JSON; user events carry their own content type.
inline constexpr std::string_view json_content_type = "application/json; charset=utf-8";

/// What is left until `deadline`, rounded up: a request is never given less than its event's
/// timeout, and never nothing.
inline std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return std::max(left, std::chrono::milliseconds{1});
}

/// One worker's share of the dispatcher. Used only on that worker's thread (and by stop(), once
/// the worker has stopped).
struct webhook_dispatcher::lane {
    lane(const boost::asio::any_io_executor& on, const transport::http_client_options& client_options)
        : executor(on), client(std::make_unique<transport::http_client>(on, client_options)) {}

    boost::asio::any_io_executor executor;
    /// Reset by stop(): Asio objects must go before the event loop they belong to.
    std::unique_ptr<transport::http_client> client;
    /// Preflights in flight from this worker, by host: the callbacks waiting for the verdict.
    std::map<std::string, std::vector<std::function<void(std::optional<delivery>)>>, std::less<>> preflights;
    std::set<std::shared_ptr<boost::asio::steady_timer>> retry_timers;
    bool stopped = false;
};

} // namespace hubcast::upstream

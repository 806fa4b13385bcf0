#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "transport/http_client.hpp"

namespace hubcast::upstream {

/// Spec 5: whether a preflight answer lets hubcast call the handler: a 2xx whose
/// `WebHook-Allowed-Origin` lines, merged and split on `,`, hold `*`, `origin`, or `origin` with a
/// port (express lists `new URL(endpoint).host`), compared case-insensitively; an IPv6 host
/// matches with or without its brackets ("[::1]:8080" allows the origin "[::1]").
bool allows_origin(const transport::http_client_response& response, std::string_view origin);

/// The preflight verdict for each handler host ("host:port"), shared by every worker so that a
/// host is asked once. An allowed host stays allowed until the hub settings are reloaded; a refusal
/// is asked again after `recheck_refused`, so fixing the app server needs no restart. Thread-safe;
/// the lock is a leaf, held only to read or write the map.
class preflight_cache {
public:
    enum class verdict : std::uint8_t { unknown, allowed, refused };
    using clock = std::chrono::steady_clock;

    explicit preflight_cache(clock::duration recheck_refused = std::chrono::seconds{30})
        : recheck_refused_(recheck_refused) {}

    verdict lookup(std::string_view authority, clock::time_point now = clock::now()) const;
    void record(const std::string& authority, bool allowed, clock::time_point now = clock::now());
    void clear();

private:
    struct entry {
        bool allowed = false;
        clock::time_point at;
    };
    clock::duration recheck_refused_;
    mutable std::mutex mutex_;
    std::map<std::string, entry, std::less<>> entries_;
};

} // namespace hubcast::upstream

#include "upstream/abuse_protection.hpp"

#include "protocol/ascii.hpp"

namespace hubcast::upstream {

namespace {

/// An IPv6 address without its brackets; any other host unchanged. The origin is written "[::1]"
/// (as .NET's Uri.Host writes it) or, set by hand, "::1": both name the same host.
std::string_view without_brackets(std::string_view host) noexcept {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        return host.substr(1, host.size() - 2);
    }
    return host;
}

bool names_origin(std::string_view allowed, std::string_view origin) {
    origin = without_brackets(origin);
    if (allowed == "*" || protocol::iequals(without_brackets(allowed), origin)) {
        return true;
    }
    // "host:port" or "[v6]:port": the port is the handler's business (express adds it whenever it
    // is not the scheme's default). A bare IPv6 address has colons but no port.
    const auto colon = allowed.rfind(':');
    if (colon == std::string_view::npos || (allowed.front() != '[' && allowed.find(':') != colon)) {
        return false;
    }
    return protocol::iequals(without_brackets(allowed.substr(0, colon)), origin);
}

} // namespace

bool allows_origin(const transport::http_client_response& response, std::string_view origin) {
    if (response.status < 200 || response.status > 299) {
        return false;
    }
    for (const auto& [name, value] : response.headers) {
        if (!protocol::iequals(name, "WebHook-Allowed-Origin")) {
            continue;
        }
        if (protocol::any_listed(value,
                                 [&](std::string_view allowed) { return names_origin(allowed, origin); })) {
            return true;
        }
    }
    return false;
}

preflight_cache::verdict preflight_cache::lookup(std::string_view authority, clock::time_point now) const {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(authority);
    if (it == entries_.end()) {
        return verdict::unknown;
    }
    if (it->second.allowed) {
        return verdict::allowed;
    }
    return now - it->second.at < recheck_refused_ ? verdict::refused : verdict::unknown;
}

void preflight_cache::record(const std::string& authority, bool allowed, clock::time_point now) {
    std::lock_guard lock(mutex_);
    entries_[authority] = entry{allowed, now};
}

void preflight_cache::clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
}

} // namespace hubcast::upstream

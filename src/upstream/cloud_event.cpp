#include "upstream/cloud_event.hpp"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "protocol/ascii.hpp"

namespace hubcast::upstream {

namespace {

/// A header value from elsewhere (a token's user id, a handler's state) must not end the header:
/// control characters become spaces, everything else passes as it came.
std::string header_safe(std::string_view value) {
    std::string out(value);
    for (char& c : out) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t') || byte == 0x7F) {
            c = ' ';
        }
    }
    return out;
}

} // namespace

std::string system_event_type(std::string_view name) {
    return "azure.webpubsub.sys." + std::string(name);
}

std::string user_event_type(std::string_view name) {
    return "azure.webpubsub.user." + std::string(name);
}

std::string rfc3339_now() {
    const auto now = std::chrono::system_clock::now();
    const auto seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                       utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

header_list event_headers(const cloud_event& event, const core::event_source& source,
                          const std::optional<std::string>& connection_state, std::string_view signature,
                          std::string_view origin) {
    header_list headers;
    headers.reserve(16);
    headers.emplace_back("Content-Type", std::string(event.content_type));
    headers.emplace_back("ce-specversion", "1.0");
    headers.emplace_back("ce-type", event.type);
    headers.emplace_back("ce-source", "/hubs/" + source.hub + "/client/" + source.connection_id);
    headers.emplace_back("ce-id", event.id);
    headers.emplace_back("ce-time", event.time);
    headers.emplace_back("ce-awpsversion", "1.0");
    headers.emplace_back("ce-hub", source.hub);
    headers.emplace_back("ce-connectionId", source.connection_id);
    headers.emplace_back("ce-eventName", event.name);
    if (source.user_id) {
        headers.emplace_back("ce-userId", header_safe(*source.user_id));
    }
    if (!source.subprotocol.empty()) {
        headers.emplace_back("ce-subprotocol", header_safe(source.subprotocol));
    }
    if (connection_state) {
        headers.emplace_back("ce-connectionState", header_safe(*connection_state));
    }
    if (!signature.empty()) {
        headers.emplace_back("ce-signature", std::string(signature));
    }
    headers.emplace_back("WebHook-Request-Origin", std::string(origin));
    for (const auto& [key, value] : event.metadata) {
        // Keys are HTTP token characters and values printable ASCII (checked when decoded).
        headers.emplace_back("x-webpubsub-metadata-" + protocol::to_lower_ascii(key), value);
    }
    return headers;
}

header_list preflight_headers(std::string_view origin) {
    return {{"WebHook-Request-Origin", std::string(origin)}, {"ce-awpsversion", "1.0"}};
}

} // namespace hubcast::upstream

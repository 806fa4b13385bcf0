#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event_sink.hpp"
#include "protocol/message_metadata.hpp"

namespace hubcast::upstream {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// What distinguishes one event from another on the wire (server spec 4.2).
struct cloud_event {
    std::string type;              ///< `ce-type`, e.g. azure.webpubsub.sys.connect
    std::string name;              ///< `ce-eventName`: connect, connected, disconnected or the user event
    std::string_view content_type; ///< of the body
    std::string id;                ///< `ce-id`, the same on every retry of this event
    std::string time;              ///< `ce-time`, RFC 3339 UTC
    /// User events: the client's `metadata`, as `x-webpubsub-metadata-<key>` headers.
    protocol::message_metadata metadata;
};

/// `azure.webpubsub.sys.<name>` / `azure.webpubsub.user.<name>`.
std::string system_event_type(std::string_view name);
std::string user_event_type(std::string_view name);

/// Now, as RFC 3339 UTC with milliseconds ("2024-05-01T12:00:00.123Z").
std::string rfc3339_now();

/// The headers of one webhook POST, exactly those of spec 4.2: ce-specversion, ce-type,
/// ce-source (/hubs/{hub}/client/{connectionId}), ce-id, ce-time, ce-awpsversion 1.0, ce-hub,
/// ce-connectionId, ce-eventName, ce-userId (when known), ce-subprotocol (when negotiated),
/// ce-connectionState (when set), ce-signature (when there are keys), WebHook-Request-Origin and
/// Content-Type; then one x-webpubsub-metadata-<key> (lowercase) per entry of `event.metadata`.
header_list event_headers(const cloud_event& event, const core::event_source& source,
                          const std::optional<std::string>& connection_state, std::string_view signature,
                          std::string_view origin);

/// The headers of the abuse-protection preflight (spec 5): WebHook-Request-Origin and
/// ce-awpsversion, without which the handler SDKs ignore the request.
header_list preflight_headers(std::string_view origin);

} // namespace hubcast::upstream

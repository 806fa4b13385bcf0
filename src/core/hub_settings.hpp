#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hubcast::core {

/// The events the service raises on its own (server spec 4.1); user events are named by clients.
enum class system_event : std::uint8_t { connect, connected, disconnected };

/// "connect", "connected", "disconnected": the exact words `ce-eventName` carries (spec 0.5).
std::string_view to_string(system_event event) noexcept;
std::optional<system_event> parse_system_event(std::string_view name) noexcept;

/// One `[[hubs.<name>.event_handlers]]` entry, modelled on Azure's event handler (server spec 6).
struct event_handler_settings {
    std::string url_template;                ///< absolute http URL; `{hub}` and `{event}` expand
    std::string user_event_pattern;          ///< "*", a comma list of event names, or empty: none
    std::vector<system_event> system_events; ///< the system events this handler subscribes to

    bool handles(system_event event) const noexcept;
    /// Names in the pattern compare case-insensitively, as event names do (client spec 4.2).
    bool handles_user_event(std::string_view name) const noexcept;
};

/// What one hub does beyond routing: who may connect and where its events go.
struct hub_settings {
    bool anonymous_connect = false;       // Azure's default anonymousConnectPolicy is "deny"
    std::optional<int> keepalive_seconds; // unset: the server-wide keepalive_seconds
    std::vector<event_handler_settings> event_handlers;

    /// The first handler that takes the event (spec 6: handlers are matched in order), or null.
    const event_handler_settings* handler_for(system_event event) const noexcept;
    const event_handler_settings* handler_for_user_event(std::string_view name) const noexcept;
};

/// Settings of every hub: the hubs named in the configuration, and `[hubs."*"]` for all others.
/// A named hub's table is complete on its own: keys it leaves out take the built-in defaults, not
/// those of `*`. Immutable once published (see live_hub_settings).
struct hub_settings_table {
    std::map<std::string, hub_settings, std::less<>> named; ///< keys lowercase, like hub names
    hub_settings any;                                       ///< `[hubs."*"]`, or the defaults

    /// `hub` must be lowercase (the endpoint normalises hub names).
    const hub_settings& of(std::string_view hub) const;
};

/// The table in force, replaced as a whole on reload (SIGHUP) while every worker reads it.
/// Thread-safe. A reader keeps the snapshot it took for as long as it needs consistent values;
/// later readers see the new table.
class live_hub_settings {
public:
    explicit live_hub_settings(hub_settings_table table = {});

    std::shared_ptr<const hub_settings_table> snapshot() const;
    void replace(hub_settings_table table);

private:
    // A mutex, not std::atomic<std::shared_ptr>: libstdc++ 12 releases that atomic's internal lock
    // with memory_order_relaxed after a load, so a load's read of the pointer is not ordered
    // before the next store (ThreadSanitizer reports the race). Readers take a snapshot per
    // event or connect, never per message, so the lock is off the hot path.
    mutable std::mutex mutex_;
    std::shared_ptr<const hub_settings_table> current_;
};

} // namespace hubcast::core

#include "core/hub_settings.hpp"

#include <algorithm>
#include <utility>

#include "protocol/ascii.hpp"

namespace hubcast::core {

std::string_view to_string(system_event event) noexcept {
    switch (event) {
    case system_event::connect:
        return "connect";
    case system_event::connected:
        return "connected";
    case system_event::disconnected:
        break;
    }
    return "disconnected";
}

std::optional<system_event> parse_system_event(std::string_view name) noexcept {
    for (const auto event : {system_event::connect, system_event::connected, system_event::disconnected}) {
        if (name == to_string(event)) {
            return event;
        }
    }
    return std::nullopt;
}

bool event_handler_settings::handles(system_event event) const noexcept {
    return std::find(system_events.begin(), system_events.end(), event) != system_events.end();
}

bool event_handler_settings::handles_user_event(std::string_view name) const noexcept {
    return protocol::any_listed(user_event_pattern, [&](std::string_view item) {
        return item == "*" || protocol::iequals(item, name);
    });
}

const event_handler_settings* hub_settings::handler_for(system_event event) const noexcept {
    for (const auto& handler : event_handlers) {
        if (handler.handles(event)) {
            return &handler;
        }
    }
    return nullptr;
}

const event_handler_settings* hub_settings::handler_for_user_event(std::string_view name) const noexcept {
    for (const auto& handler : event_handlers) {
        if (handler.handles_user_event(name)) {
            return &handler;
        }
    }
    return nullptr;
}

const hub_settings& hub_settings_table::of(std::string_view hub) const {
    const auto it = named.find(hub);
    return it == named.end() ? any : it->second;
}

live_hub_settings::live_hub_settings(hub_settings_table table)
    : current_(std::make_shared<const hub_settings_table>(std::move(table))) {}

std::shared_ptr<const hub_settings_table> live_hub_settings::snapshot() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void live_hub_settings::replace(hub_settings_table table) {
    auto next = std::make_shared<const hub_settings_table>(std::move(table));
    std::shared_ptr<const hub_settings_table> previous;
    {
        std::lock_guard lock(mutex_);
        previous = std::exchange(current_, std::move(next));
    }
    // `previous` (possibly the last reference to the old table) is released outside the lock.
}

} // namespace hubcast::core

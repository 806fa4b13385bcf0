#include "backplane/channels.hpp"

#include "core/router.hpp"

namespace hubcast::backplane {

channel_names::channel_names(int database, bool cluster)
    : prefix_("hubcast:" + std::to_string(database) + ":"),
      key_prefix_(cluster ? "{hubcast:" + std::to_string(database) + "}:" : prefix_) {}

std::string channel_names::named(std::string_view prefix, std::string_view kind, std::string_view hub,
                                 std::string_view name) {
    std::string channel;
    channel.reserve(prefix.size() + kind.size() + hub.size() + name.size() + 2);
    channel.append(prefix).append(kind).append(":").append(hub);
    if (!name.empty()) {
        channel.append(":").append(name);
    }
    return channel;
}

std::string channel_names::hub(std::string_view hub) const {
    return named(prefix_, "hub", hub, {});
}

std::string channel_names::group(std::string_view hub, std::string_view group) const {
    return named(prefix_, "group", hub, group);
}

std::string channel_names::user(std::string_view hub, std::string_view user_id) const {
    return named(prefix_, "user", hub, user_id);
}

std::string channel_names::node(std::string_view node_key) const {
    return named(prefix_, "node", node_key, {});
}

std::string channel_names::for_send(core::send_scope scope, std::string_view hub,
                                    std::string_view target) const {
    switch (scope) {
    case core::send_scope::hub:
        return this->hub(hub);
    case core::send_scope::group:
        return group(hub, target);
    case core::send_scope::user:
        return user(hub, target);
    case core::send_scope::connection: {
        const auto owner = core::router::node_key_of(target);
        return owner ? node(*owner) : std::string{};
    }
    }
    return {};
}

std::string channel_names::for_interest(core::send_scope scope, std::string_view hub,
                                        std::string_view name) const {
    return scope == core::send_scope::connection ? std::string{} : for_send(scope, hub, name);
}

std::string channel_names::connections(std::string_view node_key) const {
    return named(key_prefix_, "connections", node_key, {});
}

std::string channel_names::member_nodes(core::send_scope scope, std::string_view hub,
                                        std::string_view name) const {
    switch (scope) {
    case core::send_scope::user:
        return named(key_prefix_, "user-nodes", hub, name);
    case core::send_scope::group:
        return named(key_prefix_, "group-nodes", hub, name);
    case core::send_scope::hub:
    case core::send_scope::connection:
        break;
    }
    return {};
}

} // namespace hubcast::backplane

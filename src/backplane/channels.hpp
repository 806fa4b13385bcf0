#pragma once

#include <string>
#include <string_view>

#include "core/backplane.hpp"

namespace hubcast::backplane {

/// The Redis pub/sub channels of one cluster (docs/scale-out.md, "Channels"). Redis pub/sub
/// ignores the database number, so the number from the Redis URL is part of every name: clusters
/// on different databases of one Redis never hear each other.
///   hubcast:<db>:hub:<hub>            sends to every connection of a hub
///   hubcast:<db>:group:<hub>:<group>  sends to a group
///   hubcast:<db>:user:<hub>:<user>    sends to a user
///   hubcast:<db>:node:<node key>      sends to one connection, by the node that owns it; commands
///                                     for that node's connections; answers to that node's commands
///   hubcast:<db>:commands             commands for every node
/// Hub names hold no ':' (protocol::is_valid_hub_name), so every name maps to one channel.
class channel_names {
public:
    /// `cluster`: the names for a Redis Cluster, where the presence keys below share one hash tag,
    /// `{hubcast:0}:...`, so that they live in one slot and each presence script reads its keys on
    /// one master; channels keep their plain names and spread over the masters by their own slots.
    explicit channel_names(int database, bool cluster = false);

    std::string hub(std::string_view hub) const;
    std::string group(std::string_view hub, std::string_view group) const;
    std::string user(std::string_view hub, std::string_view user_id) const;
    std::string node(std::string_view node_key) const;
    std::string commands() const { return prefix_ + "commands"; }

    /// The channel a send of `scope` goes to: for send_scope::connection the channel of the node
    /// that owns the connection `target` (router::node_key_of); empty when `target` is no
    /// connection id.
    std::string for_send(core::send_scope scope, std::string_view hub, std::string_view target) const;
    /// The channel this node must listen on while it has members for (scope, hub, name); scope
    /// is hub, group or user.
    std::string for_interest(core::send_scope scope, std::string_view hub, std::string_view name) const;

    // Presence keys (in the URL's database), what cluster-wide existence checks read:
    //   hubcast:<db>:alive:<node key>           the node's heartbeat (expires after 3 missed ones)
    //   hubcast:<db>:connections:<node key>     set of "<hub>:<connection id>" (expires with it)
    //   hubcast:<db>:user-nodes:<hub>:<user>    set of node keys with a connection of the user
    //   hubcast:<db>:group-nodes:<hub>:<group>  set of node keys with a member of the group
    //   hubcast:<db>:moved                      hash: connection id -> node key of a moved session
    std::string alive_prefix() const { return key_prefix_ + "alive:"; }
    std::string alive(std::string_view node_key) const { return alive_prefix().append(node_key); }
    std::string connections(std::string_view node_key) const;
    std::string connections_prefix() const { return key_prefix_ + "connections:"; }
    /// Hash of connection id -> node key, for sessions that moved to a node other than the one
    /// their id names (a reliable session taken over).
    std::string moved() const { return key_prefix_ + "moved"; }
    /// The set of nodes with members for (scope, hub, name); scope is user or group, else empty.
    std::string member_nodes(core::send_scope scope, std::string_view hub, std::string_view name) const;

private:
    static std::string named(std::string_view prefix, std::string_view kind, std::string_view hub,
                             std::string_view name);

    std::string prefix_;     // "hubcast:<db>:"
    std::string key_prefix_; // the same, or "{hubcast:0}:" on a Redis Cluster
};

} // namespace hubcast::backplane

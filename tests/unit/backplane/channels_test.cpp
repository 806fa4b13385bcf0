// Channel names: one per hub, group, user and node, with the database in each, so that clusters
// on different databases of one Redis (whose pub/sub ignores databases) never hear each other.
#include <gtest/gtest.h>

#include "backplane/channels.hpp"
#include "core/router.hpp"

namespace hubcast::backplane {
namespace {

TEST(ChannelNames, EachScopeHasItsOwnChannel) {
    const channel_names names(0);
    EXPECT_EQ(names.hub("chat"), "hubcast:0:hub:chat");
    EXPECT_EQ(names.group("chat", "room:1"), "hubcast:0:group:chat:room:1");
    EXPECT_EQ(names.user("chat", "alice"), "hubcast:0:user:chat:alice");
    EXPECT_EQ(names.node("AbCdEfGh"), "hubcast:0:node:AbCdEfGh");
}

TEST(ChannelNames, TheDatabaseSeparatesClusters) {
    EXPECT_NE(channel_names(0).group("chat", "room"), channel_names(1).group("chat", "room"));
}

TEST(ChannelNames, AGroupAndAUserOfTheSameNameDoNotShareAChannel) {
    const channel_names names(0);
    EXPECT_NE(names.group("chat", "x"), names.user("chat", "x"));
}

TEST(ChannelNames, ASendToAConnectionGoesToTheChannelOfItsNode) {
    core::router router(2);
    const auto id = router.new_connection_id(1);
    const channel_names names(3);
    EXPECT_EQ(names.for_send(core::send_scope::connection, "chat", id), names.node(router.node_key()));
    EXPECT_EQ(names.for_send(core::send_scope::connection, "chat", "not-an-id"), "");
}

TEST(ChannelNames, InterestsMapToTheChannelsSendsUse) {
    const channel_names names(0);
    for (const auto scope : {core::send_scope::hub, core::send_scope::group, core::send_scope::user}) {
        EXPECT_EQ(names.for_interest(scope, "chat", "n"), names.for_send(scope, "chat", "n"));
    }
    EXPECT_EQ(names.for_interest(core::send_scope::connection, "chat", "n"), "");
}

TEST(PresenceKeys, EachNodeHasItsAliveKeyAndConnectionSet) {
    const channel_names names(2);
    EXPECT_EQ(names.alive("AbCdEfGh"), "hubcast:2:alive:AbCdEfGh");
    EXPECT_EQ(names.alive("AbCdEfGh").substr(0, names.alive_prefix().size()), names.alive_prefix());
    EXPECT_EQ(names.connections("AbCdEfGh"), "hubcast:2:connections:AbCdEfGh");
}

TEST(PresenceKeys, UsersAndGroupsHaveSeparateNodeSets) {
    const channel_names names(0);
    EXPECT_EQ(names.member_nodes(core::send_scope::user, "chat", "x"), "hubcast:0:user-nodes:chat:x");
    EXPECT_EQ(names.member_nodes(core::send_scope::group, "chat", "x"), "hubcast:0:group-nodes:chat:x");
    EXPECT_EQ(names.member_nodes(core::send_scope::hub, "chat", ""), "");
    EXPECT_EQ(names.member_nodes(core::send_scope::connection, "chat", "x"), "");
}

} // namespace
} // namespace hubcast::backplane

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "auth/permissions.hpp"

namespace hubcast::auth {
namespace {

constexpr auto join = permission_kind::join_leave_group;
constexpr auto send = permission_kind::send_to_group;
const std::optional<std::string> every_group;

permission_set from(const std::vector<std::string>& roles, std::vector<std::string>* rejected = nullptr) {
    return permission_set::from_roles(roles, rejected);
}

TEST(Permissions, KindNamesAreCaseInsensitive) {
    EXPECT_EQ(parse_permission_kind("joinLeaveGroup"), join);
    EXPECT_EQ(parse_permission_kind("JOINLEAVEGROUP"), join);
    EXPECT_EQ(parse_permission_kind("sendToGroup"), send);
    EXPECT_EQ(parse_permission_kind("sendtogroup"), send);
    for (const std::string_view bad : {"", "joinLeaveGroups", "sendToGroups", "join", "sendToGroup "}) {
        EXPECT_FALSE(parse_permission_kind(bad)) << bad;
    }
}

TEST(Permissions, NoRolesAllowNothing) {
    const auto set = from({});
    EXPECT_FALSE(set.allows(join, "g"));
    EXPECT_FALSE(set.allows(send, "g"));
    EXPECT_FALSE(set.check(join, every_group));
    EXPECT_FALSE(set.check(send, every_group));
}

TEST(Permissions, BaseRoleGrantsEveryGroupOfItsKindOnly) {
    const auto set = from({"webpubsub.joinLeaveGroup"});
    EXPECT_TRUE(set.allows(join, "anything"));
    EXPECT_TRUE(set.allows(join, "a.b.c"));
    EXPECT_TRUE(set.check(join, every_group));
    EXPECT_FALSE(set.allows(send, "anything"));
    EXPECT_FALSE(set.check(send, every_group));
}

TEST(Permissions, LiteralRoleGrantsExactlyThatGroup) {
    const auto set = from({"webpubsub.sendToGroup.room1"});
    EXPECT_TRUE(set.allows(send, "room1"));
    EXPECT_FALSE(set.allows(send, "room10"));
    EXPECT_FALSE(set.allows(send, "Room1"));
    EXPECT_FALSE(set.allows(join, "room1"));
    EXPECT_FALSE(set.check(send, every_group));
    EXPECT_TRUE(set.check(send, std::string("room1")));
}

TEST(Permissions, LiteralRoleTakesTheRestVerbatim) {
    const auto set =
        from({"webpubsub.joinLeaveGroup.a.b.c", "webpubsub.sendToGroup.x*", "webpubsub.sendToGroup. sp "});
    EXPECT_TRUE(set.allows(join, "a.b.c"));
    EXPECT_FALSE(set.allows(join, "a"));
    EXPECT_TRUE(set.allows(send, "x*"));
    EXPECT_FALSE(set.allows(send, "xy"));
    EXPECT_TRUE(set.allows(send, " sp "));
}

TEST(Permissions, PatternRoleGrantsMatchingGroups) {
    const auto set = from({"webpubsub.joinLeaveGroups.room.*", "webpubsub.sendToGroups.tenant1.**"});
    EXPECT_TRUE(set.allows(join, "room.1"));
    EXPECT_FALSE(set.allows(join, "room.1.2"));
    EXPECT_FALSE(set.allows(send, "room.1"));
    EXPECT_TRUE(set.allows(send, "tenant1.a.b"));
    EXPECT_FALSE(set.allows(send, "tenant2.a"));
    EXPECT_FALSE(set.check(join, every_group));
}

TEST(Permissions, RolesAreCaseSensitive) {
    std::vector<std::string> rejected;
    const auto set =
        from({"webpubsub.JoinLeaveGroup", "WEBPUBSUB.sendToGroup", "webpubsub.sendtogroup.g"}, &rejected);
    EXPECT_FALSE(set.allows(join, "g"));
    EXPECT_FALSE(set.allows(send, "g"));
    // Not ours to judge: unknown roles are ignored, not rejected.
    EXPECT_TRUE(rejected.empty());
}

TEST(Permissions, OtherRolesAreIgnored) {
    std::vector<std::string> rejected;
    const auto set = from({"admin", "webpubsub.sendToGroupX", "webpubsub.joinLeaveGroupsX.a", ""}, &rejected);
    EXPECT_FALSE(set.allows(send, "X"));
    EXPECT_FALSE(set.allows(join, "a"));
    EXPECT_TRUE(rejected.empty());
}

TEST(Permissions, BrokenPermissionRolesAreSkippedAndReported) {
    std::vector<std::string> rejected;
    const std::vector<std::string> broken = {
        "webpubsub.sendToGroups",                // plural without a pattern
        "webpubsub.sendToGroups.",               // empty pattern
        R"(webpubsub.sendToGroups.a\b)",         // invalid escape
        "webpubsub.joinLeaveGroups.*.*.*.*.*.*", // six stars
        "webpubsub.joinLeaveGroup.",             // empty group
        "webpubsub.joinLeaveGroup." + std::string(1025, 'g'),
    };
    std::vector<std::string> roles = broken;
    roles.emplace_back("webpubsub.sendToGroup.fine");
    const auto set = from(roles, &rejected);
    EXPECT_EQ(rejected, broken);
    EXPECT_TRUE(set.allows(send, "fine"));
    EXPECT_FALSE(set.allows(join, ""));
    // Without a sink the same roles are still skipped quietly.
    EXPECT_TRUE(from(roles).allows(send, "fine"));
}

TEST(Permissions, PatternsAreCappedPerKind) {
    std::vector<std::string> roles;
    for (std::size_t i = 0; i <= permission_set::max_patterns_per_kind; ++i) {
        roles.emplace_back("webpubsub.sendToGroups.p" + std::to_string(i) + ".*");
    }
    roles.emplace_back("webpubsub.sendToGroups.p0.*");   // a repeat costs nothing
    roles.emplace_back("webpubsub.joinLeaveGroups.j.*"); // the other kind has its own budget
    std::vector<std::string> rejected;
    const auto set = from(roles, &rejected);
    EXPECT_EQ(rejected, std::vector<std::string>{"webpubsub.sendToGroups.p10.*"});
    EXPECT_TRUE(set.allows(send, "p9.x"));
    EXPECT_FALSE(set.allows(send, "p10.x"));
    EXPECT_TRUE(set.allows(join, "j.x"));
}

TEST(Permissions, LiteralsAreCappedPerKind) {
    std::vector<std::string> roles;
    for (std::size_t i = 0; i <= permission_set::max_literals_per_kind; ++i) {
        roles.emplace_back("webpubsub.joinLeaveGroup.g" + std::to_string(i));
    }
    roles.emplace_back("webpubsub.joinLeaveGroup.g0");
    roles.emplace_back("webpubsub.sendToGroup.s");
    std::vector<std::string> rejected;
    auto set = from(roles, &rejected);
    EXPECT_EQ(rejected, std::vector<std::string>{"webpubsub.joinLeaveGroup.g1000"});
    EXPECT_TRUE(set.allows(join, "g999"));
    EXPECT_FALSE(set.allows(join, "g1000"));
    EXPECT_TRUE(set.allows(send, "s"));

    // REST grants respect the same cap, and say when they could not.
    EXPECT_FALSE(set.grant(join, std::string("g1000")));
    EXPECT_FALSE(set.allows(join, "g1000"));
    EXPECT_TRUE(set.grant(join, std::string("g5")));
    set.revoke(join, std::string("g5"));
    EXPECT_TRUE(set.grant(join, std::string("g1000")));
    EXPECT_TRUE(set.allows(join, "g1000"));
}

TEST(Permissions, GrantEveryGroup) {
    auto set = from({});
    EXPECT_TRUE(set.grant(send, every_group));
    EXPECT_TRUE(set.allows(send, "any"));
    EXPECT_TRUE(set.check(send, every_group));
    EXPECT_FALSE(set.allows(join, "any"));
}

TEST(Permissions, GrantOneGroup) {
    auto set = from({});
    EXPECT_TRUE(set.grant(join, std::string("a.b")));
    EXPECT_TRUE(set.allows(join, "a.b"));
    EXPECT_TRUE(set.check(join, std::string("a.b")));
    EXPECT_FALSE(set.allows(join, "a"));
    EXPECT_FALSE(set.check(join, every_group));
    EXPECT_FALSE(set.allows(send, "a.b"));
}

TEST(Permissions, RevokeOneLiteral) {
    auto set = from({"webpubsub.sendToGroup.a", "webpubsub.sendToGroup.b"});
    set.revoke(send, std::string("a"));
    EXPECT_FALSE(set.allows(send, "a"));
    EXPECT_TRUE(set.allows(send, "b"));
    // Revoking what was never granted changes nothing.
    set.revoke(send, std::string("zzz"));
    EXPECT_TRUE(set.allows(send, "b"));
}

TEST(Permissions, RevokeOneGroupOfEveryGroup) {
    auto set = from({"webpubsub.joinLeaveGroup"});
    set.revoke(join, std::string("secret"));
    EXPECT_FALSE(set.allows(join, "secret"));
    EXPECT_FALSE(set.check(join, std::string("secret")));
    EXPECT_TRUE(set.allows(join, "public"));
    // Not every group any more.
    EXPECT_FALSE(set.check(join, every_group));
}

TEST(Permissions, RevokeOneGroupMatchedByAPattern) {
    auto set = from({"webpubsub.sendToGroups.room.*"});
    set.revoke(send, std::string("room.admin"));
    EXPECT_FALSE(set.allows(send, "room.admin"));
    EXPECT_TRUE(set.allows(send, "room.lobby"));
}

TEST(Permissions, RevokeRemovesLiteralAndPatternCoverTogether) {
    auto set = from({"webpubsub.sendToGroup.room.1", "webpubsub.sendToGroups.room.*"});
    set.revoke(send, std::string("room.1"));
    EXPECT_FALSE(set.allows(send, "room.1"));
    EXPECT_TRUE(set.allows(send, "room.2"));
}

TEST(Permissions, GrantLiftsAnEarlierRevoke) {
    auto set = from({"webpubsub.sendToGroups.room.*"});
    set.revoke(send, std::string("room.1"));
    EXPECT_TRUE(set.grant(send, std::string("room.1")));
    EXPECT_TRUE(set.allows(send, "room.1"));

    auto all = from({"webpubsub.joinLeaveGroup"});
    all.revoke(join, std::string("x"));
    all.revoke(join, std::string("y"));
    EXPECT_TRUE(all.grant(join, every_group));
    EXPECT_TRUE(all.allows(join, "x"));
    EXPECT_TRUE(all.allows(join, "y"));
    EXPECT_TRUE(all.check(join, every_group));
}

TEST(Permissions, RevokeEveryGroupRemovesEveryGrantOfTheKind) {
    auto set = from({"webpubsub.joinLeaveGroup", "webpubsub.joinLeaveGroup.lit",
                     "webpubsub.joinLeaveGroups.p.*", "webpubsub.sendToGroup"});
    EXPECT_TRUE(set.grant(join, std::string("granted")));
    set.revoke(join, every_group);
    for (const std::string_view group : {"lit", "p.x", "granted", "other"}) {
        EXPECT_FALSE(set.allows(join, group)) << group;
    }
    EXPECT_FALSE(set.check(join, every_group));
    EXPECT_TRUE(set.allows(send, "other"));

    // And a later grant starts from nothing.
    EXPECT_TRUE(set.grant(join, std::string("fresh")));
    EXPECT_TRUE(set.allows(join, "fresh"));
    EXPECT_FALSE(set.allows(join, "lit"));
}

TEST(Permissions, RevokeOfAnUncoveredGroupLeavesNoTrace) {
    // Revoking a group that only a literal granted records no exception: a later grant of every
    // group then covers it and counts as every group again.
    auto set = from({"webpubsub.sendToGroup.a"});
    set.revoke(send, std::string("a"));
    EXPECT_TRUE(set.grant(send, every_group));
    EXPECT_TRUE(set.check(send, every_group));
    EXPECT_TRUE(set.allows(send, "a"));
}

TEST(Permissions, PatternMatchingEverythingCountsAsEveryGroup) {
    auto set = from({"webpubsub.sendToGroups.**"});
    EXPECT_TRUE(set.check(send, every_group));
    set.revoke(send, std::string("x"));
    EXPECT_FALSE(set.check(send, every_group));
    EXPECT_FALSE(set.allows(send, "x"));
    EXPECT_TRUE(set.allows(send, "y.z"));
}

TEST(Permissions, JoiningDoesNotImplySending) {
    auto set = from({"webpubsub.joinLeaveGroup.g", "webpubsub.joinLeaveGroups.**"});
    EXPECT_TRUE(set.allows(join, "g"));
    EXPECT_FALSE(set.allows(send, "g"));
    EXPECT_FALSE(set.check(send, std::string("g")));
}

// What a reliable session carries to another node: the set rebuilt from its parts answers as the
// original, revoked exceptions and patterns included.
TEST(Permissions, PartsRebuildTheSameSet) {
    auto original = permission_set::from_roles(
        {"webpubsub.joinLeaveGroups.team-*", "webpubsub.sendToGroup", "webpubsub.joinLeaveGroup.lobby"});
    original.revoke(permission_kind::send_to_group, std::string("secret"));
    const auto rebuilt = permission_set::from_parts(original.to_parts());
    ASSERT_TRUE(rebuilt);
    EXPECT_EQ(rebuilt->to_parts(), original.to_parts());
    for (const std::string group : {"team-a", "team-b.x", "lobby", "secret", "other"}) {
        for (const auto kind : {permission_kind::join_leave_group, permission_kind::send_to_group}) {
            EXPECT_EQ(rebuilt->allows(kind, group), original.allows(kind, group)) << group;
        }
    }
    EXPECT_FALSE(rebuilt->allows(permission_kind::send_to_group, "secret"));
    EXPECT_TRUE(rebuilt->allows(permission_kind::join_leave_group, "team-a"));
}

TEST(Permissions, PartsWithABadPatternOrPastTheLimitsAreRefused) {
    permission_set::parts bad_pattern;
    bad_pattern.send.patterns = {"a\\q"};
    EXPECT_FALSE(permission_set::from_parts(bad_pattern));
    permission_set::parts too_many;
    too_many.join_leave.patterns.assign(permission_set::max_patterns_per_kind + 1, "a*");
    EXPECT_FALSE(permission_set::from_parts(too_many));
}

} // namespace
} // namespace hubcast::auth

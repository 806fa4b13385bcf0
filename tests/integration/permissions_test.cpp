// Roles and what they allow (spec 7): every role form, literal and wildcard, checked by doing
// the action and watching both its ack and its effect.

#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/barrier.hpp"
#include "support/pubsub_client.hpp"
#include "support/server_test.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

enum class action { join, leave, send };

struct permission_case {
    std::string name;
    std::vector<std::string> roles;
    action act;
    std::string group;
    bool allowed;
    bool member = false; ///< in the group from the start (token claim); always so for leave
};

void PrintTo(const permission_case& value, std::ostream* out) {
    *out << value.name;
}

class Permission : public server_test, public ::testing::WithParamInterface<permission_case> {};

TEST_P(Permission, AllowsExactlyWhatTheRolesSay) {
    const auto& param = GetParam();
    const bool member = param.member || param.act == action::leave;
    // The observer is in the group and may publish to it: it sees sends and probes memberships.
    pubsub_client observer =
        connect({.user = "observer", .roles = {"webpubsub.sendToGroup"}, .groups = {param.group}});
    client_options subject_options{.user = "subject", .roles = param.roles};
    if (member) {
        subject_options.groups = {param.group};
    }
    pubsub_client subject = connect(subject_options);

    switch (param.act) {
    case action::join:
        subject.join(param.group, 1);
        break;
    case action::leave:
        subject.leave(param.group, 1);
        break;
    case action::send:
        subject.send_text(param.group, "from subject", 1);
        break;
    }
    if (param.allowed) {
        subject.expect_ack(1);
    } else {
        boost::json::object ack = subject.expect_ack_error(1, "Forbidden");
        EXPECT_FALSE(ack.at("error").at("message").get_string().empty()) << describe_json(ack);
    }

    if (param.act == action::send) {
        if (param.allowed) {
            boost::json::object message = observer.expect_group_message(param.group);
            EXPECT_TRUE(has_string(message, "data", "from subject")) << describe_json(message);
            if (member) {
                subject.expect_group_message(param.group);
            }
        } else {
            expect_marker_next(server(), observer);
        }
        return;
    }
    // Membership after the request: a probe reaches the subject only if it is in the group.
    observer.send_text(param.group, "probe", 2, true);
    observer.expect_ack(2);
    const bool in_group = param.act == action::join ? param.allowed || member : !param.allowed;
    if (in_group) {
        EXPECT_TRUE(has_string(subject.expect_group_message(param.group), "data", "probe"));
    }
    expect_marker_next(server(), subject);
}

const std::string join_any = "webpubsub.joinLeaveGroup";
const std::string send_any = "webpubsub.sendToGroup";

INSTANTIATE_TEST_SUITE_P(
    Roles, Permission,
    ::testing::Values(
        // No role: only receiving.
        permission_case{"NoRoleJoin", {}, action::join, "g1", false},
        permission_case{"NoRoleSend", {}, action::send, "g1", false},
        permission_case{"NoRoleLeave", {}, action::leave, "g1", false},
        // Every group.
        permission_case{"JoinAnyJoins", {join_any}, action::join, "any.group-at_all", true},
        permission_case{"JoinAnyLeaves", {join_any}, action::leave, "g1", true},
        permission_case{"JoinAnyDoesNotSend", {join_any}, action::send, "g1", false},
        permission_case{"SendAnySends", {send_any}, action::send, "any.group", true},
        permission_case{"SendAnyDoesNotJoin", {send_any}, action::join, "g1", false},
        // Joining (here by the token) never grants sending; leaving needs the join permission.
        permission_case{"MemberWithoutSendRole", {}, action::send, "g1", false, true},
        permission_case{"MemberSendAnyLeave", {send_any}, action::leave, "g1", false},
        // One group: the rest of the role, verbatim, dots included.
        permission_case{"JoinOneJoinsIt", {join_any + ".g1"}, action::join, "g1", true},
        permission_case{"JoinOneLeavesIt", {join_any + ".g1"}, action::leave, "g1", true},
        permission_case{"JoinOneNotOther", {join_any + ".g1"}, action::join, "g2", false},
        permission_case{"JoinOneNotPrefix", {join_any + ".g1"}, action::join, "g10", false},
        permission_case{"JoinOneDoesNotSend", {join_any + ".g1"}, action::send, "g1", false},
        permission_case{"JoinDottedGroup", {join_any + ".a.b"}, action::join, "a.b", true},
        permission_case{"JoinDottedNotParent", {join_any + ".a.b"}, action::join, "a", false},
        permission_case{"SendOneSendsIt", {send_any + ".g1"}, action::send, "g1", true},
        permission_case{"SendOneNotOther", {send_any + ".g1"}, action::send, "g2", false},
        permission_case{"SendDottedGroup", {send_any + ".room.1"}, action::send, "room.1", true},
        permission_case{"SendOneDoesNotJoin", {send_any + ".g1"}, action::join, "g1", false},
        // Case-sensitive roles and groups (7.2).
        permission_case{"GroupCaseMatters", {join_any + ".Room"}, action::join, "room", false},
        permission_case{"GroupCaseExact", {join_any + ".Room"}, action::join, "Room", true},
        permission_case{"RoleCaseMatters", {"WebPubSub.JoinLeaveGroup"}, action::join, "g1", false},
        // Wildcard patterns: `*` and `?` stay within a level, `**` crosses levels, `\` escapes.
        permission_case{
            "StarOneLevel", {"webpubsub.joinLeaveGroups.news.*"}, action::join, "news.sport", true},
        permission_case{
            "StarNotTwoLevels", {"webpubsub.joinLeaveGroups.news.*"}, action::join, "news.sport.x", false},
        permission_case{"StarNeedsTheDot", {"webpubsub.joinLeaveGroups.news.*"}, action::join, "news", false},
        permission_case{
            "StarLeaves", {"webpubsub.joinLeaveGroups.news.*"}, action::leave, "news.sport", true},
        permission_case{
            "DoubleStarLevels", {"webpubsub.joinLeaveGroups.news.**"}, action::join, "news.a.b.c", true},
        permission_case{
            "DoubleStarNotSibling", {"webpubsub.joinLeaveGroups.news.**"}, action::join, "newsx", false},
        permission_case{"QuestionOneChar", {"webpubsub.sendToGroups.room-?"}, action::send, "room-1", true},
        permission_case{"QuestionNotTwo", {"webpubsub.sendToGroups.room-?"}, action::send, "room-12", false},
        permission_case{"QuestionNotDot", {"webpubsub.sendToGroups.room-?"}, action::send, "room-.", false},
        permission_case{"DoubleStarAll", {"webpubsub.sendToGroups.**"}, action::send, "x.y.z", true},
        permission_case{"PatternDoesNotJoin", {"webpubsub.sendToGroups.**"}, action::join, "x", false},
        permission_case{"EscapedStarLiteral", {"webpubsub.joinLeaveGroups.a\\*b"}, action::join, "a*b", true},
        permission_case{
            "EscapedStarNotWild", {"webpubsub.joinLeaveGroups.a\\*b"}, action::join, "axb", false},
        // A pattern over the limit of 5 `*` is skipped, not fatal.
        permission_case{"TooManyStarsSkipped",
                        {"webpubsub.joinLeaveGroups.*.*.*.*.*.*"},
                        action::join,
                        "a.b.c.d.e.f",
                        false},
        // Roles combine.
        permission_case{
            "RolesCombine", {join_any + ".g1", "webpubsub.sendToGroups.g*"}, action::send, "g2", true},
        permission_case{"UnknownRolesIgnored",
                        {"admin", "webpubsub.everything", join_any + ".g1"},
                        action::join,
                        "g1",
                        true}),
    [](const auto& info) { return info.param.name; });

} // namespace
} // namespace hubcast::test

// What REST calls do to connected clients, against the real binary: who receives a send and in
// which form (spec 2.1), `excluded` in both forms, filters, closes with their reason, group and
// user membership, permissions with a visible effect, and paging through a group's members.
#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/barrier.hpp"
#include "support/encoding.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/rest_client.hpp"
#include "support/server_test.hpp"
#include "support/tokens.hpp"

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

class RestDelivery : public server_test {
protected:
    static void send(std::string_view path, std::string_view body, std::string_view type,
                     std::string_view query = {}) {
        const auto response = rest(server(), "POST", api(path, query), body, type);
        ASSERT_EQ(response.status, 202) << response.describe();
    }
    static void expect(std::string_view method, std::string_view path, int status,
                       std::string_view query = {}, std::string_view body = {}) {
        const auto response =
            rest(server(), method, api(path, query), body, body.empty() ? "" : "application/json");
        EXPECT_EQ(response.status, status) << method << " " << path << "\n" << response.describe();
    }
    static ws_client simple_client(std::string user = "simple") {
        return open_websocket(server(), client_options{.user = std::move(user), .subprotocols = {}});
    }
};

TEST_F(RestDelivery, EachKindOfClientGetsEachBodyTypeInItsForm) {
    pubsub_client json = connect({.user = "j"});
    ws_client simple = simple_client();

    send("/api/hubs/chat/:send", "plain words", "text/plain");
    auto text = json.ws().expect_json();
    EXPECT_EQ(text.at("type"), "message");
    EXPECT_EQ(text.at("from"), "server");
    EXPECT_EQ(text.at("dataType"), "text");
    EXPECT_EQ(text.at("data"), "plain words");
    auto frame = simple.expect_message();
    EXPECT_EQ(frame.opcode, ws_op::text);
    EXPECT_EQ(frame.payload, "plain words");

    send("/api/hubs/chat/:send", R"({"n":[1,2]})", "application/json");
    auto json_message = json.ws().expect_json();
    EXPECT_EQ(json_message.at("dataType"), "json");
    EXPECT_EQ(json_message.at("data"), boost::json::parse(R"({"n":[1,2]})"));
    frame = simple.expect_message();
    EXPECT_EQ(frame.opcode, ws_op::text);
    EXPECT_EQ(frame.payload, R"({"n":[1,2]})");

    send("/api/hubs/chat/:send", std::string("\x00\xff\x10", 3), "application/octet-stream");
    auto binary = json.ws().expect_json();
    EXPECT_EQ(binary.at("dataType"), "binary");
    EXPECT_EQ(binary.at("data"), "AP8Q");
    frame = simple.expect_message();
    EXPECT_EQ(frame.opcode, ws_op::binary);
    EXPECT_EQ(frame.payload, std::string("\x00\xff\x10", 3));
}

TEST_F(RestDelivery, ExcludedWorksInBothCollectionForms) {
    pubsub_client a = connect({.user = "a"});
    pubsub_client b = connect({.user = "b"});
    pubsub_client c = connect({.user = "c"});
    send("/api/hubs/chat/:send", "multi", "text/plain",
         "excluded=" + a.connection_id() + "&excluded=" + b.connection_id());
    EXPECT_EQ(c.ws().expect_json().at("data"), "multi");
    send("/api/hubs/chat/:send", "csv", "text/plain",
         "excluded=" + b.connection_id() + "," + c.connection_id());
    EXPECT_EQ(a.ws().expect_json().at("data"), "csv");
    expect_marker_next(server(), a);
    expect_marker_next(server(), b);
    expect_marker_next(server(), c);
}

TEST_F(RestDelivery, FiltersChooseRecipientsOfEverySend) {
    pubsub_client alice = connect({.user = "alice", .groups = {"room", "vip"}});
    pubsub_client bob = connect({.user = "bob", .groups = {"room"}});
    pubsub_client listener = connect({.user = "listener-1"});

    send("/api/hubs/chat/:send", "to vips", "text/plain", "filter=%27vip%27%20in%20groups");
    EXPECT_EQ(alice.ws().expect_json().at("data"), "to vips");

    send("/api/hubs/chat/groups/room/:send", "room but not alice", "text/plain",
         "filter=userId%20ne%20%27alice%27");
    const auto group_message = bob.ws().expect_json();
    EXPECT_EQ(group_message.at("from"), "group");
    EXPECT_EQ(group_message.at("group"), "room");
    EXPECT_EQ(group_message.at("data"), "room but not alice");

    send("/api/hubs/chat/:send", "listeners", "text/plain", "filter=startswith(userId,%27listener-%27)");
    EXPECT_EQ(listener.ws().expect_json().at("data"), "listeners");

    send("/api/hubs/chat/users/bob/:send", "not this connection", "text/plain",
         "filter=connectionId%20ne%20%27" + bob.connection_id() + "%27");
    expect_marker_next(server(), alice);
    expect_marker_next(server(), bob);
    expect_marker_next(server(), listener);
}

TEST_F(RestDelivery, ClosingTellsClientsWhyWith1008) {
    pubsub_client one = connect({.user = "one"});
    expect("DELETE", "/api/hubs/chat/connections/" + one.connection_id(), 204, "reason=Maintenance%20window");
    const auto disconnected = one.expect_disconnected_then_close(1008);
    EXPECT_EQ(disconnected.at("message"), "Maintenance window");

    pubsub_client u1 = connect({.user = "u"});
    pubsub_client u2 = connect({.user = "u"});
    pubsub_client other = connect({.user = "other", .groups = {"g"}});
    pubsub_client member = connect({.user = "member", .groups = {"g"}});
    expect("POST", "/api/hubs/chat/users/u/:closeConnections", 204,
           "excluded=" + u2.connection_id() + "&reason=user");
    EXPECT_EQ(u1.expect_disconnected_then_close(1008).at("message"), "user");
    expect("POST", "/api/hubs/chat/groups/g/:closeConnections", 204,
           "excluded=" + other.connection_id() + "&reason=g");
    EXPECT_EQ(member.expect_disconnected_then_close(1008).at("message"), "g");
    expect("POST", "/api/hubs/chat/:closeConnections", 204, "excluded=" + u2.connection_id() + "&reason=all");
    EXPECT_EQ(other.expect_disconnected_then_close(1008).at("message"), "all");
    expect_marker_next(server(), u2);
    expect("HEAD", "/api/hubs/chat/connections/" + u2.connection_id(), 200);
    expect("HEAD", "/api/hubs/chat/connections/" + other.connection_id(), 404);
}

TEST_F(RestDelivery, GroupAndUserMembershipChangeWhoReceives) {
    pubsub_client alice = connect({.user = "alice"});
    pubsub_client alice2 = connect({.user = "alice"});
    pubsub_client bob = connect({.user = "bob"});

    expect("PUT", "/api/hubs/chat/groups/room/connections/" + bob.connection_id(), 200);
    expect("PUT", "/api/hubs/chat/users/alice/groups/room", 200);
    send("/api/hubs/chat/groups/room/:send", "everyone", "text/plain");
    for (auto* client : {&alice, &alice2, &bob}) {
        EXPECT_EQ(client->ws().expect_json().at("data"), "everyone");
    }

    expect("DELETE", "/api/hubs/chat/users/alice/groups/room", 204);
    expect("DELETE", "/api/hubs/chat/groups/room/connections/" + bob.connection_id(), 204);
    expect("HEAD", "/api/hubs/chat/groups/room", 404);

    expect("POST", "/api/hubs/chat/:addToGroups", 200, {},
           R"({"groups":["x","y"],"filter":"userId eq 'alice' and connectionId ne ')" +
               alice2.connection_id() + "'\"}");
    send("/api/hubs/chat/groups/y/:send", "y", "text/plain");
    EXPECT_EQ(alice.ws().expect_json().at("data"), "y");
    expect("POST", "/api/hubs/chat/:removeFromGroups", 200, {},
           R"({"groups":["y"],"filter":"'x' in groups"})");
    expect("HEAD", "/api/hubs/chat/groups/y", 404);
    expect("HEAD", "/api/hubs/chat/groups/x", 200);
    expect("DELETE", "/api/hubs/chat/connections/" + alice.connection_id() + "/groups", 204);
    expect("HEAD", "/api/hubs/chat/groups/x", 404);

    expect("PUT", "/api/hubs/chat/users/bob/groups/z", 200);
    expect("DELETE", "/api/hubs/chat/users/bob/groups", 204);
    send("/api/hubs/chat/groups/z/:send", "nobody", "text/plain");
    for (auto* client : {&alice, &alice2, &bob}) {
        expect_marker_next(server(), *client);
    }
}

TEST_F(RestDelivery, PermissionsGrantedAndRevokedTakeEffect) {
    pubsub_client client = connect({.user = "p"});
    pubsub_client watcher = connect({.user = "w", .groups = {"room"}});
    const std::string permission =
        "/api/hubs/chat/permissions/sendToGroup/connections/" + client.connection_id();

    client.send_text("room", "before", 1);
    client.expect_ack_error(1, "Forbidden");
    expect("HEAD", permission, 404, "targetName=room");

    expect("PUT", permission, 200, "targetName=room");
    expect("HEAD", permission, 200, "targetName=room");
    expect("HEAD", permission, 404); // granted for one group, not for all
    client.send_text("room", "granted", 2);
    client.expect_ack(2);
    EXPECT_EQ(watcher.expect_group_message("room").at("data"), "granted");

    expect("DELETE", permission, 204, "targetName=room");
    client.send_text("room", "revoked", 3);
    client.expect_ack_error(3, "Forbidden");

    const std::string join =
        "/api/hubs/chat/permissions/joinLeaveGroup/connections/" + client.connection_id();
    expect("PUT", join, 200);
    EXPECT_TRUE(client.join("anything", 4));
    client.expect_ack(4);
    expect("HEAD", join, 200);
    expect("DELETE", join, 204);
    expect("HEAD", join, 404);
}

/// The path and query of an absolute nextLink, which must point back at this server.
std::string follow(const std::string& next_link, std::uint16_t port) {
    const std::string origin = fmt::format("http://127.0.0.1:{}", port);
    EXPECT_EQ(next_link.rfind(origin, 0), 0u) << next_link;
    return next_link.substr(origin.size());
}

TEST_F(RestDelivery, GroupMembersArePagedThroughAbsoluteNextLinks) {
    std::vector<pubsub_client> members;
    std::set<std::string> expected;
    for (int i = 0; i < 5; ++i) {
        members.push_back(connect({.user = fmt::format("m{}", i), .groups = {"paged"}}));
        expected.insert(members.back().connection_id());
    }
    pubsub_client anonymous = connect({.groups = {"paged"}});
    expected.insert(anonymous.connection_id());

    std::set<std::string> seen;
    std::string target = api("/api/hubs/chat/groups/paged/connections", "maxpagesize=2");
    int pages = 0;
    while (!target.empty() && pages < 10) {
        const auto response = rest(server(), "GET", target);
        ASSERT_EQ(response.status, 200) << response.describe();
        const auto body = boost::json::parse(response.body).as_object();
        const auto& value = body.at("value").as_array();
        EXPECT_LE(value.size(), 2u);
        for (const auto& item : value) {
            const auto& member = item.as_object();
            const std::string id(member.at("connectionId").as_string());
            EXPECT_TRUE(seen.insert(id).second) << "listed twice: " << id;
            if (id == anonymous.connection_id()) {
                EXPECT_EQ(member.if_contains("userId"), nullptr) << "an anonymous member has no userId";
            } else {
                EXPECT_TRUE(member.at("userId").is_string());
            }
        }
        ++pages;
        target = body.contains("nextLink")
                     ? follow(std::string(body.at("nextLink").as_string()), server().port())
                     : std::string{};
    }
    EXPECT_EQ(seen, expected);
    EXPECT_EQ(pages, 3) << "6 members, 2 per page, no empty last page";

    // `top` bounds the total across pages.
    std::size_t listed = 0;
    target = api("/api/hubs/chat/groups/paged/connections", "maxpagesize=2&top=3");
    for (int page = 0; page < 10 && !target.empty(); ++page) {
        const auto response = rest(server(), "GET", target);
        ASSERT_EQ(response.status, 200) << response.describe();
        const auto body = boost::json::parse(response.body).as_object();
        listed += body.at("value").as_array().size();
        target = body.contains("nextLink")
                     ? follow(std::string(body.at("nextLink").as_string()), server().port())
                     : std::string{};
    }
    EXPECT_EQ(listed, 3u);

    const auto empty = rest(server(), "GET", api("/api/hubs/chat/groups/nobody/connections"));
    ASSERT_EQ(empty.status, 200);
    EXPECT_EQ(boost::json::parse(empty.body), boost::json::parse(R"({"value":[]})"));
    EXPECT_EQ(rest(server(), "GET", api("/api/hubs/chat/groups/paged/connections", "maxpagesize=201")).status,
              400);
    EXPECT_EQ(
        rest(server(), "GET", api("/api/hubs/chat/groups/paged/connections", "continuationToken=%21")).status,
        400);
}

/// The continuationToken of a nextLink.
std::string continuation_of(const std::string& next_link) {
    const auto at = next_link.find("continuationToken=");
    EXPECT_NE(at, std::string::npos) << next_link;
    return at == std::string::npos ? std::string{}
                                   : next_link.substr(at + std::string("continuationToken=").size());
}

// docs/rest-api.md: a continuation token hubcast did not issue, for this group, is a 400; one it
// issued keeps working.
TEST_F(RestDelivery, OnlyIssuedContinuationTokensAreAccepted) {
    std::vector<pubsub_client> members;
    for (int i = 0; i < 3; ++i) {
        members.push_back(connect({.groups = {"tokens"}}));
    }
    const auto first =
        rest(server(), "GET", api("/api/hubs/chat/groups/tokens/connections", "maxpagesize=1"));
    ASSERT_EQ(first.status, 200) << first.describe();
    const std::string token =
        continuation_of(std::string(boost::json::parse(first.body).at("nextLink").as_string()));
    const auto page = [&](std::string_view group, std::string_view continuation) {
        return rest(server(), "GET",
                    api("/api/hubs/chat/groups/" + std::string(group) + "/connections",
                        "maxpagesize=1&continuationToken=" + std::string(continuation)));
    };
    EXPECT_EQ(page("tokens", token).status, 200) << "an issued token";
    EXPECT_EQ(page("other", token).status, 400) << "a token of another group";
    // Arbitrary base64url bytes, and the id of a real member base64url-encoded (what a token used
    // to be): neither was issued.
    for (const std::string& forged : {std::string("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo"),
                                      base64url_encode(members.back().connection_id())}) {
        const auto response = page("tokens", forged);
        EXPECT_EQ(response.status, 400) << forged << "\n" << response.describe();
        EXPECT_EQ(response.header("x-ms-error-code"), "InvalidParameter") << response.describe();
    }
}

// docs/configuration.md, max_groups_per_connection: every way into a group stops at the limit,
// each with its protocol's answer, and leaving makes room again.
TEST(GroupLimit, EveryWayIntoAGroupStopsAtTheLimit) {
    hubcast_process s(process_options{.args = {"--max-groups-per-connection", "2"}});
    pubsub_client full = pubsub_client::connect(s, {.user = "u", .roles = {"webpubsub.joinLeaveGroup"}});
    const std::string id = full.connection_id();
    full.join_acked("a", 1);
    full.join_acked("b", 2);
    full.join_acked("a", 3); // already a member: no refusal
    full.join("c", 4);
    const auto refused = full.expect_ack_error(4, "Forbidden");
    EXPECT_NE(string_at(refused.at("error").as_object(), "message").find("already in 2 groups"),
              std::string::npos)
        << describe_json(refused);

    const auto put = rest(s, "PUT", api("/api/hubs/chat/groups/c/connections/" + id));
    EXPECT_EQ(put.status, 409) << put.describe();
    EXPECT_EQ(put.header("x-ms-error-code"), "TooManyGroups") << put.describe();
    EXPECT_EQ(rest(s, "PUT", api("/api/hubs/chat/groups/a/connections/" + id)).status, 200);
    EXPECT_EQ(rest(s, "HEAD", api("/api/hubs/chat/groups/c")).status, 404)
        << "the refused joins changed nothing";

    // A user's other connection has room: it is added, and the call says one join was refused.
    pubsub_client roomy = pubsub_client::connect(s, {.user = "u"});
    const auto user = rest(s, "PUT", api("/api/hubs/chat/users/u/groups/x"));
    EXPECT_EQ(user.status, 409) << user.describe();
    EXPECT_EQ(user.header("x-ms-error-code"), "TooManyGroups");
    EXPECT_EQ(rest(s, "HEAD", api("/api/hubs/chat/groups/x")).status, 200);
    const auto filtered =
        rest(s, "POST", api("/api/hubs/chat/:addToGroups"), R"({"groups":["y","z"]})", "application/json");
    EXPECT_EQ(filtered.status, 409) << filtered.describe();
    EXPECT_NE(filtered.body.find("3 joins were refused"), std::string::npos) << filtered.describe();
    EXPECT_EQ(rest(s, "HEAD", api("/api/hubs/chat/groups/y")).status, 200);
    EXPECT_EQ(rest(s, "HEAD", api("/api/hubs/chat/groups/z")).status, 404);

    // Room again after a leave; the refused ackId was not remembered.
    full.leave("b", 5);
    full.expect_ack(5);
    full.join_acked("c", 4);

    // A token naming more groups than that is refused at the upgrade.
    ws_client crowded;
    const auto token = mint_token(s.port(), s.access_key(), token_request{.groups = {"p", "q", "r"}});
    const auto upgrade =
        crowded.connect(s.port(), client_path("chat", token), {}, {std::string(json_subprotocol)});
    EXPECT_EQ(upgrade.status, 400) << upgrade.describe();
    EXPECT_TRUE(s.running());
}

} // namespace
} // namespace hubcast::test

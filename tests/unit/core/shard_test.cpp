#include <algorithm>
#include <deque>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/connection_filter.hpp"
#include "core/router.hpp"
#include "core/shard.hpp"
#include "recording_sink.hpp"

namespace hubcast::core {
namespace {

using protocol::data_type;
using protocol::frame_family;
using protocol::message_data;
using protocol::subprotocol_kind;
using testing::recording_sink;

// One shard of a one-shard node (the node supplies the registry), driven from the test thread.
class ShardTest : public ::testing::Test {
protected:
    connection& add(std::string hub, std::optional<std::string> user,
                    subprotocol_kind kind = subprotocol_kind::json) {
        auto& sink = sinks_.emplace_back();
        return shard_.attach(
            connection_info{owner_.new_connection_id(0), std::move(hub), std::move(user), kind},
            auth::permission_set{}, sink);
    }
    recording_sink& sink(std::size_t i) { return sinks_.at(i); }
    static std::vector<std::string> ids(const std::vector<connection*>& connections) {
        std::vector<std::string> out;
        out.reserve(connections.size());
        for (const connection* c : connections) {
            out.push_back(c->id());
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    router owner_{1};
    shard& shard_ = owner_.shard_at(0);
    std::deque<recording_sink> sinks_; // stable addresses: connections hold references
};

TEST_F(ShardTest, AttachIndexesAndRegistersTheConnection) {
    connection& c = add("chat", "alice");
    EXPECT_EQ(shard_.find(c.id()), &c);
    EXPECT_EQ(shard_.connection_count(), 1u);
    EXPECT_TRUE(owner_.index().connection_exists("chat", c.id()));
    EXPECT_TRUE(owner_.index().user_exists("chat", "alice"));
    EXPECT_EQ(ids(shard_.connections_of_hub("chat")), std::vector<std::string>{c.id()});
    EXPECT_EQ(ids(shard_.connections_of_user("chat", "alice")), std::vector<std::string>{c.id()});
    EXPECT_TRUE(shard_.connections_of_hub("other").empty());
    EXPECT_TRUE(shard_.connections_of_user("other", "alice").empty());
}

TEST_F(ShardTest, AttachingAnIdTwiceIsRefused) {
    recording_sink sink;
    shard_.attach(connection_info{"same", "chat", std::nullopt, subprotocol_kind::json}, {}, sink);
    EXPECT_THROW(
        shard_.attach(connection_info{"same", "chat", std::nullopt, subprotocol_kind::json}, {}, sink),
        std::logic_error);
    EXPECT_EQ(shard_.connection_count(), 1u);
    EXPECT_EQ(owner_.index().connection_count(), 1u);
}

// A connection joins at most router::max_groups_per_connection() groups (about 650 bytes each): the
// join past it changes nothing and says why, and a leave makes room again.
TEST_F(ShardTest, AConnectionJoinsAtMostTheGroupLimit) {
    EXPECT_EQ(owner_.max_groups_per_connection(), default_max_groups_per_connection);
    owner_.set_max_groups_per_connection(3);
    connection& c = add("chat", std::nullopt);
    connection& other = add("chat", std::nullopt);
    for (const char* group : {"a", "b", "c"}) {
        EXPECT_EQ(shard_.try_join(c, group), join_result::joined) << group;
    }
    EXPECT_EQ(shard_.try_join(c, "a"), join_result::already_member) << "a member at the limit is still one";
    EXPECT_EQ(shard_.try_join(c, "d"), join_result::group_limit);
    EXPECT_FALSE(shard_.join(c, "d"));
    EXPECT_EQ(c.groups().size(), 3u);
    EXPECT_FALSE(owner_.index().group_exists("chat", "d")) << "nothing of the refused join is indexed";
    EXPECT_EQ(shard_.try_join(other, "d"), join_result::joined) << "the limit is per connection";
    EXPECT_TRUE(shard_.leave(c, "b"));
    EXPECT_EQ(shard_.try_join(c, "d"), join_result::joined);
    EXPECT_EQ(ids(shard_.connections_of_group("chat", "d")), ids({&c, &other}));
}

// connection::groups() is what the client session reports and what detach walks; the shard index
// is what fan-out walks. They must never disagree.
TEST_F(ShardTest, JoinAndLeaveKeepConnectionAndIndexInSync) {
    connection& c = add("chat", std::nullopt);
    EXPECT_TRUE(shard_.join(c, "g"));
    EXPECT_FALSE(shard_.join(c, "g"));
    EXPECT_TRUE(c.groups().contains("g"));
    EXPECT_EQ(ids(shard_.connections_of_group("chat", "g")), std::vector<std::string>{c.id()});
    EXPECT_TRUE(owner_.index().group_exists("chat", "g"));
    EXPECT_FALSE(owner_.index().group_exists("other", "g"));

    EXPECT_TRUE(shard_.leave(c, "g"));
    EXPECT_FALSE(shard_.leave(c, "g"));
    EXPECT_FALSE(c.groups().contains("g"));
    EXPECT_TRUE(shard_.connections_of_group("chat", "g").empty());
    EXPECT_FALSE(owner_.index().group_exists("chat", "g"));
}

TEST_F(ShardTest, LeaveAllLeavesEveryGroup) {
    connection& c = add("chat", std::nullopt);
    connection& other = add("chat", std::nullopt);
    for (const char* g : {"a", "b", "c"}) {
        shard_.join(c, g);
    }
    shard_.join(other, "b");
    shard_.leave_all(c);
    EXPECT_TRUE(c.groups().empty());
    EXPECT_FALSE(owner_.index().group_exists("chat", "a"));
    EXPECT_TRUE(owner_.index().group_exists("chat", "b"));
    EXPECT_EQ(ids(shard_.connections_of_group("chat", "b")), std::vector<std::string>{other.id()});
}

TEST_F(ShardTest, DetachLeavesGroupsAndUnregisters) {
    connection& c = add("chat", "alice");
    const std::string id = c.id();
    shard_.join(c, "g");
    shard_.detach(id);
    EXPECT_EQ(shard_.find(id), nullptr);
    EXPECT_EQ(shard_.connection_count(), 0u);
    EXPECT_FALSE(owner_.index().connection_exists("chat", id));
    EXPECT_FALSE(owner_.index().user_exists("chat", "alice"));
    EXPECT_FALSE(owner_.index().group_exists("chat", "g"));
    EXPECT_TRUE(shard_.connections_of_group("chat", "g").empty());
    EXPECT_TRUE(shard_.connections_of_hub("chat").empty());
    shard_.detach(id);        // twice
    shard_.detach("unknown"); // never attached
    EXPECT_EQ(owner_.index().connection_count(), 0u);
}

TEST_F(ShardTest, DeliverToGroupSkipsExclusionsAndSharesOneFramePerFamily) {
    connection& a = add("chat", std::nullopt);
    connection& b = add("chat", std::nullopt);
    connection& excluded = add("chat", std::nullopt);
    connection& publisher = add("chat", std::nullopt);
    connection& simple = add("chat", std::nullopt, subprotocol_kind::none);
    add("chat", std::nullopt); // not a member
    for (connection* c : {&a, &b, &excluded, &publisher, &simple}) {
        shard_.join(*c, "g");
    }
    const auto message = prepared_message::for_group("g", "alice", message_data{data_type::text, "hi"});
    exclusions skip{{excluded.id()}, publisher.id()};
    shard_.deliver_to_group("chat", "g", *message, skip);

    ASSERT_EQ(sink(0).frames.size(), 1u);
    ASSERT_EQ(sink(1).frames.size(), 1u);
    EXPECT_TRUE(sink(2).frames.empty());
    EXPECT_TRUE(sink(3).frames.empty());
    ASSERT_EQ(sink(4).frames.size(), 1u);
    EXPECT_TRUE(sink(5).frames.empty());
    // Encode once: the same bytes object reaches every recipient of a family.
    EXPECT_EQ(sink(0).frames[0].get(), sink(1).frames[0].get());
    EXPECT_EQ(sink(0).frames[0], message->frame(frame_family::json));
    EXPECT_EQ(sink(4).frames[0], message->frame(frame_family::raw));
}

TEST_F(ShardTest, DeliverToAllStaysInItsHub) {
    add("chat", std::nullopt);
    add("chat", "alice");
    add("other", std::nullopt);
    const auto message = prepared_message::for_server(message_data{data_type::text, "all"});
    shard_.deliver_to_all("chat", *message, {});
    EXPECT_EQ(sink(0).frames.size(), 1u);
    EXPECT_EQ(sink(1).frames.size(), 1u);
    EXPECT_TRUE(sink(2).frames.empty());
    shard_.deliver_to_all("nohub", *message, {});
    EXPECT_EQ(sink(0).frames.size(), 1u);
}

TEST_F(ShardTest, DeliverToUserReachesEachOfItsConnectionsInTheHub) {
    connection& first = add("chat", "alice");
    add("chat", "alice");
    add("chat", "bob");
    add("other", "alice");
    const auto message = prepared_message::for_server(message_data{data_type::text, "dm"});
    shard_.deliver_to_user("chat", "alice", *message, exclusions{{first.id()}, {}});
    EXPECT_TRUE(sink(0).frames.empty());
    EXPECT_EQ(sink(1).frames.size(), 1u);
    EXPECT_TRUE(sink(2).frames.empty());
    EXPECT_TRUE(sink(3).frames.empty());
    shard_.deliver_to_user("chat", "alice", *message, {});
    EXPECT_EQ(sink(0).frames.size(), 1u);
    EXPECT_EQ(sink(1).frames.size(), 2u);
}

TEST_F(ShardTest, GroupsOfTheSameNameInTwoHubsAreDistinct) {
    connection& chat = add("chat", std::nullopt);
    connection& other = add("other", std::nullopt);
    shard_.join(chat, "g");
    shard_.join(other, "g");
    const auto message = prepared_message::for_group("g", std::nullopt, message_data{data_type::text, "x"});
    shard_.deliver_to_group("chat", "g", *message, {});
    EXPECT_EQ(sink(0).frames.size(), 1u);
    EXPECT_TRUE(sink(1).frames.empty());
    shard_.leave(chat, "g");
    EXPECT_FALSE(owner_.index().group_exists("chat", "g"));
    EXPECT_TRUE(owner_.index().group_exists("other", "g"));
}

TEST_F(ShardTest, AClosingMemberGetsNothingMore) {
    connection& c = add("chat", std::nullopt);
    shard_.join(c, "g");
    c.close(1000, "bye");
    const std::size_t after_close = sink(0).frames.size();
    const auto message = prepared_message::for_group("g", std::nullopt, message_data{data_type::text, "x"});
    shard_.deliver_to_group("chat", "g", *message, {});
    shard_.deliver_to_all("chat", *message, {});
    EXPECT_EQ(sink(0).frames.size(), after_close);
}

// Group members live in a vector with swap-remove: a leave moves the last member into the hole.
// These protect that bookkeeping (a stale index would drop a member or send to a former one).
class ShardMembershipTest : public ShardTest {
protected:
    std::vector<connection*> add_members(std::size_t n, std::string_view group) {
        std::vector<connection*> out;
        for (std::size_t i = 0; i < n; ++i) {
            connection& c = add("chat", fmt::format("user-{}", i % 3));
            EXPECT_TRUE(shard_.join(c, group));
            out.push_back(&c);
        }
        return out;
    }
    /// Sends one message to `group` and returns, per sink, how many frames that send added.
    std::vector<std::size_t> send_to(std::string_view group, const exclusions& skip = {},
                                     const delivery_options& options = {}) {
        std::vector<std::size_t> before;
        for (const recording_sink& s : sinks_) {
            before.push_back(s.frames.size());
        }
        const auto message =
            prepared_message::for_group(std::string(group), std::nullopt, message_data{data_type::text, "m"});
        shard_.deliver_to_group("chat", group, *message, skip, options);
        std::vector<std::size_t> added;
        for (std::size_t i = 0; i < sinks_.size(); ++i) {
            added.push_back(sinks_[i].frames.size() - before[i]);
        }
        return added;
    }
    /// 1 for each sink whose connection is in `members` (attached ones only), 0 for the others.
    std::vector<std::size_t> expected(const std::vector<connection*>& members) {
        std::vector<std::size_t> out(sinks_.size(), 0);
        for (std::size_t i = 0; i < sinks_.size(); ++i) {
            for (const connection* c : members) {
                if (c->id() == connection_id_of(i)) {
                    out[i] = 1;
                }
            }
        }
        return out;
    }
    std::string connection_id_of(std::size_t sink_index) { return attached_ids_.at(sink_index); }
    connection& add(std::string hub, std::optional<std::string> user,
                    subprotocol_kind kind = subprotocol_kind::json) {
        connection& c = ShardTest::add(std::move(hub), std::move(user), kind);
        attached_ids_.push_back(c.id());
        return c;
    }
    std::vector<std::string> listed(std::string_view group) {
        std::vector<std::string> out;
        for (const group_member& m : shard_.group_members_after("chat", group, "", 1'000'000)) {
            out.push_back(m.connection_id);
        }
        return out;
    }
    static std::vector<std::string> ids_of(const std::vector<connection*>& members) { return ids(members); }

    std::vector<std::string> attached_ids_; // by sink index
};

TEST_F(ShardMembershipTest, LeavingFromTheMiddleKeepsEveryOtherMember) {
    std::vector<connection*> members = add_members(5, "g");
    EXPECT_TRUE(shard_.leave(*members[2], "g"));
    members.erase(members.begin() + 2);
    EXPECT_EQ(send_to("g"), expected(members));
    EXPECT_EQ(ids(shard_.connections_of_group("chat", "g")), ids_of(members));
    EXPECT_EQ(listed("g"), ids_of(members));
    // The member moved into the hole (the last one joined) can itself leave, then another.
    EXPECT_TRUE(shard_.leave(*members.back(), "g"));
    members.pop_back();
    EXPECT_EQ(send_to("g"), expected(members));
    EXPECT_TRUE(shard_.leave(*members[1], "g"));
    members.erase(members.begin() + 1);
    EXPECT_EQ(send_to("g"), expected(members));
    EXPECT_EQ(listed("g"), ids_of(members));
}

TEST_F(ShardMembershipTest, LeavingAsTheLastMemberKeepsTheOthers) {
    std::vector<connection*> members = add_members(4, "g");
    EXPECT_TRUE(shard_.leave(*members.back(), "g"));
    members.pop_back();
    EXPECT_EQ(send_to("g"), expected(members));
    EXPECT_TRUE(shard_.leave(*members.front(), "g"));
    members.erase(members.begin());
    EXPECT_EQ(send_to("g"), expected(members));
    for (connection* c : members) {
        EXPECT_TRUE(shard_.leave(*c, "g"));
    }
    EXPECT_TRUE(shard_.connections_of_group("chat", "g").empty());
    EXPECT_FALSE(owner_.index().group_exists("chat", "g"));
    EXPECT_EQ(send_to("g"), expected({}));
}

TEST_F(ShardMembershipTest, RejoiningAfterALeaveCountsOnce) {
    std::vector<connection*> members = add_members(3, "g");
    EXPECT_TRUE(shard_.leave(*members[0], "g"));
    EXPECT_TRUE(shard_.join(*members[0], "g"));
    EXPECT_FALSE(shard_.join(*members[0], "g"));
    EXPECT_FALSE(shard_.join(*members[1], "g"));
    EXPECT_EQ(send_to("g"), expected(members));
    EXPECT_EQ(shard_.connections_of_group("chat", "g").size(), 3u);
    EXPECT_EQ(listed("g"), ids_of(members));
    // Leaving the group entirely and joining again recreates it.
    for (connection* c : members) {
        EXPECT_TRUE(shard_.leave(*c, "g"));
    }
    EXPECT_TRUE(shard_.join(*members[1], "g"));
    EXPECT_TRUE(owner_.index().group_exists("chat", "g"));
    EXPECT_EQ(send_to("g"), expected({members[1]}));
}

TEST_F(ShardMembershipTest, DetachingAMemberOfManyGroupsLeavesEachOfThemIntact) {
    constexpr std::size_t group_count = 40;
    connection& busy = add("chat", "busy");
    std::vector<std::vector<connection*>> others(group_count);
    for (std::size_t g = 0; g < group_count; ++g) {
        const std::string name = fmt::format("g{}", g);
        // busy sits first, in the middle or last depending on the group; even groups have others.
        const std::size_t before = g % 2 == 0 ? g % 5 : 0;
        const std::size_t after = g % 2 == 0 ? 2 : 0;
        for (std::size_t i = 0; i < before; ++i) {
            others[g].push_back(&add("chat", std::nullopt));
            shard_.join(*others[g].back(), name);
        }
        EXPECT_TRUE(shard_.join(busy, name));
        for (std::size_t i = 0; i < after; ++i) {
            others[g].push_back(&add("chat", std::nullopt));
            shard_.join(*others[g].back(), name);
        }
    }
    EXPECT_EQ(busy.groups().size(), group_count);
    shard_.detach(busy.id());
    for (std::size_t g = 0; g < group_count; ++g) {
        const std::string name = fmt::format("g{}", g);
        EXPECT_EQ(owner_.index().group_exists("chat", name), !others[g].empty()) << name;
        EXPECT_EQ(ids(shard_.connections_of_group("chat", name)), ids_of(others[g])) << name;
        EXPECT_EQ(send_to(name), expected(others[g])) << name;
    }
    EXPECT_TRUE(shard_.connections_of_user("chat", "busy").empty());
}

TEST_F(ShardMembershipTest, SendsAfterManyLeavesReachExactlyTheMembers) {
    std::vector<connection*> all = add_members(200, "g");
    std::vector<connection*> members = all;
    // A fixed, scattered order of leaves (and some rejoins), checked after every step.
    std::uint32_t state = 12345;
    const auto next = [&state] {
        state = state * 1103515245u + 12345u;
        return (state >> 8) % 1000;
    };
    for (int step = 0; step < 150; ++step) {
        if (step % 7 == 6) {
            connection* back = all[next() % all.size()];
            const bool was_member = std::find(members.begin(), members.end(), back) != members.end();
            EXPECT_EQ(shard_.join(*back, "g"), !was_member);
            if (!was_member) {
                members.push_back(back);
            }
        } else {
            const std::size_t at = next() % members.size();
            EXPECT_TRUE(shard_.leave(*members[at], "g"));
            members.erase(members.begin() + static_cast<std::ptrdiff_t>(at));
        }
        if (step % 10 == 0 || step == 149) {
            ASSERT_EQ(send_to("g"), expected(members)) << "after step " << step;
        }
    }
    EXPECT_EQ(ids(shard_.connections_of_group("chat", "g")), ids_of(members));
    EXPECT_EQ(listed("g"), ids_of(members));
    // Disconnects in the middle of the hub and user lists too.
    for (std::size_t i = 0; i < all.size(); i += 3) {
        const auto m = std::find(members.begin(), members.end(), all[i]);
        if (m != members.end()) {
            members.erase(m);
        }
        shard_.detach(all[i]->id());
    }
    EXPECT_EQ(send_to("g"), expected(members));
    std::vector<connection*> left;
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (i % 3 != 0) {
            left.push_back(all[i]);
        }
    }
    EXPECT_EQ(ids(shard_.connections_of_hub("chat")), ids_of(left));
    std::vector<connection*> user1;
    for (std::size_t i = 1; i < all.size(); i += 3) {
        user1.push_back(all[i]);
    }
    EXPECT_EQ(ids(shard_.connections_of_user("chat", "user-1")), ids_of(user1));
    EXPECT_TRUE(shard_.connections_of_user("chat", "user-0").empty());
    EXPECT_FALSE(owner_.index().user_exists("chat", "user-0"));
    const auto message = prepared_message::for_server(message_data{data_type::text, "all"});
    std::vector<std::size_t> before;
    for (const recording_sink& s : sinks_) {
        before.push_back(s.frames.size());
    }
    shard_.deliver_to_all("chat", *message, {});
    shard_.deliver_to_user("chat", "user-1", *message, {});
    for (std::size_t i = 0; i < all.size(); ++i) {
        const std::size_t want = (i % 3 == 0) ? 0 : (i % 3 == 1 ? 2 : 1);
        EXPECT_EQ(sinks_[i].frames.size() - before[i], want) << i;
    }
}

TEST_F(ShardMembershipTest, PagingListsMembersInIdOrderAfterLeaves) {
    std::vector<connection*> members = add_members(10, "g");
    for (std::size_t i : {7u, 0u, 4u}) {
        shard_.leave(*members[i], "g");
    }
    std::vector<std::string> want;
    for (std::size_t i = 0; i < members.size(); ++i) {
        if (i != 7 && i != 0 && i != 4) {
            want.push_back(members[i]->id());
        }
    }
    std::sort(want.begin(), want.end());
    const auto first = shard_.group_members_after("chat", "g", "", 3);
    ASSERT_EQ(first.size(), 3u);
    std::vector<std::string> paged;
    for (const auto& m : first) {
        paged.push_back(m.connection_id);
    }
    for (const auto& m : shard_.group_members_after("chat", "g", paged.back(), 100)) {
        paged.push_back(m.connection_id);
        EXPECT_TRUE(m.user_id.has_value());
    }
    EXPECT_EQ(paged, want);
}

// The exclusion check runs only when the send excludes somebody; each kind of exclusion alone must
// still be honoured.
TEST_F(ShardMembershipTest, EachKindOfExclusionAloneIsHonoured) {
    std::vector<connection*> members = add_members(4, "g");
    EXPECT_EQ(send_to("g", exclusions{{}, members[1]->id()}), expected({members[0], members[2], members[3]}));
    EXPECT_EQ(send_to("g", exclusions{{members[3]->id()}, {}}),
              expected({members[0], members[1], members[2]}));
    EXPECT_EQ(send_to("g", exclusions{{"nobody"}, {}}), expected(members));
}

TEST_F(ShardMembershipTest, AFilteredGroupSendSeesEachMemberAfterLeaves) {
    std::vector<connection*> members = add_members(6, "g"); // users user-0, user-1, user-2, user-0, ...
    shard_.join(*members[4], "h");
    shard_.leave(*members[0], "g");
    auto parsed = connection_filter::parse("userId eq 'user-0' or 'h' in groups");
    ASSERT_TRUE(parsed);
    delivery_options options;
    options.filter = parsed->get();
    EXPECT_EQ(send_to("g", {}, options), expected({members[3], members[4]}));
}

// A reliable member keeps receiving (numbered, kept) while parked, whatever moved around it.
TEST_F(ShardMembershipTest, AParkedReliableMemberStillGetsGroupMessages) {
    connection& reliable = add("chat", std::nullopt, subprotocol_kind::json_reliable);
    std::vector<connection*> members = add_members(3, "g");
    shard_.join(reliable, "g");
    shard_.leave(*members[0], "g");
    shard_.park(reliable, std::chrono::steady_clock::now());
    send_to("g");
    EXPECT_EQ(reliable.unacked().size(), 1u);
    EXPECT_TRUE(sink(0).frames.empty());
    recording_sink fresh;
    shard_.resume(reliable, fresh);
    EXPECT_EQ(fresh.frames.size(), 1u);
    send_to("g");
    EXPECT_EQ(fresh.frames.size(), 2u);
    EXPECT_EQ(reliable.unacked().size(), 2u);
    shard_.detach(reliable.id()); // before `fresh` goes
}

TEST(Exclusions, MatchListedIdsAndTheNoEchoPublisher) {
    const exclusions none;
    EXPECT_FALSE(none.contains("a"));
    EXPECT_FALSE(none.contains(""));
    const exclusions skip{{"a", "b"}, "p"};
    EXPECT_TRUE(skip.contains("a"));
    EXPECT_TRUE(skip.contains("b"));
    EXPECT_TRUE(skip.contains("p"));
    EXPECT_FALSE(skip.contains("c"));
}

TEST(ShardBinding, CurrentShardIsPerThread) {
    router n(2);
    EXPECT_EQ(router::current_shard(), nullptr);
    n.shard_at(1).bind_to_current_thread();
    EXPECT_EQ(router::current_shard(), &n.shard_at(1));
    shard* seen_elsewhere = &n.shard_at(0);
    std::thread([&] { seen_elsewhere = router::current_shard(); }).join();
    EXPECT_EQ(seen_elsewhere, nullptr);
    n.shard_at(0).bind_to_current_thread();
    EXPECT_EQ(router::current_shard(), &n.shard_at(0));
    shard::unbind_current_thread();
    EXPECT_EQ(router::current_shard(), nullptr);
}

// A destroyed shard must not stay current: a later node's shard at the same address would be
// mistaken for it and run other threads' work inline.
TEST(ShardBinding, DestroyingTheShardUnbindsIt) {
    {
        router n(1);
        n.shard_at(0).bind_to_current_thread();
    }
    EXPECT_EQ(router::current_shard(), nullptr);
}

} // namespace
} // namespace hubcast::core

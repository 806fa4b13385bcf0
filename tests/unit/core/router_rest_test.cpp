// The node and shard functions the REST data plane adds: filtered sends and membership changes,
// message TTLs (dropped by a shard that drains them too late, carried to the transport otherwise),
// the existence-reporting add, and the paged scatter-gather listing of a group.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/router.hpp"
#include "recording_sink.hpp"

namespace hubcast::core {
namespace {

using namespace std::chrono_literals;
using protocol::data_type;
using protocol::message_data;
using testing::recording_sink;

message_data text(std::string s) {
    return message_data{data_type::text, std::move(s)};
}

filter_ptr filter(std::string_view text) {
    auto parsed = connection_filter::parse(text);
    EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error().message);
    return parsed ? std::move(parsed).value() : nullptr;
}

/// A node whose shards the test thread drains by hand (deterministic), with one recording sink
/// per connection. Node calls from the test thread post to the mailboxes; settle() runs them.
class manual_node {
public:
    explicit manual_node(std::size_t shards) : router_(shards) {}
    ~manual_node() { shard::unbind_current_thread(); }

    router& n() { return router_; }

    void settle() {
        for (int round = 0; round < 100; ++round) {
            std::size_t ran = 0;
            for (std::size_t i = 0; i < router_.shard_count(); ++i) {
                router_.shard_at(i).bind_to_current_thread();
                ran += router_.shard_at(i).inbox().drain();
            }
            shard::unbind_current_thread();
            if (ran == 0) {
                return;
            }
        }
        ADD_FAILURE() << "mailboxes never ran empty";
    }

    std::string attach(std::size_t shard_index, std::string hub, std::optional<std::string> user,
                       const std::vector<std::string>& groups = {}) {
        std::string id = router_.new_connection_id(shard_index);
        recording_sink& sink = *sinks_.emplace(id, std::make_unique<recording_sink>()).first->second;
        shard& s = router_.shard_at(shard_index);
        s.bind_to_current_thread();
        connection& c =
            s.attach(connection_info{id, std::move(hub), std::move(user), protocol::subprotocol_kind::json},
                     auth::permission_set{}, sink);
        for (const auto& group : groups) {
            s.join(c, group);
        }
        shard::unbind_current_thread();
        return id;
    }

    recording_sink& sink(const std::string& id) { return *sinks_.at(id); }
    std::size_t frames(const std::string& id) { return sinks_.at(id)->frames.size(); }
    connection& find(const std::string& id) { return *router_.shard_at(*router_.shard_of(id)).find(id); }
    std::size_t expired_sends() {
        std::size_t total = 0;
        for (std::size_t i = 0; i < router_.shard_count(); ++i) {
            total += router_.shard_at(i).expired_sends();
        }
        return total;
    }

private:
    std::map<std::string, std::unique_ptr<recording_sink>> sinks_; // outlive the node's connections
    router router_;
};

TEST(RouterRest, AFilteredSendReachesOnlyMatchingConnections) {
    manual_node h(3);
    const auto alice1 = h.attach(0, "chat", "alice");
    const auto alice2 = h.attach(1, "chat", "alice", {"room"});
    const auto bob = h.attach(2, "chat", "bob", {"room"});
    const auto anonymous = h.attach(1, "chat", std::nullopt, {"room"});
    const auto other_hub = h.attach(0, "other", "alice");

    h.n().send_to_all("chat", text("1"), send_options{{}, filter("userId eq 'alice'"), no_deadline});
    h.settle();
    EXPECT_EQ(h.frames(alice1), 1u);
    EXPECT_EQ(h.frames(alice2), 1u);
    EXPECT_EQ(h.frames(bob), 0u);
    EXPECT_EQ(h.frames(anonymous), 0u);
    EXPECT_EQ(h.frames(other_hub), 0u);

    // Exclusions and filter both apply; `userId eq null` selects anonymous connections.
    h.n().send_to_group("chat", "room", text("2"),
                        send_options{{{bob}, {}}, filter("userId eq null or userId eq 'bob'"), no_deadline});
    h.settle();
    EXPECT_EQ(h.frames(anonymous), 1u);
    EXPECT_EQ(h.frames(bob), 0u);
    EXPECT_EQ(h.frames(alice2), 1u);
    const auto message = testing::json_of(h.sink(anonymous).frames.back());
    EXPECT_EQ(message.at("from"), "group");
    EXPECT_EQ(message.at("group"), "room");
    ASSERT_TRUE(message.as_object().contains("fromUserId")) << message;
    EXPECT_TRUE(message.at("fromUserId").is_null()) << message;

    h.n().send_to_user("chat", "alice", text("3"),
                       send_options{{}, filter("connectionId ne '" + alice1 + "'"), no_deadline});
    h.settle();
    EXPECT_EQ(h.frames(alice1), 1u);
    EXPECT_EQ(h.frames(alice2), 2u);
    EXPECT_EQ(testing::json_of(h.sink(alice2).frames.back()).at("from"), "server");

    // A filter over groups sees each connection's own memberships.
    h.n().send_to_all("chat", text("4"), send_options{{}, filter("not ('room' in groups)"), no_deadline});
    h.settle();
    EXPECT_EQ(h.frames(alice1), 2u);
    EXPECT_EQ(h.frames(alice2), 2u);
}

TEST(RouterRest, TheDeadlineTravelsWithTheFrameToTheSink) {
    manual_node h(2);
    const auto a = h.attach(0, "chat", "a", {"g"});
    const auto b = h.attach(1, "chat", "b");
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    h.n().send_to_group("chat", "g", text("x"), send_options{{}, nullptr, deadline});
    h.n().send_to_connection("chat", b, text("y"), deadline);
    h.n().send_to_all("chat", text("z"));
    h.settle();
    ASSERT_EQ(h.sink(a).deadlines.size(), 2u);
    EXPECT_EQ(h.sink(a).deadlines[0], deadline);
    EXPECT_EQ(h.sink(a).deadlines[1], no_deadline) << "a send without a TTL never expires";
    ASSERT_EQ(h.sink(b).deadlines.size(), 2u);
    EXPECT_EQ(h.sink(b).deadlines[0], deadline);
    EXPECT_EQ(h.expired_sends(), 0u);
}

TEST(RouterRest, AShardDrainingAnExpiredSendDropsIt) {
    manual_node h(3);
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < 3; ++i) {
        ids.push_back(h.attach(i, "chat", "u", {"g"}));
    }
    // The TTL has passed by the time the shards drain (nothing runs until settle()); a deadline
    // already behind the clock says so without sleeping past one.
    const auto deadline = std::chrono::steady_clock::now() - 1ms;
    h.n().send_to_all("chat", text("all"), send_options{{}, nullptr, deadline});
    h.n().send_to_group("chat", "g", text("group"), send_options{{}, nullptr, deadline});
    h.n().send_to_user("chat", "u", text("user"), send_options{{}, nullptr, deadline});
    h.n().send_to_connection("chat", ids[1], text("one"), deadline);
    h.settle();
    for (const auto& id : ids) {
        EXPECT_EQ(h.frames(id), 0u) << id;
    }
    EXPECT_EQ(h.expired_sends(), 3u + 3u + 3u + 1u);

    // The same sends drained in time are delivered.
    const auto later = std::chrono::steady_clock::now() + 60s;
    h.n().send_to_all("chat", text("all"), send_options{{}, nullptr, later});
    h.n().send_to_connection("chat", ids[1], text("one"), later);
    h.settle();
    EXPECT_EQ(h.frames(ids[0]), 1u);
    EXPECT_EQ(h.frames(ids[1]), 2u);
}

// A client's sendToGroup with ttlSeconds expires as a REST send with messageTtlSeconds does.
TEST(RouterRest, AClientPublishWithATtlExpiresLikeARestSend) {
    manual_node h(2);
    const auto a = h.attach(0, "chat", "a", {"g"});
    const auto b = h.attach(1, "chat", "b", {"g"});
    const auto later = std::chrono::steady_clock::now() + 60s;
    h.n().send_to_group("chat", "g", text("kept"), {}, std::string("a"), later);
    h.settle();
    ASSERT_EQ(h.sink(b).deadlines.size(), 1u);
    EXPECT_EQ(h.sink(b).deadlines[0], later);
    EXPECT_EQ(testing::json_of(h.sink(b).frames.back()).at("fromUserId"), "a");

    h.n().send_to_group("chat", "g", text("late"), {}, std::string("a"),
                        std::chrono::steady_clock::now() - 1ms);
    h.settle();
    EXPECT_EQ(h.frames(a), 1u);
    EXPECT_EQ(h.frames(b), 1u);
    EXPECT_EQ(h.expired_sends(), 2u);
}

TEST(RouterRest, AddAndRemoveGroupsByFilter) {
    manual_node h(2);
    const auto alice = h.attach(0, "chat", "alice", {"old"});
    const auto listener = h.attach(1, "chat", "listener-1", {"old"});
    const auto bob = h.attach(1, "chat", "bob");
    const auto other_hub = h.attach(0, "other", "alice");

    h.n().add_to_groups("chat", {"g1", "g2"}, filter("userId eq 'alice' or startswith(userId, 'listener-')"));
    h.settle();
    EXPECT_EQ(h.find(alice).groups(), (std::unordered_set<std::string>{"old", "g1", "g2"}));
    EXPECT_EQ(h.find(listener).groups(), (std::unordered_set<std::string>{"old", "g1", "g2"}));
    EXPECT_TRUE(h.find(bob).groups().empty());
    EXPECT_TRUE(h.find(other_hub).groups().empty());
    EXPECT_TRUE(h.n().group_exists("chat", "g2"));

    // The filter sees the groups as they were before this request removed any.
    h.n().remove_from_groups("chat", {"old", "g1"}, filter("'old' in groups and userId ne 'alice'"));
    h.settle();
    EXPECT_EQ(h.find(alice).groups(), (std::unordered_set<std::string>{"old", "g1", "g2"}));
    EXPECT_EQ(h.find(listener).groups(), (std::unordered_set<std::string>{"g2"}));

    // No filter: every connection of the hub.
    h.n().add_to_groups("chat", {"everyone"}, nullptr);
    h.n().remove_from_groups("chat", {"g2"}, nullptr);
    h.settle();
    EXPECT_TRUE(h.find(bob).groups().contains("everyone"));
    EXPECT_FALSE(h.n().group_exists("chat", "g2"));
    EXPECT_FALSE(h.find(other_hub).groups().contains("everyone"));
}

TEST(RouterRest, AddingAConnectionToAGroupReportsWhetherItExists) {
    manual_node h(2);
    const auto id = h.attach(1, "chat", "u");
    std::map<std::string, std::vector<bool>> answers;
    const auto record = [&answers](std::string label) {
        return [&answers, label](router::add_result result) {
            EXPECT_NE(result, router::add_result::group_limit) << label;
            answers[label].push_back(result == router::add_result::added);
        };
    };
    h.n().add_connection_to_group("chat", "g", id, record("present"));
    h.n().add_connection_to_group("other", "g", id, record("other hub"));
    h.n().add_connection_to_group("chat", "g", h.n().new_connection_id(0), record("never attached"));
    EXPECT_TRUE(answers.empty()) << "answered on the owning shards";
    h.n().add_connection_to_group("chat", "g", "not-an-id-of-this-node", record("foreign"));
    EXPECT_EQ(answers["foreign"], std::vector<bool>{false}) << "an id of no shard is answered inline";
    h.settle();
    EXPECT_EQ(answers["present"], std::vector<bool>{true});
    EXPECT_EQ(answers["other hub"], std::vector<bool>{false});
    EXPECT_EQ(answers["never attached"], std::vector<bool>{false});
    EXPECT_TRUE(h.find(id).groups().contains("g"));
}

std::vector<group_member> list(manual_node& h, std::string_view group, std::string after, std::size_t limit) {
    std::optional<std::vector<group_member>> result;
    int calls = 0;
    h.n().list_group_members("chat", group, std::move(after), limit,
                             [&](std::vector<group_member> members, router::reach reach) {
                                 EXPECT_EQ(reach, router::reach::every_node);
                                 ++calls;
                                 result = std::move(members);
                             });
    h.settle();
    EXPECT_EQ(calls, 1);
    return result.value_or(std::vector<group_member>{});
}

TEST(RouterRest, GroupListingPagesInConnectionIdOrderAcrossShards) {
    manual_node h(3);
    std::vector<group_member> expected;
    for (std::size_t i = 0; i < 10; ++i) {
        std::optional<std::string> user;
        if (i % 3 != 0) {
            user = "user" + std::to_string(i);
        }
        expected.push_back({h.attach(i % 3, "chat", user, {"room"}), user});
    }
    h.attach(0, "chat", "outsider");
    h.attach(1, "other", "elsewhere", {"room"});
    std::sort(expected.begin(), expected.end(),
              [](const group_member& a, const group_member& b) { return a.connection_id < b.connection_id; });

    EXPECT_EQ(list(h, "room", "", 100), expected);

    std::vector<group_member> paged;
    std::string after;
    for (int page = 0; page < 10; ++page) {
        auto members = list(h, "room", after, 3);
        ASSERT_LE(members.size(), 3u);
        if (members.empty()) {
            break;
        }
        after = members.back().connection_id;
        paged.insert(paged.end(), members.begin(), members.end());
    }
    EXPECT_EQ(paged, expected) << "each member exactly once, in order";

    EXPECT_TRUE(list(h, "room", "", 0).empty());
    EXPECT_TRUE(list(h, "nobody-here", "", 10).empty());
    EXPECT_TRUE(list(h, "room", expected.back().connection_id, 10).empty());
}

TEST(RouterRest, AShardListsItsMembersAfterAnId) {
    manual_node h(1);
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(h.attach(0, "chat", std::nullopt, {"g"}));
    }
    std::sort(ids.begin(), ids.end());
    shard& s = h.n().shard_at(0);
    const auto page = s.group_members_after("chat", "g", ids[1], 2);
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].connection_id, ids[2]);
    EXPECT_EQ(page[1].connection_id, ids[3]);
    EXPECT_FALSE(page[0].user_id);
    EXPECT_TRUE(s.group_members_after("chat", "absent", "", 5).empty());
    EXPECT_TRUE(s.group_members_after("nohub", "g", "", 5).empty());
}

TEST(RouterRest, GroupListingGathersFromWorkerThreadsExactlyOnce) {
    constexpr std::size_t shard_count = 4;
    router n(shard_count);
    struct worker {
        std::mutex mutex;
        std::condition_variable wake;
        bool woken = false;
        bool stop = false;
        std::thread thread;
    };
    std::vector<std::unique_ptr<worker>> workers;
    for (std::size_t i = 0; i < shard_count; ++i) {
        workers.push_back(std::make_unique<worker>());
        worker& w = *workers.back();
        shard& s = n.shard_at(i);
        s.inbox().set_wake([&w] {
            {
                const std::lock_guard lock(w.mutex);
                w.woken = true;
            }
            w.wake.notify_one();
        });
        w.thread = std::thread([&w, &s] {
            s.bind_to_current_thread();
            for (;;) {
                {
                    std::unique_lock lock(w.mutex);
                    w.wake.wait(lock, [&] { return w.woken || w.stop; });
                    if (!w.woken) {
                        return;
                    }
                    w.woken = false;
                }
                s.inbox().drain();
            }
        });
    }
    std::vector<std::unique_ptr<recording_sink>> sinks;
    std::set<std::string> expected;
    for (std::size_t i = 0; i < 40; ++i) {
        sinks.push_back(std::make_unique<recording_sink>());
        const std::size_t index = i % shard_count;
        std::promise<std::string> attached;
        ASSERT_TRUE(n.run_on(index, [&, index](shard& s) {
            connection& c = s.attach(
                connection_info{n.new_connection_id(index), "chat", "u", protocol::subprotocol_kind::json},
                auth::permission_set{}, *sinks.back());
            s.join(c, "g");
            attached.set_value(c.id());
        }));
        expected.insert(attached.get_future().get());
    }
    for (int round = 0; round < 20; ++round) {
        std::promise<std::vector<group_member>> listed;
        auto future = listed.get_future();
        n.list_group_members("chat", "g", "", 100,
                             [&listed](std::vector<group_member> members, router::reach) {
                                 listed.set_value(std::move(members));
                             });
        ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
        const auto members = future.get();
        std::set<std::string> ids;
        for (const auto& m : members) {
            ids.insert(m.connection_id);
        }
        EXPECT_EQ(ids, expected);
        EXPECT_TRUE(std::is_sorted(members.begin(), members.end(), [](const auto& a, const auto& b) {
            return a.connection_id < b.connection_id;
        }));
    }
    for (auto& w : workers) {
        {
            const std::lock_guard lock(w->mutex);
            w->stop = true;
        }
        w->wake.notify_one();
        w->thread.join();
    }
}

} // namespace
} // namespace hubcast::core

namespace hubcast::core {
namespace {

// Regression: REST answered addUser / addConnectionsToGroups before the owning shards had joined,
// so the app server's next group send or existence check could miss the new member.
TEST(NodeMembershipApplied, CallbackRunsOnlyAfterEveryTargetShardApplied) {
    manual_node m(3);
    const auto a = m.attach(1, "hub", std::string("u"));
    const auto b = m.attach(2, "hub", std::string("u"));
    int applied = 0;
    m.n().add_user_to_group("hub", "g", "u", [&applied](std::size_t refused, router::reach reach) {
        EXPECT_EQ(refused, 0u);
        EXPECT_EQ(reach, router::reach::every_node);
        ++applied;
    });
    EXPECT_EQ(applied, 0);
    EXPECT_FALSE(m.n().group_exists("hub", "g"));
    m.settle();
    EXPECT_EQ(applied, 1);
    EXPECT_TRUE(m.n().group_exists("hub", "g"));
    EXPECT_TRUE(m.find(a).groups().contains("g"));
    EXPECT_TRUE(m.find(b).groups().contains("g"));

    m.n().add_to_groups("hub", {"h"}, nullptr, [&applied](std::size_t refused, router::reach) {
        EXPECT_EQ(refused, 0u);
        ++applied;
    });
    m.n().remove_user_from_group("hub", "g", "u", [&applied](router::reach) { ++applied; });
    m.n().remove_connection_from_all_groups("hub", a, [&applied](router::reach) { ++applied; });
    EXPECT_EQ(applied, 1);
    m.settle();
    EXPECT_EQ(applied, 4);
    EXPECT_FALSE(m.n().group_exists("hub", "g"));
    EXPECT_TRUE(m.find(b).groups().contains("h"));
    EXPECT_TRUE(m.find(a).groups().empty());
}

// The REST joins count what the group limit refused, across shards, so that the caller can say so;
// the joins under the limit stand.
TEST(NodeMembershipApplied, JoinsTheGroupLimitRefusedAreCounted) {
    manual_node m(3);
    m.n().set_max_groups_per_connection(2);
    const auto full = m.attach(1, "hub", std::string("u"));
    const auto roomy = m.attach(2, "hub", std::string("u"));
    m.n().add_connection_to_group("hub", "a", full);
    m.n().add_connection_to_group("hub", "b", full);
    m.settle();
    std::vector<std::size_t> refused;
    const auto record = [&refused](std::size_t n, router::reach reach) {
        EXPECT_EQ(reach, router::reach::every_node);
        refused.push_back(n);
    };
    m.n().add_user_to_group("hub", "c", "u", record);
    m.n().add_to_groups("hub", {"d", "e"}, nullptr, record);
    std::vector<router::add_result> single;
    m.n().add_connection_to_group("hub", "f", full, [&single](router::add_result r) { single.push_back(r); });
    m.n().add_connection_to_group("hub", "a", full, [&single](router::add_result r) { single.push_back(r); });
    m.settle();
    // roomy joins c, then d; e is refused for it; full is refused c, d and e.
    EXPECT_EQ(refused, (std::vector<std::size_t>{1, 3}));
    EXPECT_EQ(single,
              (std::vector<router::add_result>{router::add_result::group_limit, router::add_result::added}))
        << "a group the connection is in already is no refusal";
    EXPECT_EQ(m.find(full).groups().size(), 2u);
    EXPECT_EQ(m.find(roomy).groups().size(), 2u);
    EXPECT_TRUE(m.find(roomy).groups().contains("c"));
    EXPECT_TRUE(m.find(roomy).groups().contains("d"));
}

TEST(NodeMembershipApplied, CallbackRunsInlineWhenNothingIsConcerned) {
    manual_node m(2);
    int applied = 0;
    m.n().add_user_to_group("hub", "g", "nobody", [&applied](std::size_t, router::reach) { ++applied; });
    m.n().remove_connection_from_group("hub", "g", "not-an-id", [&applied](router::reach) { ++applied; });
    EXPECT_EQ(applied, 2);
}

} // namespace
} // namespace hubcast::core

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/router.hpp"
#include "recording_sink.hpp"
#include "util/base64.hpp"

namespace hubcast::core {
namespace {

using protocol::data_type;
using protocol::message_data;
using protocol::subprotocol_kind;
using testing::json_of;
using testing::recording_sink;

message_data text(std::string s) {
    return message_data{data_type::text, std::move(s)};
}

/// How a test drives the node's shards.
enum class drive {
    inline_single, ///< one shard bound to the test thread: every command runs inline
    manual,        ///< several shards drained in turn by the test thread (deterministic)
    threaded,      ///< one std::thread per shard, woken through its mailbox like a real worker
};

struct setup {
    drive mode;
    std::size_t shards;
};

void PrintTo(const setup& s, std::ostream* out) {
    *out << (s.mode == drive::inline_single ? "inline"
             : s.mode == drive::manual      ? "manual"
                                            : "threaded")
         << " x" << s.shards;
}

std::string name_of(const ::testing::TestParamInfo<setup>& info) {
    const char* mode = info.param.mode == drive::inline_single ? "Inline"
                       : info.param.mode == drive::manual      ? "Manual"
                                                               : "Threaded";
    return std::string(mode) + std::to_string(info.param.shards) + "Shards";
}

/// A node plus its drivers and one recording sink per connection. Test code runs on the test
/// thread; shard work runs where the mode says, and settle() returns once every task posted so
/// far has run (with a deadline: a stuck shard aborts the test instead of hanging it).
class node_harness {
public:
    node_harness(drive mode, std::size_t shard_count,
                 std::size_t mailbox_max_bytes = mailbox::default_max_bytes)
        : mode_(mode), router_(std::make_unique<router>(shard_count, mailbox_max_bytes)) {
        if (mode_ == drive::inline_single) {
            router_->shard_at(0).bind_to_current_thread();
        }
        if (mode_ == drive::threaded) {
            for (std::size_t i = 0; i < shard_count; ++i) {
                workers_.push_back(std::make_unique<worker>());
            }
            for (std::size_t i = 0; i < shard_count; ++i) {
                worker& w = *workers_[i];
                shard& s = router_->shard_at(i);
                s.inbox().set_wake([&w] {
                    {
                        const std::lock_guard lock(w.mutex);
                        w.woken = true;
                    }
                    w.wake.notify_one();
                });
                w.thread = std::thread([&w, &s] { w.run(s); });
            }
        }
    }
    node_harness(const node_harness&) = delete;
    node_harness& operator=(const node_harness&) = delete;

    ~node_harness() {
        for (auto& w : workers_) {
            {
                const std::lock_guard lock(w->mutex);
                w->stop = true;
            }
            w->wake.notify_one();
            w->thread.join();
        }
        shard::unbind_current_thread();
    }

    router& n() { return *router_; }
    std::size_t shard_count() const { return router_->shard_count(); }

    /// Runs `fn` on shard `index` the way a worker would, and returns when it has run.
    void on_shard(std::size_t index, const std::function<void(shard&)>& fn) {
        switch (mode_) {
        case drive::inline_single:
            ASSERT_TRUE(router_->run_on(index, fn));
            return;
        case drive::manual:
            ASSERT_TRUE(router_->run_on(index, fn));
            settle();
            return;
        case drive::threaded: {
            auto done = std::make_shared<std::promise<void>>();
            auto future = done->get_future();
            ASSERT_TRUE(router_->run_on(index, [fn, done](shard& s) {
                fn(s);
                done->set_value();
            }));
            if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
                std::fprintf(stderr, "shard %zu did not run its task within the deadline\n", index);
                std::abort();
            }
            return;
        }
        }
    }

    /// Returns when every task posted so far (and any they posted) has run.
    void settle() {
        if (mode_ == drive::threaded) {
            // A barrier task per shard runs after everything queued there before it. Tasks may post
            // more tasks (a publish runs on one shard and posts to others), possibly behind a
            // barrier that already ran: so repeat until a whole pass saw no task but its own.
            for (int round = 0; round < 1000; ++round) {
                const std::size_t before = total_accepted();
                for (std::size_t i = 0; i < shard_count(); ++i) {
                    on_shard(i, [](shard&) {});
                }
                if (total_accepted() == before + shard_count()) {
                    return;
                }
            }
            ADD_FAILURE() << "shards never went quiet";
            return;
        }
        for (int round = 0; round < 1000; ++round) {
            std::size_t ran = 0;
            for (std::size_t i = 0; i < shard_count(); ++i) {
                router_->shard_at(i).bind_to_current_thread();
                ran += router_->shard_at(i).inbox().drain();
            }
            rebind();
            if (ran == 0) {
                return;
            }
        }
        ADD_FAILURE() << "mailboxes never ran empty";
    }

    std::string attach(std::size_t shard_index, std::string hub, std::optional<std::string> user,
                       subprotocol_kind kind = subprotocol_kind::json) {
        std::string id = router_->new_connection_id(shard_index);
        recording_sink& sink = *sinks_.emplace(id, std::make_unique<recording_sink>()).first->second;
        connection_info info{id, std::move(hub), std::move(user), kind};
        on_shard(shard_index, [&](shard& s) { s.attach(info, auth::permission_set{}, sink); });
        return id;
    }

    void detach(const std::string& id) {
        on_shard(*router_->shard_of(id), [&](shard& s) { s.detach(id); });
    }

    void join(const std::string& id, const std::string& group) {
        on_shard(*router_->shard_of(id), [&](shard& s) { s.join(*s.find(id), group); });
    }

    recording_sink& sink(const std::string& id) { return *sinks_.at(id); }
    std::size_t frames(const std::string& id) { return sink(id).frames.size(); }

    /// Tasks each shard's mailbox accepted so far.
    std::vector<std::size_t> accepted() {
        std::vector<std::size_t> counts;
        for (std::size_t i = 0; i < shard_count(); ++i) {
            counts.push_back(router_->shard_at(i).inbox().accepted());
        }
        return counts;
    }

private:
    std::size_t total_accepted() {
        std::size_t total = 0;
        for (std::size_t count : accepted()) {
            total += count;
        }
        return total;
    }

    struct worker {
        std::mutex mutex;
        std::condition_variable wake;
        bool woken = false;
        bool stop = false;
        std::thread thread;

        void run(shard& s) {
            s.bind_to_current_thread();
            for (;;) {
                {
                    std::unique_lock lock(mutex);
                    wake.wait(lock, [&] { return woken || stop; });
                    if (!woken) {
                        return;
                    }
                    woken = false;
                }
                s.inbox().drain();
            }
        }
    };

    void rebind() {
        if (mode_ == drive::inline_single) {
            router_->shard_at(0).bind_to_current_thread();
        } else {
            shard::unbind_current_thread();
        }
    }

    drive mode_;
    std::map<std::string, std::unique_ptr<recording_sink>> sinks_; // outlives the node's connections
    std::unique_ptr<router> router_;
    std::vector<std::unique_ptr<worker>> workers_;
};

class RouterTest : public ::testing::TestWithParam<setup> {
protected:
    RouterTest() : h_(GetParam().mode, GetParam().shards) {}

    /// Spreads connections over the shards.
    std::size_t place(std::size_t i) const { return i % GetParam().shards; }

    node_harness h_;
    router& n_ = h_.n();
};

INSTANTIATE_TEST_SUITE_P(Drives, RouterTest,
                         ::testing::Values(setup{drive::inline_single, 1}, setup{drive::manual, 3},
                                           setup{drive::threaded, 2}, setup{drive::threaded, 4}),
                         name_of);

TEST_P(RouterTest, SendToAllReachesEachConnectionOfTheHubOnce) {
    std::vector<std::string> chat;
    for (std::size_t i = 0; i < 8; ++i) {
        chat.push_back(h_.attach(place(i), "chat", std::nullopt));
    }
    const std::string simple = h_.attach(place(1), "chat", std::nullopt, subprotocol_kind::none);
    const std::string elsewhere = h_.attach(place(2), "other", std::nullopt);

    n_.send_to_all("chat", text("hello"), exclusions{{chat[3]}, {}});
    h_.settle();

    for (std::size_t i = 0; i < chat.size(); ++i) {
        EXPECT_EQ(h_.frames(chat[i]), i == 3 ? 0u : 1u) << i;
    }
    EXPECT_EQ(h_.frames(simple), 1u);
    EXPECT_EQ(h_.frames(elsewhere), 0u);
    // Encode once: every shard queued the same bytes object.
    for (std::size_t i = 1; i < chat.size(); ++i) {
        if (i != 3) {
            EXPECT_EQ(h_.sink(chat[i]).frames[0].get(), h_.sink(chat[0]).frames[0].get()) << i;
        }
    }
    EXPECT_EQ(json_of(h_.sink(chat[0]).frames[0]),
              boost::json::parse(R"({"type":"message","from":"server","dataType":"text","data":"hello"})"));
    EXPECT_EQ(testing::parse_frame(h_.sink(simple).frames[0]).payload, "hello");
}

TEST_P(RouterTest, SendStartedOnAShardReachesEveryShardOnce) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < 6; ++i) {
        ids.push_back(h_.attach(place(i), "chat", std::nullopt));
    }
    h_.on_shard(place(1), [&](shard&) { n_.send_to_all("chat", text("from a worker")); });
    h_.settle();
    for (const auto& id : ids) {
        EXPECT_EQ(h_.frames(id), 1u);
    }
}

TEST_P(RouterTest, SendToGroupHonoursExclusionsAndNoEcho) {
    const std::string publisher = h_.attach(place(1), "chat", "alice");
    const std::string excluded = h_.attach(place(2), "chat", std::nullopt);
    std::vector<std::string> members;
    for (std::size_t i = 0; i < 5; ++i) {
        members.push_back(h_.attach(place(i), "chat", std::nullopt));
    }
    const std::string outsider = h_.attach(place(0), "chat", std::nullopt);
    const std::string other_hub = h_.attach(place(3), "other", std::nullopt);
    for (const auto& id : members) {
        h_.join(id, "room");
    }
    h_.join(publisher, "room");
    h_.join(excluded, "room");
    h_.join(other_hub, "room");

    // As a client's sendToGroup with noEcho runs: on the publisher's own shard.
    h_.on_shard(*n_.shard_of(publisher), [&](shard&) {
        n_.send_to_group("chat", "room", text("hi"), exclusions{{excluded}, publisher}, "alice");
    });
    h_.settle();

    for (const auto& id : members) {
        ASSERT_EQ(h_.frames(id), 1u);
        EXPECT_EQ(h_.sink(id).frames[0].get(), h_.sink(members[0]).frames[0].get());
    }
    EXPECT_EQ(h_.frames(publisher), 0u);
    EXPECT_EQ(h_.frames(excluded), 0u);
    EXPECT_EQ(h_.frames(outsider), 0u);
    EXPECT_EQ(h_.frames(other_hub), 0u);
    EXPECT_EQ(json_of(h_.sink(members[0]).frames[0]),
              boost::json::parse(R"({"type":"message","from":"group","group":"room","fromUserId":"alice",
                                     "dataType":"text","data":"hi"})"));

    // Without noEcho the publisher hears itself.
    n_.send_to_group("chat", "room", text("again"), {}, "alice");
    h_.settle();
    EXPECT_EQ(h_.frames(publisher), 1u);
    EXPECT_EQ(h_.frames(excluded), 1u);
}

TEST_P(RouterTest, SendToUserReachesEachOfItsConnections) {
    std::vector<std::string> alice;
    for (std::size_t i = 0; i < 4; ++i) {
        alice.push_back(h_.attach(place(i), "chat", "alice"));
    }
    const std::string bob = h_.attach(place(0), "chat", "bob");
    const std::string alice_elsewhere = h_.attach(place(1), "other", "alice");

    n_.send_to_user("chat", "alice", text("dm"), exclusions{{alice[2]}, {}});
    n_.send_to_user("chat", "nobody", text("lost"));
    h_.settle();

    for (std::size_t i = 0; i < alice.size(); ++i) {
        EXPECT_EQ(h_.frames(alice[i]), i == 2 ? 0u : 1u) << i;
    }
    EXPECT_EQ(h_.frames(bob), 0u);
    EXPECT_EQ(h_.frames(alice_elsewhere), 0u);
}

TEST_P(RouterTest, SendToConnectionReachesOnlyThatConnectionInItsHub) {
    const std::string target = h_.attach(place(1), "chat", std::nullopt);
    const std::string bystander = h_.attach(place(1), "chat", std::nullopt);

    n_.send_to_connection("chat", target, text("just you"));
    n_.send_to_connection("other", target, text("wrong hub"));
    n_.send_to_connection("chat", "not-an-id", text("nobody"));
    h_.settle();

    ASSERT_EQ(h_.frames(target), 1u);
    EXPECT_EQ(json_of(h_.sink(target).frames[0]).as_object().at("data"), "just you");
    EXPECT_EQ(h_.frames(bystander), 0u);
}

TEST_P(RouterTest, EachFamilyIsEncodedOnceAcrossShards) {
    std::vector<std::string> json;
    std::vector<std::string> simple;
    for (std::size_t i = 0; i < GetParam().shards * 2; ++i) {
        json.push_back(h_.attach(place(i), "chat", std::nullopt));
        simple.push_back(h_.attach(place(i), "chat", std::nullopt, subprotocol_kind::none));
        h_.join(json.back(), "g");
        h_.join(simple.back(), "g");
    }
    n_.send_to_group("chat", "g", message_data{data_type::binary, "\x01\x02"});
    h_.settle();
    std::set<const std::string*> json_frames;
    std::set<const std::string*> simple_frames;
    for (const auto& id : json) {
        ASSERT_EQ(h_.frames(id), 1u);
        json_frames.insert(h_.sink(id).frames[0].get());
    }
    for (const auto& id : simple) {
        ASSERT_EQ(h_.frames(id), 1u);
        simple_frames.insert(h_.sink(id).frames[0].get());
    }
    EXPECT_EQ(json_frames.size(), 1u);
    EXPECT_EQ(simple_frames.size(), 1u);
    EXPECT_NE(*json_frames.begin(), *simple_frames.begin());
    EXPECT_EQ(testing::parse_frame(h_.sink(simple[0]).frames[0]).opcode, protocol::ws_opcode::binary);
}

TEST_P(RouterTest, ConnectionMembershipCommands) {
    const std::string a = h_.attach(place(1), "chat", std::nullopt);
    const std::string b = h_.attach(place(2), "chat", std::nullopt);

    n_.add_connection_to_group("chat", "g1", a);
    n_.add_connection_to_group("chat", "g2", a);
    n_.add_connection_to_group("chat", "g1", b);
    n_.add_connection_to_group("other", "g3", a); // wrong hub: ignored
    n_.add_connection_to_group("chat", "g3", "not-an-id");
    h_.settle();
    EXPECT_TRUE(n_.group_exists("chat", "g1"));
    EXPECT_TRUE(n_.group_exists("chat", "g2"));
    EXPECT_FALSE(n_.group_exists("chat", "g3"));
    EXPECT_FALSE(n_.group_exists("other", "g3"));

    n_.send_to_group("chat", "g1", text("1"));
    h_.settle();
    EXPECT_EQ(h_.frames(a), 1u);
    EXPECT_EQ(h_.frames(b), 1u);

    n_.remove_connection_from_group("chat", "g1", b);
    h_.settle();
    n_.send_to_group("chat", "g1", text("2"));
    h_.settle();
    EXPECT_EQ(h_.frames(a), 2u);
    EXPECT_EQ(h_.frames(b), 1u);

    n_.remove_connection_from_all_groups("chat", a);
    h_.settle();
    EXPECT_FALSE(n_.group_exists("chat", "g1"));
    EXPECT_FALSE(n_.group_exists("chat", "g2"));
    n_.send_to_group("chat", "g2", text("3"));
    h_.settle();
    EXPECT_EQ(h_.frames(a), 2u);
}

TEST_P(RouterTest, UserMembershipCommandsApplyToEachConnectionOfTheUser) {
    std::vector<std::string> alice;
    for (std::size_t i = 0; i < 3; ++i) {
        alice.push_back(h_.attach(place(i + 1), "chat", "alice"));
    }
    const std::string bob = h_.attach(place(0), "chat", "bob");
    const std::string alice_elsewhere = h_.attach(place(0), "other", "alice");

    n_.add_user_to_group("chat", "g", "alice");
    n_.add_user_to_group("chat", "h", "alice");
    n_.add_user_to_group("chat", "g", "nobody");
    h_.settle();
    n_.send_to_group("chat", "g", text("1"));
    n_.send_to_group("other", "g", text("x"));
    h_.settle();
    for (const auto& id : alice) {
        EXPECT_EQ(h_.frames(id), 1u);
    }
    EXPECT_EQ(h_.frames(bob), 0u);
    EXPECT_EQ(h_.frames(alice_elsewhere), 0u);

    n_.remove_user_from_group("chat", "g", "alice");
    h_.settle();
    EXPECT_FALSE(n_.group_exists("chat", "g"));
    EXPECT_TRUE(n_.group_exists("chat", "h"));

    n_.remove_user_from_all_groups("chat", "alice");
    h_.settle();
    EXPECT_FALSE(n_.group_exists("chat", "h"));
}

TEST_P(RouterTest, RemoveGroupMembersKeepsTheExcluded) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < 5; ++i) {
        ids.push_back(h_.attach(place(i), "chat", std::nullopt));
        h_.join(ids.back(), "g");
    }
    n_.remove_group_members("chat", "g", exclusions{{ids[1]}, {}});
    h_.settle();
    n_.send_to_group("chat", "g", text("left?"));
    h_.settle();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(h_.frames(ids[i]), i == 1 ? 1u : 0u) << i;
    }
    n_.remove_group_members("chat", "g");
    h_.settle();
    EXPECT_FALSE(n_.group_exists("chat", "g"));
}

TEST_P(RouterTest, CloseConnectionSendsDisconnectedThenClosesOnce) {
    const std::string json = h_.attach(place(1), "chat", std::nullopt);
    const std::string simple = h_.attach(place(0), "chat", std::nullopt, subprotocol_kind::none);

    n_.close_connection("other", json, 1000, "wrong hub");
    h_.settle();
    EXPECT_TRUE(h_.sink(json).closes.empty());

    n_.close_connection("chat", json, 1008, "Kicked");
    n_.close_connection("chat", json, 1000, "twice");
    n_.close_connection("chat", simple, 1000, "bye");
    h_.settle();

    const auto& js = h_.sink(json);
    ASSERT_EQ(js.frames.size(), 1u);
    EXPECT_EQ(json_of(js.frames[0]),
              boost::json::parse(R"({"type":"system","event":"disconnected","message":"Kicked"})"));
    ASSERT_EQ(js.closes.size(), 1u);
    EXPECT_EQ(js.closes[0].code, 1008);
    EXPECT_EQ(js.closes[0].reason, "Kicked");
    EXPECT_EQ(js.closes[0].frames_before, 1u);

    EXPECT_TRUE(h_.sink(simple).frames.empty());
    ASSERT_EQ(h_.sink(simple).closes.size(), 1u);

    // Closed connections take no more messages, even before the transport detaches them.
    n_.send_to_all("chat", text("late"));
    h_.settle();
    EXPECT_EQ(js.frames.size(), 1u);
}

// Regression: a REST close answered 204 while the closed connection was still listed until its
// transport finished, so an existence check right after the answer could still find it. A close
// forgets the connection on its shard (groups, user, registry) and only then reports `applied`.
TEST_P(RouterTest, ACloseForgetsTheConnectionBeforeReportingItApplied) {
    const std::string kicked = h_.attach(place(1), "chat", "alice");
    const std::string grouped = h_.attach(place(0), "chat", "bob");
    const std::string kept = h_.attach(place(0), "chat", "carol");
    h_.join(kicked, "g");
    h_.join(grouped, "g2");
    h_.join(kept, "g2");

    std::atomic<int> applied{0};
    std::atomic<bool> gone_when_applied{false};
    n_.close_connection("chat", kicked, 1008, "Kicked", [&](router::reach reach) {
        gone_when_applied = !n_.connection_exists("chat", kicked) && !n_.user_exists("chat", "alice") &&
                            !n_.group_exists("chat", "g") && reach == router::reach::every_node;
        ++applied;
    });
    n_.close_group("chat", "g2", exclusions{{kept}, {}}, 1008, "group", [&](router::reach reach) {
        EXPECT_EQ(reach, router::reach::every_node) << "a single node is every node";
        ++applied;
    });
    h_.settle();
    EXPECT_EQ(applied.load(), 2);
    EXPECT_TRUE(gone_when_applied.load());
    EXPECT_FALSE(n_.connection_exists("chat", grouped));
    EXPECT_FALSE(n_.user_exists("chat", "bob"));
    EXPECT_TRUE(n_.connection_exists("chat", kept));
    EXPECT_TRUE(n_.group_exists("chat", "g2")) << "the excluded member is still in it";
    EXPECT_EQ(h_.sink(kicked).closes.size(), 1u);
    EXPECT_EQ(h_.sink(grouped).closes.size(), 1u);

    // Forgotten means forgotten: commands naming it find nothing, and it joins nothing.
    std::optional<router::add_result> found;
    n_.add_connection_to_group("chat", "g3", kicked, [&](router::add_result r) { found = r; });
    n_.add_to_groups("chat", {"g4"}, nullptr);
    h_.settle();
    EXPECT_EQ(found, std::optional<router::add_result>(router::add_result::no_connection));
    EXPECT_FALSE(n_.group_exists("chat", "g3"));
    std::vector<group_member> members;
    n_.list_group_members("chat", "g4", "", 100, [&](std::vector<group_member> m, router::reach reach) {
        EXPECT_EQ(reach, router::reach::every_node);
        members = std::move(m);
    });
    h_.settle();
    EXPECT_EQ(members, (std::vector<group_member>{{kept, "carol"}}));
}

TEST_P(RouterTest, CloseAllUserAndGroupHonourExclusions) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < 6; ++i) {
        ids.push_back(
            h_.attach(place(i), "chat", i < 3 ? std::optional<std::string>("alice") : std::nullopt));
    }
    const std::string elsewhere = h_.attach(place(1), "other", "alice");
    h_.join(ids[3], "g");
    h_.join(ids[4], "g");

    n_.close_user("chat", "alice", exclusions{{ids[0]}, {}}, 1000, "user");
    n_.close_group("chat", "g", exclusions{{ids[4]}, {}}, 1000, "group");
    h_.settle();
    auto closed = [&](const std::string& id) {
        return h_.sink(id).closes.size();
    };
    EXPECT_EQ(closed(ids[0]), 0u);
    EXPECT_EQ(closed(ids[1]), 1u);
    EXPECT_EQ(closed(ids[2]), 1u);
    EXPECT_EQ(closed(ids[3]), 1u);
    EXPECT_EQ(closed(ids[4]), 0u);
    EXPECT_EQ(closed(ids[5]), 0u);
    EXPECT_EQ(closed(elsewhere), 0u);
    EXPECT_EQ(h_.sink(ids[3]).closes[0].reason, "group");

    n_.close_all("chat", exclusions{{ids[5]}, {}}, 1001, "all");
    h_.settle();
    EXPECT_EQ(closed(ids[0]), 1u);
    EXPECT_EQ(closed(ids[1]), 1u); // already closing: not closed again
    EXPECT_EQ(closed(ids[4]), 1u);
    EXPECT_EQ(closed(ids[5]), 0u);
    EXPECT_EQ(closed(elsewhere), 0u);
    EXPECT_EQ(h_.sink(ids[0]).closes[0].code, 1001);
}

TEST_P(RouterTest, CloseEverythingClosesEveryHub) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < 4; ++i) {
        ids.push_back(h_.attach(place(i), i % 2 == 0 ? "chat" : "other", std::nullopt));
    }
    n_.close_everything(1001, "shutdown");
    h_.settle();
    for (const auto& id : ids) {
        ASSERT_EQ(h_.sink(id).closes.size(), 1u);
        EXPECT_EQ(h_.sink(id).closes[0].code, 1001);
    }
}

TEST_P(RouterTest, ExistenceFollowsAttachJoinAndDetach) {
    const std::string id = h_.attach(place(1), "chat", "alice");
    EXPECT_TRUE(n_.connection_exists("chat", id));
    EXPECT_FALSE(n_.connection_exists("other", id));
    EXPECT_TRUE(n_.user_exists("chat", "alice"));
    EXPECT_FALSE(n_.user_exists("other", "alice"));
    EXPECT_FALSE(n_.group_exists("chat", "g"));
    h_.join(id, "g");
    EXPECT_TRUE(n_.group_exists("chat", "g"));
    EXPECT_FALSE(n_.group_exists("other", "g"));
    h_.detach(id);
    EXPECT_FALSE(n_.connection_exists("chat", id));
    EXPECT_FALSE(n_.user_exists("chat", "alice"));
    EXPECT_FALSE(n_.group_exists("chat", "g"));
}

TEST_P(RouterTest, PermissionCommandsRunOnTheOwningShard) {
    const std::string id = h_.attach(place(1), "chat", std::nullopt);
    shard* const owner = &n_.shard_at(*n_.shard_of(id));
    using auth::permission_kind;

    using check_result = router::permission_check;
    std::vector<check_result> checks;
    std::vector<router::lookup> found;
    std::vector<shard*> ran_on;
    auto check = [&](permission_kind kind, std::optional<std::string> target) {
        n_.check_permission("chat", id, kind, std::move(target), [&](check_result allowed) {
            ran_on.push_back(router::current_shard());
            checks.push_back(allowed);
        });
    };
    auto record = [&](router::lookup f) {
        ran_on.push_back(router::current_shard());
        found.push_back(f);
    };

    check(permission_kind::send_to_group, "g");
    n_.grant_permission("chat", id, permission_kind::send_to_group, "g", record);
    check(permission_kind::send_to_group, "g");
    check(permission_kind::send_to_group, "h");
    check(permission_kind::join_leave_group, "g");
    n_.revoke_permission("chat", id, permission_kind::send_to_group, "g", record);
    check(permission_kind::send_to_group, "g");
    n_.grant_permission("chat", id, permission_kind::join_leave_group, std::nullopt, record);
    check(permission_kind::join_leave_group, std::nullopt);
    check(permission_kind::join_leave_group, "anything");
    h_.settle();

    EXPECT_EQ(found, std::vector<router::lookup>(3, router::lookup::found));
    const auto granted = check_result::granted;
    const auto denied = check_result::denied;
    EXPECT_EQ(checks, (std::vector<check_result>{denied, granted, denied, denied, denied, granted, granted}));
    for (shard* s : ran_on) {
        EXPECT_EQ(s, owner);
    }
}

TEST_P(RouterTest, PermissionCommandsReportUnknownConnections) {
    const std::string id = h_.attach(place(1), "chat", std::nullopt);
    const std::string gone = h_.attach(place(0), "chat", std::nullopt);
    h_.detach(gone);
    // Ids that name no shard are answered on the calling thread, the others on their shard's
    // worker: both write here, hence the lock.
    std::mutex m;
    std::vector<router::lookup> found;
    std::vector<router::permission_check> checks;
    auto record = [&](router::lookup f) {
        const std::lock_guard lock(m);
        found.push_back(f);
    };
    using auth::permission_kind;
    for (const auto& [hub, target] : std::vector<std::pair<std::string, std::string>>{
             {"other", id}, {"chat", gone}, {"chat", "not-an-id"}, {"chat", ""}}) {
        n_.grant_permission(hub, target, permission_kind::send_to_group, std::nullopt, record);
        n_.revoke_permission(hub, target, permission_kind::send_to_group, std::nullopt, record);
        n_.check_permission(hub, target, permission_kind::send_to_group, std::nullopt,
                            [&](router::permission_check c) {
                                const std::lock_guard lock(m);
                                checks.push_back(c);
                            });
    }
    h_.settle();
    EXPECT_EQ(found, std::vector<router::lookup>(8, router::lookup::not_found));
    EXPECT_EQ(checks, std::vector<router::permission_check>(4, router::permission_check::no_connection));
}

// Design section 3: a group send is posted only to shards holding members, never to all.
TEST_P(RouterTest, GroupAndUserSendsPostOnlyToShardsWithRecipients) {
    if (GetParam().shards < 2 || GetParam().mode == drive::inline_single) {
        GTEST_SKIP() << "needs several shards and a test thread that is no shard's worker";
    }
    std::vector<std::string> members;
    for (std::size_t i = 1; i < GetParam().shards; i += 2) {
        members.push_back(h_.attach(i, "chat", "alice"));
        members.push_back(h_.attach(i, "chat", "alice"));
        h_.join(members[members.size() - 2], "g");
        h_.join(members.back(), "g");
    }
    const std::string lonely = h_.attach(0, "chat", "bob");
    h_.settle();

    auto before = h_.accepted();
    n_.send_to_group("chat", "g", text("x"));
    n_.send_to_user("chat", "alice", text("y"));
    n_.send_to_group("chat", "empty", text("z"));
    n_.send_to_user("chat", "nobody", text("z"));
    auto after = h_.accepted();
    for (std::size_t i = 0; i < GetParam().shards; ++i) {
        EXPECT_EQ(after[i] - before[i], i % 2 == 1 ? 2u : 0u) << "shard " << i;
    }
    h_.settle();
    for (const auto& id : members) {
        EXPECT_EQ(h_.frames(id), 2u);
    }
    EXPECT_EQ(h_.frames(lonely), 0u);
}

TEST_P(RouterTest, IdsAreUniqueSafeAndNameTheirShard) {
    std::set<std::string> seen;
    for (std::size_t s = 0; s < GetParam().shards; ++s) {
        for (int i = 0; i < 300; ++i) {
            const std::string id = n_.new_connection_id(s);
            EXPECT_TRUE(seen.insert(id).second) << id;
            EXPECT_EQ(
                id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                std::string::npos)
                << id;
            EXPECT_EQ(n_.shard_of(id), s) << id;
        }
    }
}

TEST(NodeIds, AnotherNodesIdsAreNotOurs) {
    router a(4);
    router b(4);
    const std::string id = a.new_connection_id(2);
    EXPECT_EQ(a.shard_of(id), 2u);
    EXPECT_EQ(b.shard_of(id), std::nullopt); // different random prefix
    EXPECT_EQ(a.shard_of(""), std::nullopt);
    EXPECT_EQ(a.shard_of(id.substr(1)), std::nullopt);
    EXPECT_EQ(a.shard_of(id + "x"), std::nullopt);
    // Our prefix, but a shard index this node does not have.
    const std::string beyond =
        id.substr(0, 8) + util::base64url_encode(std::string("\x00\x07", 2)) + id.substr(11);
    EXPECT_EQ(a.shard_of(beyond), std::nullopt);
    const std::string garbage = id.substr(0, 8) + "!!!" + id.substr(11);
    EXPECT_EQ(a.shard_of(garbage), std::nullopt);
}

TEST(NodeIds, ConcurrentDrawsNeverRepeat) {
    router n(2);
    std::vector<std::vector<std::string>> drawn(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < drawn.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                drawn[t].push_back(n.new_connection_id(t % 2));
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::set<std::string> all;
    for (const auto& ids : drawn) {
        all.insert(ids.begin(), ids.end());
    }
    EXPECT_EQ(all.size(), 8000u);
}

TEST(NodeConstruction, RejectsImpossibleShardCounts) {
    EXPECT_THROW(router(0), std::invalid_argument);
    EXPECT_THROW(router(65537), std::invalid_argument);
    EXPECT_THROW(router(1).new_connection_id(1), std::out_of_range);
}

TEST(NodeRunOn, InlineOnTheCurrentShardQueuedElsewhere) {
    router n(2);
    n.shard_at(0).bind_to_current_thread();
    int here = 0;
    int there = 0;
    EXPECT_TRUE(n.run_on(0, [&](shard& s) { here += s.index() == 0 ? 1 : 100; }));
    EXPECT_EQ(here, 1);
    EXPECT_EQ(n.shard_at(0).inbox().accepted(), 0u);
    EXPECT_TRUE(n.run_on(1, [&](shard& s) { there += s.index() == 1 ? 1 : 100; }));
    EXPECT_EQ(there, 0);
    EXPECT_EQ(n.shard_at(1).inbox().drain(), 1u);
    EXPECT_EQ(there, 1);
    shard::unbind_current_thread();
}

// The shard a send starts on delivers to its own connections at once, without a round trip
// through its own mailbox; only the other shards get a task.
TEST(NodeRunOn, SendsDeliverInlineOnTheCurrentShard) {
    router n(2);
    recording_sink here_sink;
    recording_sink there_sink;
    n.shard_at(1).attach(
        connection_info{n.new_connection_id(1), "chat", std::nullopt, subprotocol_kind::json}, {},
        there_sink);
    n.shard_at(0).bind_to_current_thread();
    n.shard_at(0).attach(
        connection_info{n.new_connection_id(0), "chat", std::nullopt, subprotocol_kind::json}, {}, here_sink);
    n.send_to_all("chat", text("now"));
    EXPECT_EQ(here_sink.frames.size(), 1u);
    EXPECT_EQ(n.shard_at(0).inbox().accepted(), 0u);
    EXPECT_TRUE(there_sink.frames.empty());
    EXPECT_EQ(n.shard_at(1).inbox().accepted(), 1u);
    EXPECT_EQ(n.shard_at(1).inbox().drain(), 1u);
    EXPECT_EQ(there_sink.frames.size(), 1u);
    shard::unbind_current_thread();
}

// A shard whose budget is full of fan-outs still takes commands: a grant, a close or a membership
// change is never lost (the REST caller was told it happened), and it answers "found".
TEST(NodeRunOn, AFullMailboxStillTakesEveryCommand) {
    node_harness h(drive::manual, 2, 64 * 1024);
    const std::string id = h.attach(1, "chat", std::nullopt);
    h.join(id, "g");
    router& n = h.n();
    mailbox& box = n.shard_at(1).inbox();
    const std::string payload(16 * 1024, 'x');
    while (box.dropped() == 0) {
        n.send_to_group("chat", "g", text(payload));
    }
    std::optional<router::lookup> answered;
    n.grant_permission("chat", id, auth::permission_kind::send_to_group, std::nullopt,
                       [&](router::lookup found) { answered = found; });
    bool applied = false;
    n.remove_connection_from_group("chat", "g", id, [&](router::reach) { applied = true; });
    n.close_connection("chat", id, 1000, "bye");
    EXPECT_FALSE(answered.has_value());
    EXPECT_FALSE(applied);
    h.settle();
    EXPECT_EQ(answered, router::lookup::found);
    EXPECT_TRUE(applied);
    EXPECT_EQ(h.sink(id).closes.size(), 1u);
}

// Issue 14, defect 5: the mailbox was bounded by count (2^20 tasks), so a shard that fell behind a
// fast publisher on another shard kept every queued message alive (gigabytes of 1 KiB sends).
// The bound is in bytes: 128 sends of 1 MiB to a shard that does not drain meanwhile do not all
// fit in its budget; those refused are counted, and each accepted one is delivered once.
TEST(NodeRunOn, AFanOutBacklogIsBoundedInBytesAndEveryDropIsCounted) {
    constexpr std::size_t sends = 128;
    node_harness h(drive::manual, 2);
    const std::string member = h.attach(1, "chat", std::nullopt);
    h.join(member, "g");
    router& n = h.n();
    mailbox& box = n.shard_at(1).inbox();
    const std::size_t accepted_before = box.accepted();
    const std::string payload(std::size_t{1} << 20, 'x');
    for (std::size_t i = 0; i < sends; ++i) {
        n.send_to_group("chat", "g", text(payload));
    }
    const std::size_t queued = box.accepted() - accepted_before;
    EXPECT_GT(box.dropped(), 0u) << "a 128 MiB backlog was queued whole";
    EXPECT_EQ(queued + box.dropped(), sends);
    EXPECT_LE(box.peak_queued_bytes(), mailbox::default_max_bytes);
    // Every send weighs the same and nothing drained meanwhile: the peak is `queued` of them.
    EXPECT_EQ(box.dropped_bytes(), box.dropped() * (box.peak_queued_bytes() / queued));
    EXPECT_EQ(n.mailbox_stats().dropped_tasks, box.dropped());
    h.settle();
    EXPECT_EQ(h.frames(member), queued);
    EXPECT_EQ(box.queued_bytes(), 0u);
}

// Every shard publishes to one group with members on every shard, all at once: each member gets
// every message exactly once, and each publisher's messages in the order it sent them.
TEST(NodeCrossShard, ConcurrentPublishersDeliverEachMessageOnceAndInOrder) {
    constexpr std::size_t shards = 4;
    constexpr int per_publisher = 200;
    node_harness h(drive::threaded, shards);
    router& n = h.n();
    std::vector<std::string> members;
    for (std::size_t i = 0; i < shards * 3; ++i) {
        members.push_back(h.attach(i % shards, "chat", std::nullopt));
        h.join(members.back(), "g");
    }
    for (std::size_t s = 0; s < shards; ++s) {
        ASSERT_TRUE(n.run_on(s, [&n, s](shard&) {
            for (int i = 0; i < per_publisher; ++i) {
                n.send_to_group("chat", "g", text(std::to_string(s) + ":" + std::to_string(i)));
            }
        }));
    }
    h.settle();
    for (const auto& id : members) {
        const auto& frames = h.sink(id).frames;
        ASSERT_EQ(frames.size(), shards * per_publisher) << id;
        std::vector<int> next(shards, 0);
        for (const auto& frame : frames) {
            const auto data = std::string(json_of(frame).as_object().at("data").as_string());
            const auto colon = data.find(':');
            const auto publisher = std::stoul(data.substr(0, colon));
            EXPECT_EQ(std::stoi(data.substr(colon + 1)), next.at(publisher)++) << id;
        }
    }
}

} // namespace
} // namespace hubcast::core

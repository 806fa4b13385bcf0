// The router's commands over the whole cluster: each public command is a cluster_command, run on
// this node's shards (router.cpp, the local_* forms) and, with a backplane, on the other nodes that
// may hold its connections; the answers are combined here. docs/scale-out.md, "Commands across
// nodes".
#include <algorithm>
#include <iterator>
#include <mutex>
#include <utility>

#include "core/router.hpp"

namespace hubcast::core {
namespace {

router::reach reach_of(bool complete) {
    return complete ? router::reach::every_node : router::reach::not_every_node;
}

/// Every node's answer to an applied-or-not command, for an applied_callback.
command_answers to_applied(router::applied_callback applied) {
    return [applied = std::move(applied)](std::vector<command_answer> answers, bool complete) {
        // A node that could not carry the command out (its filter did not parse there) has not
        // applied it: the answer cannot say "everywhere".
        const bool all_applied = std::none_of(answers.begin(), answers.end(), [](const command_answer& a) {
            return a.value == command_not_carried_out;
        });
        if (applied) {
            applied(reach_of(complete && all_applied));
        }
    };
}

command_answers to_joins_applied(router::joins_applied_callback applied) {
    return [applied = std::move(applied)](const std::vector<command_answer>& answers, bool complete) {
        std::size_t refused = 0;
        bool all_applied = true;
        for (const auto& answer : answers) {
            if (answer.value == command_not_carried_out) {
                all_applied = false;
            } else if (answer.value > 0) {
                refused += static_cast<std::size_t>(answer.value);
            }
        }
        if (applied) {
            applied(refused, reach_of(complete && all_applied));
        }
    };
}

/// The owner's answer to a command for one connection: its value, or `absent` when no node
/// answered because none has the connection.
std::int64_t owner_value(const std::vector<command_answer>& answers, std::int64_t absent) {
    return answers.empty() ? absent : answers.front().value;
}

/// Whether the holding node answered a session command (take_session, release_session) with the
/// session: granted, and carrying it.
bool granted(const std::vector<command_answer>& answers, bool complete) {
    return complete && !answers.empty() && answers.front().value == 1 && answers.front().session.has_value();
}

cluster_command for_connection(command_kind kind, std::string_view hub, std::string_view connection_id) {
    cluster_command command;
    command.kind = kind;
    command.hub = std::string(hub);
    command.connection_id = std::string(connection_id);
    return command;
}

cluster_command for_hub(command_kind kind, std::string_view hub) {
    cluster_command command;
    command.kind = kind;
    command.hub = std::string(hub);
    return command;
}

} // namespace

void router::settle_then(std::function<void()> done) {
    if (backplane_ == nullptr) {
        done();
        return;
    }
    backplane_->settle(std::move(done));
}

void router::when_visible(std::size_t index, std::function<void(shard&)> task) {
    settle_then([this, index, task = std::move(task)]() mutable { run_on(index, std::move(task)); });
}

void router::on_every_node(const cluster_command& command, command_answers done) {
    if (backplane_ == nullptr) {
        run_command(command, [done = std::move(done)](command_answer answer) {
            std::vector<command_answer> answers;
            answers.push_back(std::move(answer));
            done(std::move(answers), true);
        });
        return;
    }
    // This node's part and the other nodes' arrive on different threads; the second completes.
    struct gather {
        std::mutex mutex;
        std::vector<command_answer> answers; // guarded by mutex
        bool complete = true;                // guarded by mutex
        int parts_left = 2;                  // guarded by mutex
        command_answers done;
        void arrive(std::vector<command_answer> part, bool part_complete) {
            std::unique_lock lock(mutex);
            std::move(part.begin(), part.end(), std::back_inserter(answers));
            complete = complete && part_complete;
            if (--parts_left != 0) {
                return;
            }
            lock.unlock();
            done(std::move(answers), complete);
        }
    };
    auto state = std::make_shared<gather>();
    state->done = std::move(done);
    backplane_->command_others(command, [state](std::vector<command_answer> answers, bool complete) {
        state->arrive(std::move(answers), complete);
    });
    run_command(command, [this, state](command_answer answer) {
        settle_then([state, answer = std::move(answer)]() mutable {
            std::vector<command_answer> part;
            part.push_back(std::move(answer));
            state->arrive(std::move(part), true);
        });
    });
}

void router::on_owner(cluster_command command, command_answers done) {
    if (shard_of(command.connection_id)) {
        run_command(command, [this, done = std::move(done)](command_answer answer) {
            settle_then([done, answer = std::move(answer)]() mutable {
                std::vector<command_answer> answers;
                answers.push_back(std::move(answer));
                done(std::move(answers), true);
            });
        });
        return;
    }
    const auto owner = node_key_of(command.connection_id);
    if (backplane_ == nullptr || !owner || *owner == id_prefix_) {
        done({}, true); // no node this one can reach has made such an id
        return;
    }
    const std::string owner_key(*owner);
    backplane_->command_node(owner_key, std::move(command), std::move(done));
}

void router::run_command(const cluster_command& command, const std::function<void(command_answer)>& done) {
    const auto index = addressed_to_owner(command.kind) && command.kind != command_kind::session_moved &&
                               backplane_ != nullptr
                           ? shard_of(command.connection_id)
                           : std::nullopt;
    if (!index) {
        run_here(command, done);
        return;
    }
    // Asked on the session's own shard, where it is handed over: a command that finds it gone
    // and moved goes on to its new node, whose answer is this node's (docs/architecture.md).
    run_on(*index, [this, command, done](shard& s) {
        if (s.find(command.connection_id) == nullptr) {
            if (auto to = moved_to(command.connection_id)) {
                backplane_->command_node(*to, command, [done](std::vector<command_answer> answers, bool) {
                    done(answers.empty() ? command_answer{} : std::move(answers.front()));
                });
                return;
            }
        }
        run_here(command, done);
    });
}

void router::run_here(const cluster_command& command, const std::function<void(command_answer)>& done) {
    const auto value = [done](std::int64_t v) {
        done(command_answer{v, {}, std::nullopt});
    };
    const auto applied = [done] {
        done(command_answer{});
    };
    const auto found = [value](bool was_found) {
        value(was_found ? 1 : 0);
    };
    const auto& c = command;
    switch (c.kind) {
    case command_kind::add_connection_to_group:
        local_add_connection_to_group(c.hub, c.group, c.connection_id, [value](add_result result) {
            value(static_cast<std::int64_t>(result));
        });
        return;
    case command_kind::remove_connection_from_group:
        local_remove_connection_from_group(c.hub, c.group, c.connection_id, applied);
        return;
    case command_kind::remove_connection_from_all_groups:
        local_remove_connection_from_all_groups(c.hub, c.connection_id, applied);
        return;
    case command_kind::close_connection:
        local_close_connection(c.hub, c.connection_id, c.code, c.reason, applied);
        return;
    case command_kind::grant_permission:
        local_grant_permission(c.hub, c.connection_id, c.permission, c.permission_target, found);
        return;
    case command_kind::revoke_permission:
        local_revoke_permission(c.hub, c.connection_id, c.permission, c.permission_target, found);
        return;
    case command_kind::check_permission:
        local_check_permission(c.hub, c.connection_id, c.permission, c.permission_target,
                               [value](std::optional<bool> has) { value(has ? (*has ? 1 : 0) : -1); });
        return;
    case command_kind::take_session:
    case command_kind::release_session:
        if (!with_connection(c.hub, c.connection_id, [this, c, done](shard& s, connection* session) {
                if (c.kind == command_kind::take_session) {
                    take_session(s, session, c, done);
                } else {
                    release_session(s, session, c, done);
                }
            })) {
            value(0);
        }
        return;
    case command_kind::session_moved:
        if (c.node.empty() || c.node == id_prefix_) {
            forget_moved(c.connection_id);
        } else {
            note_moved(c.connection_id, c.node);
        }
        value(1);
        return;
    case command_kind::add_user_to_group:
        local_add_user_to_group(c.hub, c.group, c.user_id,
                                [value](std::size_t refused) { value(static_cast<std::int64_t>(refused)); });
        return;
    case command_kind::remove_user_from_group:
        local_remove_user_from_group(c.hub, c.group, c.user_id, applied);
        return;
    case command_kind::remove_user_from_all_groups:
        local_remove_user_from_all_groups(c.hub, c.user_id, applied);
        return;
    case command_kind::add_to_groups:
    case command_kind::remove_from_groups: {
        filter_ptr filter;
        if (!c.filter.empty()) {
            auto parsed = connection_filter::parse(c.filter);
            if (!parsed) {
                value(command_not_carried_out);
                return;
            }
            filter = std::move(parsed).value();
        }
        const bool join = c.kind == command_kind::add_to_groups;
        change_groups(c.hub, c.groups, std::move(filter), join,
                      [value](std::size_t refused) { value(static_cast<std::int64_t>(refused)); });
        return;
    }
    case command_kind::close_all:
        local_close_all(c.hub, exclusions{c.excluded, {}}, c.code, c.reason, applied);
        return;
    case command_kind::close_user:
        local_close_user(c.hub, c.user_id, exclusions{c.excluded, {}}, c.code, c.reason, applied);
        return;
    case command_kind::close_group:
        local_close_group(c.hub, c.group, exclusions{c.excluded, {}}, c.code, c.reason, applied);
        return;
    case command_kind::list_group_members:
        local_list_group_members(c.hub, c.group, c.after, static_cast<std::size_t>(c.limit),
                                 [done](std::vector<group_member> members) {
                                     done(command_answer{0, std::move(members), std::nullopt});
                                 });
        return;
    }
    value(command_not_carried_out); // a kind this build does not know: decoding refuses those
}

void router::take_session(shard& s, connection* session, const cluster_command& command,
                          const std::function<void(command_answer)>& done) {
    const auto now = std::chrono::steady_clock::now();
    // A session is given only to the client that was given its token, in the subprotocol it
    // began with, and to one taker at a time.
    if (session == nullptr || !session->is_reliable() || session->kind() != command.subprotocol ||
        session->recovery_digest().empty() || session->recovery_digest() != command.recovery_digest ||
        session->handing_over(now) || command.node.empty()) {
        done(command_answer{});
        return;
    }
    session->begin_handover(now + handover_window);
    done(command_answer{1, {}, s.describe(*session, false)});
}

void router::release_session(shard& s, connection* session, const cluster_command& command,
                             const std::function<void(command_answer)>& done) {
    if (session == nullptr || !session->handing_over(std::chrono::steady_clock::now()) ||
        session->recovery_digest() != command.recovery_digest || command.node.empty()) {
        done(command_answer{});
        return;
    }
    const bool made_here = session->id().starts_with(id_prefix_);
    session_snapshot moved = s.hand_over(*session);
    note_moved(moved.info.id, command.node);
    if (!made_here) {
        // The node that made the id passes the session's sends on: it must know where it went.
        report_session(moved.info.id, command.node);
    }
    done(command_answer{1, {}, std::move(moved)});
}

void router::take_over_session(std::string_view hub, std::string_view connection_id,
                               protocol::subprotocol_kind kind, std::string recovery_digest,
                               std::size_t shard_index,
                               std::function<void(connection*, std::optional<std::string>)> done) {
    const auto refuse = [this,
                         shard_index](std::function<void(connection*, std::optional<std::string>)> told) {
        run_on(shard_index, [told = std::move(told)](shard&) { told(nullptr, std::nullopt); });
    };
    // A session made elsewhere is asked of the node that made it (which passes the question on if
    // the session moved); a session made here that moved away is asked of the node it moved to.
    const auto made_by = node_key_of(connection_id);
    const auto holder = !made_by                 ? std::nullopt
                        : *made_by == id_prefix_ ? moved_to(connection_id)
                                                 : std::optional<std::string>(*made_by);
    if (backplane_ == nullptr || !holder || recovery_digest.empty()) {
        refuse(std::move(done));
        return;
    }
    cluster_command ask = for_connection(command_kind::take_session, hub, connection_id);
    ask.node = id_prefix_;
    ask.recovery_digest = std::move(recovery_digest);
    ask.subprotocol = kind;
    const std::string& owner_key = *holder;
    // Step one: the holding node grants the session and says who it is. It is registered here at
    // once, so that what is sent to it from now on reaches this node too (it keeps that).
    backplane_->command_node(
        owner_key, ask,
        [this, owner_key, ask, shard_index, refuse,
         done = std::move(done)](std::vector<command_answer> answers, bool complete) mutable {
            if (!granted(answers, complete)) {
                refuse(std::move(done));
                return;
            }
            run_on(shard_index, [this, owner_key, ask = std::move(ask), shard_index, done = std::move(done),
                                 announced = std::move(*answers.front().session)](shard& s) mutable {
                if (s.arrive(announced, std::chrono::steady_clock::now()) == nullptr) {
                    done(nullptr, std::nullopt);
                    return;
                }
                // Step two once this node's subscriptions for it are in force in Redis: whatever
                // the holding node has not processed when it lets go then reaches this node.
                settle_then(
                    [this, owner_key, ask = std::move(ask), shard_index, done = std::move(done)]() mutable {
                        settle_session(owner_key, std::move(ask), shard_index, std::move(done));
                    });
            });
        });
}

void router::settle_session(const std::string& owner, cluster_command ask, std::size_t shard_index,
                            std::function<void(connection*, std::optional<std::string>)> done) {
    ask.kind = command_kind::release_session;
    const std::string id = ask.connection_id;
    backplane_->command_node(
        owner, std::move(ask),
        [this, id, shard_index, done = std::move(done)](std::vector<command_answer> answers,
                                                        bool complete) mutable {
            run_on(shard_index,
                   [id, answers = std::move(answers), complete, done = std::move(done)](shard& s) mutable {
                       connection* c = s.find(id);
                       if (c == nullptr || !c->arriving()) {
                           done(nullptr, std::nullopt); // ended meanwhile (closed, or its window passed)
                           return;
                       }
                       if (!granted(answers, complete)) {
                           s.detach(id);
                           done(nullptr, std::nullopt);
                           return;
                       }
                       session_snapshot& moved = *answers.front().session;
                       if (!s.settle_arrival(*c, moved)) {
                           done(nullptr, std::nullopt);
                           return;
                       }
                       done(c, std::move(moved.connection_state));
                   });
        });
}

void router::remove_connection_from_group(std::string_view hub, std::string_view group,
                                          std::string_view connection_id, applied_callback applied) {
    auto command = for_connection(command_kind::remove_connection_from_group, hub, connection_id);
    command.group = std::string(group);
    on_owner(std::move(command), to_applied(std::move(applied)));
}

void router::remove_connection_from_all_groups(std::string_view hub, std::string_view connection_id,
                                               applied_callback applied) {
    on_owner(for_connection(command_kind::remove_connection_from_all_groups, hub, connection_id),
             to_applied(std::move(applied)));
}

void router::add_connection_to_group(std::string_view hub, std::string_view group,
                                     std::string_view connection_id, std::function<void(add_result)> done) {
    auto command = for_connection(command_kind::add_connection_to_group, hub, connection_id);
    command.group = std::string(group);
    on_owner(std::move(command), [done = std::move(done)](const std::vector<command_answer>& answers,
                                                          bool complete) {
        if (!done) {
            return;
        }
        if (!complete) {
            done(add_result::unreachable);
            return;
        }
        const auto value = owner_value(answers, static_cast<std::int64_t>(add_result::no_connection));
        const bool known = value >= 0 && value <= static_cast<std::int64_t>(add_result::group_limit);
        done(known ? static_cast<add_result>(value) : add_result::unreachable);
    });
}

void router::add_user_to_group(std::string_view hub, std::string_view group, std::string_view user_id,
                               joins_applied_callback applied) {
    auto command = for_hub(command_kind::add_user_to_group, hub);
    command.group = std::string(group);
    command.user_id = std::string(user_id);
    on_every_node(command, to_joins_applied(std::move(applied)));
}

void router::remove_user_from_group(std::string_view hub, std::string_view group, std::string_view user_id,
                                    applied_callback applied) {
    auto command = for_hub(command_kind::remove_user_from_group, hub);
    command.group = std::string(group);
    command.user_id = std::string(user_id);
    on_every_node(command, to_applied(std::move(applied)));
}

void router::remove_user_from_all_groups(std::string_view hub, std::string_view user_id,
                                         applied_callback applied) {
    auto command = for_hub(command_kind::remove_user_from_all_groups, hub);
    command.user_id = std::string(user_id);
    on_every_node(command, to_applied(std::move(applied)));
}

void router::add_to_groups(std::string_view hub, std::vector<std::string> groups, const filter_ptr& filter,
                           joins_applied_callback applied) {
    auto command = for_hub(command_kind::add_to_groups, hub);
    command.groups = std::move(groups);
    command.filter = filter != nullptr ? filter->source() : std::string();
    on_every_node(command, to_joins_applied(std::move(applied)));
}

void router::remove_from_groups(std::string_view hub, std::vector<std::string> groups,
                                const filter_ptr& filter, applied_callback applied) {
    auto command = for_hub(command_kind::remove_from_groups, hub);
    command.groups = std::move(groups);
    command.filter = filter != nullptr ? filter->source() : std::string();
    on_every_node(command, to_applied(std::move(applied)));
}

void router::list_group_members(std::string_view hub, std::string_view group, std::string after,
                                std::size_t limit,
                                std::function<void(std::vector<group_member>, reach)> done) {
    auto command = for_hub(command_kind::list_group_members, hub);
    command.group = std::string(group);
    command.after = std::move(after);
    command.limit = limit;
    on_every_node(
        command, [limit, done = std::move(done)](std::vector<command_answer> answers, bool complete) {
            // Each node sent its first `limit` members after the cursor: the page is the first `limit`
            // of them all.
            std::vector<group_member> members;
            for (auto& answer : answers) {
                std::move(answer.members.begin(), answer.members.end(), std::back_inserter(members));
            }
            std::sort(members.begin(), members.end(), [](const group_member& a, const group_member& b) {
                return a.connection_id < b.connection_id;
            });
            if (members.size() > limit) {
                members.resize(limit);
            }
            done(std::move(members), reach_of(complete));
        });
}

void router::close_connection(std::string_view hub, std::string_view connection_id, std::uint16_t code,
                              std::string reason, applied_callback applied) {
    auto command = for_connection(command_kind::close_connection, hub, connection_id);
    command.code = code;
    command.reason = std::move(reason);
    on_owner(std::move(command), to_applied(std::move(applied)));
}

namespace {

cluster_command close_command(command_kind kind, std::string_view hub, exclusions skip, std::uint16_t code,
                              std::string reason) {
    auto command = for_hub(kind, hub);
    command.excluded = std::move(skip.connection_ids);
    command.code = code;
    command.reason = std::move(reason);
    return command;
}

} // namespace

void router::close_all(std::string_view hub, exclusions skip, std::uint16_t code, std::string reason,
                       applied_callback applied) {
    on_every_node(close_command(command_kind::close_all, hub, std::move(skip), code, std::move(reason)),
                  to_applied(std::move(applied)));
}

void router::close_user(std::string_view hub, std::string_view user_id, exclusions skip, std::uint16_t code,
                        std::string reason, applied_callback applied) {
    auto command = close_command(command_kind::close_user, hub, std::move(skip), code, std::move(reason));
    command.user_id = std::string(user_id);
    on_every_node(command, to_applied(std::move(applied)));
}

void router::close_group(std::string_view hub, std::string_view group, exclusions skip, std::uint16_t code,
                         std::string reason, applied_callback applied) {
    auto command = close_command(command_kind::close_group, hub, std::move(skip), code, std::move(reason));
    command.group = std::string(group);
    on_every_node(command, to_applied(std::move(applied)));
}

namespace {

cluster_command permission_command(command_kind kind, std::string_view hub, std::string_view connection_id,
                                   auth::permission_kind permission, std::optional<std::string> target) {
    auto command = for_connection(kind, hub, connection_id);
    command.permission = permission;
    command.permission_target = std::move(target);
    return command;
}

command_answers to_lookup(std::function<void(router::lookup)> done) {
    return [done = std::move(done)](const std::vector<command_answer>& answers, bool complete) {
        if (!complete) {
            done(router::lookup::unreachable);
            return;
        }
        done(owner_value(answers, 0) == 1 ? router::lookup::found : router::lookup::not_found);
    };
}

} // namespace

void router::grant_permission(std::string_view hub, std::string_view connection_id,
                              auth::permission_kind kind, std::optional<std::string> target,
                              std::function<void(lookup)> done) {
    on_owner(permission_command(command_kind::grant_permission, hub, connection_id, kind, std::move(target)),
             to_lookup(std::move(done)));
}

void router::revoke_permission(std::string_view hub, std::string_view connection_id,
                               auth::permission_kind kind, std::optional<std::string> target,
                               std::function<void(lookup)> done) {
    on_owner(permission_command(command_kind::revoke_permission, hub, connection_id, kind, std::move(target)),
             to_lookup(std::move(done)));
}

void router::check_permission(std::string_view hub, std::string_view connection_id,
                              auth::permission_kind kind, std::optional<std::string> target,
                              std::function<void(permission_check)> done) {
    on_owner(permission_command(command_kind::check_permission, hub, connection_id, kind, std::move(target)),
             [done = std::move(done)](const std::vector<command_answer>& answers, bool complete) {
                 if (!complete) {
                     done(permission_check::unreachable);
                     return;
                 }
                 switch (owner_value(answers, -1)) {
                 case 1:
                     done(permission_check::granted);
                     return;
                 case 0:
                     done(permission_check::denied);
                     return;
                 default:
                     done(permission_check::no_connection);
                     return;
                 }
             });
}

} // namespace hubcast::core

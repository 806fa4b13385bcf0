#include "core/router.hpp"

#include <algorithm>
#include <iterator>
#include <mutex>
#include <random>
#include <stdexcept>
#include <utility>

#include "util/base64.hpp"

namespace hubcast::core {
namespace {

// Connection id layout (all base64url, fixed widths so fields need no separator):
//   [0, 8)   6 random bytes per node: ids of another node or process never match ours
//   [8, 11)  shard index, 2 bytes big-endian
//   [11, 22) per-shard counter, 8 bytes big-endian
constexpr std::size_t prefix_length = 8;
constexpr std::size_t shard_field_length = 3;
constexpr std::size_t id_length = 22;
constexpr std::size_t max_shards = 1u << 16;

std::string big_endian(std::uint64_t value, std::size_t bytes) {
    std::string out(bytes, '\0');
    for (std::size_t i = bytes; i-- > 0; value >>= 8) {
        out[i] = static_cast<char>(value & 0xFF);
    }
    return out;
}

std::string random_prefix() {
    std::random_device source;
    std::string bytes(6, '\0');
    for (char& b : bytes) {
        b = static_cast<char>(source() & 0xFF);
    }
    return util::base64url_encode(bytes);
}

/// A stream (send_origin) is 34 bits of its node's key, then 14 bits of lane (backplane::lane_of),
/// then 16 of thread (thread_number): 34 random bits keep any two live nodes' streams apart.
constexpr int thread_bits = 16;
constexpr int lane_bits = 14;
static_assert(backplane::max_lanes == 1U << lane_bits);

std::uint64_t stream_base_of(std::string_view node_key) {
    const auto bytes = util::base64url_decode(node_key);
    std::uint64_t base = 0;
    for (const char b : bytes.value_or(std::string{})) {
        base = (base << 8) | static_cast<unsigned char>(b);
    }
    constexpr int key_bits = 64 - lane_bits - thread_bits;
    return (base & ((std::uint64_t{1} << key_bits) - 1)) << (lane_bits + thread_bits);
}

// What a send carries to each shard: built once, shared by every shard's task, so posting to a
// shard copies one pointer whatever the size of the exclusions or names.
struct fanout {
    std::string hub;
    std::string target; // group or user id; unused for send_to_all
    exclusions skip;
    prepared_message_ptr message;
    filter_ptr filter;
    send_deadline deadline = no_deadline;
    send_origin origin; // none on a single node

    /// What a shard's task keeps alive: the message and this record (the filter is small).
    std::size_t bytes() const { return message->footprint() + hub.size() + target.size() + skip.bytes(); }
};

using fanout_ptr = std::shared_ptr<const fanout>;

/// The job owns the message and the exclusions, so a shard may hold them to the end of its turn.
delivery_options delivery_of(const fanout_ptr& job) {
    return delivery_options{job->filter.get(), job->deadline, job->origin, job};
}

void deliver_to_group(shard& s, const fanout_ptr& job) {
    s.deliver_to_group(job->hub, job->target, *job->message, job->skip, delivery_of(job));
}

void deliver_to_user(shard& s, const fanout_ptr& job) {
    s.deliver_to_user(job->hub, job->target, *job->message, job->skip, delivery_of(job));
}

void deliver_to_all(shard& s, const fanout_ptr& job) {
    s.deliver_to_all(job->hub, *job->message, job->skip, delivery_of(job));
}

void publish(backplane& other_nodes, send_scope scope, const fanout& job) {
    other_nodes.publish(outgoing_send{.scope = scope,
                                      .hub = job.hub,
                                      .target = job.target,
                                      .message = *job.message,
                                      .skip = job.skip,
                                      .filter = job.filter.get(),
                                      .deadline = job.deadline,
                                      .origin = job.origin});
}

/// The calling thread's number among every thread that ever sent on this process, from 1: the
/// low 16 bits of its stream (send_origin). Past 65,535 threads numbers repeat, which only a
/// process that made that many threads and sends from each could notice.
std::uint64_t thread_number() {
    static std::atomic<std::uint64_t> threads{0};
    thread_local const std::uint64_t number = (threads.fetch_add(1, std::memory_order_relaxed) % 0xFFFF) + 1;
    return number;
}

} // namespace

router::router(std::size_t shard_count, std::size_t mailbox_max_bytes, reliable_options reliable)
    : registry_(shard_count), reliable_(reliable), id_prefix_(random_prefix()),
      stream_base_(stream_base_of(id_prefix_)),
      id_counters_(std::make_unique<std::atomic<std::uint64_t>[]>(shard_count)) {
    if (shard_count == 0 || shard_count > max_shards) {
        throw std::invalid_argument("hubcast: shard count must be between 1 and 65536");
    }
    shards_.reserve(shard_count);
    for (std::size_t i = 0; i < shard_count; ++i) {
        shards_.push_back(std::make_unique<shard>(*this, i, mailbox_max_bytes));
    }
}

shard* router::current_shard() noexcept {
    return shard::bound();
}

std::string router::new_connection_id(std::size_t shard_index) {
    if (shard_index >= shards_.size()) {
        throw std::out_of_range("hubcast: no such shard");
    }
    const std::uint64_t serial = id_counters_[shard_index].fetch_add(1, std::memory_order_relaxed);
    std::string id = id_prefix_;
    id += util::base64url_encode(big_endian(shard_index, 2));
    id += util::base64url_encode(big_endian(serial, 8));
    return id;
}

std::optional<std::size_t> router::shard_of(std::string_view connection_id) const {
    if (connection_id.size() != id_length) {
        return std::nullopt;
    }
    if (connection_id.substr(0, prefix_length) != id_prefix_) {
        if (adopted_count_.load(std::memory_order_acquire) == 0) {
            return std::nullopt;
        }
        const std::lock_guard lock(adopted_mutex_);
        const auto it = adopted_.find(connection_id);
        return it == adopted_.end() ? std::nullopt : std::optional<std::size_t>(it->second);
    }
    const auto field = util::base64url_decode(connection_id.substr(prefix_length, shard_field_length));
    if (!field || field->size() != 2) {
        return std::nullopt;
    }
    const std::size_t index = (static_cast<std::size_t>(static_cast<unsigned char>((*field)[0])) << 8) |
                              static_cast<unsigned char>((*field)[1]);
    if (index >= shards_.size()) {
        return std::nullopt;
    }
    return index;
}

void router::note_adopted(std::string_view connection_id, std::size_t shard_index) {
    const std::lock_guard lock(adopted_mutex_);
    adopted_.insert_or_assign(std::string(connection_id), shard_index);
    adopted_count_.store(adopted_.size(), std::memory_order_release);
}

void router::forget_adopted(std::string_view connection_id, bool ended) {
    {
        const std::lock_guard lock(adopted_mutex_);
        if (const auto it = adopted_.find(connection_id); it != adopted_.end()) {
            adopted_.erase(it);
        }
        adopted_count_.store(adopted_.size(), std::memory_order_release);
    }
    if (ended) {
        report_session(connection_id, {});
    }
}

void router::report_session(std::string_view connection_id, std::string node) {
    const auto origin = node_key_of(connection_id);
    if (backplane_ == nullptr || !origin) {
        return;
    }
    cluster_command report;
    report.kind = command_kind::session_moved;
    report.connection_id = std::string(connection_id);
    report.node = std::move(node);
    // Nothing waits for the answer: a node that is gone passes nothing on any more.
    backplane_->command_node(*origin, std::move(report), [](const std::vector<command_answer>&, bool) {});
}

std::optional<std::string> router::moved_to(std::string_view connection_id) const {
    if (moved_count_.load(std::memory_order_acquire) == 0) {
        return std::nullopt;
    }
    const std::lock_guard lock(moved_mutex_);
    const auto it = moved_.find(connection_id);
    return it == moved_.end() ? std::nullopt : std::optional<std::string>(it->second);
}

void router::note_moved(std::string_view connection_id, std::string node) {
    const std::lock_guard lock(moved_mutex_);
    moved_.insert_or_assign(std::string(connection_id), std::move(node));
    moved_count_.store(moved_.size(), std::memory_order_release);
}

void router::forget_moved(std::string_view connection_id) {
    const std::lock_guard lock(moved_mutex_);
    if (const auto it = moved_.find(connection_id); it != moved_.end()) {
        moved_.erase(it);
    }
    moved_count_.store(moved_.size(), std::memory_order_release);
}

void router::pass_on_moved(std::string_view hub, std::string_view connection_id,
                           const prepared_message& message, send_deadline deadline, send_origin origin) {
    const auto to = moved_to(connection_id);
    if (!to || backplane_ == nullptr) {
        return;
    }
    const exclusions nobody;
    backplane_->publish(outgoing_send{.scope = send_scope::connection,
                                      .hub = hub,
                                      .target = connection_id,
                                      .message = message,
                                      .skip = nobody,
                                      .deadline = deadline,
                                      .origin = origin,
                                      .to_node = *to});
}

std::optional<std::string_view> router::node_key_of(std::string_view connection_id) {
    if (connection_id.size() != id_length ||
        !util::base64url_decode(connection_id.substr(0, prefix_length))) {
        return std::nullopt;
    }
    return connection_id.substr(0, prefix_length);
}

bool router::run_on(std::size_t index, std::function<void(shard&)> task) {
    shard& target = *shards_.at(index);
    if (current_shard() == &target) {
        task(target);
        return true;
    }
    target.inbox().post([&target, task = std::move(task)] { task(target); });
    return true;
}

bool router::offer_to(std::size_t index, std::function<void(shard&)> task, std::size_t bytes) {
    shard& target = *shards_.at(index);
    if (current_shard() == &target) {
        task(target);
        return true;
    }
    return target.inbox().offer([&target, task = std::move(task)] { task(target); }, bytes);
}

bool router::post_to_others(const std::vector<std::size_t>& targets, const std::function<void(shard&)>& task,
                            std::size_t bytes) {
    shard* here = current_shard();
    bool local = false;
    for (const std::size_t index : targets) {
        shard& target = *shards_.at(index);
        if (&target == here) {
            local = true;
            continue;
        }
        // Refused when the shard's budget is full: counted there (mailbox::dropped()), and its
        // recipients miss this message, as delivery is at most once.
        static_cast<void>(target.inbox().offer([&target, task] { task(target); }, bytes));
    }
    return local;
}

send_origin router::next_origin(std::uint16_t lane) const {
    // One counter per lane this thread sent on: a Redis Cluster has a lane per master, so a handful.
    thread_local std::vector<std::uint64_t> positions;
    lane = std::min<std::uint16_t>(lane, backplane::max_lanes - 1);
    if (positions.size() <= lane) {
        positions.resize(lane + 1U, 0);
    }
    return send_origin{.stream = stream_base_ | (std::uint64_t{lane} << thread_bits) | thread_number(),
                       .position = ++positions[lane]};
}

void router::run_on_each(const std::vector<std::size_t>& targets, const std::function<void(shard&)>& task) {
    shard* here = current_shard();
    bool local = false;
    for (const std::size_t index : targets) {
        shard& target = *shards_.at(index);
        if (&target == here) {
            local = true;
            continue;
        }
        target.inbox().post([&target, task] { task(target); });
    }
    if (local) {
        task(*here);
    }
}

void router::run_on_each(const std::vector<std::size_t>& targets, const std::function<void(shard&)>& task,
                         done_callback applied) {
    if (!applied) {
        run_on_each(targets, task);
        return;
    }
    if (targets.empty()) {
        applied();
        return;
    }
    struct countdown {
        std::atomic<std::size_t> left;
        done_callback applied;
        void arrive() {
            if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                applied();
            }
        }
    };
    auto pending = std::make_shared<countdown>();
    pending->left.store(targets.size(), std::memory_order_relaxed);
    pending->applied = std::move(applied);
    shard* here = current_shard();
    bool local = false;
    for (const std::size_t index : targets) {
        shard& target = *shards_.at(index);
        if (&target == here) {
            local = true;
            continue;
        }
        target.inbox().post([&target, task, pending] {
            task(target);
            pending->arrive();
        });
    }
    if (local) {
        task(*here);
        pending->arrive();
    }
}

mailbox_totals router::mailbox_stats() const {
    mailbox_totals totals;
    for (const auto& s : shards_) {
        const mailbox& box = s->inbox();
        totals.dropped_tasks += box.dropped();
        totals.dropped_bytes += box.dropped_bytes();
        totals.queued_bytes += box.queued_bytes();
        totals.peak_queued_bytes = std::max(totals.peak_queued_bytes, box.peak_queued_bytes());
    }
    return totals;
}

std::vector<std::size_t> router::all_shards() const {
    std::vector<std::size_t> indexes(shards_.size());
    for (std::size_t i = 0; i < indexes.size(); ++i) {
        indexes[i] = i;
    }
    return indexes;
}

bool router::with_connection(std::string_view hub, std::string_view connection_id,
                             std::function<void(shard&, connection*)> task) {
    const auto owner = shard_of(connection_id);
    if (!owner) {
        return false;
    }
    return run_on(
        *owner, [hub = std::string(hub), id = std::string(connection_id), task = std::move(task)](shard& s) {
            // A closing connection has been forgotten (shard::close): commands find nothing.
            connection* c = s.find(id);
            task(s, c != nullptr && c->hub() == hub && !c->closing() ? c : nullptr);
        });
}

void router::with_connection_then(std::string_view hub, std::string_view connection_id,
                                  std::function<void(shard&, connection*)> task, done_callback applied) {
    if (!applied) {
        with_connection(hub, connection_id, std::move(task));
        return;
    }
    auto reply = std::make_shared<done_callback>(std::move(applied));
    const bool posted =
        with_connection(hub, connection_id, [task = std::move(task), reply](shard& s, connection* c) {
            task(s, c);
            (*reply)();
        });
    if (!posted) {
        (*reply)();
    }
}

template <typename Answer>
void router::ask_connection(std::string_view hub, std::string_view connection_id,
                            std::function<Answer(shard&, connection*)> question, Answer when_not_posted,
                            std::function<void(Answer)> done) {
    // Shared so that the caller still holds `done` when the task could not be posted.
    auto reply = std::make_shared<std::function<void(Answer)>>(std::move(done));
    const bool posted =
        with_connection(hub, connection_id, [question = std::move(question), reply](shard& s, connection* c) {
            (*reply)(question(s, c));
        });
    if (!posted) {
        (*reply)(std::move(when_not_posted));
    }
}

void router::send_to_all(std::string_view hub, protocol::message_data data, exclusions skip) {
    send_to_all(hub, std::move(data), send_options{std::move(skip), nullptr, no_deadline});
}

template <typename MakeJob, typename RunOnShard>
void router::fan_out_send(backplane* publish_to, send_scope scope, const std::vector<std::size_t>& targets,
                          MakeJob make_job, RunOnShard run) {
    // The registry lists the shards with members now; a shard that gains its first member after
    // this lookup did so after the send started, and Azure gives such a joiner no guarantee either.
    // With no target and no other node, nothing is built.
    if (targets.empty() && publish_to == nullptr) {
        return;
    }
    fanout built = make_job();
    if (publish_to != nullptr) {
        built.origin = next_origin(publish_to->lane_of(scope, built.hub, built.target));
    }
    auto job = std::make_shared<const fanout>(std::move(built));
    const std::size_t bytes = job->bytes();
    const auto task = [job, run](shard& s) {
        s.note_processed(job->origin);
        if (!s.drop_if_expired(job->deadline)) {
            run(s, job);
        }
    };
    // Other shards get the send before other nodes do, and this thread's own shard last: a shard
    // then never processes a send of this thread's stream that another node could have missed
    // (docs/architecture.md, "Reliable sessions across nodes").
    const bool here = post_to_others(targets, task, bytes);
    if (publish_to != nullptr) {
        publish(*publish_to, scope, *job);
    }
    if (here) {
        task(*current_shard());
    }
}

void router::send_to_all(std::string_view hub, protocol::message_data data, send_options options) {
    fan_out_send(
        backplane_, send_scope::hub, all_shards(),
        [&] {
            return fanout{std::string(hub),          {},
                          std::move(options.skip),   prepared_message::for_server(std::move(data)),
                          std::move(options.filter), options.deadline};
        },
        deliver_to_all);
}

void router::send_to_user(std::string_view hub, std::string_view user_id, protocol::message_data data,
                          exclusions skip) {
    send_to_user(hub, user_id, std::move(data), send_options{std::move(skip), nullptr, no_deadline});
}

void router::send_to_user(std::string_view hub, std::string_view user_id, protocol::message_data data,
                          send_options options) {
    fan_out_send(
        backplane_, send_scope::user, registry_.shards_with_user(hub, user_id),
        [&] {
            return fanout{std::string(hub),          std::string(user_id),
                          std::move(options.skip),   prepared_message::for_server(std::move(data)),
                          std::move(options.filter), options.deadline};
        },
        deliver_to_user);
}

void router::send_to_connection(std::string_view hub, std::string_view connection_id,
                                protocol::message_data data) {
    send_to_connection(hub, connection_id, std::move(data), no_deadline);
}

void router::send_to_connection(std::string_view hub, std::string_view connection_id,
                                protocol::message_data data, send_deadline deadline) {
    const send_origin origin =
        backplane_ != nullptr ? next_origin(backplane_->lane_of(send_scope::connection, hub, connection_id))
                              : send_origin{};
    if (shard_of(connection_id)) {
        deliver_to_connection(hub, connection_id, prepared_message::for_server(std::move(data)), deadline,
                              origin);
        return;
    }
    const auto owner = node_key_of(connection_id);
    if (backplane_ == nullptr || !owner || *owner == id_prefix_) {
        return; // no such connection anywhere this node can reach
    }
    const auto message = prepared_message::for_server(std::move(data));
    const exclusions nobody;
    backplane_->publish(outgoing_send{.scope = send_scope::connection,
                                      .hub = hub,
                                      .target = connection_id,
                                      .message = *message,
                                      .skip = nobody,
                                      .deadline = deadline,
                                      .origin = origin});
}

void router::deliver_to_connection(std::string_view hub, std::string_view connection_id,
                                   prepared_message_ptr message, send_deadline deadline, send_origin origin) {
    const auto owner = shard_of(connection_id);
    if (!owner) {
        return;
    }
    const std::size_t bytes = message->footprint() + hub.size() + connection_id.size();
    // Refused when the owner's budget is full: counted there, and the message is not delivered.
    static_cast<void>(offer_to(
        *owner,
        [this, hub = std::string(hub), id = std::string(connection_id), message = std::move(message),
         deadline, origin](shard& s) {
            s.note_processed(origin);
            connection* c = s.find(id);
            if (c == nullptr) {
                pass_on_moved(hub, id, *message, deadline, origin);
            } else if (c->hub() == hub && !s.drop_if_expired(deadline)) {
                c->deliver(*message, deadline, origin);
            }
        },
        bytes));
}

void router::send_to_group(std::string_view hub, std::string_view group, protocol::message_data data,
                           exclusions skip, std::optional<std::string> from_user_id, send_deadline deadline) {
    fan_out_send(
        backplane_, send_scope::group, registry_.shards_with_group(hub, group),
        [&] {
            return fanout{
                std::string(hub),
                std::string(group),
                std::move(skip),
                prepared_message::for_group(std::string(group), std::move(from_user_id), std::move(data)),
                nullptr,
                deadline};
        },
        deliver_to_group);
}

void router::send_to_group(std::string_view hub, std::string_view group, protocol::message_data data,
                           send_options options) {
    fan_out_send(
        backplane_, send_scope::group, registry_.shards_with_group(hub, group),
        [&] {
            return fanout{std::string(hub),
                          std::string(group),
                          std::move(options.skip),
                          prepared_message::for_group(std::string(group), std::nullopt, std::move(data)),
                          std::move(options.filter),
                          options.deadline};
        },
        deliver_to_group);
}

bool router::deliver_from_node(incoming_send send) {
    filter_ptr filter;
    if (!send.filter.empty()) {
        auto parsed = connection_filter::parse(send.filter);
        if (!parsed) {
            return false;
        }
        filter = std::move(parsed).value();
    }
    const send_deadline deadline =
        send.time_to_live ? std::chrono::steady_clock::now() + *send.time_to_live : no_deadline;
    exclusions skip{std::move(send.excluded), std::move(send.no_echo_connection)};
    const auto job = [&](prepared_message_ptr message) {
        return [&, message = std::move(message)]() mutable {
            return fanout{std::move(send.hub), std::move(send.target), std::move(skip),
                          std::move(message),  std::move(filter),      deadline,
                          send.origin};
        };
    };
    switch (send.scope) {
    case send_scope::hub:
        fan_out_send(nullptr, send.scope, all_shards(),
                     job(prepared_message::for_server(std::move(send.data))), deliver_to_all);
        break;
    case send_scope::group: {
        auto targets = registry_.shards_with_group(send.hub, send.target);
        auto message =
            prepared_message::for_group(send.target, std::move(send.from_user_id), std::move(send.data));
        fan_out_send(nullptr, send.scope, targets, job(std::move(message)), deliver_to_group);
        break;
    }
    case send_scope::user: {
        auto targets = registry_.shards_with_user(send.hub, send.target);
        fan_out_send(nullptr, send.scope, targets, job(prepared_message::for_server(std::move(send.data))),
                     deliver_to_user);
        break;
    }
    case send_scope::connection:
        deliver_to_connection(send.hub, send.target, prepared_message::for_server(std::move(send.data)),
                              deadline, send.origin);
        break;
    }
    return true;
}

void router::local_remove_connection_from_group(std::string_view hub, std::string_view group,
                                                std::string_view connection_id, done_callback applied) {
    with_connection_then(
        hub, connection_id,
        [group = std::string(group)](shard& s, connection* c) {
            if (c != nullptr) {
                s.leave(*c, group);
            }
        },
        std::move(applied));
}

void router::local_remove_connection_from_all_groups(std::string_view hub, std::string_view connection_id,
                                                     done_callback applied) {
    with_connection_then(
        hub, connection_id,
        [](shard& s, connection* c) {
            if (c != nullptr) {
                s.leave_all(*c);
            }
        },
        std::move(applied));
}

namespace {

/// Counts, across the shards of one membership change, the joins the group limit refused, and
/// hands the count to `applied` once every shard has run.
struct refused_joins {
    std::shared_ptr<std::atomic<std::size_t>> count = std::make_shared<std::atomic<std::size_t>>(0);

    void add_if_refused(join_result result) const {
        if (result == join_result::group_limit) {
            count->fetch_add(1, std::memory_order_relaxed);
        }
    }
    std::function<void()> then(std::function<void(std::size_t)> applied) const {
        if (!applied) {
            return {};
        }
        // The last shard's task happens-before this callback (run_on_each's completion count), so a
        // relaxed read sees every shard's additions.
        return [count = count, applied = std::move(applied)] {
            applied(count->load(std::memory_order_relaxed));
        };
    }
};

} // namespace

void router::local_add_user_to_group(std::string_view hub, std::string_view group, std::string_view user_id,
                                     joins_done applied) {
    const refused_joins refused;
    run_on_each(
        registry_.shards_with_user(hub, user_id),
        [hub = std::string(hub), group = std::string(group), user = std::string(user_id), refused](shard& s) {
            for (connection* c : s.connections_of_user(hub, user)) {
                refused.add_if_refused(s.try_join(*c, group));
            }
        },
        refused.then(std::move(applied)));
}

void router::local_remove_user_from_group(std::string_view hub, std::string_view group,
                                          std::string_view user_id, done_callback applied) {
    run_on_each(
        registry_.shards_with_user(hub, user_id),
        [hub = std::string(hub), group = std::string(group), user = std::string(user_id)](shard& s) {
            for (connection* c : s.connections_of_user(hub, user)) {
                s.leave(*c, group);
            }
        },
        std::move(applied));
}

void router::local_remove_user_from_all_groups(std::string_view hub, std::string_view user_id,
                                               done_callback applied) {
    run_on_each(
        registry_.shards_with_user(hub, user_id),
        [hub = std::string(hub), user = std::string(user_id)](shard& s) {
            for (connection* c : s.connections_of_user(hub, user)) {
                s.leave_all(*c);
            }
        },
        std::move(applied));
}

void router::remove_group_members(std::string_view hub, std::string_view group, exclusions skip) {
    run_on_each(registry_.shards_with_group(hub, group),
                [hub = std::string(hub), group = std::string(group), skip = std::move(skip)](shard& s) {
                    for (connection* c : s.connections_of_group(hub, group)) {
                        if (!skip.contains(c->id())) {
                            s.leave(*c, group);
                        }
                    }
                });
}

void router::change_groups(std::string_view hub, std::vector<std::string> groups, filter_ptr filter,
                           bool join, joins_done applied) {
    const refused_joins refused;
    run_on_each(
        all_shards(),
        [hub = std::string(hub), groups = std::move(groups), filter = std::move(filter), join,
         refused](shard& s) {
            for (connection* c : s.connections_of_hub(hub)) {
                // Evaluated before any group changes, so `'a' in groups` sees the connection as the
                // request found it.
                if (filter != nullptr &&
                    !filter->matches(filter_subject{c->id(), &c->user_id(), &c->groups()})) {
                    continue;
                }
                for (const auto& group : groups) {
                    if (join) {
                        refused.add_if_refused(s.try_join(*c, group));
                    } else {
                        s.leave(*c, group);
                    }
                }
            }
        },
        refused.then(std::move(applied)));
}

void router::local_add_connection_to_group(std::string_view hub, std::string_view group,
                                           std::string_view connection_id,
                                           std::function<void(add_result)> done) {
    ask_connection<add_result>(
        hub, connection_id,
        [group = std::string(group)](shard& s, connection* c) {
            if (c == nullptr) {
                return add_result::no_connection;
            }
            switch (s.try_join(*c, group)) {
            case join_result::group_limit:
                return add_result::group_limit;
            case join_result::closing:
                return add_result::no_connection; // already forgotten
            case join_result::joined:
            case join_result::already_member:
                break;
            }
            return add_result::added;
        },
        add_result::no_connection, std::move(done));
}

void router::local_list_group_members(std::string_view hub, std::string_view group, std::string after,
                                      std::size_t limit,
                                      std::function<void(std::vector<group_member>)> done) {
    const auto targets = registry_.shards_with_group(hub, group);
    if (targets.empty() || limit == 0) {
        done({});
        return;
    }
    // Shared by every shard's task; the last answer merges and replies.
    struct gather {
        std::string hub;
        std::string group;
        std::string after;
        std::size_t limit;
        std::function<void(std::vector<group_member>)> done;
        std::mutex mutex;
        std::vector<group_member> members; // guarded by mutex
        std::size_t waiting;               // guarded by mutex
    };
    auto state = std::make_shared<gather>();
    state->hub = std::string(hub);
    state->group = std::string(group);
    state->after = std::move(after);
    state->limit = limit;
    state->done = std::move(done);
    state->waiting = targets.size();
    const auto answer = [state](std::vector<group_member> part) {
        std::unique_lock lock(state->mutex);
        std::move(part.begin(), part.end(), std::back_inserter(state->members));
        if (--state->waiting != 0) {
            return;
        }
        lock.unlock();
        auto& members = state->members;
        const auto by_id = [](const group_member& a, const group_member& b) {
            return a.connection_id < b.connection_id;
        };
        std::sort(members.begin(), members.end(), by_id);
        if (members.size() > state->limit) {
            members.resize(state->limit);
        }
        state->done(std::move(members));
    };
    for (const std::size_t index : targets) {
        run_on(index, [state, answer](shard& s) {
            answer(s.group_members_after(state->hub, state->group, state->after, state->limit));
        });
    }
}

void router::local_close_connection(std::string_view hub, std::string_view connection_id, std::uint16_t code,
                                    std::string reason, done_callback applied) {
    with_connection_then(
        hub, connection_id,
        [code, reason = std::move(reason)](shard& s, connection* c) {
            if (c != nullptr) {
                s.close(*c, code, reason);
            }
        },
        std::move(applied));
}

void router::close_where(const std::vector<std::size_t>& targets,
                         std::function<std::vector<connection*>(shard&)> members, exclusions skip,
                         std::uint16_t code, std::string reason, done_callback applied) {
    run_on_each(
        targets,
        [members = std::move(members), skip = std::move(skip), code, reason = std::move(reason)](shard& s) {
            for (connection* c : members(s)) {
                if (!skip.contains(c->id())) {
                    s.close(*c, code, reason);
                }
            }
        },
        std::move(applied));
}

void router::local_close_all(std::string_view hub, exclusions skip, std::uint16_t code, std::string reason,
                             done_callback applied) {
    close_where(
        all_shards(), [hub = std::string(hub)](shard& s) { return s.connections_of_hub(hub); },
        std::move(skip), code, std::move(reason), std::move(applied));
}

void router::local_close_user(std::string_view hub, std::string_view user_id, exclusions skip,
                              std::uint16_t code, std::string reason, done_callback applied) {
    close_where(
        registry_.shards_with_user(hub, user_id),
        [hub = std::string(hub), user = std::string(user_id)](shard& s) {
            return s.connections_of_user(hub, user);
        },
        std::move(skip), code, std::move(reason), std::move(applied));
}

void router::local_close_group(std::string_view hub, std::string_view group, exclusions skip,
                               std::uint16_t code, std::string reason, done_callback applied) {
    close_where(
        registry_.shards_with_group(hub, group),
        [hub = std::string(hub), group = std::string(group)](shard& s) {
            return s.connections_of_group(hub, group);
        },
        std::move(skip), code, std::move(reason), std::move(applied));
}

void router::close_everything(std::uint16_t code, std::string reason) {
    run_on_each(all_shards(), [code, reason = std::move(reason)](shard& s) {
        for (connection* c : s.all_connections()) {
            s.close(*c, code, reason);
        }
    });
}

bool router::connection_exists(std::string_view hub, std::string_view connection_id) const {
    return registry_.connection_exists(hub, connection_id);
}

bool router::user_exists(std::string_view hub, std::string_view user_id) const {
    return registry_.user_exists(hub, user_id);
}

bool router::group_exists(std::string_view hub, std::string_view group) const {
    return registry_.group_exists(hub, group);
}

void router::ask_exists(presence_kind kind, std::string_view hub, std::string_view name,
                        presence_answer done) const {
    bool here = false;
    switch (kind) {
    case presence_kind::connection:
        here = registry_.connection_exists(hub, name);
        break;
    case presence_kind::user:
        here = registry_.user_exists(hub, name);
        break;
    case presence_kind::group:
        here = registry_.group_exists(hub, name);
        break;
    }
    if (here || backplane_ == nullptr) {
        done(here);
        return;
    }
    if (kind == presence_kind::connection) {
        // Only the node that made an id can hold it, unless its session moved: this node's own
        // ids that stayed here, and strings that are no connection id at all, are answered here.
        const auto owner = node_key_of(name);
        if (!owner || (*owner == id_prefix_ && !moved_to(name))) {
            done(false);
            return;
        }
    }
    backplane_->ask_exists(kind, hub, name, std::move(done));
}

void router::local_grant_permission(std::string_view hub, std::string_view connection_id,
                                    auth::permission_kind kind, std::optional<std::string> target,
                                    std::function<void(bool found)> done) {
    ask_connection<bool>(
        hub, connection_id,
        [kind, target = std::move(target)](shard&, connection* c) {
            if (c != nullptr) {
                // A grant past permission_set's literal limit changes nothing, as the emulator skips
                // entries past its limits; `done` reports only whether the connection exists.
                static_cast<void>(c->permissions().grant(kind, target));
            }
            return c != nullptr;
        },
        false, std::move(done));
}

void router::local_revoke_permission(std::string_view hub, std::string_view connection_id,
                                     auth::permission_kind kind, std::optional<std::string> target,
                                     std::function<void(bool found)> done) {
    ask_connection<bool>(
        hub, connection_id,
        [kind, target = std::move(target)](shard&, connection* c) {
            if (c != nullptr) {
                c->permissions().revoke(kind, target);
            }
            return c != nullptr;
        },
        false, std::move(done));
}

void router::local_check_permission(std::string_view hub, std::string_view connection_id,
                                    auth::permission_kind kind, std::optional<std::string> target,
                                    std::function<void(std::optional<bool>)> done) {
    ask_connection<std::optional<bool>>(
        hub, connection_id,
        [kind, target = std::move(target)](shard&, connection* c) {
            return c == nullptr ? std::nullopt : std::optional<bool>(c->permissions().check(kind, target));
        },
        std::nullopt, std::move(done));
}

} // namespace hubcast::core

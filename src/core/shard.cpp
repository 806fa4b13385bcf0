#include "core/shard.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "core/router.hpp"
#include "protocol/sequence_head.hpp"

namespace hubcast::core {

bool exclusions::contains(std::string_view id) const {
    if (!no_echo_connection.empty() && id == no_echo_connection) {
        return true;
    }
    return std::find(connection_ids.begin(), connection_ids.end(), id) != connection_ids.end();
}

std::size_t exclusions::bytes() const noexcept {
    std::size_t total = no_echo_connection.size();
    for (const auto& id : connection_ids) {
        total += id.size();
    }
    return total;
}

bool shard::member_list::insert(connection& c) {
    if (!slots_.try_emplace(&c, members_.size()).second) {
        return false;
    }
    members_.push_back(member{&c, protocol::family_of(c.kind()), c.is_reliable()});
    return true;
}

bool shard::member_list::erase(connection& c) {
    const auto slot = slots_.find(&c);
    if (slot == slots_.end()) {
        return false;
    }
    const std::size_t hole = slot->second;
    if (hole + 1 != members_.size()) {
        members_[hole] = members_.back();
        slots_.find(members_[hole].conn)->second = hole;
    }
    members_.pop_back();
    slots_.erase(slot);
    // Give back the memory of a list that was large once (a hub or group most of whose members
    // left); the copy is paid for by the erases since it was last full.
    if (members_.capacity() > 64 && members_.size() < members_.capacity() / 4) {
        members_.shrink_to_fit();
    }
    return true;
}

shard::shard(router& owner, std::size_t index, std::size_t mailbox_max_bytes)
    : owner_(owner), index_(index), inbox_(mailbox_max_bytes) {}

shard::~shard() {
    // A destroyed shard must not stay current on this thread: a later shard at the same address
    // would otherwise be taken for it and run other threads' work inline.
    if (bound() == this) {
        bound() = nullptr;
    }
    if (holding() == this) {
        holding() = nullptr; // its members are gone: what it held is dropped with it
    }
}

void shard::bind_to_current_thread() {
    bound() = this;
}

void shard::unbind_current_thread() noexcept {
    bound() = nullptr;
}

shard*& shard::bound() noexcept {
    thread_local shard* current = nullptr;
    return current;
}

shard*& shard::holding() noexcept {
    thread_local shard* with_held_sends = nullptr;
    return with_held_sends;
}

connection& shard::attach(connection_info info, auth::permission_set permissions, connection_sink& sink) {
    assert(!walking_ && "connection_sink must not re-enter the shard");
    deliver_held_sends();
    auto owned = std::make_unique<connection>(std::move(info), std::move(permissions), sink,
                                              owner_.reliable().limits, &owner_.reliable_stats());
    connection& c = *owned;
    if (!connections_.try_emplace(c.id(), std::move(owned)).second) {
        throw std::logic_error("hubcast: connection id attached twice: " + c.id());
    }
    auto h = hubs_.find(c.hub());
    if (h == hubs_.end()) {
        h = hubs_.emplace(c.hub(), hub_members{}).first;
    }
    h->second.all.insert(c);
    if (c.user_id()) {
        h->second.users[*c.user_id()].insert(c);
    }
    owner_.index().add_connection(c.hub(), c.id(), c.user_id(), index_);
    return c;
}

void shard::detach(std::string_view connection_id) {
    assert(!walking_ && "connection_sink must not re-enter the shard");
    deliver_held_sends();
    const auto it = connections_.find(connection_id);
    if (it == connections_.end()) {
        return;
    }
    connection& c = *it->second;
    parked_.erase(&c);
    leave_all(c);
    const auto h = hubs_.find(c.hub());
    if (h != hubs_.end()) {
        h->second.all.erase(c);
        if (c.user_id()) {
            const auto u = h->second.users.find(*c.user_id());
            if (u != h->second.users.end()) {
                u->second.erase(c);
                if (u->second.empty()) {
                    h->second.users.erase(u);
                }
            }
        }
        if (h->second.all.empty()) {
            hubs_.erase(h);
        }
    }
    owner_.index().remove_connection(c.hub(), c.id(), c.user_id(), index_);
    if (!c.id().starts_with(owner_.node_key())) {
        owner_.forget_adopted(c.id(), !handing_over_); // a session taken over from another node (arrive())
    }
    connections_.erase(it);
}

void shard::close(connection& c, std::uint16_t code, std::string_view reason) {
    assert(!walking_ && "connection_sink must not re-enter the shard");
    assert(find(c.id()) == &c && "close runs on the connection's own shard");
    deliver_held_sends();
    // Forgotten before the transport is told: a REST close answers once this has run, and the
    // caller's next existence check must not find the connection.
    leave_all(c);
    owner_.index().remove_connection(c.hub(), c.id(), c.user_id(), index_);
    c.close(code, reason);
}

void shard::park(connection& c, std::chrono::steady_clock::time_point now) {
    assert(!walking_ && "connection_sink must not re-enter the shard");
    assert(find(c.id()) == &c && "park runs on the connection's own shard");
    deliver_held_sends();
    c.park(now + owner_.reliable().recovery_window);
    parked_.insert(&c);
}

void shard::resume(connection& c, connection_sink& sink) {
    assert(!walking_ && "connection_sink must not re-enter the shard");
    assert(find(c.id()) == &c && "resume runs on the connection's own shard");
    deliver_held_sends();
    parked_.erase(&c);
    c.resume(sink);
}

std::size_t shard::expire_parked(std::chrono::steady_clock::time_point now) {
    assert(!walking_ && "connection_sink must not re-enter the shard");
    deliver_held_sends();
    std::vector<std::string> due;
    for (const connection* c : parked_) {
        if (c->parked_until() && *c->parked_until() <= now) {
            due.push_back(c->id());
        }
    }
    for (const std::string& id : due) {
        const connection* c = find(id);
        if (c != nullptr && !c->closing()) {
            owner_.reliable_stats().expired.fetch_add(1, std::memory_order_relaxed);
        }
        detach(id);
    }
    return due.size();
}

session_snapshot shard::describe(const connection& c, bool whole) const {
    deliver_held_sends();
    session_snapshot out{.info = c.info_,
                         .groups = {c.groups_.begin(), c.groups_.end()},
                         .permissions = c.permissions_.to_parts(),
                         .remembered_ack_ids = c.acks_.remembered(),
                         .next_sequence_id = c.unacked_.next_sequence_id(),
                         .unacked = {},
                         .processed = {},
                         .recovery_digest = c.recovery_digest(),
                         .connection_state = std::nullopt};
    std::sort(out.groups.begin(), out.groups.end());
    if (whole) {
        for (const auto& entry : c.unacked_.unacked()) {
            out.unacked.push_back({entry.sequence_id, c.unacked_.body_of(entry), entry.deadline});
        }
        out.processed = watermarks_;
        if (c.events_) {
            out.connection_state = c.events_->connection_state();
        }
    }
    return out;
}

session_snapshot shard::hand_over(connection& c) {
    assert(!walking_ && "connection_sink must not re-enter the shard");
    assert(find(c.id()) == &c && "hand_over runs on the connection's own shard");
    deliver_held_sends();
    session_snapshot moved = describe(c, true);
    // The session lives on elsewhere: its event handler hears no `disconnected` from here (a
    // channel destroyed without closed() sends nothing), and its half-open transport, if any, is
    // dropped without a word.
    c.events_.reset();
    if (c.sink_ != nullptr) {
        c.sink_->abandon();
        c.sink_ = nullptr;
    }
    handing_over_ = true;
    detach(moved.info.id);
    handing_over_ = false;
    return moved;
}

namespace {

/// Where an arriving session is attached before it has a client here; it is parked at once, so
/// nothing is ever written to it.
class no_client_sink final : public connection_sink {
public:
    send_result send(const util::shared_bytes&, send_deadline) override { return send_result::dropped; }
    void close(std::uint16_t, std::string_view) override {}
    send_result send_sequenced(protocol::frame_family, std::uint64_t, const util::shared_bytes&,
                               send_deadline) override {
        return send_result::dropped;
    }
};

connection_sink& no_client() {
    static no_client_sink sink;
    return sink;
}

/// Whether `moved`'s unacknowledged messages are numbered as a session numbers them (consecutive,
/// ending just before its next id) and fit this node's `limits`: what another node sent must not
/// be trusted to.
bool fits(const session_snapshot& moved, protocol::frame_family family, const reliable_limits& limits) {
    // Ids start at 1, so the oldest unacknowledged one is at least 1.
    if (moved.unacked.size() > limits.max_messages || moved.next_sequence_id <= moved.unacked.size()) {
        return false;
    }
    std::uint64_t expected = moved.next_sequence_id - moved.unacked.size();
    std::size_t bytes = 0;
    for (const auto& message : moved.unacked) {
        if (message.sequence_id != expected++ || !message.body) {
            return false;
        }
        bytes += protocol::sequence_head::size_of(family, message.sequence_id, message.body->size()) +
                 message.body->size();
    }
    return bytes <= limits.max_bytes;
}

} // namespace

connection* shard::arrive(const session_snapshot& announced, std::chrono::steady_clock::time_point now) {
    assert(!walking_ && "connection_sink must not re-enter the shard");
    deliver_held_sends();
    auto permissions = auth::permission_set::from_parts(announced.permissions);
    if (!protocol::is_reliable(announced.info.kind) || !permissions ||
        !router::node_key_of(announced.info.id) || find(announced.info.id) != nullptr) {
        return nullptr;
    }
    // No client yet: bound to a sink that takes nothing until resume() binds the real one.
    connection& c = attach(announced.info, std::move(*permissions), no_client());
    park(c, now);
    if (!c.id().starts_with(owner_.node_key())) {
        owner_.note_adopted(c.id(), index_); // a session made here that comes back is found by its id
    }
    c.arrival_ = std::make_unique<std::vector<connection::collected>>();
    for (const std::string& group : announced.groups) {
        try_join(c, group);
    }
    return &c;
}

bool shard::settle_arrival(connection& c, const session_snapshot& moved) {
    assert(!walking_ && "connection_sink must not re-enter the shard");
    assert(find(c.id()) == &c && c.arriving() && "settle_arrival runs once, on the session's own shard");
    deliver_held_sends();
    if (c.closing()) {
        c.arrival_.reset(); // closed while it arrived (overflowed, or closed by a command)
        return true;
    }
    auto permissions = auth::permission_set::from_parts(moved.permissions);
    if (moved.info.id != c.id() || moved.info.kind != c.kind() || !permissions ||
        !fits(moved, protocol::family_of(c.kind()), owner_.reliable().limits)) {
        c.arrival_.reset();
        detach(c.id());
        return false;
    }
    const auto collected = std::move(c.arrival_);
    c.permissions_ = std::move(*permissions);
    c.set_recovery_digest(moved.recovery_digest);
    for (const std::uint64_t id : moved.remembered_ack_ids) {
        c.acks_.remember(id);
    }
    adopt_groups(c, moved.groups);
    c.unacked_.start_at(moved.next_sequence_id - moved.unacked.size());
    for (const auto& message : moved.unacked) {
        c.keep(message.body, message.deadline); // fits() checked this node's bounds
    }
    for (const auto& message : *collected) {
        const auto processed = moved.processed.find(message.origin.stream);
        const bool delivered_there =
            processed != moved.processed.end() && message.origin.position <= processed->second;
        if (!delivered_there && !c.keep(message.body, message.deadline)) {
            return true; // overflowed and closed, as any session would
        }
    }
    return true;
}

void shard::adopt_groups(connection& c, const std::vector<std::string>& groups) {
    // Membership may have changed on the holding node between its two answers.
    const std::vector<std::string> now(c.groups_.begin(), c.groups_.end());
    for (const std::string& group : now) {
        if (!std::binary_search(groups.begin(), groups.end(), group)) {
            leave(c, group);
        }
    }
    for (const std::string& group : groups) {
        try_join(c, group);
    }
}

connection* shard::find(std::string_view connection_id) {
    const auto it = connections_.find(connection_id);
    return it == connections_.end() ? nullptr : it->second.get();
}

join_result shard::try_join(connection& c, std::string_view group) {
    assert(!walking_ && "connection_sink must not re-enter the shard");
    assert(find(c.id()) == &c && "join runs on the connection's own shard");
    deliver_held_sends();
    if (c.closing()) {
        return join_result::closing; // it has been forgotten
    }
    if (c.groups_.size() >= owner_.max_groups_per_connection()) {
        return c.groups_.contains(std::string(group)) ? join_result::already_member
                                                      : join_result::group_limit;
    }
    if (!c.groups_.emplace(group).second) {
        return join_result::already_member;
    }
    hub_members& h = hubs_.find(c.hub())->second; // exists: c is attached
    auto g = h.groups.find(group);
    if (g == h.groups.end()) {
        g = h.groups.emplace(std::string(group), member_list{}).first;
    }
    g->second.insert(c);
    owner_.index().add_group_member(c.hub(), group, index_);
    return join_result::joined;
}

bool shard::leave(connection& c, std::string_view group) {
    assert(!walking_ && "connection_sink must not re-enter the shard");
    deliver_held_sends();
    const auto it = c.groups_.find(std::string(group));
    if (it == c.groups_.end()) {
        return false;
    }
    unindex_member(c, group);
    c.groups_.erase(it);
    return true;
}

void shard::leave_all(connection& c) {
    assert(!walking_ && "connection_sink must not re-enter the shard");
    deliver_held_sends();
    for (const std::string& group : c.groups_) {
        unindex_member(c, group);
    }
    c.groups_.clear();
}

void shard::unindex_member(connection& c, std::string_view group) {
    hub_members* h = members_of(c.hub());
    if (h != nullptr) {
        const auto g = h->groups.find(group);
        if (g != h->groups.end()) {
            g->second.erase(c);
            if (g->second.empty()) {
                h->groups.erase(g);
            }
        }
    }
    owner_.index().remove_group_member(c.hub(), group, index_);
}

void shard::deliver_to_all(std::string_view hub, const prepared_message& message, const exclusions& skip,
                           const delivery_options& options) {
    if (const hub_members* h = members_of(hub)) {
        deliver_to_members(h->all, message, skip, options);
    }
}

void shard::deliver_to_group(std::string_view hub, std::string_view group, const prepared_message& message,
                             const exclusions& skip, const delivery_options& options) {
    if (const hub_members* h = members_of(hub)) {
        if (const auto g = h->groups.find(group); g != h->groups.end()) {
            deliver_to_members(g->second, message, skip, options);
        }
    }
}

void shard::deliver_to_user(std::string_view hub, std::string_view user_id, const prepared_message& message,
                            const exclusions& skip, const delivery_options& options) {
    if (const hub_members* h = members_of(hub)) {
        if (const auto u = h->users.find(user_id); u != h->users.end()) {
            deliver_to_members(u->second, message, skip, options);
        }
    }
}

void shard::deliver_to_members(const member_list& members, const prepared_message& message,
                               const exclusions& skip, const delivery_options& options) {
    if (may_hold(members, options) && hold(members, message, skip, options)) {
        return;
    }
    deliver_held_sends(); // what was held was sent first
    deliver_now(members, message, skip, options);
}

void shard::deliver_now(const member_list& members, const prepared_message& message, const exclusions& skip,
                        const delivery_options& options) {
    // One frame lookup per family for the whole walk: recipients then cost one pointer copy each
    // (into the sink's queue), never an encode, a lock or an allocation here.
    std::array<const util::shared_bytes*, protocol::frame_family_count> frames{};
    struct walk_guard {
        bool& walking;
        ~walk_guard() { walking = false; }
    } guard{walking_};
    walking_ = true;
    // Most sends exclude nobody: then no member's id is read (it was 7 % of the user-space
    // instructions per delivery in the old fan-out profile: bench/analysis.md, "Contiguous member
    // lists").
    const bool excluding = !skip.empty();
    for (const member& m : members) {
        connection* c = m.conn;
        if (excluding && skip.contains(c->id())) {
            continue;
        }
        if (options.filter != nullptr &&
            !options.filter->matches(filter_subject{c->id(), &c->user_id(), &c->groups()})) {
            continue;
        }
        if (m.reliable) {
            // Numbered per session: the connection splices its own sequence id onto the body the
            // message shares with every reliable recipient, and keeps it until acknowledged.
            c->deliver(message, options.deadline, options.origin);
            continue;
        }
        const auto slot = static_cast<std::size_t>(m.family);
        if (frames[slot] == nullptr) {
            frames[slot] = &message.frame(m.family);
        }
        c->send_frame(*frames[slot], options.deadline);
    }
}

namespace {

// What one turn may hold before it is delivered early: enough for a window of small messages, and
// a bound on what a held run keeps alive beyond its mailbox's budget.
constexpr std::size_t max_held_sends = 256;
constexpr std::size_t max_held_bytes = 256 * 1024;
// A member list of one gains nothing from a joined buffer: its frame is already one reference.
constexpr std::size_t min_members_to_hold = 2;

} // namespace

bool shard::may_hold(const member_list& members, const delivery_options& options) const {
    return turn_end_ && options.owner && options.filter == nullptr && options.deadline == no_deadline &&
           members.size() >= min_members_to_hold;
}

bool shard::hold(const member_list& members, const prepared_message& message, const exclusions& skip,
                 const delivery_options& options) {
    if (held_.members != &members || held_.sends.size() >= max_held_sends || held_.bytes >= max_held_bytes) {
        deliver_held_sends(); // another list's sends (or a full run), on this shard or another of the thread
    }
    if (!turn_end_pending_) {
        const bool deferred = turn_end_([this] {
            turn_end_pending_ = false;
            if (holding() == this) {
                deliver_held_sends();
            }
        });
        if (!deferred) {
            return false;
        }
        turn_end_pending_ = true;
    }
    if (held_.members == nullptr) {
        held_.members = &members;
        holding() = this;
    }
    held_.sends.push_back(held_send{options.owner, &message, &skip, options.origin});
    held_.bytes += message.footprint();
    held_.excluding = held_.excluding || !skip.empty();
    return true;
}

void shard::deliver_held_sends() {
    if (shard* s = holding()) {
        holding() = nullptr; // the walk below writes its frames at once
        s->deliver_held();
    }
}

bool shard::hold_frame_for(connection& c, const util::shared_bytes& frame, send_deadline deadline) {
    shard* s = holding();
    if (s == nullptr || !s->held_.members->contains(c)) {
        return false;
    }
    if (s->held_.frames.size() >= max_held_sends) {
        deliver_held_sends(); // then the frame goes out at once, after them
        return false;
    }
    s->held_.frames.push_back(held_frame{&c, s->held_.sends.size(), frame, deadline});
    c.held_frames_ = true;
    return true;
}

void shard::deliver_held() {
    held_run& run = held_;
    if (run.sends.size() == 1 && run.frames.empty()) {
        const held_send& only = run.sends.front();
        deliver_now(*run.members, *only.message, *only.skip, delivery_options{.origin = only.origin});
    } else {
        struct walk_guard {
            bool& walking;
            ~walk_guard() { walking = false; }
        } guard{walking_};
        walking_ = true;
        std::array<util::shared_bytes, protocol::frame_family_count> joined{};
        std::array<bool, protocol::frame_family_count> joined_built{};
        // Per family, the held sends' sequenced bodies, kept by one owner for every reliable member.
        std::array<const std::vector<util::shared_bytes>*, protocol::frame_family_count> bodies{};
        std::array<std::shared_ptr<const void>, protocol::frame_family_count> bodies_owner{};
        for (const member& m : *run.members) {
            connection* c = m.conn;
            const bool excluded_from_some =
                run.excluding && std::any_of(run.sends.begin(), run.sends.end(),
                                             [c](const held_send& s) { return s.skip->contains(c->id()); });
            if (c->held_frames_ || excluded_from_some) {
                deliver_held_one_by_one(m, run);
                continue;
            }
            if (m.reliable) {
                // Numbered for this session alone, so joined per member: still one piece per turn
                // for the transport instead of two per message (bench/analysis.md, "Sends per turn").
                if (c->has_transport() && !c->closing() && !c->arriving()) {
                    const auto slot = static_cast<std::size_t>(m.family);
                    if (bodies[slot] == nullptr) {
                        auto made = sequenced_bodies(m.family, run);
                        bodies[slot] = made.get();
                        bodies_owner[slot] = std::move(made);
                    }
                    c->deliver_joined(*bodies[slot], bodies_owner[slot]);
                } else {
                    deliver_held_one_by_one(m, run);
                }
                continue;
            }
            const auto slot = static_cast<std::size_t>(m.family);
            if (!joined_built[slot]) {
                joined[slot] = joined_frames(m.family, run);
                joined_built[slot] = true;
            }
            c->send_frame(joined[slot]);
        }
    }
    run.members = nullptr;
    run.sends.clear();
    run.frames.clear();
    run.bytes = 0;
    run.excluding = false;
}

void shard::deliver_held_one_by_one(const member& m, const held_run& run) {
    connection* c = m.conn;
    const bool with_frames = c->held_frames_;
    c->held_frames_ = false;
    const auto frames_after = [&](std::size_t sends) {
        if (!with_frames) {
            return;
        }
        for (const held_frame& f : run.frames) {
            if (f.conn == c && f.after == sends) {
                c->send_frame(f.frame, f.deadline);
            }
        }
    };
    for (std::size_t i = 0; i < run.sends.size(); ++i) {
        frames_after(i);
        const held_send& send = run.sends[i];
        if (send.skip->contains(c->id())) {
            continue;
        }
        if (m.reliable) {
            c->deliver(*send.message, no_deadline, send.origin);
        } else {
            c->send_frame(send.message->frame(m.family));
        }
    }
    frames_after(run.sends.size());
}

std::shared_ptr<const std::vector<util::shared_bytes>> shard::sequenced_bodies(protocol::frame_family family,
                                                                               const held_run& run) {
    auto bodies = std::make_shared<std::vector<util::shared_bytes>>();
    bodies->reserve(run.sends.size());
    for (const held_send& send : run.sends) {
        bodies->push_back(send.message->sequenced_body(family));
    }
    return bodies;
}

util::shared_bytes shard::joined_frames(protocol::frame_family family, const held_run& run) const {
    // Each frame looked up once (the lookup is an acquire load and may encode on first use).
    std::vector<const std::string*> frames;
    frames.reserve(run.sends.size());
    std::size_t total = 0;
    for (const held_send& send : run.sends) {
        if (const auto& frame = send.message->frame(family)) {
            frames.push_back(frame.get());
            total += frame->size();
        }
    }
    if (total == 0) {
        return nullptr; // no held send has a frame for this family: nothing to send
    }
    std::string bytes;
    bytes.reserve(total);
    for (const std::string* frame : frames) {
        bytes += *frame;
    }
    return util::make_shared_bytes(std::move(bytes));
}

bool shard::drop_if_expired(send_deadline deadline) {
    if (deadline == no_deadline || std::chrono::steady_clock::now() < deadline) {
        return false;
    }
    ++expired_sends_;
    return true;
}

std::vector<group_member> shard::group_members_after(std::string_view hub, std::string_view group,
                                                     std::string_view after, std::size_t limit) {
    std::vector<connection*> members;
    if (const hub_members* h = members_of(hub)) {
        if (const auto g = h->groups.find(group); g != h->groups.end()) {
            members.reserve(g->second.size());
            for (const member& m : g->second) {
                if (after.empty() || m.conn->id() > after) {
                    members.push_back(m.conn);
                }
            }
        }
    }
    const auto by_id = [](const connection* a, const connection* b) {
        return a->id() < b->id();
    };
    // Only the first `limit` matter: a page of a large group sorts a page, not the group.
    if (members.size() > limit) {
        std::partial_sort(members.begin(), members.begin() + static_cast<std::ptrdiff_t>(limit),
                          members.end(), by_id);
        members.resize(limit);
    } else {
        std::sort(members.begin(), members.end(), by_id);
    }
    std::vector<group_member> page;
    page.reserve(members.size());
    for (const connection* c : members) {
        page.push_back(group_member{c->id(), c->user_id()});
    }
    return page;
}

shard::hub_members* shard::members_of(std::string_view hub) {
    const auto h = hubs_.find(hub);
    return h == hubs_.end() ? nullptr : &h->second;
}

std::vector<connection*> shard::snapshot(const member_list& members) {
    std::vector<connection*> result;
    result.reserve(members.size());
    for (const member& m : members) {
        result.push_back(m.conn);
    }
    return result;
}

std::vector<connection*> shard::connections_of_hub(std::string_view hub) {
    const hub_members* h = members_of(hub);
    return h == nullptr ? std::vector<connection*>{} : snapshot(h->all);
}

std::vector<connection*> shard::connections_of_user(std::string_view hub, std::string_view user_id) {
    if (const hub_members* h = members_of(hub)) {
        if (const auto u = h->users.find(user_id); u != h->users.end()) {
            return snapshot(u->second);
        }
    }
    return {};
}

std::vector<connection*> shard::connections_of_group(std::string_view hub, std::string_view group) {
    if (const hub_members* h = members_of(hub)) {
        if (const auto g = h->groups.find(group); g != h->groups.end()) {
            return snapshot(g->second);
        }
    }
    return {};
}

std::vector<connection*> shard::all_connections() {
    std::vector<connection*> result;
    result.reserve(connections_.size());
    for (const auto& [id, c] : connections_) {
        result.push_back(c.get());
    }
    return result;
}

} // namespace hubcast::core

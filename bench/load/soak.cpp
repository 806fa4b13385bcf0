// hubcast-soak: one process of the soak run (bench/soak.sh, `make soak`). It holds its share of the
// connections to one hubcast server for a bounded time and keeps every kind of traffic going at
// once, at steady rates:
// - churn: every second `--churn` PubSub connections are closed (half with a close frame, half
//   with a TCP reset) and as many new ones open, each with a token of its own;
// - joins and leaves: every second `--joins` connections join or leave an extra group (with an
//   ackId; a failed ack is an error);
// - group sends over WebSocket (`--group-rate`) and REST `groups/{g}/:send` (`--rest-rate`), each
//   stamped with the sender's steady clock so every delivery is timed (open loop: message k is due
//   at start + k / rate and stamped with that time, so a stall shows as latency);
// - reliable clients (json.reliable.webpubsub.azure.v1), each alone in a group fed by a dedicated
//   publisher with a per-group counter; `--cuts` of them per second lose their transport (FIN or
//   reset, no close frame) and recover 0.2-2 s later with awps_connection_id and
//   awps_reconnection_token, acknowledging with sequenceAck every second as the SDKs do. Each
//   client drops replayed messages by sequence id and then checks the counter: a gap is a lost
//   message, a counter seen before a repeated one.
// Every `--interval` seconds it writes one CSV row: connections, rates, the interval's latency
// quantiles, the server's RSS and descriptors (/proc of --server-pid) and both processes' CPU.
// At the end it stops sending, recovers every cut client, waits (bounded) for every reliable
// stream to arrive in full, prints one JSON summary line and exits 1 on any lost or repeated
// reliable message, refused recovery, failed connect, dropped connection or failed request.
//
// Bounded: every phase has a deadline and the run ends by itself. Loopback only: it connects to
// 127.0.0.1 and nothing else. Several processes may run side by side (`--id` keeps their groups
// apart) because each process may hold at most RLIMIT_NOFILE descriptors (20,000 here).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <sys/resource.h>

#include "adapters.hpp"
#include "auth/client_token.hpp"
#include "auth/jwt.hpp"
#include "client.hpp"
#include "histogram.hpp"
#include "monotonic.hpp"
#include "proc_stats.hpp"
#include "rest_client.hpp"

namespace hubcast::bench {
namespace {

namespace asio = boost::asio;

struct options {
    std::uint16_t port = 0;
    std::string access_key;
    std::string hub = "soak";
    int id = 0;
    std::size_t connections = 9500; // PubSub connections of this process, reliable ones included
    std::size_t reliable = 200;
    std::size_t groups = 250; // plain groups of this process
    double minutes = 30;
    double churn = 50;          // connections replaced per second
    double joins = 50;          // join or leave requests per second
    double group_rate = 100;    // WebSocket sendToGroup per second
    double rest_rate = 20;      // REST group sends per second
    double reliable_rate = 100; // messages per second over all reliable groups
    double cuts = 4;            // reliable transports cut per second
    double interval = 10;       // seconds per CSV row
    double drain_timeout = 60;
    double connect_timeout = 180;
    std::size_t connect_concurrency = 256;
    int server_pid = 0;
    std::string csv;
    unsigned seed = 1;
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(
        stderr,
        "hubcast-soak: %s\n"
        "usage: hubcast-soak --port P --access-key K [--id N --connections N --reliable N --groups N\n"
        "       --minutes M --churn N --joins N --group-rate R --rest-rate R --reliable-rate R --cuts N\n"
        "       --interval S --server-pid PID --csv FILE --hub H --seed N]\n",
        why.c_str());
    std::exit(2);
}

options parse_options(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) {
            usage("missing value for " + flag);
        }
        const std::string value = argv[++i];
        if (flag == "--port") {
            o.port = static_cast<std::uint16_t>(std::stoul(value));
        } else if (flag == "--access-key") {
            o.access_key = value;
        } else if (flag == "--hub") {
            o.hub = value;
        } else if (flag == "--id") {
            o.id = std::stoi(value);
        } else if (flag == "--connections") {
            o.connections = std::stoul(value);
        } else if (flag == "--reliable") {
            o.reliable = std::stoul(value);
        } else if (flag == "--groups") {
            o.groups = std::stoul(value);
        } else if (flag == "--minutes") {
            o.minutes = std::stod(value);
        } else if (flag == "--churn") {
            o.churn = std::stod(value);
        } else if (flag == "--joins") {
            o.joins = std::stod(value);
        } else if (flag == "--group-rate") {
            o.group_rate = std::stod(value);
        } else if (flag == "--rest-rate") {
            o.rest_rate = std::stod(value);
        } else if (flag == "--reliable-rate") {
            o.reliable_rate = std::stod(value);
        } else if (flag == "--cuts") {
            o.cuts = std::stod(value);
        } else if (flag == "--interval") {
            o.interval = std::stod(value);
        } else if (flag == "--drain-timeout") {
            o.drain_timeout = std::stod(value);
        } else if (flag == "--connect-timeout") {
            o.connect_timeout = std::stod(value);
        } else if (flag == "--server-pid") {
            o.server_pid = std::stoi(value);
        } else if (flag == "--csv") {
            o.csv = value;
        } else if (flag == "--seed") {
            o.seed = static_cast<unsigned>(std::stoul(value));
        } else {
            usage("unknown flag " + flag);
        }
    }
    if (o.port == 0 || o.access_key.empty()) {
        usage("--port and --access-key are required");
    }
    if (o.reliable + 2 >= o.connections || o.groups == 0 || o.minutes <= 0 || o.interval <= 0) {
        usage("need --connections > --reliable + 2, --groups > 0, --minutes > 0, --interval > 0");
    }
    return o;
}

/// Hands every frame to the driver; the protocol logic lives there because it needs the slot a
/// connection belongs to (the client objects themselves are replaced on churn and recovery).
class soak_events {
public:
    virtual ~soak_events() = default;
    virtual void on_open(client& c) = 0;
    virtual void on_text(client& c, std::string_view payload) = 0;
};

class soak_adapter final : public protocol_adapter {
public:
    soak_adapter(std::string_view subprotocol, soak_events& events)
        : subprotocol_(subprotocol), events_(events) {}
    std::string_view name() const override { return "hubcast-soak"; }
    std::string_view subprotocol(const client_spec&) const override { return subprotocol_; }
    std::string request_target(std::uint32_t, std::string_view, bool, std::uint16_t) override { return {}; }
    void on_open(client& c) override { events_.on_open(c); }
    void on_payload(client& c, std::string_view payload) override { events_.on_text(c, payload); }
    void publish(client& c, std::string_view, std::string_view payload) override {
        c.send_frame(0x1, payload);
    }

private:
    std::string_view subprotocol_;
    soak_events& events_;
};

enum class kind : std::uint8_t { plain, feeder, reliable };
enum class link : std::uint8_t { connecting, ready, cut, recovering, closed };

/// One place in the run; its client object changes on churn and recovery.
struct slot {
    kind role = kind::plain;
    link state = link::connecting;
    std::unique_ptr<client> c;
    std::string group;     // joined at connect (token claim)
    bool in_extra = false; // member of the extra group (joins / leaves)
    std::uint32_t next_ack = 1;
    // reliable
    std::string connection_id;
    std::string reconnection_token;
    std::uint64_t last_sequence = 0;
    std::uint64_t acked_sequence = 0;
    std::uint64_t published = 0; // counters 1..published were sent to its group
    std::uint64_t received = 0;  // highest counter received
    std::uint64_t reconnect_at_ns = 0;
};

/// A client that was closed or cut: kept until its pending handlers have run.
struct retired {
    std::unique_ptr<client> c;
    std::uint64_t close_at_ns = 0; // closed after a grace for its close frame (0: already closed)
    std::uint64_t free_at_ns = 0;
};

/// Totals; the CSV shows differences between rows.
struct counters {
    std::uint64_t connects = 0;
    std::uint64_t connect_failures = 0;
    std::uint64_t closes = 0;
    std::uint64_t dropped = 0; // a ready connection the server closed
    std::uint64_t joins = 0;
    std::uint64_t leaves = 0;
    std::uint64_t acks_ok = 0;
    std::uint64_t acks_failed = 0;
    std::uint64_t group_sent = 0;
    std::uint64_t rest_sent = 0;
    std::uint64_t rest_ok = 0;
    std::uint64_t rest_failed = 0;
    std::uint64_t delivered = 0;
    std::uint64_t reliable_sent = 0;
    std::uint64_t reliable_delivered = 0;
    std::uint64_t replayed = 0; // discarded by sequence id after a recovery, as the SDKs do
    std::uint64_t cuts = 0;
    std::uint64_t recovered = 0;
    std::uint64_t recover_refused = 0;
    std::uint64_t lost = 0;
    std::uint64_t repeated = 0;
    std::uint64_t sequence_gaps = 0;
};

std::uint64_t parse_u64(std::string_view text, std::size_t at) {
    std::uint64_t v = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
        v = v * 10 + static_cast<std::uint64_t>(text[at] - '0');
        ++at;
    }
    return v;
}

class driver final : public client_events, public soak_events {
public:
    explicit driver(options o)
        : o_(std::move(o)), plain_(std::make_unique<soak_adapter>("json.webpubsub.azure.v1", *this)),
          reliable_(std::make_unique<soak_adapter>("json.reliable.webpubsub.azure.v1", *this)),
          rng_(o_.seed) {
        keys_.keys.push_back(o_.access_key);
        prefix_ = "s" + std::to_string(o_.id);
    }

    int run() {
        ensure_descriptors(o_.connections + 64);
        if (!o_.csv.empty()) {
            csv_ = std::fopen(o_.csv.c_str(), "w");
            if (csv_ == nullptr) {
                usage("cannot write " + o_.csv);
            }
            std::fprintf(csv_, "process,elapsed_s,connections,connects,closes,dropped,connect_failures,joins,"
                               "leaves,group_sent,rest_sent,delivered,reliable_delivered,cuts,recovered,"
                               "lost,repeated,p50_us,p99_us,max_us,server_rss_kib,server_fds,server_cpu_pct,"
                               "self_cpu_pct\n");
            std::fflush(csv_);
        }
        if (!ramp_up()) {
            summary("ramp-up");
            return 1;
        }
        soak();
        drain();
        return summary("") ? 0 : 1;
    }

    // client_events
    void on_ready(client&) override {}
    void on_delivery(client&, std::uint64_t, std::uint32_t) override {}
    void on_failed(client& c, int status, std::string_view why) override {
        slot* s = owner(c);
        if (s == nullptr) {
            return; // a retired client's last handler
        }
        if (s->state == link::connecting || s->state == link::recovering) {
            ++n_.connect_failures;
            --pending_;
            note_error(fmt::format("connect failed (status {}): {}", status, why));
        } else if (s->state == link::ready) {
            ++n_.dropped;
            note_error(fmt::format("connection dropped: {}", why));
        }
        s->state = link::closed;
        retire(*s, 0);
        if (s->role == kind::reliable) {
            // Recover as the SDKs do; a refused recovery is counted where the refusal arrives.
            s->state = link::cut;
            s->reconnect_at_ns = now_ns() + 500'000'000;
        }
    }

    // soak_events
    void on_open(client& c) override {
        slot* s = owner(c);
        if (s == nullptr) {
            return;
        }
        if (s->state == link::recovering) {
            // No `connected` message on a recovery: the replay (if any) follows at once.
            s->state = link::ready;
            --pending_;
            ++n_.recovered;
        }
    }

    void on_text(client& c, std::string_view text) override {
        slot* s = owner(c);
        if (s == nullptr) {
            return;
        }
        if (text.find(R"("type":"message")") != std::string_view::npos) {
            on_message(*s, text);
        } else if (text.find(R"("type":"ack")") != std::string_view::npos) {
            if (text.find(R"("success":true)") != std::string_view::npos) {
                ++n_.acks_ok;
            } else {
                ++n_.acks_failed;
                note_error(fmt::format("ack failed: {}", text.substr(0, 200)));
            }
        } else if (text.find(R"("event":"connected")") != std::string_view::npos) {
            if (s->role == kind::reliable) {
                boost::system::error_code ec;
                const auto value = boost::json::parse(text, ec);
                if (!ec && value.is_object()) {
                    const auto& o = value.get_object();
                    if (const auto* id = o.if_contains("connectionId"); id && id->is_string()) {
                        s->connection_id = std::string(id->get_string());
                    }
                    if (const auto* t = o.if_contains("reconnectionToken"); t && t->is_string()) {
                        s->reconnection_token = std::string(t->get_string());
                    }
                }
                if (s->reconnection_token.empty()) {
                    note_error("reliable connected message without a reconnection token");
                }
            }
            if (s->state == link::connecting) {
                s->state = link::ready;
                --pending_;
                ++n_.connects;
            }
        } else if (text.find(R"("event":"disconnected")") != std::string_view::npos) {
            if (s->role == kind::reliable && text.find("could not be recovered") != std::string_view::npos) {
                // The session is gone: the next attempt opens a new one, as the SDKs do.
                ++n_.recover_refused;
                s->connection_id.clear();
                s->reconnection_token.clear();
                s->last_sequence = 0;
                s->acked_sequence = 0;
            }
            note_error(fmt::format("disconnected by the server: {}", text.substr(0, 200)));
        }
    }

private:
    // --- connections --------------------------------------------------------------------------

    static void ensure_descriptors(std::size_t needed) {
        rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        if (needed > limit.rlim_cur) {
            usage(fmt::format("{} descriptors needed, this process may open {}: run more processes", needed,
                              static_cast<unsigned long long>(limit.rlim_cur)));
        }
    }

    slot* owner(client& c) {
        const std::uint32_t index = c.spec().index;
        if (index >= slots_.size() || slots_[index].c.get() != &c) {
            return nullptr;
        }
        return &slots_[index];
    }

    std::string token_target(slot& s, std::uint64_t user) {
        auth::client_token_request request;
        request.endpoint = "http://127.0.0.1:" + std::to_string(o_.port);
        request.hub = o_.hub;
        request.user_id = prefix_ + "u" + std::to_string(user);
        if (s.role != kind::reliable) {
            request.roles = {"webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"};
        }
        if (!s.group.empty()) {
            request.groups.push_back(s.group);
        }
        request.lifetime = std::chrono::minutes(24 * 60);
        request.now = static_cast<std::int64_t>(std::time(nullptr));
        return "/client/hubs/" + o_.hub + "?access_token=" + auth::mint_client_token(request, keys_);
    }

    void open(std::uint32_t index, std::string target, bool reliable) {
        slot& s = slots_[index];
        client_spec spec;
        spec.index = index;
        spec.request_target = std::move(target);
        s.c = std::make_unique<client>(io_, std::move(spec), reliable ? *reliable_ : *plain_, *this);
        s.in_extra = false;
        s.next_ack = 1;
        ++pending_;
        ++opened_;
        // 127.0.0.2 .. 127.0.0.201 (per process its own hundred): spreads the 4-tuples.
        const auto source = asio::ip::address_v4(
            0x7F000002u + static_cast<std::uint32_t>((opened_ % 100) + 100 * (o_.id % 2)));
        s.c->start(source, o_.port);
    }

    void connect_new(std::uint32_t index) {
        slot& s = slots_[index];
        s.state = link::connecting;
        open(index, token_target(s, next_user_++), s.role == kind::reliable);
    }

    void recover(std::uint32_t index) {
        slot& s = slots_[index];
        s.state = link::recovering;
        open(index,
             "/client/hubs/" + o_.hub + "?awps_connection_id=" + s.connection_id +
                 "&awps_reconnection_token=" + s.reconnection_token,
             true);
    }

    void retire(slot& s, std::uint64_t close_after_ns) {
        if (!s.c) {
            return;
        }
        const std::uint64_t now = now_ns();
        retired_.push_back(
            retired{std::move(s.c), close_after_ns ? now + close_after_ns : 0, now + 3'000'000'000});
    }

    void collect_retired() {
        const std::uint64_t now = now_ns();
        for (auto& r : retired_) {
            if (r.close_at_ns != 0 && now >= r.close_at_ns) {
                r.c->close();
                r.close_at_ns = 0;
            }
        }
        std::erase_if(retired_,
                      [now](const retired& r) { return r.close_at_ns == 0 && now >= r.free_at_ns; });
    }

    bool ramp_up() {
        const std::size_t feeders = 2;
        slots_.resize(o_.connections);
        for (std::size_t i = 0; i < o_.connections; ++i) {
            slot& s = slots_[i];
            if (i < o_.reliable) {
                s.role = kind::reliable;
                s.group = prefix_ + "r" + std::to_string(i);
            } else if (i < o_.reliable + feeders) {
                s.role = kind::feeder;
            } else {
                s.role = kind::plain;
                s.group = prefix_ + "g" + std::to_string(i % o_.groups);
                plain_slots_.push_back(static_cast<std::uint32_t>(i));
            }
        }
        const auto deadline = clock_type::now() + seconds(o_.connect_timeout);
        std::size_t next = 0;
        while (clock_type::now() < deadline) {
            while (next < slots_.size() && pending_ < o_.connect_concurrency) {
                connect_new(static_cast<std::uint32_t>(next++));
            }
            if (next == slots_.size() && pending_ == 0) {
                break;
            }
            io_.run_for(std::chrono::milliseconds(5));
        }
        const auto ready = static_cast<std::size_t>(std::count_if(
            slots_.begin(), slots_.end(), [](const slot& s) { return s.state == link::ready; }));
        std::fprintf(stderr, "hubcast-soak %d: %zu of %zu connections ready\n", o_.id, ready, slots_.size());
        return ready == slots_.size();
    }

    // --- traffic ------------------------------------------------------------------------------

    static clock_type::duration seconds(double s) {
        return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
    }

    slot* random_ready_plain() {
        for (int attempt = 0; attempt < 8; ++attempt) {
            const std::uint32_t index = plain_slots_[rng_() % plain_slots_.size()];
            if (slots_[index].state == link::ready) {
                return &slots_[index];
            }
        }
        return nullptr;
    }

    slot* ready_feeder(std::uint64_t k) {
        for (std::size_t i = 0; i < 2; ++i) {
            slot& s = slots_[o_.reliable + (k + i) % 2];
            if (s.state == link::ready) {
                return &s;
            }
        }
        return nullptr;
    }

    void send_group(std::uint64_t stamp) {
        slot* s = random_ready_plain();
        if (s == nullptr) {
            return;
        }
        write_marker(marker_, stamp, static_cast<std::uint32_t>(n_.group_sent));
        s->c->send_frame(0x1,
                         fmt::format(R"({{"type":"sendToGroup","group":"{}","dataType":"text","data":"{}"}})",
                                     s->group, std::string_view(marker_, marker_bytes)));
        ++n_.group_sent;
    }

    void send_rest(std::uint64_t stamp) {
        // REST connections issue one request at a time; a busy one skips this slot of the rate.
        for (std::size_t i = 0; i < rests_.size(); ++i) {
            auto& http = *rests_[(rest_turn_ + i) % rests_.size()];
            if (!http.busy()) {
                const std::size_t g = n_.rest_sent % rest_heads_.size();
                write_marker(marker_, stamp, static_cast<std::uint32_t>(n_.rest_sent));
                http.send(rest_heads_[g] + std::string(marker_, marker_bytes));
                ++n_.rest_sent;
                ++rest_turn_;
                return;
            }
        }
        ++rest_skipped_;
    }

    void send_reliable(std::uint64_t k) {
        // Round robin over the reliable groups whose session exists.
        for (std::size_t attempt = 0; attempt < o_.reliable; ++attempt) {
            slot& target = slots_[reliable_turn_++ % o_.reliable];
            if (target.connection_id.empty()) {
                continue;
            }
            slot* feeder = ready_feeder(k);
            if (feeder == nullptr) {
                return;
            }
            ++target.published;
            feeder->c->send_frame(
                0x1, fmt::format(R"({{"type":"sendToGroup","group":"{}","dataType":"text","data":"#{}"}})",
                                 target.group, target.published));
            ++n_.reliable_sent;
            return;
        }
    }

    void churn_one() {
        slot* s = random_ready_plain();
        if (s == nullptr) {
            return;
        }
        const auto index = static_cast<std::uint32_t>(s - slots_.data());
        s->state = link::closed;
        ++n_.closes;
        if (n_.closes % 2 == 0) {
            s->c->send_frame(0x8, std::string_view("\x03\xe8", 2)); // 1000, then close after a grace
            retire(*s, 200'000'000);
        } else {
            s->c->reset();
            retire(*s, 0);
        }
        connect_new(index);
    }

    void join_or_leave() {
        slot* s = random_ready_plain();
        if (s == nullptr) {
            return;
        }
        const std::string extra = prefix_ + "x" + std::to_string((s - slots_.data()) % 50);
        const std::uint32_t ack = s->next_ack++;
        if (s->in_extra) {
            s->c->send_frame(0x1,
                             fmt::format(R"({{"type":"leaveGroup","group":"{}","ackId":{}}})", extra, ack));
            ++n_.leaves;
        } else {
            s->c->send_frame(0x1,
                             fmt::format(R"({{"type":"joinGroup","group":"{}","ackId":{}}})", extra, ack));
            ++n_.joins;
        }
        s->in_extra = !s->in_extra;
    }

    void cut_one() {
        for (int attempt = 0; attempt < 8; ++attempt) {
            slot& s = slots_[rng_() % o_.reliable];
            if (s.state != link::ready || s.reconnection_token.empty()) {
                continue;
            }
            ++n_.cuts;
            if (n_.cuts % 2 == 0) {
                s.c->reset();
            } else {
                s.c->close(); // FIN without a close frame: the server sees the transport lost (1006)
            }
            retire(s, 0);
            s.state = link::cut;
            s.reconnect_at_ns = now_ns() + 200'000'000 + rng_() % 1'800'000'000;
            return;
        }
    }

    void reconnect_due(bool all) {
        const std::uint64_t now = now_ns();
        for (std::size_t i = 0; i < o_.reliable; ++i) {
            slot& s = slots_[i];
            if (s.state == link::cut && (all || now >= s.reconnect_at_ns)) {
                if (s.reconnection_token.empty()) {
                    connect_new(static_cast<std::uint32_t>(i));
                } else {
                    recover(static_cast<std::uint32_t>(i));
                }
            }
        }
    }

    void send_acks() {
        for (std::size_t i = 0; i < o_.reliable; ++i) {
            slot& s = slots_[i];
            if (s.state == link::ready && s.last_sequence > s.acked_sequence) {
                s.c->send_frame(0x1,
                                fmt::format(R"({{"type":"sequenceAck","sequenceId":{}}})", s.last_sequence));
                s.acked_sequence = s.last_sequence;
            }
        }
    }

    void on_message(slot& s, std::string_view text) {
        if (s.role != kind::reliable) {
            std::uint64_t sent_ns = 0;
            std::uint32_t sequence = 0;
            if (find_marker(text, sent_ns, sequence)) {
                ++n_.delivered;
                interval_latency_.record(static_cast<std::int64_t>(client::receive_ns() - sent_ns));
            }
            return;
        }
        constexpr std::string_view seq_key = R"("sequenceId":)";
        const auto at = text.find(seq_key);
        if (at == std::string_view::npos) {
            note_error("reliable message without a sequenceId");
            return;
        }
        const std::uint64_t sequence = parse_u64(text, at + seq_key.size());
        if (sequence <= s.last_sequence) {
            ++n_.replayed; // a replay of what this client already had: the SDKs drop it the same way
            return;
        }
        if (sequence != s.last_sequence + 1) {
            ++n_.sequence_gaps;
            note_error(fmt::format("sequence id {} after {}", sequence, s.last_sequence));
        }
        s.last_sequence = sequence;
        const auto hash = text.find("\"data\":\"#");
        if (hash == std::string_view::npos) {
            note_error("reliable message without a counter");
            return;
        }
        const std::uint64_t counter = parse_u64(text, hash + 9);
        ++n_.reliable_delivered;
        if (counter <= s.received) {
            ++n_.repeated;
            note_error(fmt::format("counter {} repeated (had {})", counter, s.received));
            return;
        }
        if (counter != s.received + 1) {
            n_.lost += counter - s.received - 1;
            note_error(fmt::format("counter {} after {}", counter, s.received));
        }
        s.received = counter;
    }

    // --- REST ---------------------------------------------------------------------------------

    void start_rest() {
        const auto now = static_cast<std::int64_t>(std::time(nullptr));
        const std::size_t groups = std::min<std::size_t>(o_.groups, 20);
        for (std::size_t g = 0; g < groups; ++g) {
            const std::string target = "/api/hubs/" + o_.hub + "/groups/" + prefix_ + "g" +
                                       std::to_string(g) + "/:send?api-version=2024-12-01";
            boost::json::object claims;
            claims["aud"] = "http://127.0.0.1:" + std::to_string(o_.port) + target;
            claims["iat"] = now;
            claims["exp"] = now + 24 * 3600;
            rest_heads_.push_back(
                "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(o_.port) +
                "\r\nAuthorization: Bearer " + auth::sign_hs256(claims, o_.access_key) +
                "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(marker_bytes) +
                "\r\n\r\n");
        }
        for (int i = 0; i < 2; ++i) {
            rests_.push_back(std::make_unique<rest_client>(io_, o_.port, [this](rest_client&, int status) {
                if (status == 202 || status == 200) {
                    ++n_.rest_ok;
                } else {
                    ++n_.rest_failed;
                    note_error(fmt::format("REST send answered {}", status));
                }
            }));
            rests_.back()->start([this](bool ok) {
                if (!ok) {
                    ++n_.rest_failed;
                    note_error("REST connection failed");
                }
            });
        }
    }

    // --- the run ------------------------------------------------------------------------------

    void soak() {
        start_rest();
        const std::uint64_t start = now_ns();
        start_ns_ = start;
        const auto end = clock_type::now() + seconds(o_.minutes * 60);
        std::uint64_t group_done = 0;
        std::uint64_t rest_done = 0;
        std::uint64_t reliable_done = 0;
        std::uint64_t churn_done = 0;
        std::uint64_t joins_done = 0;
        std::uint64_t cuts_done = 0;
        std::uint64_t last_ack_ns = start;
        std::uint64_t next_row_ns = start + static_cast<std::uint64_t>(o_.interval * 1e9);
        take_sample(sample_);
        while (clock_type::now() < end) {
            // Wake at the next message due (at most 2 ms later for the rest), so the loop's own
            // granularity does not show up as latency.
            const std::uint64_t next_due = std::min(next_due_ns(start, o_.group_rate, group_done),
                                                    next_due_ns(start, o_.rest_rate, rest_done));
            const std::uint64_t wake = now_ns();
            io_.run_for(std::chrono::nanoseconds(
                std::min<std::uint64_t>(next_due > wake ? next_due - wake : 0, 2'000'000)));
            const std::uint64_t now = now_ns();
            const double elapsed = static_cast<double>(now - start) / 1e9;
            // Open loop: message k is due at start + k / rate and stamped with that time, so the
            // messages due by now are k = 0 .. floor(elapsed * rate) (counting only up to
            // floor(elapsed * rate) - 1 would send each one 1 / rate late and time that too).
            auto due = [elapsed](double rate) {
                return rate > 0 ? static_cast<std::uint64_t>(elapsed * rate) + 1 : std::uint64_t{0};
            };
            for (const auto target = due(o_.group_rate); group_done < target; ++group_done) {
                send_group(start +
                           static_cast<std::uint64_t>(static_cast<double>(group_done) / o_.group_rate * 1e9));
            }
            for (const auto target = due(o_.rest_rate); rest_done < target; ++rest_done) {
                send_rest(start +
                          static_cast<std::uint64_t>(static_cast<double>(rest_done) / o_.rest_rate * 1e9));
            }
            for (const auto target = due(o_.reliable_rate); reliable_done < target; ++reliable_done) {
                send_reliable(reliable_done);
            }
            for (const auto target = due(o_.churn); churn_done < target; ++churn_done) {
                churn_one();
            }
            for (const auto target = due(o_.joins); joins_done < target; ++joins_done) {
                join_or_leave();
            }
            for (const auto target = due(o_.cuts); cuts_done < target; ++cuts_done) {
                cut_one();
            }
            reconnect_due(false);
            if (now - last_ack_ns >= 1'000'000'000) {
                last_ack_ns = now;
                send_acks();
                collect_retired();
            }
            if (now >= next_row_ns) {
                next_row_ns += static_cast<std::uint64_t>(o_.interval * 1e9);
                write_row();
            }
        }
    }

    static std::uint64_t next_due_ns(std::uint64_t start, double rate, std::uint64_t done) {
        if (rate <= 0) {
            return std::numeric_limits<std::uint64_t>::max();
        }
        return start + static_cast<std::uint64_t>(static_cast<double>(done) / rate * 1e9);
    }

    void drain() {
        // Nothing new is sent; every cut client recovers and every reliable stream must arrive in full.
        reconnect_due(true);
        const auto deadline = clock_type::now() + seconds(o_.drain_timeout);
        std::uint64_t last_ack_ns = 0;
        while (clock_type::now() < deadline) {
            io_.run_for(std::chrono::milliseconds(5));
            reconnect_due(false);
            if (now_ns() - last_ack_ns >= 1'000'000'000) {
                last_ack_ns = now_ns();
                send_acks();
            }
            bool complete = true;
            for (std::size_t i = 0; i < o_.reliable && complete; ++i) {
                complete = slots_[i].received == slots_[i].published;
            }
            const bool rest_idle =
                std::none_of(rests_.begin(), rests_.end(), [](auto& r) { return r->busy(); });
            if (complete && rest_idle && pending_ == 0) {
                break;
            }
        }
        for (std::size_t i = 0; i < o_.reliable; ++i) {
            if (slots_[i].received < slots_[i].published) {
                n_.lost += slots_[i].published - slots_[i].received;
                note_error(fmt::format("reliable group {} got {} of {}", slots_[i].group, slots_[i].received,
                                       slots_[i].published));
            }
        }
        write_row();
    }

    struct sample {
        std::uint64_t at_ns = 0;
        std::uint64_t server_ticks = 0;
        std::uint64_t self_ticks = 0;
        counters totals;
    };

    void take_sample(sample& s) {
        s.at_ns = now_ns();
        s.server_ticks = o_.server_pid > 0 ? read_process_ticks(o_.server_pid) : 0;
        s.self_ticks = read_process_ticks(static_cast<int>(::getpid()));
        s.totals = n_;
    }

    void write_row() {
        sample now;
        take_sample(now);
        const double seconds = static_cast<double>(now.at_ns - sample_.at_ns) / 1e9;
        const double tick = ticks_per_second();
        const auto cpu = [&](std::uint64_t a, std::uint64_t b) {
            return seconds > 0 ? 100.0 * static_cast<double>(b - a) / tick / seconds : 0.0;
        };
        const process_memory memory =
            o_.server_pid > 0 ? read_process_memory(o_.server_pid) : process_memory{};
        const std::size_t fds = o_.server_pid > 0 ? count_open_descriptors(o_.server_pid) : 0;
        const auto ready =
            std::count_if(slots_.begin(), slots_.end(), [](const slot& s) { return s.state == link::ready; });
        const counters& a = sample_.totals;
        const counters& b = now.totals;
        if (csv_ != nullptr) {
            std::fprintf(csv_,
                         "%d,%.1f,%ld,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,"
                         "%.0f,%.0f,%.0f,%llu,%zu,%.1f,%.1f\n",
                         o_.id, static_cast<double>(now.at_ns - start_ns_) / 1e9, static_cast<long>(ready),
                         static_cast<unsigned long long>(b.connects - a.connects),
                         static_cast<unsigned long long>(b.closes - a.closes),
                         static_cast<unsigned long long>(b.dropped - a.dropped),
                         static_cast<unsigned long long>(b.connect_failures - a.connect_failures),
                         static_cast<unsigned long long>(b.joins - a.joins),
                         static_cast<unsigned long long>(b.leaves - a.leaves),
                         static_cast<unsigned long long>(b.group_sent - a.group_sent),
                         static_cast<unsigned long long>(b.rest_sent - a.rest_sent),
                         static_cast<unsigned long long>(b.delivered - a.delivered),
                         static_cast<unsigned long long>(b.reliable_delivered - a.reliable_delivered),
                         static_cast<unsigned long long>(b.cuts - a.cuts),
                         static_cast<unsigned long long>(b.recovered - a.recovered),
                         static_cast<unsigned long long>(b.lost), static_cast<unsigned long long>(b.repeated),
                         static_cast<double>(interval_latency_.quantile(0.5)) / 1e3,
                         static_cast<double>(interval_latency_.quantile(0.99)) / 1e3,
                         static_cast<double>(interval_latency_.max()) / 1e3,
                         static_cast<unsigned long long>(memory.rss_kib), fds,
                         cpu(sample_.server_ticks, now.server_ticks),
                         cpu(sample_.self_ticks, now.self_ticks));
            std::fflush(csv_);
        }
        total_latency_.merge(interval_latency_);
        interval_latency_ = latency_histogram();
        sample_ = now;
    }

    void note_error(std::string what) {
        ++errors_;
        if (errors_ <= 5) {
            std::fprintf(stderr, "hubcast-soak %d: %s\n", o_.id, what.c_str());
        }
        if (first_error_.empty()) {
            first_error_ = std::move(what);
        }
    }

    bool summary(std::string_view failed_phase) {
        const bool ok = failed_phase.empty() && n_.lost == 0 && n_.repeated == 0 && n_.sequence_gaps == 0 &&
                        n_.recover_refused == 0 && n_.connect_failures == 0 && n_.dropped == 0 &&
                        n_.acks_failed == 0 && n_.rest_failed == 0;
        std::string error = first_error_;
        std::replace(error.begin(), error.end(), '"', '\'');
        std::printf(
            "{\"process\":%d,\"ok\":%s,\"phase\":\"%s\",\"connections\":%zu,\"reliable\":%zu,\"connects\":%"
            "llu,"
            "\"connect_failures\":%llu,\"closes\":%llu,\"dropped\":%llu,\"joins\":%llu,\"leaves\":%llu,"
            "\"acks_ok\":%llu,\"acks_failed\":%llu,\"group_sent\":%llu,\"rest_sent\":%llu,\"rest_ok\":%llu,"
            "\"rest_failed\":%llu,\"rest_skipped\":%llu,\"delivered\":%llu,\"reliable_sent\":%llu,"
            "\"reliable_delivered\":%llu,\"replayed\":%llu,\"cuts\":%llu,\"recovered\":%llu,"
            "\"recover_refused\":%llu,\"lost\":%llu,\"repeated\":%llu,\"sequence_gaps\":%llu,\"p50_us\":%.0f,"
            "\"p99_us\":%.0f,\"max_us\":%.0f,\"errors\":%llu,\"first_error\":\"%s\"}\n",
            o_.id, ok ? "true" : "false", std::string(failed_phase).c_str(), o_.connections, o_.reliable,
            static_cast<unsigned long long>(n_.connects),
            static_cast<unsigned long long>(n_.connect_failures), static_cast<unsigned long long>(n_.closes),
            static_cast<unsigned long long>(n_.dropped), static_cast<unsigned long long>(n_.joins),
            static_cast<unsigned long long>(n_.leaves), static_cast<unsigned long long>(n_.acks_ok),
            static_cast<unsigned long long>(n_.acks_failed), static_cast<unsigned long long>(n_.group_sent),
            static_cast<unsigned long long>(n_.rest_sent), static_cast<unsigned long long>(n_.rest_ok),
            static_cast<unsigned long long>(n_.rest_failed), static_cast<unsigned long long>(rest_skipped_),
            static_cast<unsigned long long>(n_.delivered), static_cast<unsigned long long>(n_.reliable_sent),
            static_cast<unsigned long long>(n_.reliable_delivered),
            static_cast<unsigned long long>(n_.replayed), static_cast<unsigned long long>(n_.cuts),
            static_cast<unsigned long long>(n_.recovered),
            static_cast<unsigned long long>(n_.recover_refused), static_cast<unsigned long long>(n_.lost),
            static_cast<unsigned long long>(n_.repeated), static_cast<unsigned long long>(n_.sequence_gaps),
            static_cast<double>(total_latency_.quantile(0.5)) / 1e3,
            static_cast<double>(total_latency_.quantile(0.99)) / 1e3,
            static_cast<double>(total_latency_.max()) / 1e3, static_cast<unsigned long long>(errors_),
            error.c_str());
        std::fflush(stdout);
        if (csv_ != nullptr) {
            std::fclose(csv_);
            csv_ = nullptr;
        }
        return ok;
    }

    options o_;
    asio::io_context io_{1};
    std::unique_ptr<soak_adapter> plain_;
    std::unique_ptr<soak_adapter> reliable_;
    auth::access_keys keys_;
    std::string prefix_;
    std::mt19937_64 rng_;

    std::vector<slot> slots_;
    std::vector<std::uint32_t> plain_slots_;
    std::vector<retired> retired_;
    std::size_t pending_ = 0; // connects and recoveries not yet ready or failed
    std::uint64_t opened_ = 0;
    std::uint64_t next_user_ = 0;
    std::size_t reliable_turn_ = 0;

    std::vector<std::unique_ptr<rest_client>> rests_;
    std::vector<std::string> rest_heads_;
    std::size_t rest_turn_ = 0;
    std::uint64_t rest_skipped_ = 0;

    char marker_[marker_bytes] = {};
    counters n_;
    std::uint64_t errors_ = 0;
    std::string first_error_;
    latency_histogram interval_latency_;
    latency_histogram total_latency_;
    sample sample_;
    std::uint64_t start_ns_ = 0;
    std::FILE* csv_ = nullptr;
};

} // namespace
} // namespace hubcast::bench

int main(int argc, char** argv) {
    hubcast::bench::driver d(hubcast::bench::parse_options(argc, argv));
    return d.run();
}

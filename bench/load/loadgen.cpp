// hubcast-loadgen: a load generator for WebSocket pub/sub servers (hubcast, NATS over WebSocket,
// MQTT 3.1.1 over WebSocket, the bench/limit ceiling), measuring them through the same code.
//
// What it measures, per run (one JSON line on stdout):
// - deliveries/s: messages received by subscribers during the measured interval, counted in the
//   loadgen (every delivery is parsed, its marker found);
// - latency: receive time minus the steady-clock timestamp the publisher wrote into the payload
//   (the same process sends and receives, so the clocks agree). In open loop (--rate) the
//   timestamp is the *intended* send time, so a stalled loadgen or server cannot hide latency
//   (no coordinated omission);
// - server CPU (utime+stime of --server-pid over the interval, % of one core), each core's busy
//   time (/proc/stat), the loadgen's own CPU, and the server's RSS and peak RSS (VmRSS, VmHWM).
//   `loadgen_bound` is true when the loadgen's core was the saturated one: then the figure says
//   more about the loadgen than about the server. With --watch-pid the CPU of further processes
//   (the other nodes of a cluster, Redis) over the same interval; with --redis-port what Redis
//   itself counted over it (commands, PUBLISHes, bytes in and out: `INFO stats commandstats`).
// Scale-out (--subscriber-ports P1,P2,...): the subscribers are dealt over those ports in turn
// (subscriber i to port i mod n), each with a token for its own port, and the publisher stays on
// --port, so one group spans several nodes.
// Closed loop (--window W): at most W messages are published and not yet delivered to every
// subscriber; the window sets the figure, so compare servers at the same window. Fan-out waits for
// every queue to drain before it reports (`lost` counts deliveries that never arrived).
//
// Single-threaded by design: it runs pinned to one core (taskset -c 1) beside a server pinned to
// the other, holding every connection on one event loop. Loopback only: it connects to 127.0.0.1
// and nothing else. Each process may hold at most RLIMIT_NOFILE descriptors (20,000 on the bench
// machines, a hard limit): it refuses a run that would need more.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include "adapters.hpp"
#include "auth/jwt.hpp"
#include "client.hpp"
#include "histogram.hpp"
#include "monotonic.hpp"
#include "proc_stats.hpp"
#include "redis_stats.hpp"
#include "rest_client.hpp"

namespace hubcast::bench {
namespace {

namespace asio = boost::asio;

struct options {
    std::string server = "hubcast"; // hubcast | nats | mqtt | ceiling
    double reliable_share = 0;      // hubcast: share of subscribers on the reliable JSON subprotocol
    std::uint16_t port = 0;
    std::string scenario = "fanout"; // fanout | rooms | echo | events | connect | idle | probe | rest
    std::size_t subscribers = 1000;  // fanout
    std::size_t connections = 1000;  // rooms, echo, connect, probe
    std::size_t group_size = 10;     // rooms
    std::size_t payload = 64;
    std::size_t window = 0;    // closed loop: messages in flight (fanout), per client (echo)
    double rate = 0;           // open loop: messages published per second (all publishers)
    double warmup = 1.0;       // seconds before measuring
    double duration = 3.0;     // seconds measured
    double drain_timeout = 20; // seconds to wait for every queue to drain
    double connect_timeout = 120;
    double settle = 2.0;             // idle: seconds between reaching a level and reading RSS
    double hold = 0;                 // idle, probe: seconds to keep the connections open at the end
    std::vector<std::size_t> levels; // idle
    std::size_t connect_concurrency = 256;
    int server_pid = 0;
    std::string access_key;
    std::string hub = "bench";
    std::string label;
    std::string rest_target = "all";  // rest: all (`:send` to the hub) | user (`users/{id}/:send`)
    std::size_t rest_connections = 4; // rest: HTTP/1.1 keep-alive connections, one request each in flight
    std::vector<std::uint16_t> subscriber_ports; // fanout: subscribers dealt over these (default: --port)
    std::vector<std::pair<std::string, int>> watched; // --watch-pid NAME=PID: CPU over the interval
    std::uint16_t redis_port = 0;                     // Redis whose counters are read around the interval
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(
        stderr,
        "hubcast-loadgen: %s\n"
        "usage: hubcast-loadgen --server hubcast|nats|mqtt|ceiling --port P --scenario S [options]\n"
        "  scenarios: fanout (--subscribers N --payload B --window W | --rate R)\n"
        "             rooms (--connections N --group-size G --rate R)\n"
        "             echo (--connections N --window W)\n"
        "             events (hubcast: --connections N --window W; user events to the hub's event\n"
        "             handler, each delivered when its ack arrives)\n"
        "             connect (--connections N --connect-concurrency C)\n"
        "             idle (--levels 1000,5000,... [--hold S])   probe (--connections N [--hold S])\n"
        "  hubcast: --reliable-share F (0-1: share of subscribers on json.reliable, acking)\n"
        "  common: --server-pid PID --warmup S --duration S --access-key K --hub H --label L\n"
        "  scale-out: --subscriber-ports P1,P2,... (fanout subscribers dealt over these ports, the\n"
        "             publisher on --port), --watch-pid NAME=PID (repeatable), --redis-port P\n",
        why);
    std::exit(2);
}

options parse_options(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) {
            usage(("missing value for " + flag).c_str());
        }
        const std::string value = argv[++i];
        if (flag == "--server") {
            o.server = value;
        } else if (flag == "--port") {
            o.port = static_cast<std::uint16_t>(std::stoul(value));
        } else if (flag == "--scenario") {
            o.scenario = value;
        } else if (flag == "--subscribers") {
            o.subscribers = std::stoul(value);
        } else if (flag == "--connections") {
            o.connections = std::stoul(value);
        } else if (flag == "--group-size") {
            o.group_size = std::stoul(value);
        } else if (flag == "--payload") {
            o.payload = std::stoul(value);
        } else if (flag == "--window") {
            o.window = std::stoul(value);
        } else if (flag == "--rate") {
            o.rate = std::stod(value);
        } else if (flag == "--warmup") {
            o.warmup = std::stod(value);
        } else if (flag == "--duration") {
            o.duration = std::stod(value);
        } else if (flag == "--drain-timeout") {
            o.drain_timeout = std::stod(value);
        } else if (flag == "--connect-timeout") {
            o.connect_timeout = std::stod(value);
        } else if (flag == "--settle") {
            o.settle = std::stod(value);
        } else if (flag == "--hold") {
            o.hold = std::stod(value);
        } else if (flag == "--levels") {
            std::stringstream list(value);
            std::string item;
            while (std::getline(list, item, ',')) {
                o.levels.push_back(std::stoul(item));
            }
        } else if (flag == "--connect-concurrency") {
            o.connect_concurrency = std::stoul(value);
        } else if (flag == "--server-pid") {
            o.server_pid = std::stoi(value);
        } else if (flag == "--access-key") {
            o.access_key = value;
        } else if (flag == "--hub") {
            o.hub = value;
        } else if (flag == "--label") {
            o.label = value;
        } else if (flag == "--rest-target") {
            o.rest_target = value;
        } else if (flag == "--rest-connections") {
            o.rest_connections = std::stoul(value);
        } else if (flag == "--subscriber-ports") {
            std::stringstream list(value);
            std::string item;
            while (std::getline(list, item, ',')) {
                o.subscriber_ports.push_back(static_cast<std::uint16_t>(std::stoul(item)));
            }
        } else if (flag == "--watch-pid") {
            const auto eq = value.find('=');
            if (eq == std::string::npos || eq == 0) {
                usage("--watch-pid takes NAME=PID");
            }
            o.watched.emplace_back(value.substr(0, eq), std::stoi(value.substr(eq + 1)));
        } else if (flag == "--reliable-share") {
            o.reliable_share = std::stod(value);
            if (!(o.reliable_share >= 0 && o.reliable_share <= 1)) {
                usage("--reliable-share takes 0 to 1");
            }
        } else if (flag == "--redis-port") {
            o.redis_port = static_cast<std::uint16_t>(std::stoul(value));
        } else {
            usage(("unknown flag " + flag).c_str());
        }
    }
    if (o.port == 0) {
        usage("--port is required");
    }
    if (o.payload < marker_bytes) {
        usage("--payload must be at least 28 bytes (the timestamp marker)");
    }
    return o;
}

/// Raises the soft descriptor limit to the hard one and checks that `needed` fit under it.
void ensure_descriptors(std::size_t needed) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    if (needed + 32 > limit.rlim_cur) {
        std::fprintf(stderr,
                     "hubcast-loadgen: %zu connections need more descriptors than this process may open "
                     "(%llu, a hard limit on this machine); stay under it\n",
                     needed, static_cast<unsigned long long>(limit.rlim_cur));
        std::exit(2);
    }
}

/// Measurements over one interval: CPU of the server, of the loadgen and of each core.
struct cpu_sample {
    cpu_times cores;
    std::uint64_t server_ticks = 0;
    std::uint64_t self_ticks = 0;
    std::uint64_t self_cpu_ns = 0;            // CLOCK_PROCESS_CPUTIME_ID: the loadgen's CPU to the nanosecond
    std::vector<std::uint64_t> watched_ticks; // options::watched, in order
    std::optional<redis_counters> redis;
    std::uint64_t at_ns = 0;
};

class driver final : public client_events {
public:
    driver(options o, std::unique_ptr<protocol_adapter> adapter)
        : o_(std::move(o)), adapter_(std::move(adapter)), work_(asio::make_work_guard(io_)),
          phase_timer_(io_), tick_timer_(io_), ring_(ring_size, 0), payload_(o_.payload, 'x') {
        if (o_.redis_port != 0) {
            redis_ = std::make_unique<redis_stats>(o_.redis_port);
        }
    }

    int run() {
        if (o_.scenario == "fanout") {
            return run_fanout();
        }
        if (o_.scenario == "rooms") {
            return run_rooms();
        }
        if (o_.scenario == "echo" || o_.scenario == "events") {
            return run_echo(); // events: the same closed loop, the adapter sends events instead
        }
        if (o_.scenario == "connect") {
            return run_connect();
        }
        if (o_.scenario == "idle") {
            return run_idle();
        }
        if (o_.scenario == "probe") {
            return run_probe();
        }
        if (o_.scenario == "rest") {
            return run_rest();
        }
        usage("unknown scenario");
    }

    // client_events
    void on_ready(client&) override {
        ++ready_;
        if (outstanding_connects_ > 0) {
            --outstanding_connects_;
        }
        last_ready_ns_ = now_ns();
        launch_connects();
    }

    void on_failed(client& c, int status, std::string_view why) override {
        if (c.ready) {
            ++lost_connections_;
            if (first_error_.empty()) {
                first_error_ = std::string(why);
            }
            return;
        }
        if (!c.failed) {
            c.failed = true; // adapter-level refusal (NATS -ERR, CONNACK refused)
            c.close();
        }
        ++failed_;
        ++statuses_[status];
        if (first_error_.empty()) {
            first_error_ = std::string(why);
        }
        if (outstanding_connects_ > 0) {
            --outstanding_connects_;
        }
        launch_connects();
    }

    void on_delivery(client& c, std::uint64_t sent_ns, std::uint32_t sequence) override {
        ++delivered_total_;
        if (measuring_) {
            ++delivered_measured_;
            latency_.record(static_cast<std::int64_t>(client::receive_ns() - sent_ns));
        }
        if (mode_ == mode::fanout) {
            std::uint32_t& count = ring_[sequence & ring_mask];
            if (++count == expected_per_message_) {
                --in_flight_;
                if (rest_pump_) {
                    rest_pump_();
                } else if (o_.window > 0) {
                    pump_window();
                }
            }
        } else if (mode_ == mode::echo) {
            --c.in_flight;
            if (publishing_) {
                publish_from(c, client::receive_ns());
            }
        }
    }

private:
    enum class mode : std::uint8_t { none, fanout, rooms, echo };
    static constexpr std::size_t ring_size = 1u << 20;
    static constexpr std::size_t ring_mask = ring_size - 1;

    // --- connections ------------------------------------------------------------------------

    void add_client(std::string group, bool subscriber, std::uint16_t port = 0) {
        client_spec spec;
        spec.index = static_cast<std::uint32_t>(clients_.size());
        spec.port = port != 0 ? port : o_.port;
        spec.request_target = adapter_->request_target(spec.index, group, subscriber, spec.port);
        spec.group = std::move(group);
        spec.subscriber = subscriber;
        clients_.push_back(std::make_unique<client>(io_, std::move(spec), *adapter_, *this));
    }

    /// Starts connections [next_connect_, connect_limit_) keeping at most connect_concurrency pending.
    void launch_connects() {
        while (next_connect_ < connect_limit_ && outstanding_connects_ < o_.connect_concurrency) {
            const std::size_t i = next_connect_++;
            ++outstanding_connects_;
            // 127.0.0.2 .. 127.0.0.201: spreads the 4-tuples over many loopback source addresses.
            const auto source = asio::ip::address_v4(0x7F000002u + static_cast<std::uint32_t>(i % 200));
            clients_[i]->start(source);
        }
    }

    /// Connects clients up to `limit` (already added) and waits until each is ready or failed.
    bool connect_up_to(std::size_t limit) {
        connect_limit_ = limit;
        launch_connects();
        const auto deadline = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                      std::chrono::duration<double>(o_.connect_timeout));
        while (ready_ + failed_ < limit && clock_type::now() < deadline) {
            io_.run_for(std::chrono::milliseconds(5));
        }
        return ready_ + failed_ >= limit;
    }

    void run_for_seconds(double seconds) {
        const auto until = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                   std::chrono::duration<double>(seconds));
        while (clock_type::now() < until) {
            io_.run_until(until);
        }
    }

    template <typename Done> void run_until(Done done, double timeout) {
        const auto deadline = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                      std::chrono::duration<double>(timeout));
        while (!done() && clock_type::now() < deadline) {
            io_.run_for(std::chrono::milliseconds(2));
        }
    }

    // --- publishing ---------------------------------------------------------------------------

    void publish_from(client& c, std::uint64_t stamp_ns) {
        const auto sequence = static_cast<std::uint32_t>(next_sequence_++);
        if (mode_ == mode::fanout) {
            ring_[sequence & ring_mask] = 0;
            ++in_flight_;
        } else if (mode_ == mode::echo) {
            ++c.in_flight;
        }
        write_marker(payload_.data(), stamp_ns, sequence);
        adapter_->publish(c, c.spec().group, payload_);
        ++sent_;
        if (measuring_) {
            ++sent_measured_;
        }
    }

    void pump_window() {
        while (publishing_ && in_flight_ < o_.window) {
            if (in_flight_ >= ring_size / 2) {
                overloaded_ = true;
                return;
            }
            publish_from(*clients_[publisher_], now_ns());
        }
    }

    /// Open loop: message k is due at start + k / rate; sends whatever is due at each tick.
    void start_rate(std::function<client&(std::uint64_t)> pick) {
        rate_start_ns_ = now_ns();
        rate_sent_ = 0;
        pick_ = std::move(pick);
        tick();
    }

    void tick() {
        if (!publishing_) {
            return;
        }
        const std::uint64_t now = now_ns();
        const double elapsed = static_cast<double>(now - rate_start_ns_) / 1e9;
        // Message k is due at k / rate, so messages 0 .. floor(elapsed * rate) are due now. (Counting
        // only floor(elapsed * rate) of them sent each one 1/rate after the time it is stamped with,
        // which every open-loop latency then carried.)
        const auto due = static_cast<std::uint64_t>(elapsed * o_.rate) + 1;
        while (rate_sent_ < due) {
            const auto intended =
                rate_start_ns_ + static_cast<std::uint64_t>(static_cast<double>(rate_sent_) * 1e9 / o_.rate);
            if (outstanding_deliveries() > max_outstanding_) {
                overloaded_ = true; // the server fell this far behind: stop offering more
                break;
            }
            publish_from(pick_(rate_sent_), intended);
            ++rate_sent_;
        }
        tick_timer_.expires_after(std::chrono::microseconds(100));
        tick_timer_.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                tick();
            }
        });
    }

    std::uint64_t outstanding_deliveries() const {
        const std::uint64_t expected = sent_ * expected_per_message_;
        return expected > delivered_total_ ? expected - delivered_total_ : 0;
    }

    // --- measuring ----------------------------------------------------------------------------

    cpu_sample sample() const {
        cpu_sample s;
        s.cores = read_cpu_times();
        s.server_ticks = o_.server_pid > 0 ? read_process_ticks(o_.server_pid) : 0;
        s.self_ticks = read_process_ticks(static_cast<int>(::getpid()));
        timespec cpu{};
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
        s.self_cpu_ns =
            static_cast<std::uint64_t>(cpu.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(cpu.tv_nsec);
        for (const auto& [name, pid] : o_.watched) {
            s.watched_ticks.push_back(read_process_ticks(pid));
        }
        s.at_ns = now_ns();
        // Redis is read after the clock: the interval is the loadgen's, the INFO exchange's own
        // bytes are taken out (redis_difference).
        if (redis_) {
            s.redis = redis_->read();
        }
        return s;
    }

    /// Warm-up, then the measured interval, then stop publishing and wait for the queues to drain.
    void measure(const std::function<void()>& start_publishing) {
        publishing_ = true;
        start_publishing();
        run_for_seconds(o_.warmup);
        before_ = sample();
        measuring_ = true;
        run_for_seconds(o_.duration);
        measuring_ = false;
        after_ = sample();
        publishing_ = false;
        tick_timer_.cancel();
        const auto drain_start = clock_type::now();
        run_until([this] { return outstanding_deliveries() == 0; }, o_.drain_timeout);
        drain_seconds_ = std::chrono::duration<double>(clock_type::now() - drain_start).count();
    }

    /// `deliveries`: those counted over the interval, for the loadgen's own cost per delivery (flow
    /// scenarios; the connect and idle lines have none).
    std::string cpu_fields(const cpu_sample& before, const cpu_sample& after,
                           std::optional<std::uint64_t> deliveries = std::nullopt) const {
        const double seconds = static_cast<double>(after.at_ns - before.at_ns) / 1e9;
        const double hz = ticks_per_second();
        const double server_cpu =
            100.0 * static_cast<double>(after.server_ticks - before.server_ticks) / hz / seconds;
        const double self_cpu =
            100.0 * static_cast<double>(after.self_ticks - before.self_ticks) / hz / seconds;
        const auto cores = busy_percent(before.cores, after.cores);
        std::string busy = "[";
        for (std::size_t i = 0; i < cores.size(); ++i) {
            busy += fmt::format("{}{:.1f}", i == 0 ? "" : ",", cores[i]);
        }
        busy += "]";
        const auto memory = o_.server_pid > 0 ? read_process_memory(o_.server_pid) : process_memory{};
        // The loadgen is the bound when its core is saturated and the server's is not.
        const bool loadgen_bound = self_cpu >= 90.0 && server_cpu < 90.0;
        // The loadgen's own CPU per delivery it counted: what bounds it (one core runs about 1e9 / this
        // deliveries per second), from the process CPU clock rather than the 10 ms ticks.
        std::string per_delivery;
        if (deliveries) {
            per_delivery =
                fmt::format(R"("loadgen_ns_per_delivery":{:.1f},)",
                            *deliveries > 0 ? static_cast<double>(after.self_cpu_ns - before.self_cpu_ns) /
                                                  static_cast<double>(*deliveries)
                                            : 0.0);
        }
        std::string out =
            fmt::format(R"("server_cpu_pct":{:.1f},"loadgen_cpu_pct":{:.1f},{}"core_busy_pct":{},)"
                        R"("server_cpu_s":{:.3f},"loadgen_cpu_s":{:.3f},)"
                        R"("server_rss_kib":{},"server_peak_rss_kib":{},"loadgen_bound":{})",
                        server_cpu, self_cpu, per_delivery, busy, server_cpu * seconds / 100.0,
                        self_cpu * seconds / 100.0, memory.rss_kib, memory.peak_rss_kib,
                        loadgen_bound ? "true" : "false");
        if (!o_.watched.empty() && before.watched_ticks.size() == o_.watched.size() &&
            after.watched_ticks.size() == o_.watched.size()) {
            out += R"(,"watched_cpu_pct":{)";
            for (std::size_t i = 0; i < o_.watched.size(); ++i) {
                const auto ticks = after.watched_ticks[i] - before.watched_ticks[i];
                out += fmt::format(R"({}"{}":{:.1f})", i == 0 ? "" : ",", o_.watched[i].first,
                                   100.0 * static_cast<double>(ticks) / hz / seconds);
            }
            out += "}";
        }
        if (before.redis && after.redis) {
            out += "," + redis_fields(redis_difference(*before.redis, *after.redis));
        } else if (redis_) {
            out += R"(,"redis_error":"INFO stats commandstats did not answer")";
        }
        return out;
    }

    std::string latency_fields() const {
        auto us = [this](double q) {
            return static_cast<double>(latency_.quantile(q)) / 1000.0;
        };
        std::string cdf = "[";
        static constexpr double points[] = {
            0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2,  0.25, 0.3,  0.35, 0.4,   0.45,  0.5,    0.55,   0.6, 0.65,
            0.7, 0.75, 0.8,  0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999, 1.0};
        for (std::size_t i = 0; i < std::size(points); ++i) {
            cdf += fmt::format("{}[{},{:.1f}]", i == 0 ? "" : ",", points[i], us(points[i]));
        }
        cdf += "]";
        return fmt::format(R"("latency_samples":{},"p50_us":{:.1f},"p90_us":{:.1f},"p99_us":{:.1f},)"
                           R"("p999_us":{:.1f},"max_us":{:.1f},"cdf_us":{})",
                           latency_.count(), us(0.5), us(0.9), us(0.99), us(0.999),
                           static_cast<double>(latency_.max()) / 1000.0, cdf);
    }

    std::string head(std::size_t connections) const {
        return fmt::format(
            R"({{"scenario":"{}","server":"{}","label":"{}","connections":{},"payload":{},"reliable_share":{},)",
            o_.scenario, adapter_->name(), o_.label, connections, o_.payload, o_.reliable_share);
    }

    std::string statuses() const {
        std::string out = "{";
        bool first = true;
        for (const auto& [status, count] : statuses_) {
            out += fmt::format(R"({}"{}":{})", first ? "" : ",", status, count);
            first = false;
        }
        return out + "}";
    }

    void print_flow(std::size_t connections, const std::string& extra) {
        const double seconds = static_cast<double>(after_.at_ns - before_.at_ns) / 1e9;
        const std::uint64_t expected = sent_ * expected_per_message_;
        const std::uint64_t lost = expected > delivered_total_ ? expected - delivered_total_ : 0;
        // Deliveries per second of server CPU: the per-busy-core figure for noisy or loadgen-bound runs.
        const double server_seconds =
            static_cast<double>(after_.server_ticks - before_.server_ticks) / ticks_per_second();
        std::printf(
            "%s%s\"window\":%zu,\"rate\":%.0f,\"measured_s\":%.3f,\"sent\":%llu,\"delivered\":%llu,"
            "\"lost\":%llu,\"messages_per_s\":%.0f,\"deliveries_per_s\":%.0f,\"drain_s\":%.3f,"
            "\"deliveries_per_server_cpu_s\":%.0f,\"overloaded\":%s,\"lost_connections\":%zu,%s,%s}\n",
            head(connections).c_str(), extra.c_str(), o_.window, o_.rate, seconds,
            static_cast<unsigned long long>(sent_), static_cast<unsigned long long>(delivered_total_),
            static_cast<unsigned long long>(lost), static_cast<double>(sent_measured_) / seconds,
            static_cast<double>(delivered_measured_) / seconds, drain_seconds_,
            server_seconds > 0 ? static_cast<double>(delivered_measured_) / server_seconds : 0.0,
            overloaded_ ? "true" : "false", lost_connections_, latency_fields().c_str(),
            cpu_fields(before_, after_, delivered_measured_).c_str());
        std::fflush(stdout);
    }

    int fail_connect(std::size_t wanted) {
        std::printf(
            "%s\"error\":\"connect\",\"ready\":%zu,\"failed\":%zu,\"statuses\":%s,\"first_error\":\"%s\"}\n",
            head(wanted).c_str(), ready_, failed_, statuses().c_str(), first_error_.c_str());
        return 1;
    }

    // --- scenarios ----------------------------------------------------------------------------

    int run_fanout() {
        ensure_descriptors(o_.subscribers + 1);
        for (std::size_t i = 0; i < o_.subscribers; ++i) {
            const auto& ports = o_.subscriber_ports;
            add_client("g0", true, ports.empty() ? o_.port : ports[i % ports.size()]);
        }
        add_client("g0", false);
        publisher_ = o_.subscribers;
        if (!connect_up_to(clients_.size()) || failed_ > 0) {
            return fail_connect(clients_.size());
        }
        run_for_seconds(0.3); // let join/subscribe commands settle everywhere
        mode_ = mode::fanout;
        expected_per_message_ = static_cast<std::uint32_t>(o_.subscribers);
        max_outstanding_ = std::uint64_t{expected_per_message_} * 4096;
        measure([this] {
            if (o_.rate > 0) {
                start_rate([this](std::uint64_t) -> client& { return *clients_[publisher_]; });
            } else {
                pump_window();
            }
        });
        std::string extra =
            fmt::format(R"("subscribers":{},"group_size":{},)", o_.subscribers, o_.subscribers);
        if (!o_.subscriber_ports.empty()) {
            extra += R"("subscriber_ports":[)";
            for (std::size_t i = 0; i < o_.subscriber_ports.size(); ++i) {
                extra += fmt::format("{}{}", i == 0 ? "" : ",", o_.subscriber_ports[i]);
            }
            extra += "],";
        }
        print_flow(clients_.size(), extra);
        leave();
        return 0;
    }

    /// Ends every connection as a client that stops does: a close frame (1000), then the server's
    /// close. Without it a reliable member's session would outlive the run, parked for its recovery
    /// window and still a member of the group, and cost the next run on the same server.
    void leave() {
        const char normal_closure[2] = {0x03, static_cast<char>(0xE8)}; // 1000
        for (auto& c : clients_) {
            if (c->ready && !c->failed) {
                c->send_frame(0x8, std::string_view(normal_closure, 2));
            }
        }
        run_until(
            [this] {
                return std::all_of(clients_.begin(), clients_.end(), [](const auto& c) { return c->failed; });
            },
            2.0);
    }

    int run_rooms() {
        const std::size_t n = o_.connections;
        const std::size_t g = o_.group_size;
        ensure_descriptors(n);
        if (o_.rate <= 0) {
            usage("rooms needs --rate (messages per second, all members together)");
        }
        for (std::size_t i = 0; i < n; ++i) {
            add_client("r" + std::to_string(i / g), true);
        }
        if (!connect_up_to(n) || failed_ > 0) {
            return fail_connect(n);
        }
        run_for_seconds(0.3);
        mode_ = mode::rooms;
        expected_per_message_ = static_cast<std::uint32_t>(g);
        max_outstanding_ = std::uint64_t{n} * 256;
        // Member k publishes message k, k+n, k+2n, ...: every member at rate/n, spread evenly.
        measure([this, n] {
            start_rate([this, n](std::uint64_t k) -> client& {
                // Stride through the members so consecutive messages go to different rooms.
                const std::size_t member = (k * 7919) % n;
                return *clients_[member];
            });
        });
        print_flow(n, fmt::format(R"("groups":{},"group_size":{},)", (n + g - 1) / g, g));
        return 0;
    }

    int run_echo() {
        const std::size_t n = o_.connections;
        ensure_descriptors(n);
        if (o_.window == 0) {
            o_.window = 1;
        }
        for (std::size_t i = 0; i < n; ++i) {
            add_client("e" + std::to_string(i), true);
        }
        if (!connect_up_to(n) || failed_ > 0) {
            return fail_connect(n);
        }
        run_for_seconds(0.3);
        mode_ = mode::echo;
        expected_per_message_ = 1;
        measure([this] {
            const std::uint64_t stamp = now_ns();
            for (auto& c : clients_) {
                for (std::size_t w = 0; w < o_.window; ++w) {
                    publish_from(*c, stamp);
                }
            }
        });
        print_flow(n, R"("group_size":1,)");
        return 0;
    }

    int run_connect() {
        const std::size_t n = o_.connections;
        ensure_descriptors(n);
        for (std::size_t i = 0; i < n; ++i) {
            add_client({}, false); // tokens are minted here, before the clock starts
        }
        before_ = sample();
        const std::uint64_t start = before_.at_ns;
        const bool complete = connect_up_to(n);
        after_ = sample();
        const double seconds = static_cast<double>(last_ready_ns_ - start) / 1e9;
        std::printf("%s\"concurrency\":%zu,\"ready\":%zu,\"failed\":%zu,\"complete\":%s,\"statuses\":%s,"
                    "\"connect_s\":%.3f,\"connects_per_s\":%.0f,\"first_error\":\"%s\",%s}\n",
                    head(n).c_str(), o_.connect_concurrency, ready_, failed_, complete ? "true" : "false",
                    statuses().c_str(), seconds, seconds > 0 ? static_cast<double>(ready_) / seconds : 0.0,
                    first_error_.c_str(), cpu_fields(before_, after_).c_str());
        std::fflush(stdout);
        return failed_ == 0 && complete ? 0 : 1;
    }

    int run_idle() {
        if (o_.levels.empty()) {
            usage("idle needs --levels");
        }
        const std::size_t top = *std::max_element(o_.levels.begin(), o_.levels.end());
        ensure_descriptors(top);
        run_for_seconds(0.5);
        const process_memory base = read_process_memory(o_.server_pid);
        const std::size_t base_fds = count_open_descriptors(o_.server_pid);
        for (std::size_t i = 0; i < top; ++i) {
            add_client({}, false);
        }
        for (const std::size_t level : o_.levels) {
            before_ = sample();
            const bool complete = connect_up_to(level);
            run_for_seconds(o_.settle);
            after_ = sample();
            const process_memory now = read_process_memory(o_.server_pid);
            const std::size_t fds = count_open_descriptors(o_.server_pid);
            const double per_connection =
                ready_ > 0 ? 1024.0 * (static_cast<double>(now.rss_kib) - static_cast<double>(base.rss_kib)) /
                                 static_cast<double>(ready_)
                           : 0.0;
            std::printf("%s\"level\":%zu,\"ready\":%zu,\"failed\":%zu,\"complete\":%s,\"statuses\":%s,"
                        "\"base_rss_kib\":%llu,\"rss_kib\":%llu,\"rss_per_connection_bytes\":%.0f,"
                        "\"server_fds\":%zu,\"base_server_fds\":%zu,\"first_error\":\"%s\",%s}\n",
                        head(level).c_str(), level, ready_, failed_, complete ? "true" : "false",
                        statuses().c_str(), static_cast<unsigned long long>(base.rss_kib),
                        static_cast<unsigned long long>(now.rss_kib), per_connection, fds, base_fds,
                        first_error_.c_str(), cpu_fields(before_, after_).c_str());
            std::fflush(stdout);
        }
        run_for_seconds(o_.hold);
        return failed_ == 0 ? 0 : 1;
    }

    int run_probe() {
        const std::size_t n = o_.connections;
        ensure_descriptors(n);
        for (std::size_t i = 0; i < n; ++i) {
            add_client({}, false);
        }
        const std::uint64_t start = now_ns();
        const bool complete = connect_up_to(n);
        const double seconds = static_cast<double>(now_ns() - start) / 1e9;
        std::printf("%s\"ready\":%zu,\"failed\":%zu,\"complete\":%s,\"statuses\":%s,\"probe_s\":%.3f,"
                    "\"first_error\":\"%s\"}\n",
                    head(n).c_str(), ready_, failed_, complete ? "true" : "false", statuses().c_str(),
                    seconds, first_error_.c_str());
        std::fflush(stdout);
        run_for_seconds(o_.hold);
        return 0;
    }

    /// REST data plane (hubcast only): `:send` to the whole hub (every connection gets each message;
    /// closed loop with --window messages not yet delivered everywhere), or `users/{id}/:send` to one
    /// user at a time (closed loop: each HTTP connection keeps one request in flight). Bearer tokens
    /// are HS256 JWTs whose audience is the request URL, as the Azure server SDKs sign them, minted
    /// before the clock starts.
    int run_rest() {
        const std::size_t n = o_.connections;
        ensure_descriptors(n + o_.rest_connections);
        const bool to_all = o_.rest_target == "all";
        for (std::size_t i = 0; i < n; ++i) {
            add_client({}, false);
        }
        if (!connect_up_to(n) || failed_ > 0) {
            return fail_connect(n);
        }
        auth::access_keys keys;
        keys.keys.push_back(o_.access_key);
        const auto now = static_cast<std::int64_t>(std::time(nullptr));
        auto request_for = [&](const std::string& target) {
            boost::json::object claims;
            claims["aud"] = "http://127.0.0.1:" + std::to_string(o_.port) + target;
            claims["iat"] = now;
            claims["exp"] = now + 3600;
            return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(o_.port) +
                   "\r\nAuthorization: Bearer " + auth::sign_hs256(claims, o_.access_key) +
                   "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(o_.payload) +
                   "\r\n\r\n";
        };
        std::vector<std::string> heads;
        if (to_all) {
            heads.push_back(request_for("/api/hubs/" + o_.hub + "/:send?api-version=2024-01-01"));
        } else {
            for (std::size_t i = 0; i < n; ++i) {
                heads.push_back(request_for("/api/hubs/" + o_.hub + "/users/u" + std::to_string(i) +
                                            "/:send?api-version=2024-01-01"));
            }
        }
        std::size_t connected = 0;
        std::size_t next_user = 0;
        auto issue = [&](rest_client& http) {
            const auto sequence = static_cast<std::uint32_t>(next_sequence_++);
            if (to_all) {
                ring_[sequence & ring_mask] = 0;
                ++in_flight_;
            }
            write_marker(payload_.data(), now_ns(), sequence);
            ++sent_;
            if (measuring_) {
                ++sent_measured_;
            }
            http.send(heads[to_all ? 0 : next_user++ % heads.size()] + payload_);
        };
        std::vector<std::unique_ptr<rest_client>> https;
        auto pump = [&] {
            for (auto& http : https) {
                if (!publishing_ || (to_all && in_flight_ >= std::max<std::size_t>(o_.window, 1))) {
                    return;
                }
                if (!http->busy()) {
                    issue(*http);
                }
            }
        };
        rest_pump_ = pump;
        for (std::size_t i = 0; i < o_.rest_connections; ++i) {
            https.push_back(
                std::make_unique<rest_client>(io_, o_.port, [this, &pump](rest_client&, int status) {
                    ++statuses_[status];
                    if (status == 202 || status == 200) {
                        ++responses_ok_;
                        if (measuring_) {
                            ++responses_measured_;
                        }
                    } else if (first_error_.empty()) {
                        first_error_ = "REST answered " + std::to_string(status);
                    }
                    pump();
                }));
            https.back()->start([&connected](bool ok) { connected += ok ? 1 : 0; });
        }
        run_until([&] { return connected == o_.rest_connections; }, 10);
        if (connected != o_.rest_connections) {
            first_error_ = "REST connections failed";
            return fail_connect(n);
        }
        run_for_seconds(0.3);
        mode_ = to_all ? mode::fanout : mode::rooms;
        expected_per_message_ = to_all ? static_cast<std::uint32_t>(n) : 1;
        measure([&pump] { pump(); });
        rest_pump_ = nullptr;
        const double seconds = static_cast<double>(after_.at_ns - before_.at_ns) / 1e9;
        print_flow(n, fmt::format(R"("rest_target":"{}","rest_connections":{},"requests_per_s":{:.0f},)"
                                  R"("responses_ok":{},"statuses":{},)",
                                  o_.rest_target, o_.rest_connections,
                                  static_cast<double>(responses_measured_) / seconds, responses_ok_,
                                  statuses()));
        return 0;
    }

    options o_;
    std::unique_ptr<protocol_adapter> adapter_;
    std::unique_ptr<redis_stats> redis_;
    asio::io_context io_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    asio::steady_timer phase_timer_;
    asio::steady_timer tick_timer_;
    std::vector<std::unique_ptr<client>> clients_;

    std::size_t next_connect_ = 0;
    std::size_t connect_limit_ = 0;
    std::size_t outstanding_connects_ = 0;
    std::size_t ready_ = 0;
    std::size_t failed_ = 0;
    std::size_t lost_connections_ = 0;
    std::map<int, std::size_t> statuses_;
    std::string first_error_;
    std::uint64_t last_ready_ns_ = 0;

    mode mode_ = mode::none;
    std::size_t publisher_ = 0;
    std::vector<std::uint32_t> ring_;
    std::uint32_t expected_per_message_ = 1;
    std::uint64_t in_flight_ = 0;
    std::uint64_t next_sequence_ = 0;
    std::uint64_t max_outstanding_ = 0;
    bool publishing_ = false;
    bool measuring_ = false;
    bool overloaded_ = false;
    std::string payload_;
    std::function<client&(std::uint64_t)> pick_;
    std::uint64_t rate_start_ns_ = 0;
    std::uint64_t rate_sent_ = 0;

    std::function<void()> rest_pump_;
    std::uint64_t responses_ok_ = 0;
    std::uint64_t responses_measured_ = 0;

    std::uint64_t sent_ = 0;
    std::uint64_t sent_measured_ = 0;
    std::uint64_t delivered_total_ = 0;
    std::uint64_t delivered_measured_ = 0;
    double drain_seconds_ = 0;
    latency_histogram latency_;
    cpu_sample before_;
    cpu_sample after_;
};

std::unique_ptr<protocol_adapter> make_adapter(const options& o) {
    if (o.server == "hubcast") {
        if (o.access_key.empty()) {
            usage("hubcast needs --access-key (tokens are minted from it)");
        }
        return make_hubcast_adapter(
            hubcast_settings{o.access_key, o.hub, o.reliable_share, o.scenario == "events"});
    }
    if (o.scenario == "events") {
        usage("the events scenario is hubcast's (user events to an event handler)");
    }
    if (o.server == "nats") {
        return make_nats_adapter();
    }
    if (o.server == "mqtt" || o.server == "mosquitto") {
        return make_mqtt_adapter();
    }
    if (o.server == "ceiling") {
        return make_ceiling_adapter();
    }
    usage("unknown --server");
}

} // namespace
} // namespace hubcast::bench

int main(int argc, char** argv) {
    using namespace hubcast::bench;
    auto o = parse_options(argc, argv);
    auto adapter = make_adapter(o);
    driver d(std::move(o), std::move(adapter));
    return d.run();
}

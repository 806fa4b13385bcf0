#include "support/redis_cluster_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/test_failure.hpp"

extern char** environ; // NOLINT(readability-redundant-declaration): posix_spawnp needs it

namespace hubcast::test {
namespace {

using namespace std::chrono_literals;

using context_ptr = std::unique_ptr<redisContext, void (*)(redisContext*)>;
using reply_ptr = std::unique_ptr<redisReply, void (*)(void*)>;

constexpr long long slot_count = 16384;
// A port picked free can be taken by someone else before redis-server binds it: start again
// with new ports that many times.
constexpr int start_attempts = 3;

std::string address(std::uint16_t port) {
    return "127.0.0.1:" + std::to_string(port);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string make_folder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hubcast-redis-cluster-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw test_failure(std::string("mkdtemp: ") + std::strerror(errno));
    }
    return pattern;
}

// Binds every socket before closing any, so the ports are distinct. Another process may take one
// before redis-server binds it: start_nodes notices and starts again on new ports.
std::vector<std::uint16_t> free_ports(std::size_t count) {
    std::vector<int> sockets;
    std::vector<std::uint16_t> ports;
    for (std::size_t i = 0; i < count; ++i) {
        sockaddr_in bound{};
        bound.sin_family = AF_INET;
        bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof bound;
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
            sockets.push_back(fd);
        }
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&bound), sizeof bound) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
            break;
        }
        ports.push_back(ntohs(bound.sin_port));
    }
    const int error = errno;
    for (const int fd : sockets) {
        ::close(fd);
    }
    if (ports.size() != count) {
        throw test_failure(std::string("cannot pick a free port: ") + std::strerror(error));
    }
    return ports;
}

// redis-cli colours its --cluster output when TERM names an xterm; failure messages read better
// without the escapes.
std::vector<std::string> plain_environment() {
    std::vector<std::string> variables{"TERM=dumb"};
    for (char** variable = environ; *variable != nullptr; ++variable) {
        if (std::strncmp(*variable, "TERM=", 5) != 0) {
            variables.emplace_back(*variable);
        }
    }
    return variables;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> result;
    for (auto& text : strings) {
        result.push_back(text.data());
    }
    result.push_back(nullptr);
    return result;
}

// Stdin from /dev/null (redis-cli must never wait for a "yes"), stdout and stderr appended to
// `output`: redis-server reports a bad argument there, before it opens its log file.
pid_t spawn(std::vector<std::string> args, const std::string& output) {
    std::vector<std::string> variables = plain_environment();
    const auto argv = pointers(args);
    const auto envp = pointers(variables);
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                       0600);
    ::posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = -1;
    const int error = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    ::posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
        throw test_failure("cannot start " + args[0] +
                           " (scripts/install-deps.sh installs it): " + std::strerror(error));
    }
    return pid;
}

bool wait_for_exit(pid_t pid, deadline limit, int& status) {
    return wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, limit, 5ms);
}

// One connection per question: the helpers ask rarely, and a node may have restarted since.
reply_ptr ask(std::uint16_t port, std::initializer_list<std::string_view> args) {
    reply_ptr none(nullptr, &freeReplyObject);
    const timeval timeout{1, 0};
    const context_ptr context(redisConnectWithTimeout("127.0.0.1", port, timeout), &redisFree);
    if (!context || context->err != 0 || redisSetTimeout(context.get(), timeout) != REDIS_OK) {
        return none;
    }
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    return reply_ptr(static_cast<redisReply*>(redisCommandArgv(context.get(), static_cast<int>(argv.size()),
                                                               argv.data(), lengths.data())),
                     &freeReplyObject);
}

bool answers_ping(std::uint16_t port) {
    const auto reply = ask(port, {"PING"});
    return reply && reply->type == REDIS_REPLY_STATUS;
}

bool cluster_state_ok(std::uint16_t port) {
    const auto reply = ask(port, {"CLUSTER", "INFO"});
    return reply && reply->type == REDIS_REPLY_STRING &&
           std::string_view(reply->str, reply->len).find("cluster_state:ok") != std::string_view::npos;
}

// CLUSTER SLOTS lists one range per master here (redis-cli gives each a contiguous block), more
// once a test moved a slot; a node that has not yet heard of a master's slots covers fewer.
bool sees_all_slots(std::uint16_t port) {
    const auto reply = ask(port, {"CLUSTER", "SLOTS"});
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        return false;
    }
    long long covered = 0;
    for (std::size_t i = 0; i < reply->elements; ++i) {
        const redisReply* range = reply->element[i];
        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3) {
            return false;
        }
        covered += range->element[1]->integer - range->element[0]->integer + 1;
    }
    return covered == slot_count;
}

long long shard_subscribers_on(std::uint16_t port, std::string_view channel) {
    const auto reply = ask(port, {"PUBSUB", "SHARDNUMSUB", channel});
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[1]->type != REDIS_REPLY_INTEGER) {
        return -1;
    }
    return reply->element[1]->integer;
}

} // namespace

redis_cluster_process::redis_cluster_process() : folder_(make_folder()) {
    // The destructor does not run for a constructor that throws: clean up here.
    try {
        start_cluster(cluster_wait);
    } catch (...) {
        stop_all();
        std::error_code ignored;
        std::filesystem::remove_all(folder_, ignored);
        throw;
    }
}

redis_cluster_process::~redis_cluster_process() {
    stop_all();
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
}

std::string redis_cluster_process::url() const {
    std::string seeds;
    for (const auto& each : nodes_) {
        seeds.append(seeds.empty() ? "" : ",").append(address(each.port));
    }
    return "redis+cluster://" + seeds;
}

std::vector<std::uint16_t> redis_cluster_process::ports() const {
    std::vector<std::uint16_t> result;
    for (const auto& each : nodes_) {
        result.push_back(each.port);
    }
    return result;
}

long long redis_cluster_process::shard_subscribers(std::string_view channel) const {
    // A non-owning master answers 0 (no MOVED), so the sum is the owner's count.
    long long total = 0;
    for (const auto& each : nodes_) {
        const long long count = shard_subscribers_on(each.port, channel);
        if (count < 0) {
            return -1;
        }
        total += count;
    }
    return total;
}

bool redis_cluster_process::wait_for_shard_subscribers(std::string_view channel, long long count,
                                                       deadline limit) const {
    return wait_until([&] { return shard_subscribers(channel) == count; }, limit);
}

std::size_t redis_cluster_process::master_of(std::string_view name) const {
    const auto slot = ask(nodes_[0].port, {"CLUSTER", "KEYSLOT", name});
    const auto ranges = ask(nodes_[0].port, {"CLUSTER", "SLOTS"});
    if (!slot || slot->type != REDIS_REPLY_INTEGER || !ranges || ranges->type != REDIS_REPLY_ARRAY) {
        throw test_failure("CLUSTER KEYSLOT / SLOTS unanswered\n" + log());
    }
    for (std::size_t i = 0; i < ranges->elements; ++i) {
        const redisReply* range = ranges->element[i];
        if (range->element[0]->integer <= slot->integer && slot->integer <= range->element[1]->integer) {
            const auto port = static_cast<std::uint16_t>(range->element[2]->element[1]->integer);
            for (std::size_t n = 0; n < node_count; ++n) {
                if (nodes_[n].port == port) {
                    return n;
                }
            }
        }
    }
    throw test_failure("no master serves the slot of " + std::string(name) + "\n" + log());
}

std::string redis_cluster_process::id_of(std::size_t i) const {
    const auto reply = ask(nodes_.at(i).port, {"CLUSTER", "MYID"});
    if (!reply || reply->type != REDIS_REPLY_STRING) {
        throw test_failure("CLUSTER MYID unanswered by node " + std::to_string(i) + "\n" + log());
    }
    return {reply->str, reply->len};
}

void redis_cluster_process::move_slot_of(std::string_view name, std::size_t to) {
    const std::size_t from = master_of(name);
    const auto slot_reply = ask(nodes_[0].port, {"CLUSTER", "KEYSLOT", name});
    const std::string slot = std::to_string(slot_reply->integer);
    const std::string from_id = id_of(from);
    const std::string to_id = id_of(to);
    const auto expect_ok = [this](std::uint16_t port, std::initializer_list<std::string_view> args) {
        const auto reply = ask(port, args);
        if (!reply || reply->type != REDIS_REPLY_STATUS) {
            throw test_failure("CLUSTER SETSLOT refused on 127.0.0.1:" + std::to_string(port) + ": " +
                               (reply && reply->str != nullptr ? std::string(reply->str, reply->len) : "") +
                               "\n" + log());
        }
    };
    // As redis-cli --cluster reshard moves a slot (the channel's slot holds no keys to MIGRATE):
    // importing on the target, migrating on the source, then the new owner told to every master.
    expect_ok(nodes_.at(to).port, {"CLUSTER", "SETSLOT", slot, "IMPORTING", from_id});
    expect_ok(nodes_.at(from).port, {"CLUSTER", "SETSLOT", slot, "MIGRATING", to_id});
    expect_ok(nodes_.at(to).port, {"CLUSTER", "SETSLOT", slot, "NODE", to_id});
    expect_ok(nodes_.at(from).port, {"CLUSTER", "SETSLOT", slot, "NODE", to_id});
    for (std::size_t n = 0; n < node_count; ++n) {
        if (n != to && n != from) {
            expect_ok(nodes_[n].port, {"CLUSTER", "SETSLOT", slot, "NODE", to_id});
        }
    }
}

void redis_cluster_process::flush_all() const {
    for (const auto& each : nodes_) {
        const auto reply = ask(each.port, {"FLUSHALL"});
        if (!reply || reply->type != REDIS_REPLY_STATUS) {
            throw test_failure("FLUSHALL refused on 127.0.0.1:" + std::to_string(each.port) + "\n" + log());
        }
    }
}

std::string redis_cluster_process::log() const {
    std::string text;
    for (std::size_t i = 0; i < node_count; ++i) {
        text.append("---- redis-server ")
            .append(std::to_string(i))
            .append(" (")
            .append(address(nodes_[i].port))
            .append(") ----\n")
            .append(read_file(log_file(i)));
    }
    return text;
}

void redis_cluster_process::stop_node(std::size_t i, deadline limit) {
    node& stopped = nodes_.at(i);
    if (stopped.pid <= 0) {
        return;
    }
    ::kill(stopped.pid, SIGTERM);
    int status = 0;
    if (!wait_for_exit(stopped.pid, limit, status)) {
        ::kill(stopped.pid, SIGKILL);
        ::waitpid(stopped.pid, &status, 0);
    }
    stopped.pid = -1;
}

void redis_cluster_process::start_node(std::size_t i, deadline limit) {
    if (node_running(i)) {
        return;
    }
    spawn_node(i);
    if (!wait_for_node(i, limit)) {
        throw test_failure("redis-server " + std::to_string(i) + " did not start again\n" + log());
    }
    wait_for_cluster(limit);
}

void redis_cluster_process::start_cluster(deadline limit) {
    for (int attempt = 1; !start_nodes(limit); ++attempt) {
        if (attempt == start_attempts) {
            throw test_failure("redis-server found its port taken " + std::to_string(start_attempts) +
                               " times\n" + log());
        }
    }
    create_cluster(limit);
    wait_for_cluster(limit);
}

// False when a node could not bind its port (picked free, then taken): the caller starts again
// on new ports. Other failures throw.
bool redis_cluster_process::start_nodes(deadline limit) {
    const auto picked = free_ports(2 * node_count);
    for (std::size_t i = 0; i < node_count; ++i) {
        nodes_[i].port = picked[2 * i];
        nodes_[i].bus_port = picked[2 * i + 1];
    }
    remove_node_files();
    for (std::size_t i = 0; i < node_count; ++i) {
        spawn_node(i);
    }
    for (std::size_t i = 0; i < node_count; ++i) {
        if (wait_for_node(i, limit)) {
            continue;
        }
        const std::string logged = log();
        stop_all();
        if (logged.find("Address already in use") != std::string::npos) {
            return false;
        }
        throw test_failure("redis-server " + std::to_string(i) + " did not answer on " +
                           address(nodes_[i].port) + "\n" + logged);
    }
    return true;
}

void redis_cluster_process::spawn_node(std::size_t i) {
    std::filesystem::create_directories(node_folder(i));
    node& started = nodes_[i];
    // The bus port is explicit: port + 10000 (Redis's default) may be anyone's.
    started.pid = spawn({"redis-server",
                         "--bind",
                         "127.0.0.1",
                         "--port",
                         std::to_string(started.port),
                         "--cluster-enabled",
                         "yes",
                         "--cluster-port",
                         std::to_string(started.bus_port),
                         "--cluster-config-file",
                         config_file(i),
                         "--cluster-node-timeout",
                         "2000",
                         "--protected-mode",
                         "no",
                         "--save",
                         "",
                         "--appendonly",
                         "no",
                         "--dir",
                         node_folder(i),
                         "--daemonize",
                         "no",
                         "--logfile",
                         log_file(i)},
                        log_file(i));
}

// True once node `i` answers PING; false as soon as it exits (a port taken) or at `limit`.
bool redis_cluster_process::wait_for_node(std::size_t i, deadline limit) {
    node& started = nodes_[i];
    int status = 0;
    const bool answered = wait_until(
        [&] {
            if (::waitpid(started.pid, &status, WNOHANG) == started.pid) {
                started.pid = -1;
                return true;
            }
            return answers_ping(started.port);
        },
        limit);
    return answered && started.pid > 0;
}

void redis_cluster_process::create_cluster(deadline limit) {
    std::vector<std::string> args{"redis-cli", "--cluster", "create"};
    for (const auto& each : nodes_) {
        args.push_back(address(each.port));
    }
    // --cluster-yes accepts the proposed slot layout instead of asking on stdin.
    args.insert(args.end(), {"--cluster-replicas", "0", "--cluster-yes"});
    const std::string output = folder_ + "/cluster-create.log";
    const pid_t pid = spawn(args, output);
    int status = 0;
    // redis-cli waits for the nodes to agree with no limit of its own.
    if (!wait_for_exit(pid, limit, status)) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        throw test_failure("redis-cli --cluster create did not finish\n" + read_file(output) + log());
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw test_failure("redis-cli --cluster create failed\n" + read_file(output) + log());
    }
}

// redis-cli returns once the nodes agree on the slots; each node then still reports
// cluster_state:fail until its own state update.
void redis_cluster_process::wait_for_cluster(deadline limit) const {
    if (!wait_until([this] { return cluster_ready(); }, limit, 50ms)) {
        throw test_failure("the Redis Cluster did not reach cluster_state:ok with all " +
                           std::to_string(slot_count) + " slots\n" + log());
    }
}

bool redis_cluster_process::cluster_ready() const {
    for (const auto& each : nodes_) {
        if (!cluster_state_ok(each.port) || !sees_all_slots(each.port)) {
            return false;
        }
    }
    return true;
}

// SIGTERM to every node first, so they shut down side by side rather than one after another.
void redis_cluster_process::stop_all() {
    for (const auto& each : nodes_) {
        if (each.pid > 0) {
            ::kill(each.pid, SIGTERM);
        }
    }
    const deadline limit{default_wait};
    for (std::size_t i = 0; i < node_count; ++i) {
        stop_node(i, limit);
    }
}

// A new start must not find a previous attempt's cluster config (it would name the old ports).
void redis_cluster_process::remove_node_files() const {
    for (std::size_t i = 0; i < node_count; ++i) {
        std::error_code ignored;
        std::filesystem::remove(config_file(i), ignored);
        std::filesystem::remove(log_file(i), ignored);
    }
}

std::string redis_cluster_process::node_folder(std::size_t i) const {
    return folder_ + "/" + std::to_string(i);
}

std::string redis_cluster_process::config_file(std::size_t i) const {
    return folder_ + "/nodes-" + std::to_string(i) + ".conf";
}

std::string redis_cluster_process::log_file(std::size_t i) const {
    return folder_ + "/redis-" + std::to_string(i) + ".log";
}

} // namespace hubcast::test

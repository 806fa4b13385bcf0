#include "support/redis_process.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include <hiredis/hiredis.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/test_failure.hpp"

extern char** environ; // NOLINT(readability-redundant-declaration): posix_spawnp needs it

namespace hubcast::test {
namespace {

using context_ptr = std::unique_ptr<redisContext, void (*)(redisContext*)>;

context_ptr connect_to(const std::string& socket_path) {
    const timeval timeout{1, 0};
    return context_ptr(redisConnectUnixWithTimeout(socket_path.c_str(), timeout), &redisFree);
}

bool answers_ping(const std::string& socket_path) {
    const auto context = connect_to(socket_path);
    if (!context || context->err != 0) {
        return false;
    }
    auto* reply = static_cast<redisReply*>(redisCommand(context.get(), "PING"));
    const bool pong = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
    if (reply != nullptr) {
        freeReplyObject(reply);
    }
    return pong;
}

} // namespace

redis_process::redis_process() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hubcast-redis-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw test_failure(std::string("mkdtemp: ") + std::strerror(errno));
    }
    folder_ = pattern;
    socket_path_ = folder_ + "/redis.sock";
    start();
}

redis_process::~redis_process() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
}

void redis_process::start(deadline limit) {
    if (running()) {
        return;
    }
    // Only the unix socket: no TCP port to collide with, nothing written to disk.
    std::vector<std::string> args{"redis-server",
                                  "--port",
                                  "0",
                                  "--unixsocket",
                                  socket_path_,
                                  "--unixsocketperm",
                                  "700",
                                  "--dir",
                                  folder_,
                                  "--save",
                                  "",
                                  "--appendonly",
                                  "no",
                                  "--daemonize",
                                  "no",
                                  "--logfile",
                                  folder_ + "/redis.log"};
    std::vector<char*> argv;
    for (auto& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    pid_t pid = -1;
    if (const int error = ::posix_spawnp(&pid, "redis-server", nullptr, nullptr, argv.data(), environ);
        error != 0) {
        throw test_failure(std::string("cannot start redis-server (scripts/install-deps.sh installs it): ") +
                           std::strerror(error));
    }
    pid_ = pid;
    if (!wait_until([this] { return answers_ping(socket_path_); }, limit)) {
        const std::string logged = log();
        stop();
        throw test_failure("redis-server did not answer on " + socket_path_ + "\n" + logged);
    }
}

void redis_process::stop(deadline limit) {
    if (!running()) {
        return;
    }
    ::kill(pid_, SIGCONT); // a paused Redis must be able to act on the SIGTERM
    ::kill(pid_, SIGTERM);
    int status = 0;
    const bool exited = wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, limit,
                                   std::chrono::milliseconds{5});
    if (!exited) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
}

void redis_process::pause() {
    if (running()) {
        ::kill(pid_, SIGSTOP);
    }
}

void redis_process::resume() {
    if (running()) {
        ::kill(pid_, SIGCONT);
    }
}

long long redis_process::subscribers(std::string_view channel) const {
    const auto context = connect_to(socket_path_);
    if (!context || context->err != 0) {
        return -1;
    }
    std::array<const char*, 3> argv{"PUBSUB", "NUMSUB", channel.data()};
    const std::array<std::size_t, 3> lengths{6, 6, channel.size()};
    auto* reply = static_cast<redisReply*>(redisCommandArgv(context.get(), 3, argv.data(), lengths.data()));
    long long count = -1;
    if (reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[1]->type == REDIS_REPLY_INTEGER) {
        count = reply->element[1]->integer;
    }
    if (reply != nullptr) {
        freeReplyObject(reply);
    }
    return count;
}

bool redis_process::wait_for_subscribers(std::string_view channel, long long count, deadline limit) const {
    return wait_until([&] { return subscribers(channel) == count; }, limit);
}

std::string redis_process::log() const {
    std::ifstream in(folder_ + "/redis.log");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace hubcast::test

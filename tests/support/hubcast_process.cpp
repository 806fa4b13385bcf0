#include "support/hubcast_process.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <functional>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/test_failure.hpp"

extern char** environ; // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace hubcast::test {
namespace {

constexpr std::string_view listening_prefix = "hubcast listening on http://127.0.0.1:";
constexpr std::string_view endpoint_prefix = "Endpoint=";

struct spawned {
    pid_t pid = -1;
    int out = -1;
    int err = -1;
};

spawned spawn(const std::vector<std::string>& args) {
    const std::string path = hubcast_process::binary_path();
    std::array<int, 2> out{};
    std::array<int, 2> err{};
    if (::pipe2(out.data(), O_CLOEXEC) != 0 || ::pipe2(err.data(), O_CLOEXEC) != 0) {
        throw test_failure(std::string("pipe2: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    // dup2 clears close-on-exec on 1 and 2; the pipe ends themselves close on exec.
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);

    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const auto& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);

    // The tests decide every setting: HUBCAST_* variables of the developer's shell (a config file,
    // keys, keep-alive...) must not leak into the server under test.
    std::vector<char*> env;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        if (std::string_view(*entry).rfind("HUBCAST_", 0) != 0) {
            env.push_back(*entry);
        }
    }
    env.push_back(nullptr);

    spawned child;
    int error = ::posix_spawn(&child.pid, path.c_str(), &actions, nullptr, argv.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    if (error != 0) {
        ::close(out[0]);
        ::close(err[0]);
        throw test_failure("cannot start " + path + ": " + std::strerror(error) +
                           " (build the hubcast target or set HUBCAST_BINARY)");
    }
    child.out = out[0];
    child.err = err[0];
    return child;
}

/// Reads both pipes until both reach EOF or `wait_ms()` says to stop (returns false on timeout).
/// Closes each pipe at its EOF and sets it to -1; a pipe still open on timeout is the caller's.
bool pump(int& out, int& err, const std::function<int()>& wait_ms,
          const std::function<void(bool is_err, std::string_view)>& on_data) {
    std::array<pollfd, 2> fds{pollfd{out, POLLIN, 0}, pollfd{err, POLLIN, 0}};
    std::array<char, 16 * 1024> buffer{};
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        int ready = ::poll(fds.data(), fds.size(), wait_ms());
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            return false;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) {
                continue;
            }
            ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
            if (n > 0) {
                on_data(i == 1, std::string_view(buffer.data(), static_cast<std::size_t>(n)));
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                (i == 0 ? out : err) = -1;
            }
        }
    }
    return true;
}

exit_status decode(int raw) {
    exit_status status;
    if (WIFEXITED(raw)) {
        status.exited = true;
        status.code = WEXITSTATUS(raw);
    } else if (WIFSIGNALED(raw)) {
        status.signal = WTERMSIG(raw);
    }
    return status;
}

/// Waits (without reaping) until `pid` has exited or `limit` passes; true if it has exited.
bool wait_exited(pid_t pid, deadline limit) {
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
        pollfd waiting{pidfd, POLLIN, 0};
        int ready = 0;
        do {
            ready = ::poll(&waiting, 1, limit.poll_timeout());
        } while (ready < 0 && errno == EINTR);
        ::close(pidfd);
        return ready > 0;
    }
    // Kernels before 5.3: poll the child's state (a bounded check, not a fixed sleep).
    siginfo_t info{};
    return wait_until(
        [&] {
            info.si_pid = 0;
            return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                   info.si_pid == pid;
        },
        limit, std::chrono::milliseconds{5});
}

std::string tail(const std::string& text, std::size_t limit = 8000) {
    return text.size() <= limit ? text : "..." + text.substr(text.size() - limit);
}

} // namespace

std::optional<std::string> sanitizer_report(std::string_view output) {
    // The first line each runtime writes; UBSan's is "FILE:LINE:COL: runtime error: ...".
    constexpr std::array<std::string_view, 6> markers{
        "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
        "Sanitizer:DEADLYSIGNAL",  ": runtime error: ",    "SUMMARY: UndefinedBehaviorSanitizer"};
    std::size_t first = std::string_view::npos;
    for (auto marker : markers) {
        first = std::min(first, output.find(marker));
    }
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    auto line_start = output.rfind('\n', first);
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    return std::string(output.substr(line_start));
}

std::string exit_status::describe() const {
    if (exited) {
        return "exit code " + std::to_string(code);
    }
    return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

std::string hubcast_process::binary_path() {
    if (const char* path = std::getenv("HUBCAST_BINARY"); path != nullptr && *path != '\0') {
        return path;
    }
    return HUBCAST_BINARY;
}

hubcast_process::hubcast_process(process_options options) : options_(std::move(options)) {
    std::vector<std::string> args{"--listen", "127.0.0.1:0"};
    for (const auto& key : options_.access_keys) {
        args.emplace_back("--access-key");
        args.push_back(key);
    }
    args.insert(args.end(), options_.args.begin(), options_.args.end());
    spawned child = spawn(args);
    pid_ = child.pid;
    drainer_ = std::thread([this, child]() mutable { drain(child.out, child.err); });

    std::string port_text;
    bool listening = wait_for_output(
        [&](const std::string& out) {
            auto at = out.find(listening_prefix);
            if (at == std::string::npos) {
                return false;
            }
            auto end = out.find('\n', at);
            if (end == std::string::npos) {
                return false;
            }
            port_text = out.substr(at + listening_prefix.size(), end - at - listening_prefix.size());
            while (!port_text.empty() && (port_text.back() == '\r' || port_text.back() == ' ')) {
                port_text.pop_back();
            }
            return true;
        },
        options_.start_deadline);
    int port = 0;
    auto parsed = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (!listening || parsed.ec != std::errc{} || parsed.ptr != port_text.data() + port_text.size() ||
        port <= 0 || port > 65535) {
        kill();
        drainer_.join(); // the pipes end with the process
        std::string why = listening ? "an unparsable port \"" + port_text + "\""
                                    : "no \"" + std::string(listening_prefix) + "PORT\" line within " +
                                          std::to_string(options_.start_deadline.count()) + " ms";
        std::string ended = status_ ? " (" + status_->describe() + ")" : "";
        throw test_failure(binary_path() + " printed " + why + ended + ". Output:\n" + tail(output()));
    }
    port_ = static_cast<std::uint16_t>(port);
}

hubcast_process::~hubcast_process() {
    stop_and_check();
}

void hubcast_process::stop_and_check() {
    std::string problem;
    if (running()) {
        ::kill(pid_, SIGTERM);
        auto status = wait_exit(options_.stop_deadline);
        if (!status) {
            kill();
            problem = "hubcast did not exit within " + std::to_string(options_.stop_deadline.count()) +
                      " ms of SIGTERM";
        } else if (!status->success()) {
            problem = "hubcast ended with " + status->describe() + " after SIGTERM (expected exit code 0)";
        }
    }
    if (drainer_.joinable()) {
        drainer_.join(); // the pipes end with the process: the output is complete from here on
    }
    auto report = sanitizer_report(output());
    if (report) {
        problem += (problem.empty() ? "" : "; ") + std::string("hubcast wrote a sanitizer report");
    }
    if (!problem.empty()) {
        ADD_FAILURE() << problem << ". Output:\n" << (report ? *report : tail(output()));
    }
}

void hubcast_process::drain(int out_fd, int err_fd) {
    // No deadline: the pipes end when the process does, and the destructor kills it first.
    pump(
        out_fd, err_fd, [] { return -1; },
        [this](bool is_err, std::string_view bytes) {
            std::lock_guard lock(mutex_);
            combined_ += bytes;
            if (!is_err) {
                stdout_ += bytes;
            }
            changed_.notify_all();
        });
    std::lock_guard lock(mutex_);
    output_ended_ = true;
    changed_.notify_all();
}

template <typename Predicate> bool hubcast_process::wait_for_output(Predicate predicate, deadline limit) {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, limit.at(), [&] { return predicate(stdout_) || output_ended_; }) &&
           predicate(stdout_);
}

std::string hubcast_process::endpoint() const {
    return "http://127.0.0.1:" + std::to_string(port_);
}

bool hubcast_process::wait_for_output_containing(std::string_view text, deadline limit) {
    // Over stdout and stderr both (logs go to stderr), unlike wait_for_output.
    std::unique_lock lock(mutex_);
    const auto holds = [&] {
        return combined_.find(text) != std::string::npos;
    };
    return changed_.wait_until(lock, limit.at(), [&] { return holds() || output_ended_; }) && holds();
}

std::string hubcast_process::connection_string_line(deadline limit) {
    std::string line;
    bool found = wait_for_output(
        [&](const std::string& out) {
            auto at = out.find(endpoint_prefix);
            if (at == std::string::npos) {
                return false;
            }
            auto end = out.find('\n', at);
            if (end == std::string::npos) {
                return false;
            }
            line = out.substr(at, end - at);
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
                line.pop_back();
            }
            return true;
        },
        limit);
    if (!found) {
        throw test_failure("hubcast printed no \"Endpoint=...\" connection string line. Output:\n" +
                           tail(output()));
    }
    return line;
}

std::string hubcast_process::output() const {
    std::lock_guard lock(mutex_);
    return combined_;
}

std::string hubcast_process::standard_output() const {
    std::lock_guard lock(mutex_);
    return stdout_;
}

std::optional<exit_status> hubcast_process::try_reap(bool block) {
    if (status_ || pid_ < 0) {
        return status_;
    }
    int raw = 0;
    pid_t reaped = 0;
    do {
        reaped = ::waitpid(pid_, &raw, block ? 0 : WNOHANG);
    } while (reaped < 0 && errno == EINTR);
    if (reaped == pid_) {
        status_ = decode(raw);
    }
    return status_;
}

bool hubcast_process::running() {
    return pid_ > 0 && !try_reap(false);
}

std::optional<exit_status> hubcast_process::wait_exit(deadline limit) {
    if (status_ || pid_ < 0) {
        return status_;
    }
    if (!wait_exited(pid_, limit)) {
        return std::nullopt;
    }
    return try_reap(true);
}

std::optional<exit_status> hubcast_process::terminate(deadline limit) {
    if (running()) {
        ::kill(pid_, SIGTERM);
    }
    return wait_exit(limit);
}

void hubcast_process::kill() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        try_reap(true);
    }
}

void hubcast_process::send_signal(int signal) {
    if (running()) {
        ::kill(pid_, signal);
    }
}

run_result run_hubcast(const std::vector<std::string>& args, deadline limit) {
    spawned child = spawn(args);
    run_result result;
    bool ended = pump(
        child.out, child.err, [&] { return limit.poll_timeout(); },
        [&](bool is_err, std::string_view bytes) {
            (is_err ? result.standard_error : result.standard_output) += bytes;
        });
    if (!ended || !wait_exited(child.pid, limit)) {
        ::kill(child.pid, SIGKILL);
        ::waitpid(child.pid, nullptr, 0);
        for (int fd : {child.out, child.err}) {
            if (fd >= 0) {
                ::close(fd);
            }
        }
        std::string command = "hubcast";
        for (const auto& arg : args) {
            command += " " + arg;
        }
        throw test_failure("`" + command + "` still running at the deadline. stdout:\n" +
                           result.standard_output + "\nstderr:\n" + result.standard_error);
    }
    int raw = 0;
    ::waitpid(child.pid, &raw, 0);
    result.status = decode(raw);
    if (auto report = sanitizer_report(result.standard_error)) {
        ADD_FAILURE() << "hubcast wrote a sanitizer report:\n" << *report;
    }
    return result;
}

} // namespace hubcast::test

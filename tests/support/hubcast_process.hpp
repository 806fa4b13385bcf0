#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/types.h>

#include "support/deadline.hpp"

namespace hubcast::test {

inline constexpr std::string_view default_access_key = "hubcast-integration-test-access-key-0123456789";

/// How a child process ended.
struct exit_status {
    bool exited = false; ///< ended by exit(): `code` is valid; otherwise `signal` killed it
    int code = -1;
    int signal = 0;

    bool success() const noexcept { return exited && code == 0; }
    std::string describe() const;
};

struct process_options {
    /// Each becomes `--access-key KEY`; the first is the one hubcast signs with and prints.
    std::vector<std::string> access_keys{std::string(default_access_key)};
    /// Further flags, after `--listen 127.0.0.1:0` and the keys.
    std::vector<std::string> args;
    /// For the "hubcast listening on" line.
    std::chrono::milliseconds start_deadline{std::chrono::seconds{10}};
    /// For the exit after the destructor's SIGTERM (docs/configuration.md promises 5 s; the rest
    /// is for a sanitized build's leak check on a loaded machine).
    std::chrono::milliseconds stop_deadline{std::chrono::seconds{30}};
};

/// The report an AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer or ThreadSanitizer
/// runtime wrote into `output` (from its first line to the end of `output`), or std::nullopt if
/// there is none.
std::optional<std::string> sanitizer_report(std::string_view output);

/// The real hubcast binary, started on port 0 over loopback (style rule 16). Its stdout and stderr
/// are drained by a thread for the whole life of the process, so the server never blocks on a
/// full pipe, and are kept for failure messages. The destructor stops a process still running with
/// SIGTERM (SIGKILL if it has not exited within `stop_deadline`), so a sanitized server runs its
/// exit-time leak check; it then fails the running test if the process wrote a sanitizer report,
/// died of a signal it was not sent, or did not stop in time.
/// Not movable (the drain thread refers to it); hold it by value or in a unique_ptr.
class hubcast_process {
public:
    /// `HUBCAST_BINARY` from the environment if set, else the build's own <build dir>/hubcast.
    static std::string binary_path();

    /// Starts hubcast and waits for `hubcast listening on http://127.0.0.1:PORT`. Throws
    /// test_failure with everything the process printed if that line does not come in time.
    explicit hubcast_process(process_options options = {});
    ~hubcast_process();
    hubcast_process(const hubcast_process&) = delete;
    hubcast_process& operator=(const hubcast_process&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    /// The key tokens must be signed with (the first configured one; empty if none was given).
    const std::string& access_key() const noexcept {
        static const std::string none;
        return options_.access_keys.empty() ? none : options_.access_keys.front();
    }
    const process_options& options() const noexcept { return options_; }
    /// "http://127.0.0.1:PORT", the audience base of client tokens.
    std::string endpoint() const;
    /// The `Endpoint=http://127.0.0.1;Port=PORT;AccessKey=KEY;Version=1.0;` line as printed (waits
    /// for it until `limit`; throws test_failure if it never comes).
    std::string connection_string_line(deadline limit = default_wait);

    /// Everything the process wrote so far, stdout and stderr, in arrival order.
    std::string output() const;
    /// Waits until the output (stdout and stderr) holds `text` (a log line written just after the event a
    /// test saw may still be on its way through the pipe); false if it has not come by `limit`.
    bool wait_for_output_containing(std::string_view text, deadline limit = default_wait);
    /// Its stdout only.
    std::string standard_output() const;

    pid_t pid() const noexcept { return pid_; }
    /// Still running (not exited and not reaped).
    bool running();
    /// SIGTERM, then waits for the exit until `limit`; std::nullopt if it is still running then
    /// (it is left running; the destructor kills it).
    std::optional<exit_status> terminate(deadline limit = std::chrono::seconds{5});
    /// Waits for the process to exit by itself.
    std::optional<exit_status> wait_exit(deadline limit);
    /// SIGKILL and reap.
    void kill();
    /// Sends `signal` without waiting (e.g. SIGTERM while the test reads what clients receive).
    void send_signal(int signal);

private:
    /// Blocks until `predicate` holds over the captured output, the process's output ends, or
    /// `limit` passes. Returns whether the predicate held.
    template <typename Predicate> bool wait_for_output(Predicate predicate, deadline limit);
    void drain(int out_fd, int err_fd);
    std::optional<exit_status> try_reap(bool block);
    /// The destructor's SIGTERM, wait and checks.
    void stop_and_check();

    process_options options_;
    pid_t pid_ = -1;
    std::optional<exit_status> status_;
    std::uint16_t port_ = 0;

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::string combined_;
    std::string stdout_;
    bool output_ended_ = false;
    std::thread drainer_;
};

/// A short-lived hubcast invocation (`--help`, `token ...`).
struct run_result {
    exit_status status;
    std::string standard_output;
    std::string standard_error;
};

/// Runs `hubcast args...` to completion. Throws test_failure (after killing it) if it is still
/// running at `limit`; fails the running test if it wrote a sanitizer report.
run_result run_hubcast(const std::vector<std::string>& args, deadline limit = default_wait);

} // namespace hubcast::test

// At the open-descriptor limit: every surplus client is answered 503 (never left waiting), the log
// says so once per episode, the server does not spin, and service resumes once descriptors free up.

#include <chrono>
#include <cstddef>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include "support/http_client.hpp"
#include "support/hubcast_process.hpp"
#include "support/test_failure.hpp"
#include "support/tokens.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

/// utime + stime of a process, in seconds.
double cpu_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) {
            utime = std::stoull(field);
        } else if (i == 15) {
            stime = std::stoull(field);
        }
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) {
        ++n;
    }
    return n;
}

/// Starts hubcast with a soft descriptor limit of `limit` (inherited through the spawn; the test
/// process gets its own limit back at once).
std::unique_ptr<hubcast_process> start_with_descriptor_limit(rlim_t limit, process_options options) {
    rlimit saved{};
    ::getrlimit(RLIMIT_NOFILE, &saved);
    rlimit lowered = saved;
    lowered.rlim_cur = limit;
    ::setrlimit(RLIMIT_NOFILE, &lowered);
    std::unique_ptr<hubcast_process> server;
    try {
        server = std::make_unique<hubcast_process>(std::move(options));
    } catch (...) {
        ::setrlimit(RLIMIT_NOFILE, &saved);
        throw;
    }
    ::setrlimit(RLIMIT_NOFILE, &saved);
    return server;
}

TEST(DescriptorLimit, SurplusGets503OnceLoggedNoSpinAndServiceResumes) {
    process_options options;
    // Two workers: both acceptors meet the limit and compete for every freed descriptor.
    options.args = {"--workers", "2", "--keepalive-seconds", "0", "--log-level", "info"};
    auto server = start_with_descriptor_limit(64, options);
    const std::uint16_t port = server->port();
    const std::string target =
        "/client/hubs/chat?access_token=" + mint_token(port, server->access_key(), token_request{});

    // Fill the server up with upgraded connections until one is refused.
    std::vector<std::unique_ptr<ws_client>> held;
    int first_refusal = 0;
    for (int i = 0; i < 100 && first_refusal == 0; ++i) {
        auto client = std::make_unique<ws_client>();
        http_response response;
        ASSERT_NO_THROW(response = client->connect(port, target, {}, {}, std::chrono::seconds{3}))
            << "client " << i << " was not answered (" << held.size() << " connections held)";
        if (response.status == 101) {
            held.push_back(std::move(client));
        } else {
            first_refusal = response.status;
        }
    }
    ASSERT_EQ(first_refusal, 503) << "no refusal after " << held.size() << " connections";

    // Every further client is answered at once, whichever worker's acceptor it reaches.
    const double cpu_before = cpu_seconds(server->pid());
    const auto start = test_clock::now();
    // (With two workers a descriptor one acceptor frees for a refusal can reach the other's
    // accept: that client is refused too, never served whole on a borrowed descriptor nor left
    // waiting.)
    for (int i = 0; i < 30; ++i) {
        http_response response;
        ASSERT_NO_THROW(response = http_get(port, "/healthz", {}, std::chrono::seconds{2}))
            << "surplus client " << i << " was not answered";
        EXPECT_EQ(response.status, 503) << "surplus client " << i << "\n" << response.describe();
    }
    // Saturated, nobody connecting: the acceptors must not spin (a tight retry loop would use a core).
    const double idle_cpu_before = cpu_seconds(server->pid());
    const auto idle_start = test_clock::now();
    held.back()->expect_no_message(std::chrono::milliseconds{1500});
    const double idle_seconds = std::chrono::duration<double>(test_clock::now() - idle_start).count();
    EXPECT_LT((cpu_seconds(server->pid()) - idle_cpu_before) / idle_seconds, 0.05)
        << "the server used CPU while at the limit with nobody connecting";
    EXPECT_LT(cpu_seconds(server->pid()) - cpu_before,
              0.5 * std::chrono::duration<double>(test_clock::now() - start).count());

    // Free some descriptors: service resumes. The server says so at the first accept that finds a
    // descriptor to spare beyond the connection it accepted; the held connections' descriptors are
    // freed as the server notices their close, possibly after the first accept, so clients keep
    // connecting (bounded) until both are seen.
    held.resize(held.size() - 8);
    bool resumed = false;
    bool logged = false;
    const deadline limit(std::chrono::seconds{5});
    while (!(resumed && logged) && !limit.expired()) {
        ws_client client;
        resumed = client.connect(port, target, {}, {}, std::chrono::seconds{2}).status == 101 || resumed;
        logged =
            server->wait_for_output_containing("accepting connections again", std::chrono::milliseconds{200});
    }
    EXPECT_TRUE(resumed) << "no upgrade succeeded after descriptors were freed";
    EXPECT_TRUE(logged) << server->output();

    const std::string log = server->output();
    EXPECT_EQ(count(log, "open descriptor limit reached"), 1u) << log;
    EXPECT_EQ(count(log, "accepting connections again"), 1u) << log;
}

} // namespace
} // namespace hubcast::test

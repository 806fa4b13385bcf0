#include "redis_stats.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hubcast::bench {

namespace {

constexpr std::string_view info_request = "*3\r\n$4\r\nINFO\r\n$5\r\nstats\r\n$12\r\ncommandstats\r\n";

/// The unsigned number after `key` (e.g. "total_net_input_bytes:") in an INFO text, 0 if absent.
std::uint64_t number_after(std::string_view text, std::string_view key) {
    const auto at = text.find(key);
    if (at == std::string_view::npos) {
        return 0;
    }
    return std::strtoull(text.data() + at + key.size(), nullptr, 10);
}

bool wait_for(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
}

} // namespace

redis_stats::redis_stats(std::uint16_t port) : port_(port) {}

redis_stats::~redis_stats() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool redis_stats::connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        return false;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd_);
        fd_ = -1;
        return false;
    }
    return true;
}

std::optional<redis_counters> redis_stats::read() {
    if (fd_ < 0 && !connect()) {
        return std::nullopt;
    }
    std::size_t written = 0;
    while (written < info_request.size()) {
        const auto n = ::write(fd_, info_request.data() + written, info_request.size() - written);
        if (n <= 0) {
            return std::nullopt;
        }
        written += static_cast<std::size_t>(n);
    }
    // The reply is one bulk string: "$<length>\r\n<text>\r\n".
    std::string reply;
    std::size_t expected = 0;
    char buffer[16 * 1024];
    while (expected == 0 || reply.size() < expected) {
        if (!wait_for(fd_, POLLIN, 2000)) {
            return std::nullopt;
        }
        const auto n = ::read(fd_, buffer, sizeof buffer);
        if (n <= 0) {
            return std::nullopt;
        }
        reply.append(buffer, static_cast<std::size_t>(n));
        if (expected == 0) {
            const auto eol = reply.find("\r\n");
            if (eol == std::string::npos) {
                continue;
            }
            if (reply[0] != '$') {
                return std::nullopt; // an error reply: not a Redis we can read
            }
            expected = eol + 2 + std::strtoull(reply.c_str() + 1, nullptr, 10) + 2;
        }
    }
    const std::string_view text(reply);
    redis_counters c;
    c.commands = number_after(text, "total_commands_processed:");
    c.publish_calls = number_after(text, "cmdstat_publish:calls=");
    c.net_input_bytes = number_after(text, "total_net_input_bytes:");
    c.net_output_bytes = number_after(text, "total_net_output_bytes:");
    c.request_bytes = info_request.size();
    c.reply_bytes = reply.size();
    return c;
}

redis_counters redis_difference(const redis_counters& before, const redis_counters& after) {
    auto minus = [](std::uint64_t a, std::uint64_t b) {
        return a > b ? a - b : 0;
    };
    redis_counters d;
    d.commands = minus(after.commands - before.commands, 1);
    d.publish_calls = after.publish_calls - before.publish_calls;
    d.net_input_bytes = minus(after.net_input_bytes - before.net_input_bytes, after.request_bytes);
    d.net_output_bytes = minus(after.net_output_bytes - before.net_output_bytes, before.reply_bytes);
    return d;
}

std::string redis_fields(const redis_counters& d) {
    return fmt::format(R"("redis_commands":{},"redis_publish_calls":{},"redis_net_input_bytes":{},)"
                       R"("redis_net_output_bytes":{})",
                       d.commands, d.publish_calls, d.net_input_bytes, d.net_output_bytes);
}

} // namespace hubcast::bench

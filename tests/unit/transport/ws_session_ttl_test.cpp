// Frames with a deadline (a REST send's messageTtlSeconds): a WebSocket session drops a frame that
// is still queued when its deadline passes, whole, at the next flush; frames without one are always
// written. The sessions read deadlines against a clock of the test's own (session_options::clock),
// so a deadline passes when the test says and not when a loaded machine gets round to it. Driven
// over loopback with a raw client; the rule that a partly written frame is never dropped is pinned
// in frame_queue_test.cpp, without depending on how much a kernel buffer holds.
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/websocket_frame.hpp"
#include "transport/listener.hpp"
#include "transport/worker_pool.hpp"

namespace hubcast::transport {
namespace {

using namespace std::chrono_literals;

/// The sessions' clock: it moves only when a test moves it.
std::atomic<std::chrono::steady_clock::rep> manual_ticks{
    std::chrono::steady_clock::duration(std::chrono::hours(1)).count()};

std::chrono::steady_clock::time_point manual_now() {
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(manual_ticks.load()));
}

void advance_manual_clock(std::chrono::steady_clock::duration by) {
    manual_ticks.fetch_add(by.count());
}

util::shared_bytes text_frame(std::string_view payload) {
    return util::make_shared_bytes(protocol::encode_frame(protocol::ws_opcode::text, payload));
}

class ttl_handler final : public ws_handler {
public:
    void on_open(ws_link& link) override { link_ = &link; }
    void on_message(protocol::ws_opcode, std::string_view payload) override {
        const auto now = manual_now();
        if (payload == "stale") {
            link_->send(text_frame("old"), now - 1ms);
            link_->send(text_frame("fresh"), now + 60s);
            link_->send(text_frame("plain"));
        } else if (payload == "age") {
            // Frames queued in this turn are written at its end: time that passes before then
            // passes while they wait in the queue.
            link_->send(text_frame("before"));
            link_->send(text_frame("late"), now + 200ms);
            link_->send(text_frame("at-the-deadline"), now + 1s);
            link_->send(text_frame("on-time"), now + 1s + 1ns);
            link_->send(text_frame("marker"));
            advance_manual_clock(1s);
        }
    }
    void on_slow_consumer() override { ADD_FAILURE() << "the bound is far above what this test queues"; }
    void on_idle_timeout() override {}
    void on_protocol_error(std::uint16_t, std::string_view) override {}
    void on_closed(std::uint16_t, std::string_view) override {}

private:
    ws_link* link_ = nullptr;
};

class ttl_http_handler final : public http_handler {
public:
    void handle(protocol::http_request, std::shared_ptr<http_responder> responder) override {
        responder->accept_websocket("", std::make_unique<ttl_handler>());
    }
};

/// A blocking loopback client whose every read has a deadline (poll), so a stuck server fails the
/// test instead of hanging it.
class raw_client {
public:
    explicit raw_client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ~raw_client() { ::close(fd_); }
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;

    bool connected() const { return connected_; }

    void write(std::string_view bytes) {
        while (!bytes.empty()) {
            const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            ASSERT_GT(n, 0);
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    /// Exactly `n` bytes, or fewer if the deadline passes or the peer closes.
    std::string read_exactly(std::size_t n, std::chrono::milliseconds within = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + within;
        while (buffer_.size() < n) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd p{fd_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                break;
            }
            char chunk[64 * 1024];
            const auto got = ::recv(fd_, chunk, sizeof chunk, 0);
            if (got <= 0) {
                break;
            }
            buffer_.append(chunk, static_cast<std::size_t>(got));
        }
        const std::size_t taken = std::min(n, buffer_.size());
        std::string out = buffer_.substr(0, taken);
        buffer_.erase(0, taken);
        return out;
    }

    std::string read_until_blank_line() {
        std::string head;
        while (head.find("\r\n\r\n") == std::string::npos) {
            const std::string byte = read_exactly(1);
            if (byte.empty()) {
                break;
            }
            head += byte;
        }
        return head;
    }

    /// One unmasked server frame: {opcode, payload}; opcode -1 when none arrived in time.
    std::pair<int, std::string> read_frame() {
        const std::string head = read_exactly(2);
        if (head.size() < 2) {
            return {-1, {}};
        }
        const int opcode = static_cast<unsigned char>(head[0]) & 0x0F;
        std::uint64_t length = static_cast<unsigned char>(head[1]) & 0x7F;
        if (length >= 126) {
            const std::string extended = read_exactly(length == 126 ? 2 : 8);
            length = 0;
            for (const char c : extended) {
                length = (length << 8) | static_cast<unsigned char>(c);
            }
        }
        std::string payload = read_exactly(length);
        if (payload.size() != length) {
            return {-1, {}};
        }
        return {opcode, std::move(payload)};
    }

private:
    int fd_;
    bool connected_ = false;
    std::string buffer_;
};

std::string masked_text(std::string_view payload) {
    std::string frame = protocol::encode_frame(protocol::ws_opcode::text, payload);
    const std::size_t header = frame.size() - payload.size();
    frame[1] = static_cast<char>(frame[1] | 0x80);
    std::string out = frame.substr(0, header) + std::string(4, '\0'); // a zero mask leaves the payload as is
    out += payload;
    return out;
}

class WsSessionTtl : public ::testing::Test {
protected:
    void SetUp() override {
        options_.keepalive_interval = std::chrono::seconds(0);
        options_.clock = &manual_now;
        auto opened = listener::open(pool_, "127.0.0.1", 0, handler_, options_, counters_);
        ASSERT_TRUE(opened) << opened.error();
        listener_ = std::move(*opened);
        pool_.start([](std::size_t) {});
        listener_->start();
    }
    void TearDown() override {
        listener_->stop();
        pool_.stop(true);
        pool_.join();
    }

    std::unique_ptr<raw_client> open() {
        auto client = std::make_unique<raw_client>(listener_->port());
        EXPECT_TRUE(client->connected());
        client->write("GET /client/hubs/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        const std::string head = client->read_until_blank_line();
        EXPECT_NE(head.find("101 Switching Protocols"), std::string::npos) << head;
        return client;
    }

    session_options options_;
    session_counters counters_;
    worker_pool pool_{1};
    ttl_http_handler handler_;
    std::unique_ptr<listener> listener_;
};

TEST_F(WsSessionTtl, AFrameQueuedPastItsDeadlineIsNeverWritten) {
    auto client = open();
    client->write(masked_text("stale"));
    EXPECT_EQ(client->read_frame(), std::make_pair(1, std::string("fresh")));
    EXPECT_EQ(client->read_frame(), std::make_pair(1, std::string("plain")));
}

// A deadline that passes while the frame waits in the queue drops it, whole: the frames around it
// follow intact, in order, and a frame is due at its deadline, not after it.
TEST_F(WsSessionTtl, AFrameWhoseDeadlinePassesWhileQueuedIsDroppedWhole) {
    auto client = open();
    client->write(masked_text("age"));
    EXPECT_EQ(client->read_frame(), std::make_pair(1, std::string("before")));
    EXPECT_EQ(client->read_frame(), std::make_pair(1, std::string("on-time")));
    EXPECT_EQ(client->read_frame(), std::make_pair(1, std::string("marker")))
        << "the expired frames are dropped whole; the frames after them follow intact";
}

} // namespace
} // namespace hubcast::transport

// Frames with a deadline (a REST send's messageTtlSeconds): a WebSocket session drops a frame that
// is still queued when its deadline passes, whole, at the next flush; frames without one, and
// frames already handed to a write, are always written. Driven over loopback with a raw client.
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

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

constexpr std::size_t big_frame_payload = 64 * 1024;
// More than one gather write takes (256 frames): the frames after them wait in the queue while the
// first write is stuck behind a client that does not read.
constexpr int big_frames = 300;

util::shared_bytes text_frame(std::string_view payload) {
    return util::make_shared_bytes(protocol::encode_frame(protocol::ws_opcode::text, payload));
}

class ttl_handler final : public ws_handler {
public:
    void on_open(ws_link& link) override { link_ = &link; }
    void on_message(protocol::ws_opcode, std::string_view payload) override {
        const auto now = std::chrono::steady_clock::now();
        if (payload == "stale") {
            link_->send(text_frame("old"), now - 1ms);
            link_->send(text_frame("fresh"), now + 60s);
            link_->send(text_frame("plain"));
        } else if (payload == "stall") {
            const auto big = util::make_shared_bytes(
                protocol::encode_frame(protocol::ws_opcode::binary, std::string(big_frame_payload, 'x')));
            for (int i = 0; i < big_frames; ++i) {
                link_->send(big);
            }
            link_->send(text_frame("late"), now + 200ms);
            link_->send(text_frame("marker"));
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
    raw_client(std::uint16_t port, int receive_buffer) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        // Set before connect: the window a client advertises is fixed by then.
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
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
        options_.outbound_hard_bytes = 64 * 1024 * 1024;
        options_.outbound_soft_bytes = 32 * 1024 * 1024;
        options_.keepalive_interval = std::chrono::seconds(0);
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

    std::unique_ptr<raw_client> open(int receive_buffer = 256 * 1024) {
        auto client = std::make_unique<raw_client>(listener_->port(), receive_buffer);
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

TEST_F(WsSessionTtl, ASlowClientMissesWhatExpiredInItsQueueAndGetsTheRest) {
    // A small receive window: the first gather write cannot finish until the client reads.
    auto client = open(4096);
    client->write(masked_text("stall"));
    // The client reads nothing until the "late" frame's 200 ms have passed; it is still queued
    // behind the first gather write then.
    std::this_thread::sleep_for(600ms);
    for (int i = 0; i < big_frames; ++i) {
        const auto [opcode, payload] = client->read_frame();
        ASSERT_EQ(opcode, 2) << "big frame " << i;
        ASSERT_EQ(payload.size(), big_frame_payload);
    }
    EXPECT_EQ(client->read_frame(), std::make_pair(1, std::string("marker")))
        << "the expired frame is dropped whole; the frames after it follow intact";
}

} // namespace
} // namespace hubcast::transport

// Drives the listener, HTTP sessions and WebSocket sessions over loopback with a raw client,
// with test handlers standing in for the application layers.
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "protocol/websocket_frame.hpp"
#include "transport/listener.hpp"
#include "transport/worker_pool.hpp"

namespace hubcast::transport {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::uint64_t sequenced_count = 20000;

/// What follows `{"sequenceId":N,` in reliable message `id` of the "sequenced" command.
std::string sequenced_body(std::uint64_t id) {
    return R"("data":")" + std::string(90 + id % 40, 'x') + "\"}";
}

/// Echoes every message; records what the session reported.
class echo_handler final : public ws_handler {
public:
    echo_handler(std::promise<std::uint16_t>* closed, std::atomic<int>* slow, bool hold_on_open)
        : closed_(closed), slow_(slow), hold_on_open_(hold_on_open) {}
    void on_open(ws_link& link) override {
        link_ = &link;
        if (hold_on_open_) {
            link.hold_writes();
        }
    }
    void on_message(protocol::ws_opcode opcode, std::string_view payload) override {
        if (payload == "flood") {
            // Far more than the outbound bound, in one loop turn: the session must refuse past it.
            const auto frame =
                util::make_shared_bytes(protocol::encode_frame(opcode, std::string(4096, 'x')));
            for (int i = 0; i < 64; ++i) {
                link_->send(frame);
            }
            return;
        }
        if (payload == "sequenced") {
            // Reliable messages 1..20,000 (bodies of 90 to 129 characters, around the 126-byte
            // frame header step; 2.6 MB), queued in one loop turn.
            for (std::uint64_t id = 1; id <= sequenced_count; ++id) {
                link_->send_sequenced(protocol::frame_family::json, id,
                                      util::make_shared_bytes(sequenced_body(id)));
            }
            return;
        }
        if (payload == "close me") {
            link_->close(4000, "bye");
            return;
        }
        if (payload == "hold") {
            link_->hold_writes();
            link_->send(util::make_shared_bytes(protocol::encode_frame(opcode, "held")));
            return;
        }
        if (payload == "release") {
            link_->release_writes();
            return;
        }
        link_->send(util::make_shared_bytes(protocol::encode_frame(opcode, payload)));
    }
    void on_slow_consumer() override { ++*slow_; }
    void on_idle_timeout() override { link_->close(1008, "PingTimeout"); }
    void on_protocol_error(std::uint16_t, std::string_view) override {}
    void on_closed(std::uint16_t code, std::string_view) override { closed_->set_value(code); }

private:
    ws_link* link_ = nullptr;
    std::promise<std::uint16_t>* closed_;
    std::atomic<int>* slow_;
    bool hold_on_open_;
};

class test_handler final : public http_handler {
public:
    void handle(protocol::http_request request, std::shared_ptr<http_responder> responder) override {
        if (request.websocket_upgrade) {
            responder->accept_websocket(
                "json.webpubsub.azure.v1",
                std::make_unique<echo_handler>(&closed, &slow, request.target == "/held"));
            return;
        }
        responder->respond(protocol::http_response::text(200, request.method + " " + request.target + " " +
                                                                  std::to_string(request.body.size())));
    }
    std::promise<std::uint16_t> closed;
    std::atomic<int> slow{0};
};

class Sessions : public ::testing::Test {
protected:
    void SetUp() override {
        options_.max_body_bytes = 1024;
        options_.outbound_hard_bytes = outbound_hard_bytes_;
        options_.outbound_soft_bytes = outbound_hard_bytes_ / 2;
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

    tcp::socket connect() {
        tcp::socket socket(client_context_);
        socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), listener_->port()));
        return socket;
    }

    static std::string read_response(tcp::socket& socket, asio::streambuf& buffer) {
        asio::read_until(socket, buffer, "\r\n\r\n");
        std::string all(asio::buffers_begin(buffer.data()), asio::buffers_end(buffer.data()));
        const auto head_end = all.find("\r\n\r\n") + 4;
        std::size_t length = 0;
        if (const auto at = all.find("Content-Length: "); at != std::string::npos && at < head_end) {
            length = std::stoul(all.substr(at + 16));
        }
        if (buffer.size() < head_end + length) {
            asio::read(socket, buffer, asio::transfer_exactly(head_end + length - buffer.size()));
        }
        std::string response(asio::buffers_begin(buffer.data()),
                             asio::buffers_begin(buffer.data()) + head_end + length);
        buffer.consume(head_end + length);
        return response;
    }

    static std::string masked(protocol::ws_opcode opcode, std::string_view payload) {
        std::string frame = protocol::encode_frame(opcode, payload);
        const std::size_t header = frame.size() - payload.size();
        frame[1] = static_cast<char>(frame[1] | 0x80);
        const char mask[4] = {0x11, 0x22, 0x33, 0x44};
        std::string out = frame.substr(0, header) + std::string(mask, 4);
        for (std::size_t i = 0; i < payload.size(); ++i) {
            out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
        }
        return out;
    }

    /// Reads one unmasked server frame (payload < 64 KiB); returns opcode and payload.
    static std::pair<int, std::string> read_frame(tcp::socket& socket, asio::streambuf& buffer) {
        auto need = [&](std::size_t n) {
            if (buffer.size() < n) {
                asio::read(socket, buffer, asio::transfer_exactly(n - buffer.size()));
            }
        };
        need(2);
        const auto* bytes = static_cast<const unsigned char*>(buffer.data().data());
        const int opcode = bytes[0] & 0x0F;
        std::size_t length = bytes[1] & 0x7F;
        std::size_t header = 2;
        if (length == 126) {
            need(4);
            bytes = static_cast<const unsigned char*>(buffer.data().data());
            length = (std::size_t{bytes[2]} << 8) | bytes[3];
            header = 4;
        }
        need(header + length);
        const auto* data = static_cast<const char*>(buffer.data().data());
        std::string payload(data + header, length);
        buffer.consume(header + length);
        return {opcode, payload};
    }

    std::string upgrade_request(std::string_view target = "/client/hubs/chat") const {
        return "GET " + std::string(target) +
               " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: "
               "Upgrade\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Protocol: json.webpubsub.azure.v1\r\n\r\n";
    }

    std::size_t outbound_hard_bytes_ = 64 * 1024; // a subclass may set another before SetUp
    session_options options_;
    session_counters counters_;
    worker_pool pool_{2};
    test_handler handler_;
    std::unique_ptr<listener> listener_;
    asio::io_context client_context_;
};

TEST_F(Sessions, AnswersPipelinedRequestsInOrderOnOneConnection) {
    auto socket = connect();
    asio::write(socket,
                asio::buffer(std::string("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                                         "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")));
    asio::streambuf buffer;
    const auto first = read_response(socket, buffer);
    const auto second = read_response(socket, buffer);
    EXPECT_NE(first.find("200 OK"), std::string::npos);
    EXPECT_NE(first.find("GET /a 0"), std::string::npos) << first;
    EXPECT_NE(second.find("POST /b 3"), std::string::npos) << second;
}

TEST_F(Sessions, RejectsAnOversizedBodyWith413) {
    auto socket = connect();
    asio::write(socket, asio::buffer("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" +
                                     std::string(5000, 'a')));
    asio::streambuf buffer;
    EXPECT_NE(read_response(socket, buffer).find("413"), std::string::npos);
}

TEST_F(Sessions, RejectsGarbageWith400AndKeepsServing) {
    auto bad = connect();
    asio::write(bad, asio::buffer(std::string("THIS IS NOT HTTP\r\n\r\n")));
    asio::streambuf buffer;
    EXPECT_NE(read_response(bad, buffer).find("400"), std::string::npos);
    auto good = connect();
    asio::write(good, asio::buffer(std::string("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")));
    asio::streambuf good_buffer;
    EXPECT_NE(read_response(good, good_buffer).find("GET /ok"), std::string::npos);
}

TEST_F(Sessions, UpgradesWithTheRfcAcceptKeyAndEchoesFramesSentWithTheRequest) {
    auto socket = connect();
    // The first frame travels in the same write as the request: it must not be lost.
    asio::write(socket, asio::buffer(upgrade_request() + masked(protocol::ws_opcode::text, "early")));
    asio::streambuf buffer;
    const auto head = read_response(socket, buffer);
    EXPECT_NE(head.find("101 Switching Protocols"), std::string::npos) << head;
    EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
    EXPECT_NE(head.find("Sec-WebSocket-Protocol: json.webpubsub.azure.v1"), std::string::npos) << head;
    EXPECT_EQ(read_frame(socket, buffer), std::make_pair(1, std::string("early")));
    asio::write(socket, asio::buffer(masked(protocol::ws_opcode::ping, "p")));
    EXPECT_EQ(read_frame(socket, buffer), std::make_pair(0xA, std::string("p")));
}

TEST_F(Sessions, PeerCloseIsEchoedAndReported) {
    auto socket = connect();
    asio::write(socket, asio::buffer(upgrade_request()));
    asio::streambuf buffer;
    read_response(socket, buffer);
    asio::write(socket, asio::buffer(masked(protocol::ws_opcode::close, std::string("\x03\xe8", 2))));
    const auto [opcode, payload] = read_frame(socket, buffer);
    EXPECT_EQ(opcode, 8);
    EXPECT_EQ(payload.substr(0, 2), std::string("\x03\xe8", 2));
    auto closed = handler_.closed.get_future();
    ASSERT_EQ(closed.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_EQ(closed.get(), 1000);
}

TEST_F(Sessions, ServerCloseSendsTheCodeAndDropsTheConnectionAfterTheReply) {
    auto socket = connect();
    asio::write(socket, asio::buffer(upgrade_request()));
    asio::streambuf buffer;
    read_response(socket, buffer);
    asio::write(socket, asio::buffer(masked(protocol::ws_opcode::text, "close me")));
    const auto [opcode, payload] = read_frame(socket, buffer);
    EXPECT_EQ(opcode, 8);
    EXPECT_EQ(payload, std::string("\x0f\xa0") + "bye");
    asio::write(socket, asio::buffer(masked(protocol::ws_opcode::close, std::string("\x0f\xa0", 2))));
    boost::system::error_code ec;
    char byte;
    asio::read(socket, asio::buffer(&byte, 1), ec);
    EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(Sessions, HeldWritesWaitForTheReleaseInOrderAndACloseEndsTheHold) {
    auto socket = connect();
    asio::write(socket, asio::buffer(upgrade_request()));
    asio::streambuf buffer;
    read_response(socket, buffer);
    asio::write(socket, asio::buffer(masked(protocol::ws_opcode::text, "hold") +
                                     masked(protocol::ws_opcode::text, "queued") +
                                     masked(protocol::ws_opcode::ping, "p")));
    // Nothing marks the moment the server has read all three (its pong is held too), so this
    // waits well past a loopback turn before checking that nothing came.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(socket.available(), 0U);
    EXPECT_EQ(buffer.size(), 0U);

    asio::write(socket, asio::buffer(masked(protocol::ws_opcode::text, "release")));
    EXPECT_EQ(read_frame(socket, buffer), std::make_pair(1, std::string("held")));
    EXPECT_EQ(read_frame(socket, buffer), std::make_pair(1, std::string("queued")));
    EXPECT_EQ(read_frame(socket, buffer), std::make_pair(0xA, std::string("p")));

    asio::write(socket, asio::buffer(masked(protocol::ws_opcode::text, "hold") +
                                     masked(protocol::ws_opcode::text, "close me")));
    EXPECT_EQ(read_frame(socket, buffer), std::make_pair(1, std::string("held")));
    const auto [opcode, payload] = read_frame(socket, buffer);
    EXPECT_EQ(opcode, 8);
    EXPECT_EQ(payload, std::string("\x0f\xa0") + "bye");
}

TEST_F(Sessions, WritesHeldFromTheOpeningHoldTheUpgradeResponseToo) {
    auto socket = connect();
    asio::write(socket, asio::buffer(upgrade_request("/held") + masked(protocol::ws_opcode::text, "early")));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(socket.available(), 0U);

    asio::write(socket, asio::buffer(masked(protocol::ws_opcode::text, "release")));
    asio::streambuf buffer;
    const auto head = read_response(socket, buffer);
    EXPECT_NE(head.find("101 Switching Protocols"), std::string::npos) << head;
    EXPECT_EQ(read_frame(socket, buffer), std::make_pair(1, std::string("early")));
}

TEST_F(Sessions, AFloodPastTheOutboundBoundReportsASlowConsumerOnce) {
    auto socket = connect();
    asio::write(socket, asio::buffer(upgrade_request()));
    asio::streambuf buffer;
    read_response(socket, buffer);
    asio::write(socket, asio::buffer(masked(protocol::ws_opcode::text, "flood")));
    // 64 frames of 4 KiB against a 64 KiB bound: some are refused and the handler hears of it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (handler_.slow.load() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(handler_.slow.load(), 1);
    int received = 0;
    while (received < 15) {
        const auto frame = read_frame(socket, buffer);
        ASSERT_EQ(frame.second.size(), 4096u);
        ++received;
    }
}

// A reliable message's head is built when the frame is written. Through a small receive window,
// writes end anywhere, inside heads too, and resume there: every frame still arrives whole, in
// order, with its own id.
class SessionsWithRoom : public Sessions {
protected:
    SessionsWithRoom() { outbound_hard_bytes_ = 8 * 1024 * 1024; }
};

TEST_F(SessionsWithRoom, SequencedFramesArriveWholeThroughPartialWrites) {
    tcp::socket socket(client_context_);
    socket.open(tcp::v4());
    socket.set_option(asio::socket_base::receive_buffer_size(2048));
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), listener_->port()));
    asio::write(socket, asio::buffer(upgrade_request()));
    asio::streambuf buffer;
    ASSERT_NE(read_response(socket, buffer).find("101"), std::string::npos);
    asio::write(socket, asio::buffer(masked(protocol::ws_opcode::text, "sequenced")));
    // Not reading for a moment lets the window fill, so that the session waits for writability.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (std::uint64_t id = 1; id <= sequenced_count; ++id) {
        const auto [opcode, payload] = read_frame(socket, buffer);
        ASSERT_EQ(opcode, 1) << id;
        ASSERT_EQ(payload, R"({"sequenceId":)" + std::to_string(id) + "," + sequenced_body(id)) << id;
    }
}

TEST_F(Sessions, ProtocolErrorClosesWith1002) {
    auto socket = connect();
    asio::write(socket, asio::buffer(upgrade_request()));
    asio::streambuf buffer;
    read_response(socket, buffer);
    asio::write(socket, asio::buffer(protocol::encode_frame(protocol::ws_opcode::text, "unmasked")));
    const auto [opcode, payload] = read_frame(socket, buffer);
    EXPECT_EQ(opcode, 8);
    EXPECT_EQ(payload.substr(0, 2), std::string("\x03\xea", 2));
}

/// Sends `request` whole (the server drains what it does not read before closing), then returns
/// the status line of the answer.
std::string status_of(tcp::socket& socket, const std::string& request) {
    asio::write(socket, asio::buffer(request));
    asio::streambuf buffer;
    asio::read_until(socket, buffer, "\r\n");
    std::string line(asio::buffers_begin(buffer.data()), asio::buffers_end(buffer.data()));
    return line.substr(0, line.find("\r\n"));
}

/// True when the server closed the connection (reads reach EOF) within five seconds.
bool closed_by_server(tcp::socket& socket) {
    asio::streambuf rest;
    boost::system::error_code ec;
    socket.non_blocking(false);
    struct timeval timeout {
        5, 0
    };
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    while (!ec) {
        asio::read(socket, rest, asio::transfer_at_least(1), ec);
    }
    return ec == asio::error::eof; // the server half-closes after its answer, then drains
}

TEST_F(Sessions, EmptyHeaderFieldsCountAgainstTheHeaderLimit) {
    // Regression: Beast consumed complete `a:` fields as they arrived and applied its limit per
    // parse call, so a head of millions of empty fields grew the server by hundreds of MB. The
    // request line and Host lengths vary because the bypass depended on them.
    for (const std::string host : {"x", "xyz", "abcdefgh"}) {
        for (const std::string path : {"/", "/healthz", "/a/b/c/d/e"}) {
            std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n";
            for (int i = 0; i < 40'000; ++i) {
                request += "a:\r\n";
            }
            request += "Connection: close\r\n\r\n";
            auto socket = connect();
            EXPECT_EQ(status_of(socket, request), "HTTP/1.1 431 Request Header Fields Too Large")
                << host << " " << path;
        }
    }
}

TEST_F(Sessions, AHeadJustUnderTheLimitIsServed) {
    std::string request = "GET /a HTTP/1.1\r\nHost: x\r\nX-Padding: ";
    request += std::string(options_.max_header_bytes - request.size() - 64, 'p');
    request += "\r\n\r\n";
    auto socket = connect();
    EXPECT_EQ(status_of(socket, request), "HTTP/1.1 200 OK");
}

TEST_F(Sessions, TrailerFieldsAreBoundedBeforeTheyAreBuffered) {
    // Regression: trailer fields after the last chunk were buffered without bound (30 MB took the
    // server to 362 MB) before the request was even authenticated.
    std::string request =
        "POST /send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n";
    for (int i = 0; i < 20'000; ++i) {
        request += "t: v\r\n";
    }
    request += "\r\n";
    auto socket = connect();
    EXPECT_EQ(status_of(socket, request), "HTTP/1.1 431 Request Header Fields Too Large");
    EXPECT_TRUE(closed_by_server(socket));
}

TEST_F(Sessions, ASmallTrailerIsAccepted) {
    auto socket = connect();
    EXPECT_EQ(status_of(socket, "POST /send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "3\r\nabc\r\n0\r\nChecksum: 1\r\n\r\n"),
              "HTTP/1.1 200 OK");
}

TEST_F(Sessions, ATransferCodingThatIsNotFinallyChunkedIsRefusedAndNothingIsSmuggled) {
    // Regression: such a request ran with an empty body and its body ran as a second request.
    for (const std::string coding :
         {"gzip", "identity", "xchunked", "chunked, identity", "chunked, chunked"}) {
        auto socket = connect();
        const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        EXPECT_EQ(status_of(socket, "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding +
                                        "\r\nContent-Length: " + std::to_string(smuggled.size()) +
                                        "\r\n\r\n" + smuggled),
                  "HTTP/1.1 400 Bad Request")
            << coding;
        EXPECT_TRUE(closed_by_server(socket)) << coding;
    }
}

TEST_F(Sessions, AnUnknownCodingBeforeChunkedIsNotImplemented) {
    auto socket = connect();
    EXPECT_EQ(
        status_of(socket, "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
        "HTTP/1.1 501 Not Implemented");
    EXPECT_TRUE(closed_by_server(socket));
}

TEST_F(Sessions, TransferEncodingWithContentLengthIsRefused) {
    auto socket = connect();
    EXPECT_EQ(status_of(socket, "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                "Content-Length: 5\r\n\r\n0\r\n\r\n"),
              "HTTP/1.1 400 Bad Request");
}

TEST_F(Sessions, AnHttp11RequestNeedsExactlyOneValidHost) {
    for (const std::string head :
         {"GET /a HTTP/1.1\r\n\r\n", "GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
          "GET /a HTTP/1.1\r\nHost: evil.example/path?x=\r\n\r\n", "GET /a HTTP/1.1\r\nHost: a b\r\n\r\n"}) {
        auto socket = connect();
        EXPECT_EQ(status_of(socket, head), "HTTP/1.1 400 Bad Request") << head;
    }
    auto http10 = connect();
    EXPECT_EQ(status_of(http10, "GET /a HTTP/1.0\r\n\r\n"), "HTTP/1.1 200 OK");
    auto bracketed = connect();
    EXPECT_EQ(status_of(bracketed, "GET /a HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"), "HTTP/1.1 200 OK");
}

TEST_F(Sessions, AnUpgradeWithAMalformedKeyIsRefused) {
    // Regression: any 24-character key was accepted with 101.
    for (const std::string key : {"!!!!!!!!!!!!!!!!!!!!!!!!", "dGhlIHNhbXBsZSBub25jZQ",
                                  "dGhlIHNhbXBsZSBub25jZSEh", "dGhlIHNhbXBsZSBub25jZQ==dGhl"}) {
        auto socket = connect();
        EXPECT_EQ(
            status_of(socket, "GET /client/hubs/chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
                                  key + "\r\n\r\n"),
            "HTTP/1.1 400 Bad Request")
            << key;
    }
}

TEST_F(Sessions, PingsFromAClientThatDoesNotReadStopQueueingPongsAtTheHardBound) {
    // Regression: pongs passed the outbound bound, so pinging without reading grew the queue
    // without end. The client never reads; once the kernel's buffers and the 64 KiB bound are
    // full, pongs are skipped (RFC 6455 5.5.3) and counted. 64 MiB of pings is far past any
    // kernel buffer; the loop ends at the first skip.
    auto socket = connect();
    asio::write(socket, asio::buffer(upgrade_request()));
    asio::streambuf buffer;
    read_response(socket, buffer);
    std::string pings;
    for (int i = 0; i < 512; ++i) {
        pings += masked(protocol::ws_opcode::ping, std::string(120, 'p'));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (std::size_t sent = 0; sent < 64 * 1024 * 1024 && counters_.pongs_skipped.load() == 0 &&
                               std::chrono::steady_clock::now() < deadline;
         sent += pings.size()) {
        asio::write(socket, asio::buffer(pings));
    }
    EXPECT_GT(counters_.pongs_skipped.load(), 0u);
}

} // namespace
} // namespace hubcast::transport

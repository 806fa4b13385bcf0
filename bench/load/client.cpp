#include "client.hpp"

#include <chrono>
#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <netinet/in.h>

#include "adapters.hpp"

namespace hubcast::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t initial_input = 16 * 1024;
constexpr std::size_t max_input = 64 * 1024 * 1024;
} // namespace

client::client(asio::io_context& context, client_spec spec, protocol_adapter& adapter, client_events& events)
    : socket_(context), spec_(std::move(spec)), adapter_(adapter), events_(events) {
    mask_ = 0x9e3779b9u * (spec_.index + 1);
}

void client::start(const asio::ip::address_v4& source, std::uint16_t port) {
    boost::system::error_code ec;
    socket_.open(tcp::v4(), ec);
    if (!ec) {
        // Pick the port at connect time, per 4-tuple: many source addresses then multiply the
        // ephemeral ports available to one destination.
        const int on = 1;
        ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
        socket_.bind(tcp::endpoint(source, 0), ec);
    }
    if (ec) {
        fail(0, ec.message());
        return;
    }
    // Loopback only: the destination is always 127.0.0.1.
    socket_.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port),
                          [this, port](boost::system::error_code connect_ec) {
                              if (connect_ec) {
                                  fail(0, connect_ec.message());
                                  return;
                              }
                              boost::system::error_code ignored;
                              socket_.set_option(tcp::no_delay(true), ignored);
                              send_request(port);
                              read();
                          });
}

void client::close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
}

void client::reset() {
    boost::system::error_code ignored;
    if (socket_.is_open()) {
        socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    }
    socket_.close(ignored);
}

void client::send_request(std::uint16_t port) {
    out_ += "GET ";
    out_ += spec_.request_target;
    out_ += " HTTP/1.1\r\nHost: 127.0.0.1:";
    out_ += std::to_string(port);
    out_ += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (const auto protocol = adapter_.subprotocol(spec_); !protocol.empty()) {
        out_ += "Sec-WebSocket-Protocol: ";
        out_ += protocol;
        out_ += "\r\n";
    }
    out_ += "\r\n";
    schedule_flush();
}

void client::send_frame(std::uint8_t opcode, std::string_view payload) {
    if (failed) {
        return;
    }
    unsigned char header[14];
    std::size_t n = 0;
    header[n++] = static_cast<unsigned char>(0x80 | opcode);
    const std::size_t size = payload.size();
    if (size < 126) {
        header[n++] = static_cast<unsigned char>(0x80 | size);
    } else if (size <= 0xFFFF) {
        header[n++] = 0x80 | 126;
        header[n++] = static_cast<unsigned char>(size >> 8);
        header[n++] = static_cast<unsigned char>(size);
    } else {
        header[n++] = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8) {
            header[n++] = static_cast<unsigned char>(static_cast<std::uint64_t>(size) >> shift);
        }
    }
    unsigned char key[4];
    std::memcpy(key, &mask_, 4);
    std::memcpy(header + n, key, 4);
    n += 4;
    const std::size_t start = out_.size();
    out_.append(reinterpret_cast<const char*>(header), n);
    out_.append(payload);
    char* body = out_.data() + start + n;
    for (std::size_t i = 0; i < size; ++i) {
        body[i] = static_cast<char>(body[i] ^ key[i & 3]);
    }
    schedule_flush();
}

void client::schedule_flush() {
    if (flush_posted_ || writing_) {
        return;
    }
    flush_posted_ = true;
    asio::post(socket_.get_executor(), [this] {
        flush_posted_ = false;
        flush();
    });
}

void client::flush() {
    if (writing_ || out_.empty() || !socket_.is_open()) {
        return;
    }
    sending_.swap(out_);
    out_.clear();
    writing_ = true;
    asio::async_write(socket_, asio::buffer(sending_), [this](boost::system::error_code ec, std::size_t) {
        writing_ = false;
        sending_.clear();
        if (ec) {
            fail(0, ec.message());
            return;
        }
        flush();
    });
}

void client::read() {
    if (!in_) {
        in_capacity_ = initial_input;
        in_ = std::make_unique<char[]>(in_capacity_);
    }
    socket_.async_read_some(asio::buffer(in_.get() + in_size_, in_capacity_ - in_size_),
                            [this](boost::system::error_code ec, std::size_t n) {
                                if (ec) {
                                    fail(0, ec.message());
                                    return;
                                }
                                on_read(n);
                            });
}

void client::on_read(std::size_t bytes) {
    receive_ns_ = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 std::chrono::steady_clock::now().time_since_epoch())
                                                 .count());
    bytes_received_ += bytes;
    in_size_ += bytes;
    if (!upgraded_ && !take_response()) {
        if (!failed) {
            read();
        }
        return;
    }
    take_frames();
    if (!failed) {
        read();
    }
}

bool client::take_response() {
    const std::string_view input(in_.get(), in_size_);
    const auto end = input.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        if (in_size_ == in_capacity_) {
            fail(0, "response headers too large");
        }
        return false;
    }
    int status = 0;
    if (input.size() > 12 && input.substr(0, 5) == "HTTP/") {
        status = std::atoi(std::string(input.substr(9, 3)).c_str());
    }
    if (status != 101) {
        fail(status, "upgrade refused");
        return false;
    }
    upgraded_ = true;
    const std::size_t used = end + 4;
    std::memmove(in_.get(), in_.get() + used, in_size_ - used);
    in_size_ -= used;
    adapter_.on_open(*this);
    return true;
}

void client::take_frames() {
    const auto* data = reinterpret_cast<const unsigned char*>(in_.get());
    std::size_t pos = 0;
    while (in_size_ - pos >= 2 && !failed) {
        const unsigned char* h = data + pos;
        const std::uint8_t opcode = h[0] & 0x0F;
        std::uint64_t length = h[1] & 0x7F;
        std::size_t header = 2;
        if (length == 126) {
            if (in_size_ - pos < 4) {
                break;
            }
            length = (std::uint64_t{h[2]} << 8) | h[3];
            header = 4;
        } else if (length == 127) {
            if (in_size_ - pos < 10) {
                break;
            }
            length = 0;
            for (int i = 0; i < 8; ++i) {
                length = (length << 8) | h[2 + i];
            }
            header = 10;
        }
        if (length > max_input) {
            fail(0, "frame too large");
            return;
        }
        const std::size_t total = header + static_cast<std::size_t>(length);
        if (in_size_ - pos < total) {
            if (total > in_capacity_) {
                // Grow so this frame fits once the consumed bytes are moved out.
                auto bigger = std::make_unique<char[]>(total);
                std::memcpy(bigger.get(), in_.get() + pos, in_size_ - pos);
                in_ = std::move(bigger);
                in_capacity_ = total;
                in_size_ -= pos;
                return;
            }
            break;
        }
        const std::string_view payload(in_.get() + pos + header, static_cast<std::size_t>(length));
        switch (opcode) {
        case 0x9: // ping
            send_frame(0xA, payload);
            break;
        case 0x8: // close
            fail(0, "closed by the server");
            return;
        case 0xA: // pong
            break;
        default: // text, binary, continuation: the adapter's stream
            adapter_.on_payload(*this, payload);
            break;
        }
        pos += total;
    }
    if (pos > 0 && pos < in_size_) {
        std::memmove(in_.get(), in_.get() + pos, in_size_ - pos);
    }
    in_size_ -= pos;
}

void client::fail(int status, std::string_view why) {
    if (failed) {
        return;
    }
    failed = true;
    close();
    events_.on_failed(*this, status, why);
}

} // namespace hubcast::bench

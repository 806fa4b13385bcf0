// hubcast-ceiling: the fastest fan-out this machine can do over WebSocket, as a yardstick for
// hubcast (issue 6). A minimal single-threaded epoll server that accepts the same WebSocket
// upgrade and does no work per message per recipient: every frame published to a group during one
// event-loop turn (one epoll_wait batch) is appended, already framed, to that group's turn buffer;
// at the end of the turn every member gets that one buffer with one write, and only what its
// socket did not take is queued (a reference and an offset) until EPOLLOUT. A member's cost is
// one system call per turn however many messages the turn carried.
// Nothing else: no JSON, no auth, no permissions, no acks, no keep-alive, no metrics, non-atomic
// reference counts. Whatever hubcast does beyond this is the price of its features.
//
// Addressing: `GET /g/<group>` joins <group> and publishes to it; `GET /p/<group>` only publishes
// to it. A publish is any text or binary message; its payload is forwarded unchanged, to every
// member including the publisher when it is one.
//
// Usage: hubcast-ceiling --port P   (listens on 127.0.0.1 only; prints "listening on PORT";
//                                    --port 0 takes a free port and prints it)
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace {

constexpr std::size_t max_iov = 1024;                       // IOV_MAX on Linux
constexpr std::size_t max_queued_bytes = 64u * 1024 * 1024; // past this a subscriber is dropped
constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t max_spare_buffers = 64;        // kept for reuse, capacity and all,
constexpr std::size_t max_spare_capacity = 1u << 20; // unless larger than this

/// Frames shared by every connection that queues them: one group's frames of one turn, or one
/// connection's own reply. Immutable once queued; single-threaded, so a plain counter.
struct buffer {
    std::string bytes;
    std::uint32_t refs = 0;
};

/// Buffers are recycled rather than freed: a turn's buffer of 256 KiB would otherwise be an
/// mmap, page faults and a munmap every turn.
std::vector<buffer*> spare_buffers;

buffer* new_or_spare() {
    if (spare_buffers.empty()) {
        return new buffer;
    }
    buffer* b = spare_buffers.back();
    spare_buffers.pop_back();
    return b;
}

buffer* acquire() {
    buffer* b = new_or_spare();
    b->refs = 1;
    return b;
}

void release(buffer* b) {
    if (--b->refs == 0) {
        b->bytes.clear();
        if (spare_buffers.size() < max_spare_buffers && b->bytes.capacity() <= max_spare_capacity) {
            spare_buffers.push_back(b);
        } else {
            delete b;
        }
    }
}

/// The unsent part of a queued buffer: bytes [offset, size).
struct chunk {
    buffer* b;
    std::size_t offset;
};

struct group;

struct connection {
    int fd = -1;
    bool upgraded = false;
    bool member = false;
    bool dirty = false;    // in the flush list
    bool want_out = false; // EPOLLOUT armed after a short write
    bool closing = false;
    group* g = nullptr;   // the group it joins or publishes to
    std::size_t slot = 0; // index in its group's member vector
    std::string in;
    std::deque<chunk> queue;
    std::size_t queued_bytes = 0;
};

struct group {
    std::string name;
    std::vector<connection*> members;
    std::size_t users = 0;  // members and publishers; the last one to close erases the group
    buffer* turn = nullptr; // frames published to it during this turn, not yet handed out
};

// Node-based: a group's address stays put while others come and go.
std::unordered_map<std::string, group> groups;
std::vector<group*> turn_groups; // groups with a turn buffer
std::vector<connection*> flush_list;
std::vector<connection*> doomed;
int epoll_fd = -1;

std::string base64(const unsigned char* data, std::size_t size) {
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < size; i += 3) {
        const std::uint32_t n = (std::uint32_t{data[i]} << 16) |
                                (i + 1 < size ? std::uint32_t{data[i + 1]} << 8 : 0) |
                                (i + 2 < size ? std::uint32_t{data[i + 2]} : 0);
        out += table[(n >> 18) & 63];
        out += table[(n >> 12) & 63];
        out += i + 1 < size ? table[(n >> 6) & 63] : '=';
        out += i + 2 < size ? table[n & 63] : '=';
    }
    return out;
}

std::string header_value(std::string_view request, std::string_view name) {
    std::size_t pos = 0;
    while ((pos = request.find("\r\n", pos)) != std::string_view::npos) {
        pos += 2;
        if (request.size() - pos < name.size() + 1) {
            break;
        }
        bool match = true;
        for (std::size_t i = 0; i < name.size(); ++i) {
            if (std::tolower(static_cast<unsigned char>(request[pos + i])) != name[i]) {
                match = false;
                break;
            }
        }
        if (match && request[pos + name.size()] == ':') {
            std::size_t start = pos + name.size() + 1;
            const std::size_t end = request.find("\r\n", start);
            while (start < end && request[start] == ' ') {
                ++start;
            }
            return std::string(request.substr(start, end - start));
        }
    }
    return {};
}

/// Schedules `c` to be closed after this event-loop turn (once).
void doom(connection* c) {
    if (!c->closing) {
        c->closing = true;
        doomed.push_back(c);
    }
}

void mark_dirty(connection* c) {
    if (!c->dirty) {
        c->dirty = true;
        flush_list.push_back(c);
    }
}

void set_want_out(connection* c, bool want) {
    if (c->want_out == want || c->fd < 0) {
        return;
    }
    c->want_out = want;
    epoll_event ev{};
    ev.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.ptr = c;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

/// Queues b's bytes from `offset` on c; a connection that falls too far behind is dropped.
bool enqueue(connection* c, buffer* b, std::size_t offset) {
    const std::size_t size = b->bytes.size() - offset;
    if (c->queued_bytes + size > max_queued_bytes) {
        doom(c);
        return false;
    }
    ++b->refs;
    c->queue.push_back({b, offset});
    c->queued_bytes += size;
    return true;
}

void append_frame(std::string& out, std::uint8_t opcode, std::string_view payload) {
    out += static_cast<char>(0x80 | opcode);
    if (payload.size() < 126) {
        out += static_cast<char>(payload.size());
    } else if (payload.size() <= 0xFFFF) {
        out += static_cast<char>(126);
        out += static_cast<char>(payload.size() >> 8);
        out += static_cast<char>(payload.size() & 0xFF);
    } else {
        out += static_cast<char>(127);
        for (int shift = 56; shift >= 0; shift -= 8) {
            out += static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> shift) & 0xFF);
        }
    }
    out.append(payload);
}

/// A reply to one connection (handshake, pong, close): queued now, written at the end of the turn.
void send_alone(connection* c, std::string_view bytes) {
    if (c->closing) {
        return;
    }
    buffer* b = acquire();
    b->bytes.assign(bytes);
    if (enqueue(c, b, 0)) {
        mark_dirty(c);
    }
    release(b);
}

void send_frame_alone(connection* c, std::uint8_t opcode, std::string_view payload) {
    std::string frame;
    append_frame(frame, opcode, payload);
    send_alone(c, frame);
}

/// Appends the frame to the group's turn buffer: the only work per message, whatever the members.
/// Never inlined: bench/profile.sh counts its calls (one call per message is noise beside the rest).
[[gnu::noinline]] void publish(connection* from, std::uint8_t opcode, std::string_view payload) {
    group* g = from->g;
    if (g->members.empty()) {
        return;
    }
    if (g->turn == nullptr) {
        g->turn = acquire();
        turn_groups.push_back(g);
    }
    append_frame(g->turn->bytes, opcode, payload);
}

/// Hands a turn buffer to one member. With nothing queued ahead of it (the usual case) it is
/// written at once, so the queue, the reference and the flush list are touched only by a member
/// whose socket is full; otherwise it joins the queue behind what is already there.
void deliver(connection* c, buffer* b) {
    if (c->closing) {
        return;
    }
    if (!c->queue.empty()) {
        if (enqueue(c, b, 0) && !c->want_out) {
            mark_dirty(c);
        }
        return;
    }
    const ssize_t n = ::write(c->fd, b->bytes.data(), b->bytes.size());
    if (n == static_cast<ssize_t>(b->bytes.size())) {
        return;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        doom(c);
        return;
    }
    if (enqueue(c, b, n < 0 ? 0 : static_cast<std::size_t>(n))) {
        set_want_out(c, true); // the rest when the socket has room
    }
}

/// End of turn: every member of every group published to gets the turn's frames in one write.
/// (A member that joined during the turn gets all of them: harmless for a yardstick.)
void hand_out_turn() {
    for (group* g : turn_groups) {
        buffer* b = g->turn;
        g->turn = nullptr;
        for (connection* member : g->members) {
            deliver(member, b);
        }
        release(b);
    }
    turn_groups.clear();
}

/// One gather write of everything queued (up to IOV_MAX chunks per call).
void flush(connection* c) {
    while (!c->queue.empty() && c->fd >= 0) {
        iovec iov[max_iov];
        std::size_t count = 0;
        std::size_t wanted = 0;
        for (auto it = c->queue.begin(); it != c->queue.end() && count < max_iov; ++it, ++count) {
            iov[count].iov_base = it->b->bytes.data() + it->offset;
            iov[count].iov_len = it->b->bytes.size() - it->offset;
            wanted += iov[count].iov_len;
        }
        const ssize_t n = ::writev(c->fd, iov, static_cast<int>(count));
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_want_out(c, true);
                return;
            }
            if (errno == EINTR) {
                continue;
            }
            doom(c);
            return;
        }
        c->queued_bytes -= static_cast<std::size_t>(n);
        for (auto written = static_cast<std::size_t>(n); written > 0;) {
            chunk& head = c->queue.front();
            const std::size_t left = head.b->bytes.size() - head.offset;
            if (written < left) {
                head.offset += written; // a partial write resumes here
                break;
            }
            written -= left;
            release(head.b);
            c->queue.pop_front();
        }
        if (static_cast<std::size_t>(n) < wanted) {
            set_want_out(c, true); // the socket is full: wait for EPOLLOUT
            return;
        }
    }
    set_want_out(c, false);
}

void close_connection(connection* c) {
    if (c->fd < 0) {
        return;
    }
    if (group* g = c->g) {
        if (c->member) {
            g->members[c->slot] = g->members.back();
            g->members[c->slot]->slot = c->slot;
            g->members.pop_back();
            c->member = false;
        }
        c->g = nullptr;
        if (--g->users == 0) {
            groups.erase(std::string(g->name)); // a copy: the key dies with the group
        }
    }
    ::close(c->fd);
    c->fd = -1;
    for (const chunk& q : c->queue) {
        release(q.b);
    }
    c->queue.clear();
}

bool take_handshake(connection* c) {
    const auto end = c->in.find("\r\n\r\n");
    if (end == std::string::npos) {
        return c->in.size() < 16384;
    }
    const std::string_view request(c->in.data(), end + 2);
    const auto path_start = request.find(' ');
    const auto path_end = request.find(' ', path_start + 1);
    const std::string_view path = request.substr(path_start + 1, path_end - path_start - 1);
    const std::string key = header_value(request, "sec-websocket-key");
    if (key.empty() || path.size() < 4 || (path.substr(0, 3) != "/g/" && path.substr(0, 3) != "/p/")) {
        static constexpr std::string_view refusal = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        (void)!::write(c->fd, refusal.data(), refusal.size());
        return false;
    }
    std::string name(path.substr(3));
    group& g = groups[name];
    g.name = std::move(name);
    ++g.users;
    c->g = &g;
    c->member = path[1] == 'g';
    if (c->member) {
        c->slot = g.members.size();
        g.members.push_back(c);
    }
    const std::string accept_input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(accept_input.data()), accept_input.size(), digest);
    std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: " +
                           base64(digest, sizeof digest) + "\r\n";
    if (std::string protocol = header_value(request, "sec-websocket-protocol"); !protocol.empty()) {
        protocol = protocol.substr(0, protocol.find(','));
        response += "Sec-WebSocket-Protocol: " + protocol + "\r\n";
    }
    response += "\r\n";
    send_alone(c, response);
    c->upgraded = true;
    c->in.erase(0, end + 4);
    return true;
}

/// Parses masked client frames (no fragmentation support beyond forwarding each fragment).
bool take_frames(connection* c) {
    std::size_t pos = 0;
    auto* data = reinterpret_cast<unsigned char*>(c->in.data());
    const std::size_t size = c->in.size();
    while (size - pos >= 2) {
        unsigned char* h = data + pos;
        const std::uint8_t opcode = h[0] & 0x0F;
        if ((h[1] & 0x80) == 0) {
            return false; // clients must mask
        }
        std::uint64_t length = h[1] & 0x7F;
        std::size_t header = 2;
        if (length == 126) {
            if (size - pos < 4) {
                break;
            }
            length = (std::uint64_t{h[2]} << 8) | h[3];
            header = 4;
        } else if (length == 127) {
            if (size - pos < 10) {
                break;
            }
            length = 0;
            for (int i = 0; i < 8; ++i) {
                length = (length << 8) | h[2 + i];
            }
            header = 10;
        }
        if (length > (16u << 20)) {
            return false;
        }
        const std::size_t total = header + 4 + static_cast<std::size_t>(length);
        if (size - pos < total) {
            break;
        }
        const unsigned char* key = h + header;
        auto* payload = reinterpret_cast<char*>(h + header + 4);
        for (std::size_t i = 0; i < length; ++i) {
            payload[i] = static_cast<char>(payload[i] ^ key[i & 3]);
        }
        const std::string_view body(payload, static_cast<std::size_t>(length));
        switch (opcode) {
        case 0x8:
            send_frame_alone(c, 0x8, body.substr(0, std::min<std::size_t>(body.size(), 2)));
            doom(c);
            return true;
        case 0x9:
            send_frame_alone(c, 0xA, body);
            break;
        case 0xA:
            break;
        default:
            publish(c, opcode == 0 ? 0x1 : opcode, body);
            break;
        }
        pos += total;
    }
    c->in.erase(0, pos);
    return true;
}

void on_readable(connection* c) {
    char buffer[read_chunk];
    for (;;) {
        const ssize_t n = ::read(c->fd, buffer, sizeof buffer);
        if (n > 0) {
            c->in.append(buffer, static_cast<std::size_t>(n));
            if (static_cast<std::size_t>(n) < sizeof buffer) {
                break;
            }
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        doom(c); // EOF or error
        return;
    }
    if (!c->upgraded && !take_handshake(c)) {
        doom(c);
        return;
    }
    if (c->upgraded && !take_frames(c)) {
        doom(c);
    }
}

} // namespace

int main(int argc, char** argv) {
    int port = -1;
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::string_view(argv[i]) == "--port") {
            port = std::atoi(argv[i + 1]);
        }
    }
    if (port < 0 || port > 65535) {
        std::fprintf(stderr, "usage: hubcast-ceiling --port P\n");
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);

    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int on = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK); // loopback only
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 4096) != 0) {
        std::perror("hubcast-ceiling: bind/listen");
        return 1;
    }
    socklen_t address_size = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &address_size);
    port = ntohs(address.sin_port); // the one taken when asked for 0
    epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event listen_event{};
    listen_event.events = EPOLLIN;
    listen_event.data.ptr = nullptr;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &listen_event);
    std::printf("listening on %d\n", port);
    std::fflush(stdout);

    std::vector<epoll_event> events(1024);
    for (;;) {
        const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            std::perror("hubcast-ceiling: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            auto* c = static_cast<connection*>(events[i].data.ptr);
            if (c == nullptr) {
                for (;;) {
                    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) {
                        break; // EAGAIN, or EMFILE: the client waits in the backlog
                    }
                    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
                    auto* fresh = new connection;
                    fresh->fd = fd;
                    epoll_event ev{};
                    ev.events = EPOLLIN;
                    ev.data.ptr = fresh;
                    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
                }
                continue;
            }
            if (c->fd < 0 || c->closing) {
                continue;
            }
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                on_readable(c);
            }
            if ((events[i].events & EPOLLOUT) && !c->closing) {
                mark_dirty(c);
            }
        }
        hand_out_turn();
        // Replies, and the members whose queues were not empty: one gather write each.
        for (std::size_t i = 0; i < flush_list.size(); ++i) {
            connection* c = flush_list[i];
            c->dirty = false;
            if (!c->closing) {
                flush(c);
            }
        }
        flush_list.clear();
        if (!doomed.empty()) {
            // doom() lists each connection once; flush() cannot add to the list (all are closing).
            for (connection* c : doomed) {
                flush(c); // best effort: a close reply
                close_connection(c);
                delete c;
            }
            doomed.clear();
        }
    }
}

#include "adapters.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "auth/client_token.hpp"

namespace hubcast::bench {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

/// Eight lowercase hex digits (the first the most significant) as a number, eight bytes at a time:
/// the marker's 24 digits are the largest part of the loadgen's own user-space work per delivery,
/// and this takes about 20 operations per 8 digits instead of about 5 per digit. False when any byte
/// is not one of 0-9a-f.
bool parse_hex8(const char* p, std::uint32_t& out) {
    static_assert(std::endian::native == std::endian::little, "the byte lanes below assume little-endian");
    constexpr std::uint64_t ones = 0x0101010101010101;
    constexpr std::uint64_t highs = 0x8080808080808080;
    std::uint64_t x = 0;
    std::memcpy(&x, p, 8);
    // Each byte below 0x80, then in '0'-'9' or 'a'-'f': adding 0x80 - lo sets a byte's high bit iff
    // the byte is >= lo, and no byte carries into the next.
    const auto at_least = [x](std::uint64_t lo) {
        return (x + (0x80 - lo) * ones) & highs;
    };
    const std::uint64_t digit = at_least('0') & ~at_least('9' + 1);
    const std::uint64_t letter = at_least('a') & ~at_least('f' + 1);
    if ((x & highs) != 0 || (digit | letter) != highs) {
        return false;
    }
    // The nibbles ('a'-'f': low four bits + 9), then pairs, quads and the eight of them merged.
    std::uint64_t v = (x & 0x0F0F0F0F0F0F0F0F) + ((letter >> 7) * 9);
    v = ((v << 4) + (v >> 8)) & 0x00FF00FF00FF00FF;
    v = ((v << 8) + (v >> 16)) & 0x0000FFFF0000FFFF;
    v = ((v << 16) + (v >> 32)) & 0xFFFFFFFF;
    out = static_cast<std::uint32_t>(v);
    return true;
}

/// Parses the marker that starts at `offset` of `bytes`, if one does.
bool parse_marker_at(std::string_view bytes, std::size_t offset, std::uint64_t& sent_ns,
                     std::uint32_t& sequence) {
    if (offset > bytes.size() || bytes.size() - offset < marker_bytes) {
        return false;
    }
    const char* m = bytes.data() + offset;
    if (m[0] != '~' || m[1] != 'T' || m[18] != 'S') {
        return false;
    }
    std::uint32_t high = 0;
    std::uint32_t low = 0;
    std::uint32_t seq = 0;
    if (!parse_hex8(m + 2, high) || !parse_hex8(m + 10, low) || !parse_hex8(m + 19, seq)) {
        return false;
    }
    sent_ns = (std::uint64_t{high} << 32) | low;
    sequence = seq;
    return true;
}

/// Where the first `~T` is (where find_marker looks), or npos.
std::size_t search_marker(std::string_view bytes) {
    const void* hit = ::memmem(bytes.data(), bytes.size(), "~T", 2);
    return hit == nullptr ? std::string_view::npos
                          : static_cast<std::size_t>(static_cast<const char*>(hit) - bytes.data());
}

/// Finds the marker in each received message without scanning the message: a server puts the
/// payload at the same distance from the end of every message it sends (hubcast's JSON ends
/// `"data":"<payload>"}`, NATS's MSG and MQTT's PUBLISH end with the payload), so the place the
/// last one had is checked first; only a miss scans (find_marker) and learns the new place. The
/// scan (memmem from the start of the envelope) was 14 % of the loadgen's CPU in a fan-out.
class marker_reader {
public:
    bool read(std::string_view bytes, std::uint64_t& sent_ns, std::uint32_t& sequence) {
        if (from_end_ != 0 && from_end_ <= bytes.size() &&
            parse_marker_at(bytes, bytes.size() - from_end_, sent_ns, sequence)) {
            return true;
        }
        const std::size_t offset = search_marker(bytes);
        if (offset == std::string_view::npos || !parse_marker_at(bytes, offset, sent_ns, sequence)) {
            return false;
        }
        from_end_ = bytes.size() - offset;
        return true;
    }

private:
    std::size_t from_end_ = 0; // where the marker began in the last message, counted from its end
};

/// The decimal number that starts at `from` in `text` (0 when no digit does); `end` is set past
/// its last digit. For the ids hubcast writes unquoted (`sequenceId`, `ackId`).
std::uint64_t leading_number(std::string_view text, std::size_t from, std::size_t& end) {
    std::uint64_t value = 0;
    end = from;
    for (; end < text.size() && text[end] >= '0' && text[end] <= '9'; ++end) {
        value = value * 10 + static_cast<std::uint64_t>(text[end] - '0');
    }
    return value;
}

bool report_marker(client& c, marker_reader& marker, std::string_view bytes) {
    std::uint64_t sent_ns = 0;
    std::uint32_t sequence = 0;
    if (!marker.read(bytes, sent_ns, sequence)) {
        return false;
    }
    c.events().on_delivery(c, sent_ns, sequence);
    return true;
}

void mark_ready(client& c) {
    if (!c.ready) {
        c.ready = true;
        c.events().on_ready(c);
    }
}

// ---------------------------------------------------------------------------------------------

class hubcast_adapter final : public protocol_adapter {
public:
    explicit hubcast_adapter(hubcast_settings settings) : settings_(std::move(settings)) {
        keys_.keys.push_back(settings_.access_key);
    }
    std::string_view name() const override { return "hubcast"; }
    std::string_view subprotocol(const client_spec& spec) const override {
        return is_reliable(spec) ? "json.reliable.webpubsub.azure.v1" : "json.webpubsub.azure.v1";
    }

    std::string request_target(std::uint32_t index, std::string_view group, bool subscriber,
                               std::uint16_t port) override {
        auth::client_token_request request;
        request.endpoint = fmt::format("http://127.0.0.1:{}", port);
        request.hub = settings_.hub;
        request.user_id = fmt::format("u{}", index);
        request.roles = {"webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"};
        if (subscriber && !group.empty()) {
            request.groups.emplace_back(group);
        }
        request.now = static_cast<std::int64_t>(std::time(nullptr));
        const std::string token = auth::mint_client_token(request, keys_);
        return "/client/hubs/" + settings_.hub + "?access_token=" + token;
    }

    void on_open(client& c) override { c.reliable = is_reliable(c.spec()); }

    void on_payload(client& c, std::string_view payload) override {
        if (settings_.events && report_event_ack(c, payload)) {
            return;
        }
        if (report_marker(c, marker_, payload)) {
            if (c.reliable) {
                acknowledge(c, payload);
            }
            return;
        }
        if (payload.find("\"connected\"") != std::string_view::npos) {
            mark_ready(c);
        }
    }

    void publish(client& c, std::string_view group, std::string_view payload) override {
        std::string& body = scratch_;
        if (settings_.events) {
            // The ackId is the marker's sequence: the ack carries nothing else to time it by.
            std::uint64_t sent_ns = 0;
            std::uint32_t sequence = 0;
            parse_marker_at(payload, 0, sent_ns, sequence);
            event_sent_ns_[sequence & event_ring_mask] = sent_ns;
            body.assign(R"({"type":"event","event":"bench","ackId":)");
            body += std::to_string(sequence);
        } else {
            body.assign(R"({"type":"sendToGroup","group":")");
            body += group;
            body += '"';
        }
        body += R"(,"dataType":"text","data":")";
        body += payload;
        body += "\"}";
        c.send_frame(0x1, body);
    }

private:
    /// Subscriber i is reliable when the running count floor((i + 1) * share) steps up at i, so
    /// that any share spreads evenly over the indexes (0.5: every second subscriber).
    bool is_reliable(const client_spec& spec) const {
        if (!spec.subscriber || settings_.reliable_share <= 0) {
            return false;
        }
        const double share = settings_.reliable_share;
        return static_cast<std::uint64_t>((spec.index + 1) * share) >
               static_cast<std::uint64_t>(spec.index * share);
    }

    /// Reads the data message's `sequenceId` (hubcast writes it first) and acknowledges per
    /// reliable_ack_policy.
    void acknowledge(client& c, std::string_view payload) {
        constexpr std::string_view prefix = R"({"sequenceId":)";
        if (payload.substr(0, prefix.size()) != prefix) {
            return;
        }
        std::size_t end = 0;
        const std::uint64_t id = leading_number(payload, prefix.size(), end);
        c.last_sequence = std::max(c.last_sequence, id);
        const std::uint64_t now = client::receive_ns();
        if (c.last_sequence - c.acked_sequence < reliable_ack_policy::max_unacked &&
            now - c.acked_ns < reliable_ack_policy::max_delay_ns) {
            return;
        }
        std::string& ack = scratch_;
        ack.assign(R"({"type":"sequenceAck","sequenceId":)");
        ack += std::to_string(c.last_sequence);
        ack += '}';
        c.send_frame(0x1, ack);
        c.acked_sequence = c.last_sequence;
        c.acked_ns = now;
    }

    /// An event's ack (`{"type":"ack","ackId":N,"success":true}`): its round trip is delivered. A
    /// failed ack (the handler refused or timed out) is not, so the run reports it as lost.
    bool report_event_ack(client& c, std::string_view payload) {
        constexpr std::string_view prefix = R"({"type":"ack","ackId":)";
        if (!payload.starts_with(prefix)) {
            return false;
        }
        std::size_t end = 0;
        const std::uint64_t id = leading_number(payload, prefix.size(), end);
        if (payload.substr(end).starts_with(R"(,"success":true)")) {
            c.events().on_delivery(c, event_sent_ns_[id & event_ring_mask], static_cast<std::uint32_t>(id));
        }
        return true;
    }

    // When each event in flight was sent, by ackId; the loadgen's window keeps far fewer than this
    // in flight, so an entry is never overwritten before its ack.
    static constexpr std::size_t event_ring_mask = (1U << 20) - 1;
    hubcast_settings settings_;
    auth::access_keys keys_;
    std::string scratch_;
    marker_reader marker_;
    std::vector<std::uint64_t> event_sent_ns_ =
        std::vector<std::uint64_t>(settings_.events ? event_ring_mask + 1 : 0);
};

// ---------------------------------------------------------------------------------------------

/// Parses whole protocol messages from `chunk`, keeping an unfinished tail in c.stream(). `take`
/// returns how many bytes of its input formed complete messages (0: need more).
template <typename Take> void consume_stream(client& c, std::string_view chunk, Take&& take) {
    std::string& pending = c.stream();
    if (pending.empty()) {
        std::size_t pos = 0;
        while (pos < chunk.size()) {
            const std::size_t used = take(chunk.substr(pos));
            if (used == 0) {
                break;
            }
            pos += used;
        }
        if (pos < chunk.size()) {
            pending.assign(chunk.substr(pos));
        }
        return;
    }
    pending.append(chunk);
    std::size_t pos = 0;
    while (pos < pending.size()) {
        const std::size_t used = take(std::string_view(pending).substr(pos));
        if (used == 0) {
            break;
        }
        pos += used;
    }
    pending.erase(0, pos);
}

class nats_adapter final : public protocol_adapter {
public:
    std::string_view name() const override { return "nats"; }
    std::string_view subprotocol(const client_spec&) const override { return {}; }
    std::string request_target(std::uint32_t, std::string_view, bool, std::uint16_t) override { return "/"; }

    void on_open(client&) override {}

    void on_payload(client& c, std::string_view payload) override {
        consume_stream(c, payload, [this, &c](std::string_view in) { return take(c, in); });
    }

    void publish(client& c, std::string_view group, std::string_view payload) override {
        std::string& body = scratch_;
        body.assign("PUB ");
        body += group;
        body += ' ';
        body += std::to_string(payload.size());
        body += "\r\n";
        body += payload;
        body += "\r\n";
        c.send_frame(0x1, body);
    }

private:
    std::size_t take(client& c, std::string_view in) {
        const auto eol = in.find("\r\n");
        if (eol == std::string_view::npos) {
            return 0;
        }
        const std::string_view line = in.substr(0, eol);
        if (line.starts_with("MSG ")) {
            // `MSG <subject> <sid> [reply-to] <#bytes>`: the size is the digits at the end of the line.
            std::size_t size = 0;
            std::size_t scale = 1;
            for (std::size_t i = line.size(); i > 4 && line[i - 1] >= '0' && line[i - 1] <= '9'; --i) {
                size += static_cast<std::size_t>(line[i - 1] - '0') * scale;
                scale *= 10;
            }
            const std::size_t total = eol + 2 + size + 2;
            if (in.size() < total) {
                return 0;
            }
            report_marker(c, marker_, in.substr(eol + 2, size));
            return total;
        }
        if (line.starts_with("INFO")) {
            std::string hello = R"(CONNECT {"verbose":false,"pedantic":false,"protocol":1,"name":"loadgen"})";
            hello += "\r\n";
            if (c.spec().subscriber && !c.spec().group.empty()) {
                hello += "SUB " + c.spec().group + " 1\r\n";
            }
            hello += "PING\r\n";
            c.send_frame(0x1, hello);
        } else if (line == "PING") {
            c.send_frame(0x1, "PONG\r\n");
        } else if (line == "PONG") {
            mark_ready(c);
        } else if (line.starts_with("-ERR")) {
            c.events().on_failed(c, 0, line);
        }
        return eol + 2;
    }

    std::string scratch_;
    marker_reader marker_;
};

// ---------------------------------------------------------------------------------------------

void put_u16(std::string& out, std::size_t value) {
    out += static_cast<char>((value >> 8) & 0xFF);
    out += static_cast<char>(value & 0xFF);
}

void put_remaining_length(std::string& out, std::size_t value) {
    do {
        auto byte = static_cast<unsigned char>(value % 128);
        value /= 128;
        if (value > 0) {
            byte |= 0x80;
        }
        out += static_cast<char>(byte);
    } while (value > 0);
}

class mqtt_adapter final : public protocol_adapter {
public:
    std::string_view name() const override { return "mosquitto"; }
    std::string_view subprotocol(const client_spec&) const override { return "mqtt"; }
    std::string request_target(std::uint32_t, std::string_view, bool, std::uint16_t) override {
        return "/mqtt";
    }

    void on_open(client& c) override {
        const std::string client_id = fmt::format("lg{}", c.spec().index);
        std::string variable;
        put_u16(variable, 4);
        variable += "MQTT";
        variable += static_cast<char>(4);    // protocol level 3.1.1
        variable += static_cast<char>(0x02); // clean session
        put_u16(variable, 600);              // keep-alive: longer than any run, so no pings needed
        put_u16(variable, client_id.size());
        variable += client_id;
        std::string packet(1, static_cast<char>(0x10));
        put_remaining_length(packet, variable.size());
        packet += variable;
        c.send_frame(0x2, packet);
    }

    void on_payload(client& c, std::string_view payload) override {
        consume_stream(c, payload, [this, &c](std::string_view in) { return take(c, in); });
    }

    void publish(client& c, std::string_view group, std::string_view payload) override {
        std::string& packet = scratch_;
        packet.assign(1, static_cast<char>(0x30)); // PUBLISH, QoS 0
        put_remaining_length(packet, 2 + group.size() + payload.size());
        put_u16(packet, group.size());
        packet += group;
        packet += payload;
        c.send_frame(0x2, packet);
    }

private:
    std::size_t take(client& c, std::string_view in) {
        if (in.size() < 2) {
            return 0;
        }
        std::size_t length = 0;
        std::size_t multiplier = 1;
        std::size_t pos = 1;
        for (;; ++pos) {
            if (pos >= in.size() || pos > 4) {
                return 0;
            }
            const auto byte = static_cast<unsigned char>(in[pos]);
            length += (byte & 0x7F) * multiplier;
            multiplier *= 128;
            if ((byte & 0x80) == 0) {
                break;
            }
        }
        const std::size_t total = pos + 1 + length;
        if (in.size() < total) {
            return 0;
        }
        const auto type = static_cast<unsigned char>(in[0]) >> 4;
        const std::string_view body = in.substr(pos + 1, length);
        switch (type) {
        case 2: // CONNACK
            if (body.size() >= 2 && body[1] != 0) {
                c.events().on_failed(c, 0, "CONNACK refused");
            } else if (c.spec().subscriber && !c.spec().group.empty()) {
                std::string variable;
                put_u16(variable, 1); // packet id
                put_u16(variable, c.spec().group.size());
                variable += c.spec().group;
                variable += static_cast<char>(0); // QoS 0
                std::string packet(1, static_cast<char>(0x82));
                put_remaining_length(packet, variable.size());
                packet += variable;
                c.send_frame(0x2, packet);
            } else {
                mark_ready(c);
            }
            break;
        case 9: // SUBACK
            mark_ready(c);
            break;
        case 3: // PUBLISH
            report_marker(c, marker_, body);
            break;
        default:
            break;
        }
        return total;
    }

    std::string scratch_;
    marker_reader marker_;
};

// ---------------------------------------------------------------------------------------------

class ceiling_adapter final : public protocol_adapter {
public:
    std::string_view name() const override { return "ceiling"; }
    std::string_view subprotocol(const client_spec&) const override { return {}; }
    std::string request_target(std::uint32_t, std::string_view group, bool subscriber,
                               std::uint16_t) override {
        // A connection without a group (idle, connect storm) publishes to a group nobody joins.
        return std::string(subscriber ? "/g/" : "/p/") + (group.empty() ? "none" : std::string(group));
    }
    void on_open(client& c) override { mark_ready(c); }
    void on_payload(client& c, std::string_view payload) override { report_marker(c, marker_, payload); }
    void publish(client& c, std::string_view, std::string_view payload) override {
        c.send_frame(0x1, payload);
    }

private:
    marker_reader marker_;
};

} // namespace

void write_marker(char* out, std::uint64_t sent_ns, std::uint32_t sequence) {
    out[0] = '~';
    out[1] = 'T';
    for (int i = 0; i < 16; ++i) {
        out[2 + i] = hex_digits[(sent_ns >> (60 - 4 * i)) & 0xF];
    }
    out[18] = 'S';
    for (int i = 0; i < 8; ++i) {
        out[19 + i] = hex_digits[(sequence >> (28 - 4 * i)) & 0xF];
    }
    out[27] = '~';
}

bool find_marker(std::string_view bytes, std::uint64_t& sent_ns, std::uint32_t& sequence) {
    const std::size_t offset = search_marker(bytes);
    return offset != std::string_view::npos && parse_marker_at(bytes, offset, sent_ns, sequence);
}

std::unique_ptr<protocol_adapter> make_hubcast_adapter(hubcast_settings settings) {
    return std::make_unique<hubcast_adapter>(std::move(settings));
}
std::unique_ptr<protocol_adapter> make_nats_adapter() {
    return std::make_unique<nats_adapter>();
}
std::unique_ptr<protocol_adapter> make_mqtt_adapter() {
    return std::make_unique<mqtt_adapter>();
}
std::unique_ptr<protocol_adapter> make_ceiling_adapter() {
    return std::make_unique<ceiling_adapter>();
}

} // namespace hubcast::bench

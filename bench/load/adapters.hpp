#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "client.hpp"

namespace hubcast::bench {

/// The payload every server carries: a 28-byte marker, `~T` + 16 hex digits of the publisher's
/// steady-clock nanoseconds + `S` + 8 hex digits of the sequence + `~`, padded with `x` to the
/// payload size. Receivers find the marker wherever the protocol's envelope puts it.
inline constexpr std::size_t marker_bytes = 28;
void write_marker(char* out, std::uint64_t sent_ns, std::uint32_t sequence);
/// Finds and parses the marker in `bytes`; false when there is none.
bool find_marker(std::string_view bytes, std::uint64_t& sent_ns, std::uint32_t& sequence);

/// One server's protocol over WebSocket: how a client is addressed, subscribes, publishes and
/// receives. Stateless: per-connection state lives in the client (state, stream()).
class protocol_adapter {
public:
    virtual ~protocol_adapter() = default;
    virtual std::string_view name() const = 0;
    /// Sec-WebSocket-Protocol that connection `spec` offers, or empty.
    virtual std::string_view subprotocol(const client_spec& spec) const = 0;
    /// The upgrade request target of connection `index` joining `group` on the server at
    /// 127.0.0.1:`port` (tokens are minted here, before any timing starts).
    virtual std::string request_target(std::uint32_t index, std::string_view group, bool subscriber,
                                       std::uint16_t port) = 0;
    /// Called once the upgrade succeeded.
    virtual void on_open(client& c) = 0;
    /// A data frame's payload (for stream protocols, the next chunk of the stream).
    virtual void on_payload(client& c, std::string_view payload) = 0;
    /// Appends one publish of `payload` to `group`.
    virtual void publish(client& c, std::string_view group, std::string_view payload) = 0;
};

struct hubcast_settings {
    std::string access_key;
    std::string hub = "bench";
    /// The share of subscribers (0 to 1, spread evenly over the indexes) on
    /// `json.reliable.webpubsub.azure.v1`, acknowledging as reliable_ack_policy says.
    double reliable_share = 0;
    /// Each publish is a user event (`"type":"event"`, the marker in its data, an ackId) that goes
    /// to the hub's event handler; its delivery is the ack the client gets once the handler has
    /// answered (the event-handler round trip). Off: publishes are sendToGroup messages.
    bool events = false;
};

/// When a reliable subscriber sends its cumulative `sequenceAck`. @azure/web-pubsub-client acks
/// from a 1 s timer (and at once only when the sequence id jumps by more than 300); at fan-out
/// rates a subscriber receives far more than the server's 1,000 unacknowledged messages in a
/// second, so the loadgen also acks once 300 are unacknowledged, as a client that keeps its
/// session alive under load must.
struct reliable_ack_policy {
    static constexpr std::uint64_t max_unacked = 300;
    static constexpr std::uint64_t max_delay_ns = 1'000'000'000;
};

/// hubcast: `json.webpubsub.azure.v1` (or the reliable one for reliable_share of the
/// subscribers); each client carries its own HS256 token (user `u<index>`, groups joined at
/// connect through the `webpubsub.group` claim, audience the port it connects to), minted with
/// hubcast_auth.
std::unique_ptr<protocol_adapter> make_hubcast_adapter(hubcast_settings settings);
/// NATS over WebSocket: CONNECT, SUB, PING; ready at the PONG. PUB / MSG.
std::unique_ptr<protocol_adapter> make_nats_adapter();
/// MQTT 3.1.1 over WebSocket (subprotocol `mqtt`): CONNECT, SUBSCRIBE QoS 0; ready at the SUBACK.
std::unique_ptr<protocol_adapter> make_mqtt_adapter();
/// The ceiling server (bench/limit): `/g/<group>` joins and publishes, `/p/<group>` only publishes;
/// a publish is the payload itself in a text frame.
std::unique_ptr<protocol_adapter> make_ceiling_adapter();

} // namespace hubcast::bench

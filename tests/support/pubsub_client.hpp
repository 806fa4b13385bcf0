#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "support/deadline.hpp"
#include "support/hubcast_process.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {

inline constexpr std::string_view json_subprotocol = "json.webpubsub.azure.v1";
inline constexpr std::string_view json_reliable_subprotocol = "json.reliable.webpubsub.azure.v1";
inline constexpr std::string_view protobuf_subprotocol = "protobuf.webpubsub.azure.v1";
inline constexpr std::string_view protobuf_reliable_subprotocol = "protobuf.reliable.webpubsub.azure.v1";

/// A client to connect: its token and what it offers.
struct client_options {
    std::string hub = "chat";
    std::optional<std::string> user;
    std::vector<std::string> roles;
    std::vector<std::string> groups; ///< the token's `webpubsub.group`
    std::vector<std::string> subprotocols{std::string(json_subprotocol)};
    ping_mode pings = ping_mode::answer;
};

/// "/client/hubs/<hub>?access_token=<token>".
std::string client_path(std::string_view hub, std::string_view token);

/// Mints a token for `options` and upgrades; throws test_failure unless the answer is 101.
ws_client open_websocket(const hubcast_process& server, const client_options& options);

// Client → server messages of the JSON subprotocol (spec 4.2).
std::string join_group_message(std::string_view group, std::optional<std::uint64_t> ack_id = std::nullopt);
std::string leave_group_message(std::string_view group, std::optional<std::uint64_t> ack_id = std::nullopt);
std::string send_to_group_message(std::string_view group, std::string_view data_type,
                                  const boost::json::value& data,
                                  std::optional<std::uint64_t> ack_id = std::nullopt,
                                  std::optional<bool> no_echo = std::nullopt);
std::string event_message(std::string_view event, std::string_view data_type, const boost::json::value& data,
                          std::optional<std::uint64_t> ack_id = std::nullopt);
inline constexpr std::string_view ping_message = R"({"type":"ping"})";

/// A client speaking `json.webpubsub.azure.v1`, connected and past its `connected` message.
/// The expect_* helpers throw test_failure with what arrived instead.
class pubsub_client {
public:
    /// Upgrades with a minted token and requires `{"type":"system","event":"connected",...}` as
    /// the first message.
    static pubsub_client connect(const hubcast_process& server, const client_options& options = {});

    ws_client& ws() noexcept { return ws_; }
    const std::string& connection_id() const noexcept { return connection_id_; }
    /// `userId` of the connected message (a string or null).
    const boost::json::value& user_id() const noexcept { return user_id_; }
    const boost::json::object& connected_message() const noexcept { return connected_; }

    bool join(std::string_view group, std::optional<std::uint64_t> ack_id = std::nullopt);
    bool leave(std::string_view group, std::optional<std::uint64_t> ack_id = std::nullopt);
    bool send_text(std::string_view group, std::string_view text,
                   std::optional<std::uint64_t> ack_id = std::nullopt,
                   std::optional<bool> no_echo = std::nullopt);
    bool send(std::string_view group, std::string_view data_type, const boost::json::value& data,
              std::optional<std::uint64_t> ack_id = std::nullopt, std::optional<bool> no_echo = std::nullopt);

    /// `{"type":"ack","ackId":id,"success":true}` with no error.
    void expect_ack(std::uint64_t ack_id, deadline limit = default_wait);
    /// `{"type":"ack","ackId":id,"success":false,"error":{"name":name,"message":<string>}}`;
    /// returns the ack.
    boost::json::object expect_ack_error(std::uint64_t ack_id, std::string_view name,
                                         deadline limit = default_wait);
    /// `{"type":"message","from":"group","group":group,...}`; returns the message.
    boost::json::object expect_group_message(std::string_view group, deadline limit = default_wait);
    /// Joins with an ack and waits for the success ack.
    void join_acked(std::string_view group, std::uint64_t ack_id);
    /// `{"type":"system","event":"disconnected","message":<string>}` then a close with `code` and
    /// the end of the TCP connection. Returns the disconnected message.
    boost::json::object expect_disconnected_then_close(std::uint16_t code, deadline limit = default_wait);

private:
    explicit pubsub_client(ws_client ws) : ws_(std::move(ws)) {}

    ws_client ws_;
    std::string connection_id_;
    boost::json::value user_id_;
    boost::json::object connected_;
};

/// The string at `key`, or test_failure naming the object.
std::string string_at(const boost::json::object& object, std::string_view key);
/// Equality of a member with a string, false when absent or not a string.
bool has_string(const boost::json::object& object, std::string_view key, std::string_view value);

} // namespace hubcast::test

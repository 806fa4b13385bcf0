#include "support/pubsub_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "support/encoding.hpp"
#include "support/test_failure.hpp"
#include "support/tokens.hpp"

namespace hubcast::test {
namespace {

void put_ack(boost::json::object& message, std::optional<std::uint64_t> ack_id) {
    if (ack_id) {
        message["ackId"] = *ack_id;
    }
}

bool ack_id_is(const boost::json::object& message, std::uint64_t ack_id) {
    const auto* value = message.if_contains("ackId");
    if (value == nullptr) {
        return false;
    }
    if (value->is_uint64()) {
        return value->get_uint64() == ack_id;
    }
    if (value->is_int64()) {
        return value->get_int64() >= 0 && static_cast<std::uint64_t>(value->get_int64()) == ack_id;
    }
    return false;
}

} // namespace

std::string client_path(std::string_view hub, std::string_view token) {
    return "/client/hubs/" + std::string(hub) + "?access_token=" + url_encode(token);
}

ws_client open_websocket(const hubcast_process& server, const client_options& options) {
    token_request request;
    request.hub = options.hub;
    request.user = options.user;
    request.roles = options.roles;
    request.groups = options.groups;
    std::string token = mint_token(server.port(), server.access_key(), request);
    ws_client ws(options.pings);
    http_response response =
        ws.connect(server.port(), client_path(options.hub, token), {}, options.subprotocols);
    if (response.status != 101) {
        throw test_failure("upgrade to hub " + options.hub + " refused:\n" + response.describe());
    }
    return ws;
}

std::string join_group_message(std::string_view group, std::optional<std::uint64_t> ack_id) {
    boost::json::object message{{"type", "joinGroup"}, {"group", group}};
    put_ack(message, ack_id);
    return boost::json::serialize(message);
}

std::string leave_group_message(std::string_view group, std::optional<std::uint64_t> ack_id) {
    boost::json::object message{{"type", "leaveGroup"}, {"group", group}};
    put_ack(message, ack_id);
    return boost::json::serialize(message);
}

std::string send_to_group_message(std::string_view group, std::string_view data_type,
                                  const boost::json::value& data, std::optional<std::uint64_t> ack_id,
                                  std::optional<bool> no_echo) {
    boost::json::object message{{"type", "sendToGroup"}, {"group", group}};
    put_ack(message, ack_id);
    if (no_echo) {
        message["noEcho"] = *no_echo;
    }
    message["dataType"] = data_type;
    message["data"] = data;
    return boost::json::serialize(message);
}

std::string event_message(std::string_view event, std::string_view data_type, const boost::json::value& data,
                          std::optional<std::uint64_t> ack_id) {
    boost::json::object message{{"type", "event"}, {"event", event}};
    put_ack(message, ack_id);
    message["dataType"] = data_type;
    message["data"] = data;
    return boost::json::serialize(message);
}

std::string string_at(const boost::json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    if (value == nullptr || !value->is_string()) {
        throw test_failure("no string \"" + std::string(key) + "\" in " + describe_json(object));
    }
    return std::string(value->get_string());
}

bool has_string(const boost::json::object& object, std::string_view key, std::string_view value) {
    const auto* member = object.if_contains(key);
    return member != nullptr && member->is_string() && member->get_string() == value;
}

pubsub_client pubsub_client::connect(const hubcast_process& server, const client_options& options) {
    pubsub_client client(open_websocket(server, options));
    boost::json::object connected = client.ws_.expect_json();
    if (!has_string(connected, "type", "system") || !has_string(connected, "event", "connected")) {
        throw test_failure("the first message is not system/connected: " + describe_json(connected));
    }
    client.connection_id_ = string_at(connected, "connectionId");
    if (client.connection_id_.empty()) {
        throw test_failure("empty connectionId in " + describe_json(connected));
    }
    const auto* user = connected.if_contains("userId");
    if (user == nullptr || !(user->is_string() || user->is_null())) {
        throw test_failure("userId must be a string or null in " + describe_json(connected));
    }
    client.user_id_ = *user;
    client.connected_ = std::move(connected);
    return client;
}

bool pubsub_client::join(std::string_view group, std::optional<std::uint64_t> ack_id) {
    return ws_.send_json(join_group_message(group, ack_id));
}

bool pubsub_client::leave(std::string_view group, std::optional<std::uint64_t> ack_id) {
    return ws_.send_json(leave_group_message(group, ack_id));
}

bool pubsub_client::send_text(std::string_view group, std::string_view text,
                              std::optional<std::uint64_t> ack_id, std::optional<bool> no_echo) {
    return send(group, "text", boost::json::string(text), ack_id, no_echo);
}

bool pubsub_client::send(std::string_view group, std::string_view data_type, const boost::json::value& data,
                         std::optional<std::uint64_t> ack_id, std::optional<bool> no_echo) {
    return ws_.send_json(send_to_group_message(group, data_type, data, ack_id, no_echo));
}

void pubsub_client::expect_ack(std::uint64_t ack_id, deadline limit) {
    boost::json::object ack = ws_.expect_json(limit);
    const auto* success = ack.if_contains("success");
    if (!has_string(ack, "type", "ack") || !ack_id_is(ack, ack_id) || success == nullptr ||
        !success->is_bool() || !success->get_bool() || ack.contains("error")) {
        throw test_failure("expected a success ack for " + std::to_string(ack_id) + ", got " +
                           describe_json(ack));
    }
}

boost::json::object pubsub_client::expect_ack_error(std::uint64_t ack_id, std::string_view name,
                                                    deadline limit) {
    boost::json::object ack = ws_.expect_json(limit);
    const auto* success = ack.if_contains("success");
    const auto* error = ack.if_contains("error");
    bool matches = has_string(ack, "type", "ack") && ack_id_is(ack, ack_id) && success != nullptr &&
                   success->is_bool() && !success->get_bool() && error != nullptr && error->is_object() &&
                   has_string(error->get_object(), "name", name) && error->get_object().contains("message") &&
                   error->get_object().at("message").is_string();
    if (!matches) {
        throw test_failure("expected a " + std::string(name) + " ack for " + std::to_string(ack_id) +
                           ", got " + describe_json(ack));
    }
    return ack;
}

boost::json::object pubsub_client::expect_group_message(std::string_view group, deadline limit) {
    boost::json::object message = ws_.expect_json(limit);
    if (!has_string(message, "type", "message") || !has_string(message, "from", "group") ||
        !has_string(message, "group", group)) {
        throw test_failure("expected a message from group " + std::string(group) + ", got " +
                           describe_json(message));
    }
    return message;
}

void pubsub_client::join_acked(std::string_view group, std::uint64_t ack_id) {
    join(group, ack_id);
    expect_ack(ack_id);
}

boost::json::object pubsub_client::expect_disconnected_then_close(std::uint16_t code, deadline limit) {
    receive_result first = ws_.receive_message(limit);
    if (!first || first.frame.opcode != ws_op::text) {
        throw test_failure("expected a system/disconnected message before the close, got: " +
                           first.describe());
    }
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(first.frame.payload, error);
    if (error || !value.is_object() || !has_string(value.get_object(), "type", "system") ||
        !has_string(value.get_object(), "event", "disconnected")) {
        throw test_failure("expected a system/disconnected message before the close, got: " +
                           first.frame.describe());
    }
    const auto* message = value.get_object().if_contains("message");
    if (message != nullptr && !message->is_string()) {
        throw test_failure("disconnected.message must be a string: " + first.frame.describe());
    }
    close_info closed = ws_.expect_close(limit);
    if (closed.code != code) {
        throw test_failure("expected close code " + std::to_string(code) + ", got " +
                           (closed.code ? std::to_string(*closed.code) : std::string("no code")) +
                           " reason \"" + closed.reason + "\"");
    }
    return std::move(value.get_object());
}

} // namespace hubcast::test

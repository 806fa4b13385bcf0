// client_session over every PubSub subprotocol (style rule 14: one test body, every variant): the
// same scenarios written once and run for json, json.reliable, protobuf and protobuf.reliable, plus
// the data-type mapping between JSON, protobuf and simple clients sharing a group (spec 6.4).
// Protobuf requests are written with the generated classes, an encoder independent of the
// server's decoder; replies are read with them too.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../core/recording_sink.hpp"
#include "api/client_session.hpp"
#include "proto/webpubsub.pb.h"
#include "protocol/json_protocol.hpp"
#include "util/base64.hpp"

namespace hubcast::api {
namespace {

using core::testing::parse_frame;
using core::testing::recording_sink;
using protocol::data_type;
using protocol::message_data;
using protocol::subprotocol_kind;
using protocol::ws_opcode;
namespace pb = azure::webpubsub;

const std::vector<std::string> all_roles{"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"};

bool speaks_json(subprotocol_kind kind) {
    return protocol::family_of(kind) == protocol::frame_family::json;
}

// ---------------------------------------------------------------------------------------------
// Requests, as a client of each subprotocol writes them.

std::string json_ack_member(std::optional<std::uint64_t> ack_id) {
    return ack_id ? ",\"ackId\":" + std::to_string(*ack_id) : std::string();
}

std::string json_data_members(const message_data& data) {
    std::string out = R"(,"dataType":")" + std::string(protocol::to_string(data.type)) + R"(","data":)";
    switch (data.type) {
    case data_type::json:
        return out + data.bytes;
    case data_type::text:
        protocol::append_json_string(out, data.bytes);
        return out;
    case data_type::binary:
    case data_type::protobuf:
        break;
    }
    return out + '"' + util::base64_encode(data.bytes) + '"';
}

void set_data(pb::MessageData& out, const message_data& data) {
    switch (data.type) {
    case data_type::text:
        out.set_text_data(data.bytes);
        return;
    case data_type::json:
        out.set_json_data(data.bytes);
        return;
    case data_type::binary:
        out.set_binary_data(data.bytes);
        return;
    case data_type::protobuf:
        ASSERT_TRUE(out.mutable_protobuf_data()->ParseFromString(data.bytes));
        return;
    }
}

std::string join_request(subprotocol_kind kind, const std::string& group,
                         std::optional<std::uint64_t> ack_id) {
    if (speaks_json(kind)) {
        std::string out = R"({"type":"joinGroup","group":)";
        protocol::append_json_string(out, group);
        return out + json_ack_member(ack_id) + "}";
    }
    pb::UpstreamMessage message;
    message.mutable_join_group_message()->set_group(group);
    if (ack_id) {
        message.mutable_join_group_message()->set_ack_id(*ack_id);
    }
    return message.SerializeAsString();
}

std::string send_request(subprotocol_kind kind, const std::string& group, const message_data& data,
                         std::optional<std::uint64_t> ack_id, bool no_echo = false) {
    if (speaks_json(kind)) {
        std::string out = R"({"type":"sendToGroup","group":)";
        protocol::append_json_string(out, group);
        return out + json_ack_member(ack_id) + (no_echo ? R"(,"noEcho":true)" : "") +
               json_data_members(data) + "}";
    }
    pb::UpstreamMessage message;
    auto& send = *message.mutable_send_to_group_message();
    send.set_group(group);
    if (ack_id) {
        send.set_ack_id(*ack_id);
    }
    if (no_echo) {
        send.set_no_echo(true);
    }
    set_data(*send.mutable_data(), data);
    return message.SerializeAsString();
}

std::string event_request(subprotocol_kind kind, const std::string& event,
                          std::optional<std::uint64_t> ack_id) {
    const message_data data{data_type::text, "x"};
    if (speaks_json(kind)) {
        return R"({"type":"event","event":")" + event + "\"" + json_ack_member(ack_id) +
               json_data_members(data) + "}";
    }
    pb::UpstreamMessage message;
    auto& request = *message.mutable_event_message();
    request.set_event(event);
    if (ack_id) {
        request.set_ack_id(*ack_id);
    }
    set_data(*request.mutable_data(), data);
    return message.SerializeAsString();
}

std::string ping_request(subprotocol_kind kind) {
    if (speaks_json(kind)) {
        return R"({"type":"ping"})";
    }
    pb::UpstreamMessage message;
    message.mutable_ping_message();
    return message.SerializeAsString();
}

std::string sequence_ack_request(subprotocol_kind kind, std::uint64_t id) {
    if (speaks_json(kind)) {
        return R"({"type":"sequenceAck","sequenceId":)" + std::to_string(id) + "}";
    }
    pb::UpstreamMessage message;
    message.mutable_sequence_ack_message()->set_sequence_id(id);
    return message.SerializeAsString();
}

/// A request without its group: invalid in both formats.
std::string invalid_request(subprotocol_kind kind) {
    if (speaks_json(kind)) {
        return R"({"type":"joinGroup"})";
    }
    pb::UpstreamMessage message;
    message.mutable_join_group_message();
    return message.SerializeAsString();
}

// ---------------------------------------------------------------------------------------------
// Replies, read back into one shape whatever the subprotocol.

struct reply {
    std::string kind; ///< ack, message, pong, disconnected or "unreadable: ..."
    std::uint64_t ack_id = 0;
    bool success = false;
    std::string error_name;
    std::string from;
    std::string group;
    std::optional<std::string> from_user_id;  ///< JSON only: protobuf messages carry no publisher
    std::optional<std::uint64_t> sequence_id; ///< reliable subprotocols only
    message_data data;
    std::string reason;
};

reply read_json(const std::string& text) {
    boost::system::error_code error;
    const auto value = boost::json::parse(text, error);
    if (error || !value.is_object()) {
        return {.kind = "unreadable: " + text};
    }
    const auto& object = value.as_object();
    const auto string_at = [&](const char* key) {
        const auto* member = object.if_contains(key);
        return member != nullptr && member->is_string() ? std::string(member->as_string()) : std::string();
    };
    reply out;
    const std::string type = string_at("type");
    if (type == "ack") {
        out.kind = "ack";
        out.ack_id = object.at("ackId").to_number<std::uint64_t>();
        out.success = object.at("success").as_bool();
        if (!out.success) {
            out.error_name = std::string(object.at("error").at("name").as_string());
        }
    } else if (type == "message") {
        out.kind = "message";
        out.from = string_at("from");
        out.group = string_at("group");
        if (const auto* user = object.if_contains("fromUserId"); user != nullptr && user->is_string()) {
            out.from_user_id = std::string(user->as_string());
        }
        if (const auto* id = object.if_contains("sequenceId"); id != nullptr) {
            out.sequence_id = id->to_number<std::uint64_t>();
        }
        out.data.type = *protocol::parse_data_type(string_at("dataType"));
        const auto& data = object.at("data");
        switch (out.data.type) {
        case data_type::json:
            out.data.bytes = boost::json::serialize(data);
            break;
        case data_type::text:
            out.data.bytes = std::string(data.as_string());
            break;
        case data_type::binary:
        case data_type::protobuf:
            out.data.bytes = util::base64_decode(data.as_string()).value_or("not base64");
            break;
        }
    } else if (type == "pong") {
        out.kind = "pong";
    } else if (type == "system" && string_at("event") == "disconnected") {
        out.kind = "disconnected";
        out.reason = string_at("message");
    } else {
        out.kind = "unreadable: " + text;
    }
    return out;
}

reply read_protobuf(const std::string& bytes) {
    pb::DownstreamMessage message;
    if (!message.ParseFromString(bytes)) {
        return {.kind = "unreadable protobuf"};
    }
    reply out;
    switch (message.message_case()) {
    case pb::DownstreamMessage::kAckMessage:
        out.kind = "ack";
        out.ack_id = message.ack_message().ack_id();
        out.success = message.ack_message().success();
        out.error_name = message.ack_message().error().name();
        break;
    case pb::DownstreamMessage::kDataMessage: {
        const auto& data = message.data_message();
        out.kind = "message";
        out.from = data.from();
        out.group = data.group();
        if (data.has_sequence_id()) {
            out.sequence_id = data.sequence_id();
        }
        switch (data.data().data_case()) {
        case pb::MessageData::kTextData:
            out.data = {data_type::text, data.data().text_data()};
            break;
        case pb::MessageData::kJsonData:
            out.data = {data_type::json, data.data().json_data()};
            break;
        case pb::MessageData::kBinaryData:
            out.data = {data_type::binary, data.data().binary_data()};
            break;
        case pb::MessageData::kProtobufData:
            out.data = {data_type::protobuf, data.data().protobuf_data().SerializeAsString()};
            break;
        case pb::MessageData::DATA_NOT_SET:
            out.kind = "unreadable: data message without data";
            break;
        }
        break;
    }
    case pb::DownstreamMessage::kPongMessage:
        out.kind = "pong";
        break;
    case pb::DownstreamMessage::kSystemMessage:
        if (message.system_message().has_disconnected_message()) {
            out.kind = "disconnected";
            out.reason = message.system_message().disconnected_message().reason();
            break;
        }
        [[fallthrough]];
    default:
        out.kind = "unreadable: " + message.ShortDebugString();
    }
    return out;
}

/// The frame as a client of `kind` reads it; a frame of the wrong type is unreadable to it.
reply read(subprotocol_kind kind, const util::shared_bytes& frame) {
    const auto parsed = parse_frame(frame);
    if (!parsed.well_formed) {
        return {.kind = "unreadable: malformed frame"};
    }
    if (!speaks_json(kind)) {
        return parsed.opcode == ws_opcode::binary ? read_protobuf(parsed.payload)
                                                  : reply{.kind = "unreadable: text frame"};
    }
    return parsed.opcode == ws_opcode::text ? read_json(parsed.payload)
                                            : reply{.kind = "unreadable: binary frame"};
}

std::string kind_name(const ::testing::TestParamInfo<subprotocol_kind>& info) {
    switch (info.param) {
    case subprotocol_kind::json:
        return "Json";
    case subprotocol_kind::json_reliable:
        return "JsonReliable";
    case subprotocol_kind::protobuf:
        return "Protobuf";
    case subprotocol_kind::protobuf_reliable:
        return "ProtobufReliable";
    case subprotocol_kind::none:
        break;
    }
    return "Simple";
}

class ClientSessionOverEachSubprotocol : public ::testing::TestWithParam<subprotocol_kind> {
protected:
    ClientSessionOverEachSubprotocol() : router_(1) { router_.shard_at(0).bind_to_current_thread(); }

    std::unique_ptr<client_session> open(recording_sink& sink, std::vector<std::string> roles,
                                         subprotocol_kind kind, std::string user = "alice") {
        auto& shard = router_.shard_at(0);
        auto& connection =
            shard.attach({.id = router_.new_connection_id(0), .hub = "chat", .user_id = user, .kind = kind},
                         auth::permission_set::from_roles(roles), sink);
        last_opened_ = &connection;
        return std::make_unique<client_session>(router_, shard, connection, metrics_);
    }

    std::unique_ptr<client_session> open(recording_sink& sink, std::vector<std::string> roles) {
        return open(sink, std::move(roles), GetParam());
    }

    /// Sends in the frame type clients of the subprotocol use: text for JSON, binary for protobuf.
    void send(client_session& session, const std::string& payload) {
        session.on_message(speaks_json(GetParam()) ? ws_opcode::text : ws_opcode::binary, payload);
    }

    reply reply_at(const recording_sink& sink, std::size_t index) {
        if (index >= sink.frames.size()) {
            return {.kind = "missing"};
        }
        return read(GetParam(), sink.frames[index]);
    }

    core::router router_;
    metrics metrics_;
    core::connection* last_opened_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(Wire, ClientSessionOverEachSubprotocol,
                         ::testing::Values(subprotocol_kind::json, subprotocol_kind::json_reliable,
                                           subprotocol_kind::protobuf, subprotocol_kind::protobuf_reliable),
                         kind_name);

TEST_P(ClientSessionOverEachSubprotocol, JoinPublishAndReceiveWithAcks) {
    recording_sink sink;
    auto session = open(sink, all_roles);
    send(*session, join_request(GetParam(), "g", 1));
    send(*session, send_request(GetParam(), "g", {data_type::text, "hi"}, 2));
    ASSERT_EQ(sink.frames.size(), 3u);
    const reply joined = reply_at(sink, 0);
    EXPECT_EQ(joined.kind, "ack");
    EXPECT_EQ(joined.ack_id, 1u);
    EXPECT_TRUE(joined.success);
    const reply echo = reply_at(sink, 1);
    EXPECT_EQ(echo.kind, "message");
    EXPECT_EQ(echo.from, "group");
    EXPECT_EQ(echo.group, "g");
    EXPECT_EQ(echo.data.type, data_type::text);
    EXPECT_EQ(echo.data.bytes, "hi");
    EXPECT_EQ(echo.sequence_id,
              protocol::is_reliable(GetParam()) ? std::optional<std::uint64_t>(1) : std::nullopt);
    const reply sent = reply_at(sink, 2);
    EXPECT_EQ(sent.kind, "ack");
    EXPECT_EQ(sent.ack_id, 2u);
    EXPECT_TRUE(sent.success);
}

TEST_P(ClientSessionOverEachSubprotocol, WithoutAckIdNothingIsAnsweredEvenOnError) {
    recording_sink sink;
    auto session = open(sink, {});
    send(*session, join_request(GetParam(), "g", std::nullopt));
    send(*session, event_request(GetParam(), "e", std::nullopt));
    EXPECT_TRUE(sink.frames.empty());
    EXPECT_TRUE(sink.closes.empty());
}

TEST_P(ClientSessionOverEachSubprotocol, DuplicateIsCheckedBeforePermissionsAndOnlyForSuccesses) {
    recording_sink sink;
    auto session = open(sink, {"webpubsub.joinLeaveGroup.a"});
    send(*session, join_request(GetParam(), "b", 7)); // Forbidden: not remembered
    send(*session, join_request(GetParam(), "b", 7)); // Forbidden again
    send(*session, join_request(GetParam(), "a", 8)); // success
    send(*session, join_request(GetParam(), "b", 8)); // Duplicate, though forbidden
    ASSERT_EQ(sink.frames.size(), 4u);
    EXPECT_EQ(reply_at(sink, 0).error_name, "Forbidden");
    EXPECT_EQ(reply_at(sink, 1).error_name, "Forbidden");
    EXPECT_TRUE(reply_at(sink, 2).success);
    EXPECT_EQ(reply_at(sink, 3).error_name, "Duplicate");
    EXPECT_EQ(reply_at(sink, 3).ack_id, 8u);
    EXPECT_FALSE(reply_at(sink, 3).success);
}

TEST_P(ClientSessionOverEachSubprotocol, EventsWithoutAHandlerGetInternalServerError) {
    recording_sink sink;
    auto session = open(sink, {});
    send(*session, event_request(GetParam(), "e", 3));
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(reply_at(sink, 0).kind, "ack");
    EXPECT_EQ(reply_at(sink, 0).error_name, "InternalServerError");
}

// A sequenceAck is never answered (a reliable session releases messages, a plain one ignores it).
TEST_P(ClientSessionOverEachSubprotocol, PingIsAnsweredWithPongAndSequenceAckIsNot) {
    recording_sink sink;
    auto session = open(sink, {});
    send(*session, sequence_ack_request(GetParam(), 3));
    send(*session, ping_request(GetParam()));
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(reply_at(sink, 0).kind, "pong");
}

TEST_P(ClientSessionOverEachSubprotocol, InvalidRequestSendsDisconnectedThenCloses1007) {
    recording_sink sink;
    auto session = open(sink, {});
    send(*session, invalid_request(GetParam()));
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(reply_at(sink, 0).kind, "disconnected");
    EXPECT_EQ(reply_at(sink, 0).reason, sink.closes.at(0).reason);
    ASSERT_EQ(sink.closes.size(), 1u);
    EXPECT_EQ(sink.closes[0].code, protocol::close_code::invalid_payload);
    EXPECT_EQ(sink.closes[0].frames_before, 1u);
    send(*session, ping_request(GetParam())); // ignored once closing
    EXPECT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(metrics_.invalid_messages.load(), 1u);
}

// Spec 4.1 / 6.1: the subprotocol decides how a message is read, not the frame type; replies always
// use the subprotocol's own frame type.
TEST_P(ClientSessionOverEachSubprotocol, EitherFrameTypeIsAccepted) {
    recording_sink sink;
    auto session = open(sink, {});
    session->on_message(ws_opcode::text, ping_request(GetParam()));
    session->on_message(ws_opcode::binary, ping_request(GetParam()));
    ASSERT_EQ(sink.frames.size(), 2u);
    EXPECT_EQ(reply_at(sink, 0).kind, "pong");
    EXPECT_EQ(reply_at(sink, 1).kind, "pong");
    EXPECT_TRUE(sink.closes.empty());
}

// A client of the other subprotocol's format is refused, never half-understood.
TEST_P(ClientSessionOverEachSubprotocol, TheOtherFormatIsInvalid) {
    const subprotocol_kind other =
        speaks_json(GetParam()) ? subprotocol_kind::protobuf : subprotocol_kind::json;
    recording_sink sink;
    auto session = open(sink, all_roles);
    send(*session, join_request(other, "g", 1));
    ASSERT_EQ(sink.closes.size(), 1u);
    EXPECT_EQ(sink.closes[0].code, protocol::close_code::invalid_payload);
    EXPECT_FALSE(router_.group_exists("chat", "g"));
}

// ---------------------------------------------------------------------------------------------
// Spec 6.4: one group with a member of every subprotocol and a simple one; a publisher of each
// PubSub subprotocol sends every kind of data it can, and every member gets it in its own form,
// reliable members numbered from 1.

TEST_P(ClientSessionOverEachSubprotocol, MixedGroupGetsEveryDataKindInItsOwnForm) {
    struct member {
        subprotocol_kind kind;
        recording_sink sink;
        std::unique_ptr<client_session> session;
    };
    std::vector<member> members(5);
    members[0].kind = subprotocol_kind::json;
    members[1].kind = subprotocol_kind::json_reliable;
    members[2].kind = subprotocol_kind::protobuf;
    members[3].kind = subprotocol_kind::protobuf_reliable;
    members[4].kind = subprotocol_kind::none;
    auto& shard = router_.shard_at(0);
    for (auto& m : members) {
        m.session = open(m.sink, all_roles, m.kind, "member");
        // Simple clients cannot ask to join: the token's groups put them in, as here.
        shard.join(*last_opened_, "g");
    }
    recording_sink publisher_sink;
    auto publisher = open(publisher_sink, all_roles, GetParam(), "pub");

    pb::MessageData any_holder;
    any_holder.mutable_protobuf_data()->set_type_url("type.googleapis.com/demo.Point");
    any_holder.mutable_protobuf_data()->set_value(std::string("\x08\x01\x10\x02", 4));
    std::vector<message_data> sent{
        {data_type::text, "héllo"},
        {data_type::json, R"({"a":[1,"x",null]})"},
        {data_type::json, R"("a json string")"},
        {data_type::binary, std::string("\x00\x01\xfe\xff", 4)},
    };
    // JSON clients cannot send protobuf data (spec 4.3); protobuf clients can.
    if (!speaks_json(GetParam())) {
        sent.push_back({data_type::protobuf, any_holder.protobuf_data().SerializeAsString()});
    }
    for (const auto& data : sent) {
        send(*publisher, send_request(GetParam(), "g", data, std::nullopt));
    }
    ASSERT_TRUE(publisher_sink.closes.empty());

    for (const auto& m : members) {
        ASSERT_EQ(m.sink.frames.size(), sent.size()) << protocol::to_string(m.kind);
        for (std::size_t i = 0; i < sent.size(); ++i) {
            const auto& data = sent[i];
            const std::string what = std::string(protocol::to_string(m.kind)) + " member, " +
                                     std::string(protocol::to_string(data.type)) + " data";
            if (m.kind == subprotocol_kind::none) {
                // Raw: the payload itself; text and json as text frames, binary and protobuf (the
                // serialized Any) as binary frames.
                const auto frame = parse_frame(m.sink.frames[i]);
                const bool textual = data.type == data_type::text || data.type == data_type::json;
                EXPECT_EQ(frame.opcode, textual ? ws_opcode::text : ws_opcode::binary) << what;
                EXPECT_EQ(frame.payload, data.bytes) << what;
                continue;
            }
            const reply got = read(m.kind, m.sink.frames[i]);
            EXPECT_EQ(got.kind, "message") << what;
            EXPECT_EQ(got.from, "group") << what;
            EXPECT_EQ(got.group, "g") << what;
            EXPECT_EQ(got.data.type, data.type) << what;
            if (data.type == data_type::json) {
                EXPECT_EQ(boost::json::parse(got.data.bytes), boost::json::parse(data.bytes)) << what;
            } else {
                EXPECT_EQ(got.data.bytes, data.bytes) << what;
            }
            if (speaks_json(m.kind)) {
                EXPECT_EQ(got.from_user_id, std::optional<std::string>("pub")) << what;
            }
            EXPECT_EQ(got.sequence_id,
                      protocol::is_reliable(m.kind) ? std::optional<std::uint64_t>(i + 1) : std::nullopt)
                << what;
        }
    }
}

} // namespace
} // namespace hubcast::api

// What a send may carry besides its data (docs/protocol.md, "Metadata" and `ttlSeconds`):
// metadata from a client's sendToGroup and from a REST send's X-WebPubSub-Metadata-* headers
// reaches every PubSub recipient; a client's ttlSeconds is accepted from 0 to 300, and anything
// else is a malformed request.
//
// One test body per scenario, over all four PubSub subprotocols (style rule 14): the publisher and
// the recipient speak the subprotocol of the variant.

#include <map>
#include <optional>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "proto/webpubsub.pb.h"
#include "support/pubsub_client.hpp"
#include "support/rest_client.hpp"
#include "support/server_test.hpp"
#include "support/test_failure.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

using metadata_map = std::map<std::string, std::string>;

/// A group message as a recipient of either family sees it.
struct received {
    std::string from;
    std::string data; ///< text data
    metadata_map metadata;
    std::string text; ///< the frame, for failure messages
};

bool is_protobuf(const std::string& subprotocol) {
    return subprotocol.starts_with("protobuf");
}

std::string send_request(const std::string& subprotocol, std::string_view group, std::string_view text,
                         std::uint64_t ack_id, const metadata_map& metadata,
                         std::optional<std::int64_t> ttl) {
    if (is_protobuf(subprotocol)) {
        azure::webpubsub::UpstreamMessage message;
        auto& send = *message.mutable_send_to_group_message();
        send.set_group(std::string(group));
        send.set_ack_id(ack_id);
        send.mutable_data()->set_text_data(std::string(text));
        for (const auto& [key, value] : metadata) {
            (*send.mutable_metadata())[key] = value;
        }
        if (ttl) {
            send.set_ttl_seconds(static_cast<std::uint32_t>(*ttl));
        }
        return message.SerializeAsString();
    }
    boost::json::object send{
        {"type", "sendToGroup"}, {"group", group}, {"ackId", ack_id}, {"dataType", "text"}, {"data", text}};
    if (!metadata.empty()) {
        boost::json::object object;
        for (const auto& [key, value] : metadata) {
            object[key] = value;
        }
        send["metadata"] = std::move(object);
    }
    if (ttl) {
        send["ttlSeconds"] = *ttl;
    }
    return boost::json::serialize(send);
}

received decode(const std::string& subprotocol, const ws_frame& frame) {
    received out;
    out.text = frame.describe();
    if (is_protobuf(subprotocol)) {
        azure::webpubsub::DownstreamMessage message;
        if (!message.ParseFromString(frame.payload) || !message.has_data_message()) {
            throw test_failure("expected a DataMessage, got " + out.text);
        }
        const auto& data = message.data_message();
        out.from = data.from();
        out.data = data.data().text_data();
        out.metadata = metadata_map(data.metadata().begin(), data.metadata().end());
        return out;
    }
    const auto value = boost::json::parse(frame.payload);
    const auto& object = value.as_object();
    if (!has_string(object, "type", "message")) {
        throw test_failure("expected a message, got " + out.text);
    }
    out.from = string_at(object, "from");
    out.data = string_at(object, "data");
    if (const auto* metadata = object.if_contains("metadata")) {
        for (const auto& [key, entry] : metadata->as_object()) {
            out.metadata[std::string(key)] = std::string(entry.as_string());
        }
    }
    return out;
}

/// The ack of `ack_id`, success or not, in either family.
bool expect_ack(const std::string& subprotocol, ws_client& ws, std::uint64_t ack_id) {
    const auto frame = ws.expect_message();
    if (is_protobuf(subprotocol)) {
        azure::webpubsub::DownstreamMessage message;
        if (!message.ParseFromString(frame.payload) || !message.has_ack_message() ||
            message.ack_message().ack_id() != ack_id) {
            throw test_failure("expected the ack " + std::to_string(ack_id) + ", got " + frame.describe());
        }
        return message.ack_message().success();
    }
    const auto value = boost::json::parse(frame.payload);
    if (!has_string(value.as_object(), "type", "ack") ||
        value.at("ackId").to_number<std::uint64_t>() != ack_id) {
        throw test_failure("expected the ack " + std::to_string(ack_id) + ", got " + frame.describe());
    }
    return value.at("success").as_bool();
}

class SendOptions : public server_test, public ::testing::WithParamInterface<std::string> {
protected:
    /// A client of the variant's subprotocol that may send to every group, in `group` (through its
    /// token) unless that is empty; past `connected`.
    ws_client connect(const std::string& group) {
        client_options options{
            .user = "alice", .roles = {"webpubsub.sendToGroup"}, .subprotocols = {GetParam()}};
        if (!group.empty()) {
            options.groups = {group};
        }
        auto ws = open_websocket(server(), options);
        ws.expect_message(); // system/connected
        return ws;
    }
    /// A group of this test alone, usable in a REST path (the parametrised test's name has a '/').
    static std::string fresh_group(std::string_view stem) {
        std::string group = unique_group(stem);
        for (char& c : group) {
            c = c == '/' ? '-' : c;
        }
        return group;
    }
    bool send(ws_client& ws, const std::string& request) {
        return is_protobuf(GetParam()) ? ws.send_binary(request) : ws.send_text(request);
    }
};

TEST_P(SendOptions, AClientsMetadataReachesTheGroup) {
    const std::string group = fresh_group("meta");
    auto receiver = connect(group);
    auto publisher = connect("");
    const metadata_map metadata{{"trace-id", "t-1"}, {"kind", "greeting words"}};
    ASSERT_TRUE(send(publisher, send_request(GetParam(), group, "hi", 1, metadata, std::nullopt)));
    EXPECT_TRUE(expect_ack(GetParam(), publisher, 1));
    const auto message = decode(GetParam(), receiver.expect_message());
    EXPECT_EQ(message.data, "hi") << message.text;
    EXPECT_EQ(message.metadata, metadata) << message.text;
}

TEST_P(SendOptions, ARestSendsMetadataHeadersReachTheRecipients) {
    const std::string group = fresh_group("meta");
    auto receiver = connect(group);
    const auto response = send_rest(server(), {.method = "POST",
                                               .target = api("/api/hubs/chat/groups/" + group + "/:send"),
                                               .body = "from rest",
                                               .content_type = "text/plain",
                                               .headers = {{"X-WebPubSub-Metadata-Trace-Id", "r-1"}}});
    ASSERT_EQ(response.status, 202) << response.body;
    const auto message = decode(GetParam(), receiver.expect_message());
    EXPECT_EQ(message.data, "from rest") << message.text;
    EXPECT_EQ(message.metadata, (metadata_map{{"trace-id", "r-1"}})) << message.text;
}

TEST_P(SendOptions, InvalidMetadataIsAMalformedRequest) {
    auto publisher = connect("");
    ASSERT_TRUE(send(publisher, send_request(GetParam(), "g", "x", 1, {{"not a token", "v"}}, std::nullopt)));
    EXPECT_EQ(publisher.expect_message().opcode, is_protobuf(GetParam()) ? ws_op::binary : ws_op::text)
        << "system/disconnected first";
    EXPECT_EQ(publisher.expect_close().code, 1007);
}

TEST_P(SendOptions, TtlSecondsUpTo300IsAccepted) {
    const std::string group = fresh_group("ttl");
    auto receiver = connect(group);
    auto publisher = connect("");
    ASSERT_TRUE(send(publisher, send_request(GetParam(), group, "kept", 1, {}, 300)));
    EXPECT_TRUE(expect_ack(GetParam(), publisher, 1));
    EXPECT_EQ(decode(GetParam(), receiver.expect_message()).data, "kept");
}

TEST_P(SendOptions, TtlSecondsAbove300IsAMalformedRequest) {
    auto publisher = connect("");
    ASSERT_TRUE(send(publisher, send_request(GetParam(), "g", "x", 1, {}, 301)));
    publisher.expect_message(); // system/disconnected
    EXPECT_EQ(publisher.expect_close().code, 1007);
}

INSTANTIATE_TEST_SUITE_P(Subprotocols, SendOptions,
                         ::testing::Values(std::string(json_subprotocol),
                                           std::string(json_reliable_subprotocol),
                                           std::string(protobuf_subprotocol),
                                           std::string(protobuf_reliable_subprotocol)),
                         [](const auto& info) {
                             std::string name;
                             for (const char c : info.param.substr(0, info.param.find(".azure"))) {
                                 name += c == '.' ? '_' : c;
                             }
                             return name;
                         });

} // namespace
} // namespace hubcast::test

#include <gtest/gtest.h>

#include "core/connection.hpp"
#include "proto/webpubsub.pb.h"
#include "recording_sink.hpp"

namespace hubcast::core {
namespace {

using protocol::data_type;
using protocol::frame_family;
using protocol::message_data;
using protocol::subprotocol_kind;
using protocol::ws_opcode;
using testing::json_of;
using testing::parse_frame;
using testing::recording_sink;

connection make(recording_sink& sink, subprotocol_kind kind) {
    return connection(connection_info{"id1", "chat", "alice", kind}, auth::permission_set{}, sink);
}

TEST(Connection, DeliverSendsTheFrameOfItsFamily) {
    const auto message = prepared_message::for_server(message_data{data_type::text, "hi"});
    recording_sink raw_sink;
    recording_sink json_sink;
    recording_sink reliable_sink;
    auto raw = make(raw_sink, subprotocol_kind::none);
    auto json = make(json_sink, subprotocol_kind::json);
    auto reliable = make(reliable_sink, subprotocol_kind::json_reliable);
    EXPECT_EQ(raw.deliver(*message), send_result::queued);
    EXPECT_EQ(json.deliver(*message), send_result::queued);
    EXPECT_EQ(reliable.deliver(*message), send_result::queued);
    ASSERT_EQ(raw_sink.frames.size(), 1u);
    ASSERT_EQ(json_sink.frames.size(), 1u);
    // The very bytes of the prepared message, not a copy.
    EXPECT_EQ(raw_sink.frames[0], message->frame(frame_family::raw));
    EXPECT_EQ(json_sink.frames[0], message->frame(frame_family::json));
    // Reliable clients get their own numbered frame around the message's shared body.
    ASSERT_EQ(reliable_sink.sequenced.size(), 1u);
    EXPECT_EQ(reliable_sink.sequenced[0].body, message->sequenced_body(frame_family::json));
    EXPECT_EQ(reliable_sink.sequenced[0].sequence_id, 1u);
    EXPECT_EQ(json_of(reliable_sink.frames[0]).at("sequenceId"), 1);
}

TEST(Connection, DeliverReportsWhatTheSinkSays) {
    const auto message = prepared_message::for_server(message_data{data_type::text, "hi"});
    recording_sink sink;
    sink.answer = send_result::backpressure;
    auto c = make(sink, subprotocol_kind::json);
    EXPECT_EQ(c.deliver(*message), send_result::backpressure);
}

TEST(Connection, ProtobufRecipientsGetTheSharedProtobufFrame) {
    const auto message = prepared_message::for_server(message_data{data_type::text, "hi"});
    recording_sink sink;
    auto c = make(sink, subprotocol_kind::protobuf);
    EXPECT_EQ(c.deliver(*message), send_result::queued);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.frames[0], message->frame(frame_family::protobuf));
    EXPECT_EQ(parse_frame(sink.frames[0]).opcode, ws_opcode::binary);
}

// Spec 4.4: `system/disconnected` is sent just before a close the service starts, so it must be
// queued before the sink's close, and only once however often close is asked for.
TEST(Connection, CloseSendsDisconnectedThenClosesOnce) {
    recording_sink sink;
    auto c = make(sink, subprotocol_kind::json);
    c.close(1008, "PingTimeout");
    c.close(1000, "again");
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(json_of(sink.frames[0]),
              boost::json::parse(R"({"type":"system","event":"disconnected","message":"PingTimeout"})"));
    ASSERT_EQ(sink.closes.size(), 1u);
    EXPECT_EQ(sink.closes[0].code, 1008);
    EXPECT_EQ(sink.closes[0].reason, "PingTimeout");
    EXPECT_EQ(sink.closes[0].frames_before, 1u);
    EXPECT_TRUE(c.closing());
}

TEST(Connection, SimpleClientsGetNoSystemMessage) {
    recording_sink sink;
    auto c = make(sink, subprotocol_kind::none);
    c.close(1000, "bye");
    EXPECT_TRUE(sink.frames.empty());
    ASSERT_EQ(sink.closes.size(), 1u);
    EXPECT_EQ(sink.closes[0].reason, "bye");
}

// Spec 6.3: a protobuf client hears why in a DisconnectedMessage, never in JSON it cannot parse.
TEST(Connection, ProtobufClientsGetAProtobufDisconnectedBeforeTheClose) {
    recording_sink sink;
    auto c = make(sink, subprotocol_kind::protobuf);
    c.close(1008, "SlowClient");
    c.close(1000, "again");
    ASSERT_EQ(sink.frames.size(), 1u);
    const auto frame = parse_frame(sink.frames[0]);
    ASSERT_TRUE(frame.well_formed);
    EXPECT_EQ(frame.opcode, ws_opcode::binary);
    azure::webpubsub::DownstreamMessage message;
    ASSERT_TRUE(message.ParseFromString(frame.payload));
    ASSERT_TRUE(message.system_message().has_disconnected_message());
    EXPECT_EQ(message.system_message().disconnected_message().reason(), "SlowClient");
    ASSERT_EQ(sink.closes.size(), 1u);
    EXPECT_EQ(sink.closes[0].code, 1008);
    EXPECT_EQ(sink.closes[0].frames_before, 1u);
}

TEST(Connection, NothingIsQueuedAfterClose) {
    const auto message = prepared_message::for_server(message_data{data_type::text, "late"});
    recording_sink sink;
    auto c = make(sink, subprotocol_kind::json);
    c.close(1000, "");
    const std::size_t before = sink.frames.size();
    EXPECT_EQ(c.deliver(*message), send_result::dropped);
    EXPECT_EQ(c.send_frame(util::make_shared_bytes("x")), send_result::dropped);
    EXPECT_EQ(sink.frames.size(), before);
}

TEST(Connection, SendFrameQueuesTheGivenBytes) {
    recording_sink sink;
    auto c = make(sink, subprotocol_kind::json);
    const auto frame = util::make_shared_bytes("ack");
    EXPECT_EQ(c.send_frame(frame), send_result::queued);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.frames[0], frame);
    EXPECT_EQ(c.send_frame(nullptr), send_result::dropped);
    EXPECT_EQ(sink.frames.size(), 1u);
}

} // namespace
} // namespace hubcast::core

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/prepared_message.hpp"
#include "proto/webpubsub.pb.h"
#include "protocol/protobuf_protocol.hpp"
#include "protocol/sequence_head.hpp"
#include "recording_sink.hpp"

namespace hubcast::core {
namespace {

using protocol::data_type;
using protocol::frame_family;
using protocol::message_data;
using protocol::ws_opcode;
using testing::json_of;
using testing::parse_frame;

// Raw family: simple WebSocket clients get the payload itself, and the opcode must say how to read
// it (a browser hands text frames out as strings and binary frames as blobs).
TEST(PreparedMessage, RawFrameCarriesThePayloadWithTheOpcodeOfItsType) {
    struct row {
        data_type type;
        ws_opcode opcode;
    };
    for (const row r :
         {row{data_type::text, ws_opcode::text}, row{data_type::json, ws_opcode::text},
          row{data_type::binary, ws_opcode::binary}, row{data_type::protobuf, ws_opcode::binary}}) {
        const auto message = prepared_message::for_server(message_data{r.type, std::string("a\0b", 3)});
        const auto frame = parse_frame(message->frame(frame_family::raw));
        ASSERT_TRUE(frame.well_formed) << protocol::to_string(r.type);
        EXPECT_TRUE(frame.fin);
        EXPECT_EQ(frame.opcode, r.opcode) << protocol::to_string(r.type);
        EXPECT_EQ(frame.payload, std::string("a\0b", 3));
    }
}

TEST(PreparedMessage, JsonFrameOfAGroupMessageNamesGroupAndPublisher) {
    const auto message =
        prepared_message::for_group("chat.room", "alice", message_data{data_type::text, "hi"});
    EXPECT_TRUE(message->from_group());
    EXPECT_EQ(json_of(message->frame(frame_family::json)),
              boost::json::parse(R"({"type":"message","from":"group","group":"chat.room","fromUserId":"alice",
                                     "dataType":"text","data":"hi"})"));
}

TEST(PreparedMessage, JsonFrameOfARestGroupMessageHasANullPublisher) {
    const auto message =
        prepared_message::for_group("g", std::nullopt, message_data{data_type::json, R"({"n":1})"});
    EXPECT_EQ(json_of(message->frame(frame_family::json)),
              boost::json::parse(R"({"type":"message","from":"group","group":"g","fromUserId":null,
                                     "dataType":"json","data":{"n":1}})"));
}

TEST(PreparedMessage, JsonFrameOfAServerMessageCarriesBinaryAsBase64) {
    const auto message =
        prepared_message::for_server(message_data{data_type::binary, std::string("\x01\x02\xff", 3)});
    EXPECT_FALSE(message->from_group());
    EXPECT_EQ(json_of(message->frame(frame_family::json)),
              boost::json::parse(R"({"type":"message","from":"server","dataType":"binary","data":"AQL/"})"));
}

// Protobuf family: a DataMessage in a binary frame, the payload being exactly what the codec
// (tested on its own against hand-written bytes) encodes; the publisher is not part of it.
TEST(PreparedMessage, ProtobufFrameIsABinaryDataMessage) {
    const message_data data{data_type::json, R"({"n":1})"};
    const auto group =
        parse_frame(prepared_message::for_group("g", "alice", data)->frame(frame_family::protobuf));
    ASSERT_TRUE(group.well_formed);
    EXPECT_TRUE(group.fin);
    EXPECT_EQ(group.opcode, ws_opcode::binary);
    EXPECT_EQ(group.payload, protocol::encode_protobuf_group_message("g", data));
    azure::webpubsub::DownstreamMessage message;
    ASSERT_TRUE(message.ParseFromString(group.payload));
    EXPECT_EQ(message.data_message().from(), "group");
    EXPECT_EQ(message.data_message().group(), "g");
    EXPECT_EQ(message.data_message().data().json_data(), R"({"n":1})");

    const auto server = parse_frame(prepared_message::for_server(data)->frame(frame_family::protobuf));
    EXPECT_EQ(server.opcode, ws_opcode::binary);
    EXPECT_EQ(server.payload, protocol::encode_protobuf_server_message(data));
}

TEST(PreparedMessage, EachFamilyIsEncodedOnceAndFamiliesDiffer) {
    const auto message = prepared_message::for_group("g", "u", message_data{data_type::text, "hello"});
    const auto& raw = message->frame(frame_family::raw);
    const auto& json = message->frame(frame_family::json);
    const auto& protobuf = message->frame(frame_family::protobuf);
    ASSERT_NE(raw, nullptr);
    ASSERT_NE(json, nullptr);
    ASSERT_NE(protobuf, nullptr);
    EXPECT_NE(*raw, *json);
    EXPECT_NE(*json, *protobuf);
    EXPECT_NE(*raw, *protobuf);
    EXPECT_EQ(message->frame(frame_family::raw), raw);
    EXPECT_EQ(message->frame(frame_family::json), json);
    EXPECT_EQ(message->frame(frame_family::protobuf).get(), protobuf.get());
    EXPECT_EQ(message->frame(frame_family::raw).get(), raw.get());
}

// Shards on different threads ask for the same family at the same time: all must get the very same
// bytes (one encode), not one copy each.
TEST(PreparedMessage, ConcurrentFirstUseYieldsOneSharedFrame) {
    for (int round = 0; round < 20; ++round) {
        const auto message =
            prepared_message::for_group("g", std::nullopt, message_data{data_type::text, "race"});
        std::vector<const std::string*> seen(8, nullptr);
        std::vector<std::thread> threads;
        threads.reserve(seen.size());
        for (const std::string*& slot : seen) {
            threads.emplace_back([&message, &slot] { slot = message->frame(frame_family::json).get(); });
        }
        for (auto& t : threads) {
            t.join();
        }
        for (const std::string* p : seen) {
            ASSERT_NE(p, nullptr);
            EXPECT_EQ(p, seen.front());
        }
    }
}

// Design section 5: reliable recipients share one body; only the head (frame header and sequence
// id, a protocol::sequence_head) is theirs, and head + body is one well-formed frame at every
// header size.
TEST(PreparedMessage, SequencedFramesAreAHeadPlusTheSharedBody) {
    for (const std::size_t size : {1, 100, 110, 125, 126, 65000, 65536, 70000}) {
        const auto message =
            prepared_message::for_group("g", "u", message_data{data_type::text, std::string(size, 'x')});
        const auto& body = message->sequenced_body(frame_family::json);
        ASSERT_NE(body, nullptr);
        EXPECT_EQ(message->sequenced_body(frame_family::json), body) << "built once";
        for (const std::uint64_t id : {1ULL, 99999ULL, 18446744073709551615ULL}) {
            const protocol::sequence_head head(frame_family::json, id, body->size());
            EXPECT_EQ(head.size(), protocol::sequence_head::size_of(frame_family::json, id, body->size()));
            const auto frame = parse_frame(std::string(head.bytes()) + *body);
            ASSERT_TRUE(frame.well_formed) << size << " " << id;
            EXPECT_EQ(frame.opcode, ws_opcode::text);
            auto json = boost::json::parse(frame.payload).as_object();
            EXPECT_EQ(boost::json::value_to<std::uint64_t>(json.at("sequenceId")), id);
            json.erase("sequenceId");
            EXPECT_EQ(boost::json::value(json), json_of(message->frame(frame_family::json)));
        }
    }
}

// The protobuf form of the same: the sequence id goes first inside the DataMessage, so the head
// also carries the DataMessage's outer length, which grows a byte at 128 (sizes around that, and
// around the WebSocket header sizes).
TEST(PreparedMessage, ProtobufSequencedFramesAreAHeadPlusTheSharedBody) {
    for (const std::size_t size : {1, 100, 114, 115, 116, 125, 126, 65000, 65536, 70000}) {
        const message_data data{data_type::binary, std::string(size, 'x')};
        const auto message = prepared_message::for_group("g", "u", data);
        const auto& body = message->sequenced_body(frame_family::protobuf);
        ASSERT_NE(body, nullptr);
        EXPECT_EQ(message->sequenced_body(frame_family::protobuf), body) << "built once";
        for (const std::uint64_t id : {1ULL, 127ULL, 128ULL, 99999ULL, 18446744073709551615ULL}) {
            const protocol::sequence_head head(frame_family::protobuf, id, body->size());
            EXPECT_EQ(head.size(),
                      protocol::sequence_head::size_of(frame_family::protobuf, id, body->size()));
            const auto frame = parse_frame(std::string(head.bytes()) + *body);
            ASSERT_TRUE(frame.well_formed) << size << " " << id;
            EXPECT_EQ(frame.opcode, ws_opcode::binary);
            azure::webpubsub::DownstreamMessage sequenced;
            ASSERT_TRUE(sequenced.ParseFromString(frame.payload)) << size << " " << id;
            ASSERT_TRUE(sequenced.data_message().has_sequence_id());
            EXPECT_EQ(sequenced.data_message().sequence_id(), id);
            // Without the sequence id it is exactly the plain protobuf message.
            sequenced.mutable_data_message()->clear_sequence_id();
            EXPECT_EQ(sequenced.SerializeAsString(), protocol::encode_protobuf_group_message("g", data));
        }
    }
}

TEST(PreparedMessage, RawRecipientsHaveNoSequencedForm) {
    const auto message = prepared_message::for_server(message_data{data_type::text, "x"});
    EXPECT_EQ(message->sequenced_body(frame_family::raw), nullptr);
}

TEST(PreparedMessage, LargePayloadGetsAnExtendedLengthHeader) {
    const std::string big(70000, 'x');
    const auto message = prepared_message::for_server(message_data{data_type::text, big});
    const auto frame = parse_frame(message->frame(frame_family::raw));
    ASSERT_TRUE(frame.well_formed);
    EXPECT_EQ(frame.payload, big);
}

} // namespace
} // namespace hubcast::core

// The envelope a send crosses Redis in: what the receiving node decodes is what the publisher's
// router had, every field, and anything that is not a whole envelope is refused, never read past.
#include <gtest/gtest.h>

#include "backplane/envelope.hpp"

namespace hubcast::backplane {
namespace {

using namespace std::chrono_literals;

const auto now = std::chrono::steady_clock::now();

std::string encode_group_send(const core::exclusions& skip, const core::connection_filter* filter,
                              core::send_deadline deadline = core::no_deadline) {
    const auto message = core::prepared_message::for_group(
        "room", std::string("alice"), protocol::message_data{protocol::data_type::json, R"({"a":1})"});
    return encode_envelope("AbCdEfGh",
                           core::outgoing_send{.scope = core::send_scope::group,
                                               .hub = "chat",
                                               .target = "room",
                                               .message = *message,
                                               .skip = skip,
                                               .filter = filter,
                                               .deadline = deadline,
                                               .origin = {0x0102030405060708ULL, 99}},
                           now);
}

TEST(Envelope, AGroupSendComesBackWhole) {
    const core::exclusions skip{{"id-1", "id-2"}, "publisher-id"};
    const auto filter = core::connection_filter::parse("userId ne 'bob'");
    ASSERT_TRUE(filter);
    const auto decoded = decode_envelope(encode_group_send(skip, filter->get(), now + 1500ms));
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded->origin, "AbCdEfGh");
    const auto& send = decoded->send;
    EXPECT_EQ(send.origin, (core::send_origin{0x0102030405060708ULL, 99}));
    EXPECT_EQ(send.scope, core::send_scope::group);
    EXPECT_EQ(send.hub, "chat");
    EXPECT_EQ(send.target, "room");
    EXPECT_EQ(send.from_user_id, std::optional<std::string>("alice"));
    EXPECT_EQ(send.excluded, (std::vector<std::string>{"id-1", "id-2"}));
    EXPECT_EQ(send.no_echo_connection, "publisher-id");
    EXPECT_EQ(send.filter, "userId ne 'bob'");
    EXPECT_EQ(send.time_to_live, std::optional<std::chrono::milliseconds>(1500ms));
    EXPECT_EQ(send.data.type, protocol::data_type::json);
    EXPECT_EQ(send.data.bytes, R"({"a":1})");
}

TEST(Envelope, AServerSendCarriesNoSenderAndNoTimeToLiveUnlessItHasOne) {
    const auto message = core::prepared_message::for_server(
        protocol::message_data{protocol::data_type::binary, std::string("\0\xff", 2)});
    const core::exclusions nobody;
    const auto bytes = encode_envelope("AbCdEfGh",
                                       core::outgoing_send{.scope = core::send_scope::user,
                                                           .hub = "chat",
                                                           .target = "bob",
                                                           .message = *message,
                                                           .skip = nobody},
                                       now);
    const auto decoded = decode_envelope(bytes);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded->send.scope, core::send_scope::user);
    EXPECT_FALSE(decoded->send.from_user_id);
    EXPECT_FALSE(decoded->send.time_to_live);
    EXPECT_TRUE(decoded->send.filter.empty());
    EXPECT_EQ(decoded->send.data.bytes, std::string("\0\xff", 2));
}

TEST(Envelope, APassedDeadlineCrossesAsNoTimeLeft) {
    const core::exclusions nobody;
    const auto decoded = decode_envelope(encode_group_send(nobody, nullptr, now - 1s));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->send.time_to_live, std::optional<std::chrono::milliseconds>(0ms));
}

TEST(Envelope, EveryTruncationIsRefused) {
    const core::exclusions skip{{"id-1"}, "me"};
    const auto whole = encode_group_send(skip, nullptr, now + 1s);
    for (std::size_t length = 0; length < whole.size(); ++length) {
        EXPECT_FALSE(decode_envelope(std::string_view(whole).substr(0, length))) << "length " << length;
    }
}

TEST(Envelope, TrailingBytesAndForeignHeadersAreRefused) {
    const core::exclusions nobody;
    const auto whole = encode_group_send(nobody, nullptr);
    EXPECT_FALSE(decode_envelope(whole + "x"));
    for (const std::size_t at : {0, 1, 2, 3}) {
        auto changed = whole;
        changed[at] = '\x7f';
        EXPECT_FALSE(decode_envelope(changed)) << "header byte " << at;
    }
}

// A message's metadata (client sendToGroup, REST X-WebPubSub-Metadata-*) reaches recipients on
// every node, in its order; metadata no client could send is refused on arrival.
TEST(Envelope, MetadataCrossesInOrder) {
    protocol::message_data data{protocol::data_type::text, "x"};
    data.metadata = {{"trace-id", "t-1"}, {"b", "2"}};
    const auto message = core::prepared_message::for_group("room", std::nullopt, std::move(data));
    const core::exclusions nobody;
    const auto bytes = encode_envelope("AbCdEfGh",
                                       core::outgoing_send{.scope = core::send_scope::group,
                                                           .hub = "chat",
                                                           .target = "room",
                                                           .message = *message,
                                                           .skip = nobody},
                                       now);
    const auto decoded = decode_envelope(bytes);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded->send.data.metadata, (protocol::message_metadata{{"trace-id", "t-1"}, {"b", "2"}}));
    EXPECT_EQ(decoded->send.data.bytes, "x");
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        EXPECT_FALSE(decode_envelope(bytes.substr(0, size))) << size;
    }
}

TEST(Envelope, MetadataNoClientCouldSendIsRefused) {
    protocol::message_data data{protocol::data_type::text, "x"};
    data.metadata = {{"bad key", "v"}};
    const auto message = core::prepared_message::for_server(std::move(data));
    const core::exclusions nobody;
    const auto bytes = encode_envelope(
        "AbCdEfGh",
        core::outgoing_send{
            .scope = core::send_scope::hub, .hub = "chat", .message = *message, .skip = nobody},
        now);
    EXPECT_FALSE(decode_envelope(bytes));
}

TEST(Envelope, AHugeExclusionCountIsRefusedWithoutReservingForIt) {
    // version 4, scope hub, json, no flags; stream and position 0; empty origin, hub, target,
    // filter, no-echo; then a count of 2^32 - 1 ids with no bytes behind it.
    std::string bytes("\x04\x00\x00\x00", 4);
    bytes.append(std::string(16, '\0'));
    for (int field = 0; field < 5; ++field) {
        bytes.append(std::string(4, '\0'));
    }
    bytes.append("\xff\xff\xff\xff");
    EXPECT_FALSE(decode_envelope(bytes));
}

} // namespace
} // namespace hubcast::backplane

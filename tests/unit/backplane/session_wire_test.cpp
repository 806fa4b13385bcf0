// A reliable session as it crosses Redis to the node that takes it over: what arrives is what
// left, deadlines cross as time left, and anything that is not one whole session is refused.
#include <chrono>

#include <gtest/gtest.h>

#include "backplane/session_wire.hpp"

namespace hubcast::backplane {
namespace {

using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

core::session_snapshot full_session(clock_type::time_point now) {
    core::session_snapshot s;
    s.info = core::connection_info{"AbCdEfGhAAAAAAAAAAAAAB", "chat", "alice",
                                   protocol::subprotocol_kind::protobuf_reliable};
    s.groups = {"", "a", "c\xC3\xA9"};
    s.permissions.join_leave = {.all = true, .literals = {}, .patterns = {"team-*"}, .revoked = {"x"}};
    s.permissions.send = {.all = false, .literals = {"a", "b"}, .patterns = {}, .revoked = {}};
    s.remembered_ack_ids = {9, 2, 0xFFFFFFFFFFFFFFFFULL};
    s.next_sequence_id = 43;
    s.unacked = {{41, util::make_shared_bytes(std::string("\x00\x01 body", 7)), util::no_deadline},
                 {42, util::make_shared_bytes(""), now + milliseconds(1500)}};
    s.processed = {{0x0102030405060001ULL, 77}, {5, 0}};
    s.recovery_digest = std::string("\x00\x01\xFF digest", 10);
    s.connection_state = R"({"k":1})";
    return s;
}

TEST(SessionWire, EveryFieldComesBack) {
    const auto now = clock_type::now();
    const auto sent = full_session(now);
    const auto decoded = decode_session(encode_session(sent, now), now);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded->info.id, sent.info.id);
    EXPECT_EQ(decoded->info.hub, sent.info.hub);
    EXPECT_EQ(decoded->info.user_id, sent.info.user_id);
    EXPECT_EQ(decoded->info.kind, sent.info.kind);
    EXPECT_EQ(decoded->groups, sent.groups);
    EXPECT_EQ(decoded->permissions, sent.permissions);
    EXPECT_EQ(decoded->remembered_ack_ids, sent.remembered_ack_ids);
    EXPECT_EQ(decoded->next_sequence_id, 43u);
    EXPECT_EQ(decoded->processed, sent.processed);
    EXPECT_EQ(decoded->recovery_digest, sent.recovery_digest);
    EXPECT_EQ(decoded->connection_state, sent.connection_state);
    EXPECT_EQ(*decoded, sent) << "and nothing else";
    ASSERT_EQ(decoded->unacked.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(decoded->unacked[i].sequence_id, sent.unacked[i].sequence_id);
        EXPECT_EQ(*decoded->unacked[i].body, *sent.unacked[i].body);
        EXPECT_EQ(decoded->unacked[i].deadline, sent.unacked[i].deadline);
    }
}

TEST(SessionWire, AnAnonymousSessionWithoutStateStaysSo) {
    const auto now = clock_type::now();
    auto sent = full_session(now);
    sent.info.user_id.reset();
    sent.connection_state.reset();
    const auto decoded = decode_session(encode_session(sent, now), now);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded->info.user_id, std::nullopt);
    EXPECT_EQ(decoded->connection_state, std::nullopt);
}

// Node clocks need not agree: the receiver counts the time left from its own now.
TEST(SessionWire, ADeadlineCrossesAsTheTimeLeft) {
    const auto sender_now = clock_type::now();
    const auto receiver_now = sender_now + std::chrono::hours(5);
    const auto decoded = decode_session(encode_session(full_session(sender_now), sender_now), receiver_now);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded->unacked[1].deadline, receiver_now + milliseconds(1500));
    EXPECT_EQ(decoded->unacked[0].deadline, util::no_deadline);
}

TEST(SessionWire, APassedDeadlineArrivesPassed) {
    const auto now = clock_type::now();
    auto sent = full_session(now);
    sent.unacked[1].deadline = now - milliseconds(10);
    const auto decoded = decode_session(encode_session(sent, now), now);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded->unacked[1].deadline, now);
}

TEST(SessionWire, EveryTruncationAndAnyPaddingIsRefused) {
    const auto now = clock_type::now();
    const std::string bytes = encode_session(full_session(now), now);
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        EXPECT_FALSE(decode_session(bytes.substr(0, size), now)) << size;
    }
    EXPECT_FALSE(decode_session(bytes + '\0', now));
}

TEST(SessionWire, AnUnknownSubprotocolOrFlagIsRefused) {
    const auto now = clock_type::now();
    auto sent = full_session(now);
    std::string bytes = encode_session(sent, now);
    // id (4 + 22), hub (4 + 4), user flag, user (4 + 5), then the kind byte.
    const std::size_t user_flag = 4 + 22 + 4 + 4;
    const std::size_t kind = user_flag + 1 + 4 + 5;
    ASSERT_EQ(bytes[kind], static_cast<char>(protocol::subprotocol_kind::protobuf_reliable));
    std::string bad_kind = bytes;
    bad_kind[kind] = 5;
    EXPECT_FALSE(decode_session(bad_kind, now));
    std::string bad_flag = bytes;
    bad_flag[user_flag] = 2;
    EXPECT_FALSE(decode_session(bad_flag, now));
}

TEST(SessionWire, ACountPastTheBytesLeftIsRefusedBeforeAnythingIsReserved) {
    const auto now = clock_type::now();
    auto sent = full_session(now);
    sent.processed.clear();
    sent.recovery_digest.clear();
    sent.connection_state.reset();
    std::string bytes = encode_session(sent, now);
    // The watermark count, before the empty digest (4 bytes) and the state flag (1).
    bytes.replace(bytes.size() - 9, 4, "\xFF\xFF\xFF\xFF");
    EXPECT_FALSE(decode_session(bytes, now));
}

} // namespace
} // namespace hubcast::backplane

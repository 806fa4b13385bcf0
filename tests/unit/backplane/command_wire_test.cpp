// Commands and answers as they cross Redis between nodes: what the receiving node decodes is what
// the sender had, every field of every kind, and anything that is not one whole message is
// refused, never read past.
#include <gtest/gtest.h>

#include "backplane/command_wire.hpp"
#include "backplane/envelope.hpp"

namespace hubcast::backplane {
namespace {

core::cluster_command full_command(core::command_kind kind) {
    core::cluster_command c;
    c.kind = kind;
    c.hub = "chat";
    c.connection_id = "AbCdEfGhAAAAAAAAAAAAAB";
    c.user_id = "alice";
    c.group = "room";
    c.groups = {"a", "", "c\xC3\xA9"};
    c.filter = "userId ne 'bob'";
    c.excluded = {"id-1", "id-2"};
    c.code = 1008;
    c.reason = "Kicked";
    c.permission = auth::permission_kind::send_to_group;
    c.permission_target = "room";
    c.after = "id-0";
    c.limit = 101;
    return c;
}

TEST(CommandWire, EveryKindComesBackWhole) {
    for (auto k = 0; k <= static_cast<int>(core::last_command_kind); ++k) {
        const auto kind = static_cast<core::command_kind>(k);
        const command_message sent{7'000'000'001ULL, "ZyXwVuTs", full_command(kind)};
        const auto decoded = decode_command(encode_command(sent));
        ASSERT_TRUE(decoded) << k << ": " << decoded.error();
        EXPECT_EQ(decoded->request, sent.request);
        EXPECT_EQ(decoded->origin, sent.origin);
        EXPECT_EQ(decoded->command, sent.command) << k;
    }
}

TEST(CommandWire, ANullPermissionTargetStaysNull) {
    auto command = full_command(core::command_kind::grant_permission);
    command.permission_target.reset();
    const auto decoded = decode_command(encode_command({1, "ZyXwVuTs", command}));
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded->command.permission_target, std::nullopt);
    EXPECT_EQ(decoded->command, command);
}

TEST(CommandWire, EveryTruncationAndAnyPaddingIsRefused) {
    const std::string bytes = encode_command({3, "ZyXwVuTs", full_command(core::command_kind::close_user)});
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        EXPECT_FALSE(decode_command(bytes.substr(0, size))) << size;
    }
    EXPECT_FALSE(decode_command(bytes + '\0'));
}

TEST(CommandWire, UnknownKindsAndFlagsAreRefused) {
    std::string bytes = encode_command({3, "ZyXwVuTs", full_command(core::command_kind::close_all)});
    std::string unknown_kind = bytes;
    unknown_kind[1] = static_cast<char>(static_cast<int>(core::last_command_kind) + 1);
    EXPECT_FALSE(decode_command(unknown_kind));
    std::string answer_tag = bytes;
    answer_tag[0] = static_cast<char>(wire_kind::answer);
    EXPECT_FALSE(decode_command(answer_tag));
}

TEST(CommandWire, AHugeCountIsRefusedBeforeAnythingIsReserved) {
    // The groups count of an otherwise empty command claims four billion entries.
    std::string bytes = encode_command({3, "k", core::cluster_command{}});
    const std::size_t groups_count = 1 + 1 + 8 + 4 + 1 + 4 * 5; // kind, command, request, origin, 5 strings
    ASSERT_LT(groups_count + 4, bytes.size());
    bytes.replace(groups_count, 4, "\xFF\xFF\xFF\xFF");
    EXPECT_FALSE(decode_command(bytes));
}

TEST(CommandWire, AnswersComeBackWhole) {
    const answer_message sent{
        42, core::command_answer{
                -1, {{"id-1", std::string("alice")}, {"id-2", std::nullopt}, {"", std::string()}}}};
    const auto decoded = decode_answer(encode_answer(sent));
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded->request, 42u);
    EXPECT_EQ(decoded->answer, sent.answer);

    const std::string bytes = encode_answer(sent);
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        EXPECT_FALSE(decode_answer(bytes.substr(0, size))) << size;
    }
    EXPECT_FALSE(decode_answer(bytes + 'x'));
}

TEST(CommandWire, TheFirstByteTellsSendsCommandsAndAnswersApart) {
    const auto message =
        core::prepared_message::for_server(protocol::message_data{protocol::data_type::text, "x"});
    const core::exclusions nobody;
    const std::string send = encode_envelope(
        "k",
        core::outgoing_send{
            .scope = core::send_scope::hub, .hub = "chat", .message = *message, .skip = nobody},
        std::chrono::steady_clock::now());
    EXPECT_EQ(static_cast<std::uint8_t>(send.front()), static_cast<std::uint8_t>(wire_kind::send));
    EXPECT_EQ(static_cast<std::uint8_t>(encode_command({1, "k", {}}).front()),
              static_cast<std::uint8_t>(wire_kind::command));
    EXPECT_EQ(static_cast<std::uint8_t>(encode_answer({1, {}}).front()),
              static_cast<std::uint8_t>(wire_kind::answer));
    EXPECT_FALSE(decode_command(send));
    EXPECT_FALSE(decode_answer(send));
}

} // namespace
} // namespace hubcast::backplane

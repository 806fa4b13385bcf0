#include <gtest/gtest.h>

#include "server/token_command.hpp"

namespace hubcast::server {
namespace {

token_command command_for(std::optional<std::string> user, std::vector<std::string> roles = {}) {
    token_command command;
    command.access_key = "unit-test-key";
    command.hub = "chat";
    command.user_id = std::move(user);
    command.roles = std::move(roles);
    return command;
}

TEST(TokenCommand, MintsForAValidUser) {
    EXPECT_EQ(run_token_command(command_for("alice", {"webpubsub.sendToGroup"})), 0);
    EXPECT_EQ(run_token_command(command_for(std::nullopt)), 0);
}

// A token the server would refuse (sub not a user id, a claim that is not UTF-8) is never printed.
TEST(TokenCommand, RefusesAUserIdOrRoleTheServerWouldRefuse) {
    EXPECT_EQ(run_token_command(command_for("")), 2);
    EXPECT_EQ(run_token_command(command_for("\xff")), 2);
    EXPECT_EQ(run_token_command(command_for(std::string(1025, 'u'))), 2);
    EXPECT_EQ(run_token_command(command_for("alice", {"\xc3\x28"})), 2);
}

} // namespace
} // namespace hubcast::server

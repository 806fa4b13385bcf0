// The hubcast command line: help, the `token` subcommand, what the server prints at start.

#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "support/encoding.hpp"
#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/tokens.hpp"
#include "support/ws_client.hpp"

namespace hubcast::test {
namespace {

TEST(Cli, HelpListsEveryFlag) {
    run_result help = run_hubcast({"--help"});
    EXPECT_TRUE(help.status.success()) << help.status.describe() << "\n" << help.standard_error;
    for (const char* flag : {"--listen", "--access-key", "--workers", "--keepalive-seconds",
                             "--max-message-bytes", "--max-groups-per-connection", "token"}) {
        EXPECT_NE(help.standard_output.find(flag), std::string::npos) << flag << " missing from:\n"
                                                                      << help.standard_output;
    }
}

TEST(Cli, TokenHelpListsEveryFlag) {
    run_result help = run_hubcast({"token", "--help"});
    EXPECT_TRUE(help.status.success()) << help.status.describe() << "\n" << help.standard_error;
    for (const char* flag :
         {"--endpoint", "--access-key", "--hub", "--user", "--role", "--group", "--minutes"}) {
        EXPECT_NE(help.standard_output.find(flag), std::string::npos) << flag << " missing from:\n"
                                                                      << help.standard_output;
    }
}

TEST(Cli, UnknownFlagFails) {
    run_result result = run_hubcast({"--no-such-flag"});
    EXPECT_FALSE(result.status.success()) << result.status.describe();
    EXPECT_TRUE(result.status.exited) << result.status.describe();
}

TEST(Cli, PrintsTheConnectionStringAtStart) {
    hubcast_process server;
    EXPECT_EQ(server.connection_string_line(),
              "Endpoint=http://127.0.0.1;Port=" + std::to_string(server.port()) +
                  ";AccessKey=" + server.access_key() + ";Version=1.0;");
}

// `hubcast token` prints a ws:// URL whose token connects as the user, with the role, in the group,
// and expires after the given minutes.
TEST(Cli, TokenCommandPrintsAUrlThatConnects) {
    hubcast_process server;
    const std::string endpoint = server.endpoint();
    run_result result = run_hubcast({"token", "--endpoint", endpoint, "--access-key", server.access_key(),
                                     "--hub", "cli", "--user", "cli-user", "--role",
                                     "webpubsub.sendToGroup.room", "--group", "room", "--minutes", "5"});
    ASSERT_TRUE(result.status.success()) << result.status.describe() << "\n" << result.standard_error;
    std::string url = result.standard_output;
    while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) {
        url.pop_back();
    }
    const std::string prefix =
        "ws://127.0.0.1:" + std::to_string(server.port()) + "/client/hubs/cli?access_token=";
    ASSERT_EQ(url.rfind(prefix, 0), 0u) << url;
    const std::string token = url.substr(prefix.size());

    // exp - iat is 5 minutes.
    auto first = token.find('.');
    auto second = token.find('.', first + 1);
    auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
    ASSERT_TRUE(payload.has_value()) << token;
    boost::json::object claims = boost::json::parse(*payload).as_object();
    EXPECT_EQ(claims.at("exp").to_number<std::int64_t>() - claims.at("iat").to_number<std::int64_t>(), 300)
        << *payload;
    EXPECT_NEAR(static_cast<double>(claims.at("exp").to_number<std::int64_t>()),
                static_cast<double>(unix_now() + 300), 30.0)
        << *payload;

    ws_client ws;
    http_response response =
        ws.connect(server.port(), url.substr(url.find("/client/")), {}, {std::string(json_subprotocol)});
    ASSERT_EQ(response.status, 101) << response.describe();
    boost::json::object connected = ws.expect_json();
    EXPECT_TRUE(has_string(connected, "event", "connected")) << describe_json(connected);
    EXPECT_TRUE(has_string(connected, "userId", "cli-user")) << describe_json(connected);

    // In the group (the --group claim) and allowed to send to it (the --role).
    ws.send_json(send_to_group_message("room", "text", boost::json::string("from the CLI token"), 1, false));
    boost::json::object a = ws.expect_json();
    boost::json::object b = ws.expect_json();
    const boost::json::object& ack = has_string(a, "type", "ack") ? a : b;
    const boost::json::object& message = has_string(a, "type", "message") ? a : b;
    EXPECT_TRUE(has_string(ack, "type", "ack") && ack.at("success").as_bool())
        << describe_json(a) << describe_json(b);
    EXPECT_TRUE(has_string(message, "group", "room") && has_string(message, "data", "from the CLI token"))
        << describe_json(a) << describe_json(b);
}

// A lifetime over 365 days is refused, not minted (an int's worth of minutes is four millennia).
TEST(Cli, TokenCommandRefusesALifetimeOverAYear) {
    for (const char* minutes : {"525601", "2147483647", "0"}) {
        run_result result = run_hubcast({"token", "--endpoint", "http://127.0.0.1:1", "--access-key",
                                         "cli-test-key-0123456789", "--hub", "cli", "--minutes", minutes});
        EXPECT_TRUE(result.status.exited && result.status.code == 2)
            << minutes << ": " << result.status.describe();
        EXPECT_TRUE(result.standard_output.empty()) << minutes << ": " << result.standard_output;
        EXPECT_NE(result.standard_error.find("--minutes must be from 1 to 525600"), std::string::npos)
            << minutes << ": " << result.standard_error;
    }
    run_result year = run_hubcast({"token", "--endpoint", "http://127.0.0.1:1", "--access-key",
                                   "cli-test-key-0123456789", "--hub", "cli", "--minutes", "525600"});
    EXPECT_TRUE(year.status.success()) << year.status.describe() << "\n" << year.standard_error;
}

} // namespace
} // namespace hubcast::test

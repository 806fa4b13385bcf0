// Logs (docs/observability.md): --log-format json writes one JSON object per line, and
// --access-log on adds a line per HTTP request answered and per WebSocket connection ended.
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "support/hubcast_process.hpp"
#include "support/pubsub_client.hpp"
#include "support/rest_client.hpp"

namespace hubcast::test {
namespace {

/// The `msg` of every access line in `output`, each log line checked to be one JSON object (the
/// two lines hubcast prints on stdout at start are not logs).
std::vector<std::string> access_messages(const std::string& output) {
    std::vector<std::string> messages;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("hubcast listening on ") || line.starts_with("Endpoint=")) {
            continue;
        }
        boost::system::error_code error;
        const auto value = boost::json::parse(line, error);
        EXPECT_FALSE(error) << "not JSON: " << line;
        if (error || !value.is_object()) {
            continue;
        }
        const auto& object = value.as_object();
        EXPECT_TRUE(object.contains("time") && object.contains("level") && object.contains("msg")) << line;
        if (object.at("logger") == "access") {
            messages.emplace_back(object.at("msg").as_string());
        }
    }
    return messages;
}

bool has_line_containing(const std::vector<std::string>& lines, std::string_view text) {
    for (const auto& line : lines) {
        if (line.find(text) != std::string::npos) {
            return true;
        }
    }
    return false;
}

TEST(Logging, JsonLinesWithAnAccessLineForEachRequestAndEachConnectionEnd) {
    std::string connection_id;
    std::string standard_error;
    {
        hubcast_process server({.args = {"--log-format", "json", "--access-log", "on"}});
        EXPECT_EQ(rest(server, "POST", api("/api/hubs/chat/:send"), "hi", "text/plain").status, 202);
        {
            pubsub_client alice = pubsub_client::connect(server, client_options{.user = "alice"});
            connection_id = alice.connection_id();
            alice.ws().send_text(R"({"type":"sequenceAck","sequenceId":1})");
            alice.ws().send_close(1000, "done");
            ASSERT_TRUE(server.wait_for_output_containing("ended 1000"));
        }
        standard_error = server.output();
    }
    const auto lines = access_messages(standard_error);
    EXPECT_TRUE(has_line_containing(lines, "\"POST /api/hubs/chat/:send\" 202 ")) << standard_error;
    EXPECT_TRUE(has_line_containing(lines, "\"GET /client/hubs/chat\" 101 "))
        << "the token's query is left out";
    EXPECT_FALSE(has_line_containing(lines, "access_token"));
    EXPECT_TRUE(
        has_line_containing(lines, "connection " + connection_id +
                                       " hub chat user alice subprotocol json.webpubsub.azure.v1 ended "
                                       "1000 \"done\""))
        << standard_error;
    EXPECT_TRUE(has_line_containing(lines, "1 messages in, 1 out")) << standard_error;
}

TEST(Logging, NoAccessLinesUnlessAskedFor) {
    hubcast_process server({.args = {"--log-format", "json"}});
    EXPECT_EQ(rest(server, "POST", api("/api/hubs/chat/:send"), "hi", "text/plain").status, 202);
    const std::string output = server.output();
    EXPECT_TRUE(access_messages(output).empty()) << output;
}

} // namespace
} // namespace hubcast::test

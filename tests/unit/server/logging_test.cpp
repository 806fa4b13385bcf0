// --log-format json (docs/observability.md, "Logs"): one JSON object per line, whatever the
// message holds.
#include <chrono>
#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>

#include "server/logging.hpp"

namespace hubcast::server {
namespace {

boost::json::object formatted(std::string_view text, spdlog::level::level_enum level = spdlog::level::warn) {
    spdlog::details::log_msg message(spdlog::source_loc{}, "hubcast", level, text);
    message.time =
        spdlog::log_clock::time_point(std::chrono::seconds(1'765'111'200) + std::chrono::microseconds(42));
    spdlog::memory_buf_t out;
    json_log_formatter{}.format(message, out);
    const std::string line(out.data(), out.size());
    EXPECT_TRUE(line.ends_with("}\n")) << line;
    return boost::json::parse(line).as_object();
}

TEST(JsonLogFormatter, WritesTimeLevelLoggerAndMessage) {
    const auto line = formatted("2 worker(s)");
    EXPECT_EQ(line.at("time"), "2025-12-07T12:40:00.000042Z");
    EXPECT_EQ(line.at("level"), "warning");
    EXPECT_EQ(line.at("logger"), "hubcast");
    EXPECT_EQ(line.at("msg"), "2 worker(s)");
}

TEST(JsonLogFormatter, EscapesQuotesBackslashesAndControlCharacters) {
    EXPECT_EQ(formatted("a \"quoted\" \\ path\nnext\ttab\x01").at("msg"),
              "a \"quoted\" \\ path\nnext\ttab\x01");
    EXPECT_EQ(formatted("caf\xc3\xa9").at("msg"), "caf\xc3\xa9");
}

TEST(JsonLogFormatter, BytesThatAreNotUtf8BecomeReplacementCharacters) {
    EXPECT_EQ(formatted("hub \xff\xfe").at("msg"), "hub \xef\xbf\xbd\xef\xbf\xbd");
}

} // namespace
} // namespace hubcast::server

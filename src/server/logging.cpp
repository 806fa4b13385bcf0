#include "server/logging.hpp"

#include <chrono>
#include <ctime>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "protocol/utf8.hpp"

namespace hubcast::server {
namespace {

std::shared_ptr<spdlog::logger> access_logger; // set before the workers start, read after

void append(spdlog::memory_buf_t& dest, std::string_view text) {
    dest.append(text.data(), text.data() + text.size());
}

/// `text` as the inside of a JSON string.
void append_escaped(spdlog::memory_buf_t& dest, std::string_view text) {
    const bool utf8 = protocol::is_valid_utf8(text);
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            dest.push_back('\\');
            dest.push_back(c);
        } else if (byte < 0x20) {
            fmt::format_to(std::back_inserter(dest), "\\u{:04x}", byte);
        } else if (byte >= 0x80 && !utf8) {
            append(dest, "\\ufffd");
        } else {
            dest.push_back(c);
        }
    }
}

void append_time(spdlog::memory_buf_t& dest, spdlog::log_clock::time_point time) {
    const auto since_epoch = time.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds).count();
    const std::time_t whole = seconds.count();
    std::tm utc{};
    gmtime_r(&whole, &utc);
    fmt::format_to(std::back_inserter(dest), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900,
                   utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, micros);
}

} // namespace

void json_log_formatter::format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& dest) {
    append(dest, R"({"time":")");
    append_time(dest, message.time);
    append(dest, R"(","level":")");
    const auto level = spdlog::level::to_string_view(message.level);
    dest.append(level.data(), level.data() + level.size());
    append(dest, R"(","logger":")");
    append_escaped(dest, std::string_view(message.logger_name.data(), message.logger_name.size()));
    append(dest, R"(","msg":")");
    append_escaped(dest, std::string_view(message.payload.data(), message.payload.size()));
    append(dest, "\"}\n");
}

std::unique_ptr<spdlog::formatter> json_log_formatter::clone() const {
    return std::make_unique<json_log_formatter>();
}

void start_logging(std::string_view level, std::string_view format, bool access_log) {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto main = std::make_shared<spdlog::logger>("hubcast", sink);
    main->set_level(spdlog::level::from_str(std::string(level)));
    spdlog::set_default_logger(main);
    auto access = std::make_shared<spdlog::logger>("access", sink);
    access->set_level(access_log ? spdlog::level::info : spdlog::level::off);
    if (format == "json") {
        // One formatter per sink: both loggers write through it.
        sink->set_formatter(std::make_unique<json_log_formatter>());
    }
    if (access_log) {
        access_logger = std::move(access);
    }
}

spdlog::logger* access_log() {
    return access_logger.get();
}

} // namespace hubcast::server

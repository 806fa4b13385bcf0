#pragma once

#include <memory>
#include <string_view>

#include <spdlog/formatter.h>
#include <spdlog/logger.h>

namespace hubcast::server {

/// One JSON object per line (`--log-format json`), for log shippers:
/// {"time":"2026-12-07T13:40:00.123456Z","level":"info","logger":"hubcast","msg":"..."}.
/// The message is escaped as JSON text; bytes that are not UTF-8 become U+FFFD.
class json_log_formatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& dest) override;
    std::unique_ptr<spdlog::formatter> clone() const override;
};

/// The process's loggers on stderr: `hubcast` (the default) at `level`, and `access`
/// (docs/observability.md, "Access log") at info when `access_log`, else off; both in `format`
/// ("text" or "json").
void start_logging(std::string_view level, std::string_view format, bool access_log);

/// The access logger, or null when the access log is off. Set once by start_logging().
spdlog::logger* access_log();

} // namespace hubcast::server

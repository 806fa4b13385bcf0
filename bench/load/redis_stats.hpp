#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hubcast::bench {

/// Redis's own counters at one moment (`INFO stats commandstats`).
struct redis_counters {
    std::uint64_t commands = 0;         ///< total_commands_processed
    std::uint64_t publish_calls = 0;    ///< cmdstat_publish calls
    std::uint64_t net_input_bytes = 0;  ///< total_net_input_bytes
    std::uint64_t net_output_bytes = 0; ///< total_net_output_bytes
    /// The bytes of this reading's own INFO exchange, so that the difference of two readings can
    /// leave them out (see redis_stats::read).
    std::uint64_t request_bytes = 0;
    std::uint64_t reply_bytes = 0;
};

/// Reads Redis's counters over one plain connection to 127.0.0.1:port, blocking (a reading takes
/// well under a millisecond on loopback; the scenario's clock is read around it, not during it).
/// The connection is opened once and kept, so it adds no connect per reading.
class redis_stats {
public:
    explicit redis_stats(std::uint16_t port);
    ~redis_stats();
    redis_stats(const redis_stats&) = delete;
    redis_stats& operator=(const redis_stats&) = delete;

    /// The counters now, or nothing when Redis did not answer within 2 s.
    std::optional<redis_counters> read();

private:
    bool connect();

    std::uint16_t port_;
    int fd_ = -1;
};

/// What Redis did between two readings, without the readings themselves: Redis counts an INFO's
/// request when it reads it and its reply when it writes it, after the reply was composed, so the
/// earlier reading's reply and the later reading's request fall between the two, as does the earlier
/// INFO command (counted once it has run). Those are subtracted.
redis_counters redis_difference(const redis_counters& before, const redis_counters& after);

/// The counters as JSON fields (`"redis_commands":..,"redis_publish_calls":..,..."`), no braces.
std::string redis_fields(const redis_counters& difference);

} // namespace hubcast::bench

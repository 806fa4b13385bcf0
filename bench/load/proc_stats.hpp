#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hubcast::bench {

/// Busy and total jiffies of each CPU (from /proc/stat), for "how busy was each core".
struct cpu_times {
    std::vector<std::uint64_t> busy;
    std::vector<std::uint64_t> total;
};
cpu_times read_cpu_times();

/// Per-core busy percentage between two readings.
std::vector<double> busy_percent(const cpu_times& before, const cpu_times& after);

/// utime + stime of a process in clock ticks (/proc/<pid>/stat); 0 when it is gone.
std::uint64_t read_process_ticks(int pid);
double ticks_per_second();

/// VmRSS and VmHWM (peak) of a process in KiB (/proc/<pid>/status); 0 when unknown.
struct process_memory {
    std::uint64_t rss_kib = 0;
    std::uint64_t peak_rss_kib = 0;
};
process_memory read_process_memory(int pid);

/// Number of open descriptors of a process (entries in /proc/<pid>/fd).
std::size_t count_open_descriptors(int pid);

} // namespace hubcast::bench

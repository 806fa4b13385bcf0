#include "proc_stats.hpp"

#include <fstream>
#include <sstream>

#include <dirent.h>
#include <unistd.h>

namespace hubcast::bench {

cpu_times read_cpu_times() {
    cpu_times times;
    std::ifstream in("/proc/stat");
    std::string line;
    while (std::getline(in, line)) {
        // "cpuN user nice system idle iowait irq softirq steal ...": skip the aggregate "cpu " line.
        if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] == ' ') {
            continue;
        }
        std::istringstream fields(line);
        std::string name;
        fields >> name;
        std::uint64_t value = 0;
        std::uint64_t total = 0;
        std::uint64_t idle = 0;
        for (int i = 0; i < 8 && fields >> value; ++i) {
            total += value;
            if (i == 3 || i == 4) { // idle, iowait
                idle += value;
            }
        }
        times.busy.push_back(total - idle);
        times.total.push_back(total);
    }
    return times;
}

std::vector<double> busy_percent(const cpu_times& before, const cpu_times& after) {
    std::vector<double> result;
    for (std::size_t i = 0; i < before.busy.size() && i < after.busy.size(); ++i) {
        const double total = static_cast<double>(after.total[i] - before.total[i]);
        const double busy = static_cast<double>(after.busy[i] - before.busy[i]);
        result.push_back(total > 0 ? 100.0 * busy / total : 0.0);
    }
    return result;
}

std::uint64_t read_process_ticks(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos) {
        return 0;
    }
    // After "pid (comm)": field 3 is state; utime and stime are fields 14 and 15.
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    std::uint64_t utime = 0;
    std::uint64_t stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) {
            utime = std::stoull(field);
        } else if (i == 15) {
            stime = std::stoull(field);
        }
    }
    return utime + stime;
}

double ticks_per_second() {
    return static_cast<double>(::sysconf(_SC_CLK_TCK));
}

process_memory read_process_memory(int pid) {
    process_memory memory;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            memory.rss_kib = std::stoull(line.substr(6));
        } else if (line.rfind("VmHWM:", 0) == 0) {
            memory.peak_rss_kib = std::stoull(line.substr(6));
        }
    }
    return memory;
}

std::size_t count_open_descriptors(int pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/fd";
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
        return 0;
    }
    std::size_t count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') {
            ++count;
        }
    }
    ::closedir(dir);
    return count;
}

} // namespace hubcast::bench

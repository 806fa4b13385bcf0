#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hubcast::util {

/// The process's named statistics, written once in the Prometheus text exposition format (0.0.4)
/// for GET /metrics. Each layer registers what it counts at start-up; values are read only when
/// rendering, so counting stays one relaxed atomic add on the hot path.
///
/// Threading: register everything before render() may run on another thread; render() is then
/// safe on any thread, concurrently with itself. Every registered atomic and reader must outlive
/// the last render().
class metrics_registry {
public:
    using reader = std::function<std::uint64_t()>;

    /// A count that only grows; Prometheus convention ends its name in `_total`. `name` must be
    /// unique in the registry and `help` one line.
    void add_counter(std::string name, std::string help, const std::atomic<std::uint64_t>& value);
    void add_counter(std::string name, std::string help, reader read);
    /// A value that goes up and down (a size, a peak).
    void add_gauge(std::string name, std::string help, reader read);

    /// `# HELP`, `# TYPE` and the sample of every metric, in the order registered.
    std::string render() const;

private:
    enum class kind { counter, gauge };
    struct metric {
        std::string name;
        std::string help;
        kind type = kind::counter;
        reader read;
    };

    void add(std::string name, std::string help, kind type, reader read);

    std::vector<metric> metrics_;
};

} // namespace hubcast::util

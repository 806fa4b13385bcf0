#include "util/metrics_registry.hpp"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

namespace hubcast::util {

void metrics_registry::add_counter(std::string name, std::string help,
                                   const std::atomic<std::uint64_t>& value) {
    add(std::move(name), std::move(help), kind::counter,
        [&value] { return value.load(std::memory_order_relaxed); });
}

void metrics_registry::add_counter(std::string name, std::string help, reader read) {
    add(std::move(name), std::move(help), kind::counter, std::move(read));
}

void metrics_registry::add_gauge(std::string name, std::string help, reader read) {
    add(std::move(name), std::move(help), kind::gauge, std::move(read));
}

void metrics_registry::add(std::string name, std::string help, kind type, reader read) {
    // A second sample of one name, or a HELP line broken in two, makes the whole page unreadable
    // to a scraper: both are programming errors.
    assert(std::none_of(metrics_.begin(), metrics_.end(), [&](const metric& m) { return m.name == name; }));
    assert(help.find_first_of("\n\\") == std::string::npos);
    metrics_.push_back(
        metric{.name = std::move(name), .help = std::move(help), .type = type, .read = std::move(read)});
}

std::string metrics_registry::render() const {
    std::string out;
    out.reserve(metrics_.size() * 160);
    for (const auto& m : metrics_) {
        fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", m.name, m.help,
                       m.type == kind::counter ? "counter" : "gauge", m.read());
    }
    return out;
}

} // namespace hubcast::util

#include "support/metrics.hpp"

#include <cstdlib>
#include <string>

#include "support/http_client.hpp"
#include "support/test_failure.hpp"

namespace hubcast::test {

std::optional<double> metric_value(std::string_view exposition, std::string_view name) {
    std::optional<double> total;
    while (!exposition.empty()) {
        auto end = exposition.find('\n');
        std::string_view line = exposition.substr(0, end);
        exposition = end == std::string_view::npos ? std::string_view{} : exposition.substr(end + 1);
        if (line.empty() || line.front() == '#' || line.substr(0, name.size()) != name) {
            continue;
        }
        std::string_view rest = line.substr(name.size());
        if (!rest.empty() && rest.front() == '{') {
            auto close = rest.find('}');
            if (close == std::string_view::npos) {
                continue;
            }
            rest = rest.substr(close + 1);
        }
        if (rest.empty() || rest.front() != ' ') {
            continue; // another metric whose name starts with `name`
        }
        std::string value(rest.substr(1));
        char* parsed_end = nullptr;
        double number = std::strtod(value.c_str(), &parsed_end);
        if (parsed_end == value.c_str()) {
            continue;
        }
        total = total.value_or(0.0) + number;
    }
    return total;
}

double read_metric(std::uint16_t port, std::string_view name, deadline limit) {
    http_response response = http_get(port, "/metrics", {}, limit);
    if (response.status != 200) {
        throw test_failure("GET /metrics:\n" + response.describe());
    }
    return metric_value(response.body, name).value_or(0.0);
}

} // namespace hubcast::test

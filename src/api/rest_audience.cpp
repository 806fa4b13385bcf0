#include "api/rest_audience.hpp"

#include <algorithm>

#include "api/request_target.hpp"
#include "protocol/ascii.hpp"

namespace hubcast::api {
namespace {

bool same_parameters(std::vector<std::pair<std::string, std::string>> a,
                     std::vector<std::pair<std::string, std::string>> b) {
    if (a.size() != b.size()) {
        return false;
    }
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b;
}

} // namespace

bool audience_names_call(std::string_view audience_path_and_query, std::string_view method,
                         const rest_route& route,
                         const std::vector<std::pair<std::string, std::string>>& query) {
    request_target audience;
    if (!parse_request_target(audience_path_and_query, audience)) {
        return false;
    }
    const auto named = match_route(method, audience.segments());
    if (!named) {
        return false;
    }
    return named->operation == route.operation && protocol::iequals(named->hub, route.hub) &&
           named->group == route.group && named->user_id == route.user_id &&
           named->connection_id == route.connection_id &&
           protocol::iequals(named->permission_name, route.permission_name) &&
           same_parameters(audience.parameters(), query);
}

} // namespace hubcast::api

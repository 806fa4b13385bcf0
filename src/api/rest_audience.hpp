#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/rest_route.hpp"

namespace hubcast::api {

/// The strict half of spec 3.2's audience rule: whether the path and query a REST token names
/// (auth::audience_path_and_query) is the call being made. The audience is parsed and decoded
/// exactly as the router reads the request's own target and matched to an operation the same
/// way, so they agree on every byte: the same operation (for the request's method; the token
/// names no method) with the same parameters, the hub and literal segments ASCII
/// case-insensitively as routing reads them, the group, user id and connection id exactly, and
/// the same query parameters with the same values in any order. A `%2F` stays inside its segment
/// on both sides: a token for `users/u/groups/g` does not name `users/u%2Fgroups/g`.
bool audience_names_call(std::string_view audience_path_and_query, std::string_view method,
                         const rest_route& route,
                         const std::vector<std::pair<std::string, std::string>>& query);

} // namespace hubcast::api

#pragma once

#include <cstddef>
#include <string>

#include "protocol/http_types.hpp"

namespace hubcast::api {

/// Why a REST call failed: the HTTP status, the ErrorDetail `code` (also sent as `x-ms-error-code`)
/// and a message for a person. Azure documents neither its codes nor its messages (spec 2.1), so
/// these are hubcast's; docs/rest-api.md lists them.
struct rest_error {
    unsigned status = 400;
    std::string code;
    std::string message;
};

namespace rest_error_code {
inline constexpr const char* invalid_api_version = "InvalidApiVersion";
inline constexpr const char* invalid_parameter = "InvalidParameter";
inline constexpr const char* invalid_filter = "InvalidFilter";
inline constexpr const char* invalid_body = "InvalidRequestBody";
inline constexpr const char* unsupported_media_type = "UnsupportedMediaType";
inline constexpr const char* unauthorized = "Unauthorized";
inline constexpr const char* not_found = "NotFound";
inline constexpr const char* connection_not_found = "ConnectionNotFound";
inline constexpr const char* method_not_allowed = "MethodNotAllowed";
inline constexpr const char* too_many_groups = "TooManyGroups";
inline constexpr const char* service_unavailable = "ServiceUnavailable";
} // namespace rest_error_code

/// 409 TooManyGroups: `refused` joins (at least one) of one call found their connection already
/// in `limit` groups, the most one connection may be in (docs/configuration.md).
rest_error too_many_groups(std::size_t refused, std::size_t limit);

/// 503 ServiceUnavailable: the call needed other nodes of the cluster (docs/scale-out.md) and
/// some could not be reached (Redis unreachable, or a node not answering in time).
rest_error other_nodes_unreachable();

/// The answer to a failed call (spec 2.1): a JSON ErrorDetail `{"code":...,"message":...}` with
/// `x-ms-error-code`, or for HEAD the status and that header alone. A 401 also carries
/// `WWW-Authenticate: Bearer` (RFC 6750), a 405 the `Allow` header when `allow` is given.
protocol::http_response error_response(const rest_error& error, bool head, std::string allow = {});

/// A success with no body (200, 202, 204 and HEAD answers).
protocol::http_response empty_response(unsigned status);

/// A 200 with a JSON body.
protocol::http_response json_response(std::string body);

} // namespace hubcast::api

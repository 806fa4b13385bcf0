#include "api/rest_errors.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace hubcast::api {

protocol::http_response error_response(const rest_error& error, bool head, std::string allow) {
    protocol::http_response response;
    response.status = error.status;
    response.headers.emplace_back("x-ms-error-code", error.code);
    if (error.status == 401) {
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
    }
    if (!allow.empty()) {
        response.headers.emplace_back("Allow", std::move(allow));
    }
    if (head) {
        // RFC 9110 9.3.2: a HEAD answer has no content; the header still names the error.
        response.content_type.clear();
        return response;
    }
    response.content_type = "application/json; charset=utf-8";
    response.body =
        boost::json::serialize(boost::json::object{{"code", error.code}, {"message", error.message}});
    return response;
}

rest_error too_many_groups(std::size_t refused, std::size_t limit) {
    const std::string most = std::to_string(limit) + " groups, the most one connection may be in";
    return rest_error{409, rest_error_code::too_many_groups,
                      refused == 1 ? "The connection is already in " + most + "; it was not added."
                                   : std::to_string(refused) +
                                         " joins were refused: their connections are already in " + most +
                                         ". The others were applied."};
}

rest_error other_nodes_unreachable() {
    return rest_error{503, rest_error_code::service_unavailable,
                      "Other nodes of the cluster could not be reached (Redis is unreachable, or a node did "
                      "not answer in time); the call took effect on the nodes that answered. Try again."};
}

protocol::http_response empty_response(unsigned status) {
    protocol::http_response response;
    response.status = status;
    response.content_type.clear();
    return response;
}

protocol::http_response json_response(std::string body) {
    protocol::http_response response;
    response.content_type = "application/json; charset=utf-8";
    response.body = std::move(body);
    return response;
}

} // namespace hubcast::api

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/rest_errors.hpp"
#include "api/rest_params.hpp"
#include "api/rest_route.hpp"
#include "auth/access_keys.hpp"
#include "auth/public_endpoint.hpp"
#include "core/router.hpp"
#include "protocol/http_types.hpp"
#include "protocol/websocket_frame.hpp"

namespace hubcast::api {

struct rest_options {
    std::chrono::seconds clock_skew{300}; // spec 3.2: five minutes, as for client tokens
    /// The code of the close frame REST closes send. 1008 tells the Azure client SDKs not to try
    /// recovering the same connection (docs/protocol.md, "Close codes").
    std::uint16_t close_code = protocol::close_code::policy_violation;
    /// `--public-endpoint`: the host REST tokens must name, and what minted tokens and nextLink
    /// name; none: any host, and the request's own.
    std::optional<auth::public_endpoint> public_endpoint;
};

/// Answers one REST call. Called exactly once, on whatever thread finishes the operation.
using rest_reply = std::function<void(protocol::http_response)>;

/// The REST data plane under /api/hubs/{hub}/... (server-protocol spec 2-3): the 24 operations
/// of api-version 2024-12-01 besides the health check. Each call is matched (404, 405), its
/// api-version checked (400), its bearer token verified (401), its path parameters validated
/// (400), then carried out through core::router. Operations that need an answer from a connection's
/// shard (membership changes, closes, permissions, listing a group) reply from the last shard
/// concerned; everything else replies before handle() returns. Sends are fire-and-forget (202).
///
/// Threading: handle() may be called on any thread concurrently; the router holds no mutable
/// state of its own.
class rest_router {
public:
    rest_router(core::router& router, auth::access_keys keys, rest_options options = {});

    /// `segments` and `query` are the percent-decoded path segments and query parameters of
    /// `request.target`. `reply` is called exactly once, inline or later from a worker.
    void handle(protocol::http_request request, std::vector<std::string> segments, query_parameters query,
                rest_reply reply);

private:
    /// One call on its way through: what the operations read, and its reply.
    struct call {
        protocol::http_request request;
        rest_route route;
        query_parameters query;
        rest_reply reply;
        bool head = false;

        void answer(protocol::http_response response) const { reply(std::move(response)); }
        void fail(const rest_error& error) const { reply(error_response(error, head)); }
        /// Answers `status` once a change is in force on every shard and node it concerns, so
        /// that the app server's next request (a send, an existence check), on any node, sees it;
        /// 503 when some other node could not be reached (the change stands where it arrived).
        core::router::applied_callback answer_when_applied(unsigned status) const {
            return [reply = reply, status](core::router::reach reach) {
                reply(reach == core::router::reach::every_node
                          ? empty_response(status)
                          : error_response(other_nodes_unreachable(), false));
            };
        }
        /// As answer_when_applied, for a change that adds connections to groups: a 409 when the
        /// group limit (`limit` groups per connection) refused any join. The other joins stand:
        /// the change is applied on each shard on its own, so it cannot be undone as a whole.
        core::router::joins_applied_callback answer_when_joined(unsigned status, std::size_t limit) const {
            return [reply = reply, status, limit](std::size_t refused, core::router::reach reach) {
                if (reach != core::router::reach::every_node) {
                    reply(error_response(other_nodes_unreachable(), false));
                    return;
                }
                reply(refused == 0 ? empty_response(status)
                                   : error_response(too_many_groups(refused, limit), false));
            };
        }
        /// What a cluster-wide existence check answers: 200, 404, or 503 when other nodes could
        /// not be asked (docs/scale-out.md).
        core::presence_answer answer_existence() const;
    };

    /// "scheme://host" for nextLink and minted token audiences: the public endpoint when one is
    /// set, else as the caller reached us (the Host header; https when a trusted proxy says so).
    std::string base_url(const call& c) const;

    static core::presence_answer answer_existence(const call& c) { return c.answer_existence(); }
    std::optional<rest_error> authenticate(const call& c) const;
    void dispatch(call& c);
    /// The tail of every close operation: reads `reason` (400 when invalid), calls `close` with it,
    /// the connections `excluded` names and the callback that answers 204. That answer comes once
    /// every connection closed is forgotten (a HEAD sent after it answers 404); the transports
    /// finish closing later.
    using close_operation =
        std::function<void(core::exclusions skip, std::string reason, core::router::applied_callback answer)>;
    void close_then_answer(call& c, const close_operation& close);

    // One per operation family, each in its own file (rest_<family>.cpp).
    void send(call& c);
    void connection_operation(call& c);
    void group_operation(call& c);
    void group_membership(call& c);
    void list_group(call& c);
    void user_operation(call& c);
    void permission_operation(call& c);
    void generate_token(call& c);

    core::router& router_;
    auth::access_keys keys_;
    rest_options options_;
};

} // namespace hubcast::api

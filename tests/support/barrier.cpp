#include "support/barrier.hpp"

#include <string>

#include "support/rest_client.hpp"
#include "support/test_failure.hpp"

namespace hubcast::test {

void expect_pong_next(pubsub_client& client) {
    if (!client.ws().send_json(ping_message)) {
        throw test_failure("could not send the ping");
    }
    const boost::json::object next = client.ws().expect_json();
    if (!has_string(next, "type", "pong")) {
        throw test_failure("expected the pong next, got " + describe_json(next));
    }
}

void expect_marker_next(const hubcast_process& server, pubsub_client& client, std::string_view hub) {
    static int counter = 0;
    const std::string marker = "marker-" + std::to_string(++counter);
    const auto sent =
        rest(server, "POST",
             api("/api/hubs/" + std::string(hub) + "/connections/" + client.connection_id() + "/:send"),
             marker, "text/plain");
    if (sent.status != 202) {
        throw test_failure("the marker was not sent:\n" + sent.describe());
    }
    const boost::json::object next = client.ws().expect_json();
    if (!has_string(next, "from", "server") || !has_string(next, "data", marker)) {
        throw test_failure("expected " + marker + " next, got " + describe_json(next));
    }
}

} // namespace hubcast::test

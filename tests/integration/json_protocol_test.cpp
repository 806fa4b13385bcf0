// Requests that break the JSON subprotocol (spec 4.1): the connection is declined with
// `disconnected` then close 1007; frames of the wrong WebSocket type are handled as 4.1 says.

#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "support/pubsub_client.hpp"
#include "support/server_test.hpp"

namespace hubcast::test {
namespace {

struct invalid_case {
    std::string name;
    std::string frame;
};

void PrintTo(const invalid_case& value, std::ostream* out) {
    *out << value.name;
}

class InvalidRequest : public server_test, public ::testing::WithParamInterface<invalid_case> {};

TEST_P(InvalidRequest, ClosesWith1007AfterDisconnected) {
    pubsub_client client =
        connect({.user = "bad", .roles = {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"}});
    client.ws().send_json(GetParam().frame);
    client.expect_disconnected_then_close(1007);
}

INSTANTIATE_TEST_SUITE_P(
    Requests, InvalidRequest,
    ::testing::Values(
        invalid_case{"NotJson", "hello"}, invalid_case{"TruncatedJson", R"({"type":"joinGroup","group":"g")"},
        invalid_case{"TrailingGarbage", R"({"type":"joinGroup","group":"g"} x)"},
        invalid_case{"EmptyText", ""}, invalid_case{"Array", R"([{"type":"joinGroup","group":"g"}])"},
        invalid_case{"String", R"("joinGroup")"}, invalid_case{"Number", "42"}, invalid_case{"Null", "null"},
        invalid_case{"NoType", R"({"group":"g"})"},
        invalid_case{"TypeNotString", R"({"type":1,"group":"g"})"},
        invalid_case{"UnknownType", R"({"type":"subscribe","group":"g"})"},
        invalid_case{"AckIdString", R"({"type":"joinGroup","group":"g","ackId":"1"})"},
        invalid_case{"AckIdNegative", R"({"type":"joinGroup","group":"g","ackId":-1})"},
        invalid_case{"AckIdFraction", R"({"type":"joinGroup","group":"g","ackId":1.5})"},
        invalid_case{"JoinWithoutGroup", R"({"type":"joinGroup","ackId":1})"},
        invalid_case{"LeaveWithoutGroup", R"({"type":"leaveGroup","ackId":1})"},
        invalid_case{"GroupNotString", R"({"type":"joinGroup","group":7,"ackId":1})"},
        invalid_case{"GroupEmpty", R"({"type":"joinGroup","group":"","ackId":1})"},
        invalid_case{"GroupWhitespace", R"({"type":"joinGroup","group":"  ","ackId":1})"},
        invalid_case{"GroupTooLong",
                     R"({"type":"joinGroup","ackId":1,"group":")" + std::string(1025, 'g') + "\"}"},
        invalid_case{"SendWithoutData", R"({"type":"sendToGroup","group":"g","dataType":"text","ackId":1})"},
        invalid_case{"SendWithoutGroup", R"({"type":"sendToGroup","dataType":"text","data":"x","ackId":1})"},
        invalid_case{"UnknownDataType", R"({"type":"sendToGroup","group":"g","dataType":"xml","data":"x"})"},
        invalid_case{"TextDataNotString", R"({"type":"sendToGroup","group":"g","dataType":"text","data":1})"},
        invalid_case{"BinaryDataNotBase64",
                     R"({"type":"sendToGroup","group":"g","dataType":"binary","data":"%%%"})"},
        invalid_case{"BinaryDataNotString",
                     R"({"type":"sendToGroup","group":"g","dataType":"binary","data":[1]})"},
        invalid_case{"JsonDataNull", R"({"type":"sendToGroup","group":"g","dataType":"json","data":null})"},
        invalid_case{"EventWithoutName", R"({"type":"event","dataType":"text","data":"x","ackId":1})"},
        invalid_case{"EventBadName", R"({"type":"event","event":"9lives","dataType":"text","data":"x"})"},
        invalid_case{"EventNameWithSpace", R"({"type":"event","event":"a b","dataType":"text","data":"x"})"},
        invalid_case{"EventNameTooLong", R"({"type":"event","dataType":"text","data":"x","event":"e)" +
                                             std::string(128, 'x') + "\"}"}),
    [](const auto& info) { return info.param.name; });

// A JSON request in a binary frame is accepted (spec 4.1 recommendation: accept both, send text).
TEST(JsonProtocol, BinaryFrameWithJsonIsAccepted) {
    hubcast_process server;
    pubsub_client client = pubsub_client::connect(
        server, {.user = "binary", .roles = {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"}});
    client.ws().send_binary(join_group_message("in-binary", 1));
    client.expect_ack(1);
    client.ws().send_binary(send_to_group_message("in-binary", "text", boost::json::string("via binary"), 2));
    ws_frame first = client.ws().expect_message();
    ws_frame second = client.ws().expect_message();
    // Whatever came in, the server writes text frames.
    EXPECT_EQ(first.opcode, ws_op::text) << first.describe();
    EXPECT_EQ(second.opcode, ws_op::text) << second.describe();
    EXPECT_NE(first.payload.find("via binary") == std::string::npos,
              second.payload.find("via binary") == std::string::npos)
        << first.describe() << "\n"
        << second.describe();
}

} // namespace
} // namespace hubcast::test

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "protocol/json_protocol.hpp"

namespace {

using namespace hubcast::protocol;

std::string describe(std::string_view frame) {
    return "frame: " + std::string(frame);
}

client_request decode_ok(std::string_view frame) {
    auto decoded = decode_json_request(frame);
    if (!decoded) {
        ADD_FAILURE() << describe(frame) << " rejected: " << decoded.error().reason;
        return ping_request{};
    }
    return std::move(decoded).value();
}

template <typename T> T decode_as(std::string_view frame) {
    client_request request = decode_ok(frame);
    if (!std::holds_alternative<T>(request)) {
        ADD_FAILURE() << describe(frame) << " decoded to alternative " << request.index();
        return T{};
    }
    return std::get<T>(std::move(request));
}

/// The reason a frame is rejected with, or nullopt if it decodes.
std::optional<std::string> rejection(std::string_view frame) {
    auto decoded = decode_json_request(frame);
    if (decoded) {
        return std::nullopt;
    }
    return decoded.error().reason;
}

simdjson::dom::element parse_dom(simdjson::dom::parser& parser, const std::string& json) {
    simdjson::dom::element element;
    const auto error = parser.parse(json).get(element);
    EXPECT_EQ(error, simdjson::SUCCESS) << "not valid JSON: " << json;
    return element;
}

std::string_view dom_string(simdjson::dom::element element, const char* key) {
    std::string_view text;
    EXPECT_EQ(element[key].get(text), simdjson::SUCCESS) << key;
    return text;
}

// Decoding: every request type.

TEST(JsonDecode, JoinGroup) {
    auto request = decode_as<join_group_request>(R"({"type":"joinGroup","group":"g1","ackId":1})");
    EXPECT_EQ(request.group, "g1");
    EXPECT_EQ(request.ack_id, 1u);
}

TEST(JsonDecode, LeaveGroup) {
    auto request = decode_as<leave_group_request>(R"({"type":"leaveGroup","group":"g2","ackId":7})");
    EXPECT_EQ(request.group, "g2");
    EXPECT_EQ(request.ack_id, 7u);
}

TEST(JsonDecode, SendToGroupAsTheJsClientWritesIt) {
    auto request = decode_as<send_to_group_request>(
        R"({"type":"sendToGroup","group":"g","ackId":3,"dataType":"text","data":"hello","noEcho":true})");
    EXPECT_EQ(request.group, "g");
    EXPECT_EQ(request.ack_id, 3u);
    EXPECT_TRUE(request.no_echo);
    EXPECT_EQ(request.data.type, data_type::text);
    EXPECT_EQ(request.data.bytes, "hello");
}

TEST(JsonDecode, SendToGroupAsTheDotNetClientWritesIt) {
    // .NET writes noEcho always, dataType capitalised and before data.
    auto request = decode_as<send_to_group_request>(
        R"({"type":"sendToGroup","group":"g","ackId":2,"noEcho":false,"dataType":"Binary","data":"AAEC/w=="})");
    EXPECT_FALSE(request.no_echo);
    EXPECT_EQ(request.data.type, data_type::binary);
    EXPECT_EQ(request.data.bytes, std::string("\x00\x01\x02\xff", 4));
}

TEST(JsonDecode, Event) {
    auto request = decode_as<event_request>(
        R"({"type":"event","event":"chat.v2","ackId":9,"dataType":"json","data":{"a":1}})");
    EXPECT_EQ(request.event, "chat.v2");
    EXPECT_EQ(request.ack_id, 9u);
    EXPECT_EQ(request.data.type, data_type::json);
    EXPECT_EQ(request.data.bytes, R"({"a":1})");
}

TEST(JsonDecode, SequenceAck) {
    EXPECT_EQ(decode_as<sequence_ack_request>(R"({"type":"sequenceAck","sequenceId":5})").sequence_id, 5u);
    EXPECT_EQ(decode_as<sequence_ack_request>(R"({"type":"sequenceAck","sequenceId":18446744073709551615})")
                  .sequence_id,
              UINT64_MAX);
}

TEST(JsonDecode, Ping) {
    decode_as<ping_request>(R"({"type":"ping"})");
}

// Decoding: leniency of spec 4.1.

TEST(JsonDecode, TypeIsCaseInsensitive) {
    decode_as<join_group_request>(R"({"type":"JoinGroup","group":"g"})");
    decode_as<leave_group_request>(R"({"type":"LEAVEGROUP","group":"g"})");
    decode_as<send_to_group_request>(R"({"type":"SendToGroup","group":"g","data":1})");
    decode_as<event_request>(R"({"type":"Event","event":"e","data":1})");
    decode_as<sequence_ack_request>(R"({"type":"SequenceAck","sequenceId":1})");
    decode_as<ping_request>(R"({"type":"PING"})");
}

TEST(JsonDecode, DataTypeIsCaseInsensitive) {
    for (const char* name : {"Text", "TEXT", "tExT"}) {
        auto frame = std::string(R"({"type":"event","event":"e","dataType":")") + name + R"(","data":"x"})";
        EXPECT_EQ(decode_as<event_request>(frame).data.type, data_type::text) << frame;
    }
    EXPECT_EQ(
        decode_as<event_request>(R"({"type":"event","event":"e","dataType":"Json","data":2})").data.type,
        data_type::json);
    EXPECT_EQ(
        decode_as<event_request>(R"({"type":"event","event":"e","dataType":"BINARY","data":""})").data.type,
        data_type::binary);
}

TEST(JsonDecode, Defaults) {
    auto join = decode_as<join_group_request>(R"({"type":"joinGroup","group":"g"})");
    EXPECT_EQ(join.ack_id, std::nullopt);
    auto send = decode_as<send_to_group_request>(R"({"type":"sendToGroup","group":"g","data":{"x":[1,2]}})");
    EXPECT_EQ(send.ack_id, std::nullopt);
    EXPECT_FALSE(send.no_echo);
    EXPECT_EQ(send.data.type, data_type::json);
    EXPECT_EQ(send.data.bytes, R"({"x":[1,2]})");
}

TEST(JsonDecode, NullOptionalNumbersCountAsAbsent) {
    EXPECT_EQ(decode_as<join_group_request>(R"({"type":"joinGroup","group":"g","ackId":null})").ack_id,
              std::nullopt);
    EXPECT_EQ(rejection(R"({"type":"sequenceAck","sequenceId":null})"), "missing 'sequenceId'");
}

TEST(JsonDecode, AnyPropertyOrder) {
    auto request = decode_as<send_to_group_request>(
        R"({"data":"aGk=","noEcho":true,"dataType":"binary","ackId":4,"group":"g","type":"sendToGroup"})");
    EXPECT_EQ(request.group, "g");
    EXPECT_EQ(request.ack_id, 4u);
    EXPECT_TRUE(request.no_echo);
    EXPECT_EQ(request.data.type, data_type::binary);
    EXPECT_EQ(request.data.bytes, "hi");
}

TEST(JsonDecode, UnknownPropertiesAreIgnored) {
    auto request = decode_as<send_to_group_request>(
        R"({"type":"sendToGroup","ttlSeconds":30,"metadata":{"k":"v"},"group":"g","extra":[1,{"a":[]}],)"
        R"("x":null,"y":true,"z":"s","data":"t","dataType":"text","invocationId":"i"})");
    EXPECT_EQ(request.data.bytes, "t");
}

TEST(JsonDecode, PropertiesOfOtherTypesAreIgnored) {
    decode_as<ping_request>(
        R"({"type":"ping","group":"","event":"!","data":null,"noEcho":"x","dataType":7})");
    decode_as<join_group_request>(
        R"({"type":"joinGroup","group":"g","data":null,"noEcho":1,"sequenceId":-1})");
}

TEST(JsonDecode, WhitespaceAroundTokens) {
    auto request = decode_as<event_request>(
        " \r\n\t{ \"type\" : \"event\" ,\n \"event\" : \"e\" , \"data\" : [ 1 , 2 ] \n } \n ");
    EXPECT_EQ(request.data.bytes, "[ 1 , 2 ]");
}

TEST(JsonDecode, EscapedKeysAndValuesAreUnescaped) {
    auto request = decode_as<send_to_group_request>(
        R"({"typ\u0065":"sendTo\u0047roup","group":"a\"b\\c\u00e9\ud83d\ude00","dataType":"text",)"
        R"("data":"line\nnext\t\u0000end"})");
    EXPECT_EQ(request.group, "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80");
    EXPECT_EQ(request.data.bytes, std::string("line\nnext\t\0end", 14));
}

TEST(JsonDecode, DuplicateKeysTakeTheLastValue) {
    EXPECT_EQ(decode_as<join_group_request>(R"({"type":"joinGroup","group":"first","group":"last"})").group,
              "last");
    EXPECT_EQ(
        decode_as<join_group_request>(R"({"type":"joinGroup","group":"g","ackId":"x","ackId":2})").ack_id,
        2u);
    decode_as<ping_request>(R"({"type":"joinGroup","type":"ping"})");
    auto send = decode_as<send_to_group_request>(
        R"({"type":"sendToGroup","group":"g","data":null,"dataType":"json","data":"s","dataType":"text"})");
    EXPECT_EQ(send.data.type, data_type::text);
    EXPECT_EQ(send.data.bytes, "s");
    // The last value decides even when it is the invalid one.
    EXPECT_EQ(rejection(R"({"type":"joinGroup","group":"g","ackId":1,"ackId":-1})"),
              "'ackId' is not a uint64");
}

TEST(JsonDecode, EmptyBinaryDataIsEmptyBytes) {
    auto request = decode_as<send_to_group_request>(
        R"({"type":"sendToGroup","group":"g","dataType":"binary","data":""})");
    EXPECT_EQ(request.data.bytes, "");
}

TEST(JsonDecode, EscapedBase64IsUnescapedFirst) {
    auto request =
        decode_as<event_request>(R"({"type":"event","event":"e","dataType":"binary","data":"aGk\u003d"})");
    EXPECT_EQ(request.data.bytes, "hi");
}

// Decoding: ackId.

TEST(JsonDecode, AckIdAcceptsTheWholeUint64Range) {
    const std::pair<const char*, std::uint64_t> cases[] = {
        {"0", 0},
        {"1", 1},
        {"9007199254740992", 9007199254740992ull}, // 2^53
        {"9007199254740993", 9007199254740993ull}, // 2^53 + 1, beyond a double
        {"18446744073709551615", UINT64_MAX},
    };
    for (const auto& [text, value] : cases) {
        auto frame = std::string(R"({"type":"joinGroup","group":"g","ackId":)") + text + "}";
        EXPECT_EQ(decode_as<join_group_request>(frame).ack_id, value) << frame;
    }
}

TEST(JsonDecode, AckIdRejectsAnythingButAUint64) {
    for (const char* text :
         {"18446744073709551616", "99999999999999999999999", "-1", "-0", "1.0", "1.5", "1e3", "1E0", "01",
          "\"1\"", "true", "[1]", "{}", "0x10", "1x", "+1", "Infinity", "NaN"}) {
        auto frame = std::string(R"({"type":"joinGroup","group":"g","ackId":)") + text + "}";
        EXPECT_EQ(rejection(frame), "'ackId' is not a uint64") << frame;
    }
}

TEST(JsonDecode, AckIdIsCheckedForEveryType) {
    EXPECT_EQ(rejection(R"({"type":"ping","ackId":"1"})"), "'ackId' is not a uint64");
    EXPECT_EQ(rejection(R"({"type":"sequenceAck","sequenceId":1,"ackId":-5})"), "'ackId' is not a uint64");
}

TEST(JsonDecode, SequenceIdRejectsAnythingButAUint64) {
    for (const char* text : {"-1", "1.5", "\"5\"", "18446744073709551616", "false"}) {
        auto frame = std::string(R"({"type":"sequenceAck","sequenceId":)") + text + "}";
        EXPECT_EQ(rejection(frame), "'sequenceId' is not a uint64") << frame;
    }
    EXPECT_EQ(rejection(R"({"type":"sequenceAck"})"), "missing 'sequenceId'");
}

// Decoding: each invalid case of spec 4.1.

TEST(JsonDecode, RejectsWhatIsNotOneJsonObject) {
    for (const char* frame : {"[]", "[{\"type\":\"ping\"}]", "\"ping\"", "1", "null", "true"}) {
        EXPECT_EQ(rejection(frame), "message is not a JSON object") << frame;
    }
    for (const char* frame :
         {"", " ", "{", "{\"type\":\"ping\"", "{\"type\":\"ping\"}}", "{\"type\":\"ping\"} x",
          "{\"type\":\"ping\"}{\"type\":\"ping\"}", "{\"type\":\"ping\",}", "{\"type\" \"ping\"}",
          "{type:\"ping\"}", "{'type':'ping'}", "{\"type\":\"ping\" \"group\":\"g\"}",
          "{\"type\":\"pi\tng\"}"}) {
        EXPECT_EQ(rejection(frame), "invalid JSON") << frame;
    }
}

TEST(JsonDecode, RejectsAnEmptyViewWithoutData) {
    EXPECT_EQ(rejection(std::string_view{}), "invalid JSON");
}

TEST(JsonDecode, RejectsInvalidUtf8Anywhere) {
    EXPECT_EQ(rejection("{\"type\":\"ping\",\"x\":\"\xff\"}"), "invalid JSON");
    EXPECT_EQ(rejection("{\"type\":\"joinGroup\",\"group\":\"\xc3\"}"), "invalid JSON");
}

TEST(JsonDecode, RejectsMissingOrNonStringType) {
    EXPECT_EQ(rejection(R"({})"), "missing 'type'");
    EXPECT_EQ(rejection(R"({"group":"g"})"), "missing 'type'");
    EXPECT_EQ(rejection(R"({"Type":"ping"})"), "missing 'type'");
    EXPECT_EQ(rejection(R"({"type":1})"), "'type' is not a string");
    EXPECT_EQ(rejection(R"({"type":null})"), "'type' is not a string");
    EXPECT_EQ(rejection(R"({"type":["ping"]})"), "'type' is not a string");
}

TEST(JsonDecode, RejectsUnknownType) {
    for (const char* type :
         {"", "pong", "ack", "message", "invokeResponse", "streamData", "join_group", "ping "}) {
        auto frame = std::string(R"({"type":")") + type + R"("})";
        EXPECT_EQ(rejection(frame), "unknown 'type'") << frame;
    }
}

TEST(JsonDecode, RejectsMissingOrInvalidGroup) {
    for (const char* type : {"joinGroup", "leaveGroup", "sendToGroup"}) {
        const std::string head = std::string(R"({"type":")") + type + R"(","data":1,)";
        EXPECT_EQ(rejection(head + R"("x":1})"), "missing 'group'") << type;
        EXPECT_EQ(rejection(head + R"("group":1})"), "'group' is not a string") << type;
        EXPECT_EQ(rejection(head + R"("group":null})"), "'group' is not a string") << type;
        EXPECT_EQ(rejection(head + R"("group":""})"), "invalid group name") << type;
        EXPECT_EQ(rejection(head + R"("group":" \t\u3000"})"), "invalid group name") << type;
        EXPECT_EQ(rejection(head + R"("group":")" + std::string(1025, 'g') + R"("})"), "invalid group name")
            << type;
        EXPECT_EQ(rejection(head + R"("group":"\ud800"})"), "'group' is not a string") << type;
    }
    decode_as<join_group_request>(std::string(R"({"type":"joinGroup","group":")") + std::string(1024, 'g') +
                                  "\"}");
}

TEST(JsonDecode, RejectsMissingOrInvalidEvent) {
    EXPECT_EQ(rejection(R"({"type":"event","data":1})"), "missing 'event'");
    EXPECT_EQ(rejection(R"({"type":"event","event":5,"data":1})"), "'event' is not a string");
    for (const char* name : {"", "1e", "my event", "e/f", "\u00e9"}) {
        auto frame = std::string(R"({"type":"event","data":1,"event":")") + name + R"("})";
        EXPECT_EQ(rejection(frame), "invalid event name") << frame;
    }
}

TEST(JsonDecode, RejectsMissingData) {
    EXPECT_EQ(rejection(R"({"type":"sendToGroup","group":"g"})"), "missing 'data'");
    EXPECT_EQ(rejection(R"({"type":"event","event":"e","dataType":"text"})"), "missing 'data'");
}

TEST(JsonDecode, RejectsUnknownOrNonStringDataType) {
    EXPECT_EQ(rejection(R"({"type":"event","event":"e","dataType":"xml","data":"x"})"), "unknown 'dataType'");
    EXPECT_EQ(rejection(R"({"type":"event","event":"e","dataType":"","data":"x"})"), "unknown 'dataType'");
    EXPECT_EQ(rejection(R"({"type":"event","event":"e","dataType":1,"data":"x"})"),
              "'dataType' is not a string");
    EXPECT_EQ(rejection(R"({"type":"event","event":"e","dataType":null,"data":"x"})"),
              "'dataType' is not a string");
}

TEST(JsonDecode, RejectsProtobufDataFromJsonClients) {
    EXPECT_EQ(rejection(R"({"type":"sendToGroup","group":"g","dataType":"protobuf","data":"AAA="})"),
              "'dataType' protobuf is not accepted from JSON clients");
    EXPECT_EQ(rejection(R"({"type":"event","event":"e","dataType":"Protobuf","data":"AAA="})"),
              "'dataType' protobuf is not accepted from JSON clients");
}

TEST(JsonDecode, RejectsTextDataThatIsNotAString) {
    for (const char* data : {"1", "null", "true", "{}", "[\"a\"]"}) {
        auto frame =
            std::string(R"({"type":"sendToGroup","group":"g","dataType":"text","data":)") + data + "}";
        EXPECT_EQ(rejection(frame), "'data' is not a string") << frame;
    }
    // A lone surrogate has no UTF-8 form.
    EXPECT_EQ(rejection(R"({"type":"sendToGroup","group":"g","dataType":"text","data":"\udc00"})"),
              "'data' is not a valid string");
}

TEST(JsonDecode, RejectsBinaryDataThatIsNotBase64) {
    const std::string not_base64 = "'data' is not valid base64";
    const std::string not_a_string = "'data' is not a string";
    const std::vector<std::pair<std::string, std::string>> cases{
        {"\"aGk\"", not_base64},      {"\"a!k=\"", not_base64}, {"\"aGk= \"", not_base64},
        {"\"aGk=aGk=\"", not_base64}, {"12", not_a_string},     {"null", not_a_string},
        {"[\"aGk=\"]", not_a_string},
    };
    for (const auto& [data, expected] : cases) {
        auto frame = std::string(R"({"type":"event","event":"e","dataType":"binary","data":)") + data + "}";
        EXPECT_EQ(rejection(frame), expected) << frame;
    }
    EXPECT_EQ(rejection(R"({"type":"event","event":"e","dataType":"binary","data":"aGk"})"),
              "'data' is not valid base64");
    EXPECT_EQ(rejection(R"({"type":"event","event":"e","dataType":"binary","data":12})"),
              "'data' is not a string");
}

TEST(JsonDecode, RejectsNullJsonData) {
    EXPECT_EQ(rejection(R"({"type":"sendToGroup","group":"g","data":null})"), "'data' is null");
    EXPECT_EQ(rejection(R"({"type":"event","event":"e","dataType":"json","data":null})"), "'data' is null");
}

TEST(JsonDecode, RejectsJsonDataThatIsNotValidJson) {
    // On-Demand skips over these without looking inside; they must not reach other clients.
    for (const char* data :
         {"{\"a\":tru}", "[1}", "{\"a\" 1}", "[1 2]", "[1,]", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "[-]",
          "[1e]", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "[nul]", "{1:2}", "[\"a\"\"b\"]", "[truefalse]"}) {
        auto frame = std::string(R"({"type":"sendToGroup","group":"g","data":)") + data + "}";
        auto reason = rejection(frame);
        EXPECT_TRUE(reason.has_value()) << frame;
    }
    EXPECT_EQ(rejection(R"({"type":"sendToGroup","group":"g","data":{"a":tru}})"),
              "'data' is not valid JSON");
    EXPECT_EQ(rejection(R"({"type":"sendToGroup","group":"g","data":[1 2]})"), "'data' is not valid JSON");
}

TEST(JsonDecode, RejectsNoEchoThatIsNotABoolean) {
    for (const char* value : {"1", "\"true\"", "null", "[]"}) {
        auto frame = std::string(R"({"type":"sendToGroup","group":"g","data":1,"noEcho":)") + value + "}";
        EXPECT_EQ(rejection(frame), "'noEcho' is not a boolean") << frame;
    }
}

TEST(JsonDecode, NestingIsLimitedTo64Levels) {
    // The frame's object is level 1, so data may open 63 more.
    const auto frame_with_depth = [](int data_depth) {
        return std::string(R"({"type":"sendToGroup","group":"g","data":)") + std::string(data_depth, '[') +
               std::string(data_depth, ']') + "}";
    };
    decode_as<send_to_group_request>(frame_with_depth(63));
    EXPECT_EQ(rejection(frame_with_depth(64)), "'data' is not valid JSON");
    EXPECT_EQ(rejection(frame_with_depth(100000)), "'data' is not valid JSON");
}

TEST(JsonDecode, BytesOfAnEarlierLongerFrameDoNotLeakIntoTheNext) {
    // The padded copy is reused between calls: only this frame's length may be parsed, or a
    // truncated frame would be completed by what the previous one left in the buffer.
    decode_as<sequence_ack_request>(R"({"type":"sequenceAck","sequenceId":123456789})");
    EXPECT_TRUE(rejection(R"({"type":"sequenceAck","sequenceId":1)").has_value());
    EXPECT_EQ(decode_as<sequence_ack_request>(R"({"type":"sequenceAck","sequenceId":1})").sequence_id, 1u);
}

// Decoding: json data is kept as its verbatim text.

TEST(JsonDecode, JsonDataIsKeptVerbatim) {
    for (const char* data : {
             R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})",
             R"({ "spaced" : [ 1 , 2 ] , "nested" : { "deeper" : [ [ ] , { } ] } })",
             R"([])",
             R"({})",
             R"([1,"two",{"three":3.0}])",
             R"(0)",
             R"(-0)",
             R"(42)",
             R"(-1.5e-300)",
             R"(1E+2)",
             R"(100000000000000000000)",            // what JSON.stringify writes for 1e20
             R"(123456789012345678901234567890.5)", // beyond any double's precision: passed through
             R"("hello")",
             R"("")",
             R"("quote \" backslash \\ slash \/ \b\f\n\r\t \u0000 \u00e9 \ud83d\ude00")",
             R"("\udc00 lone surrogate escapes are grammatical JSON")",
             R"(true)",
             R"(false)",
             "{\"unicode\":\"\xe7\xbe\xa4 \xf0\x9f\x98\x80\"}",
         }) {
        auto frame = std::string(R"({"type":"sendToGroup","group":"g","data":)") + data + R"(,"ackId":1})";
        auto request = decode_as<send_to_group_request>(frame);
        EXPECT_EQ(request.data.type, data_type::json);
        EXPECT_EQ(request.data.bytes, data) << frame;
        // Also as the last property, where the closing brace of the frame follows directly.
        auto last = std::string(R"({"type":"event","event":"e","data":)") + data + "}";
        EXPECT_EQ(decode_as<event_request>(last).data.bytes, data) << last;
    }
}

TEST(JsonDecode, JsonDataLosesOnlySurroundingWhitespace) {
    auto request = decode_as<event_request>("{\"type\":\"event\",\"event\":\"e\",\"data\": \n\t 12 \r\n}");
    EXPECT_EQ(request.data.bytes, "12");
}

// Encoding: exact shapes of spec 4.4.

TEST(JsonEncode, Ack) {
    EXPECT_EQ(encode_ack(1), R"({"type":"ack","ackId":1,"success":true})");
    EXPECT_EQ(encode_ack(0), R"({"type":"ack","ackId":0,"success":true})");
    EXPECT_EQ(encode_ack(UINT64_MAX), R"({"type":"ack","ackId":18446744073709551615,"success":true})");
}

TEST(JsonEncode, AckError) {
    EXPECT_EQ(encode_ack_error(5, "Duplicate", "Message with ack-id: 5 has been processed"),
              R"({"type":"ack","ackId":5,"success":false,"error":{"name":"Duplicate",)"
              R"("message":"Message with ack-id: 5 has been processed"}})");
    EXPECT_EQ(encode_ack_error(2, "Forbidden", "The client does not have permission to join group 'a\"b'."),
              R"({"type":"ack","ackId":2,"success":false,"error":{"name":"Forbidden",)"
              R"("message":"The client does not have permission to join group 'a\"b'."}})");
}

TEST(JsonEncode, GroupMessageOfEveryDataType) {
    EXPECT_EQ(
        encode_group_message("g", std::nullopt, {data_type::json, R"({"a":[1,2]})"}),
        R"({"type":"message","from":"group","group":"g","fromUserId":null,"dataType":"json","data":{"a":[1,2]}})");
    EXPECT_EQ(
        encode_group_message("g", std::string("u1"), {data_type::text, "hi \"there\""}),
        R"({"type":"message","from":"group","group":"g","fromUserId":"u1","dataType":"text","data":"hi \"there\""})");
    EXPECT_EQ(
        encode_group_message("g", std::nullopt, {data_type::binary, std::string("\x00\x01\xff", 3)}),
        R"({"type":"message","from":"group","group":"g","fromUserId":null,"dataType":"binary","data":"AAH/"})");
    EXPECT_EQ(
        encode_group_message("g", std::nullopt, {data_type::protobuf, "hi"}),
        R"({"type":"message","from":"group","group":"g","fromUserId":null,"dataType":"protobuf","data":"aGk="})");
    EXPECT_EQ(
        encode_group_message("g", std::string(""), {data_type::binary, ""}),
        R"({"type":"message","from":"group","group":"g","fromUserId":"","dataType":"binary","data":""})");
}

TEST(JsonEncode, ServerMessage) {
    EXPECT_EQ(encode_server_message({data_type::json, R"("hello")"}),
              R"({"type":"message","from":"server","dataType":"json","data":"hello"})");
    EXPECT_EQ(encode_server_message({data_type::text, "line\n"}),
              R"({"type":"message","from":"server","dataType":"text","data":"line\n"})");
    EXPECT_EQ(encode_server_message({data_type::binary, "hi!"}),
              R"({"type":"message","from":"server","dataType":"binary","data":"aGkh"})");
}

TEST(JsonEncode, SystemMessagesAndPong) {
    EXPECT_EQ(encode_connected(std::nullopt, "conn1"),
              R"({"type":"system","event":"connected","userId":null,"connectionId":"conn1"})");
    EXPECT_EQ(encode_connected(std::string("user"), "c"),
              R"({"type":"system","event":"connected","userId":"user","connectionId":"c"})");
    EXPECT_EQ(encode_disconnected("Connection closed by the server."),
              R"({"type":"system","event":"disconnected","message":"Connection closed by the server."})");
    EXPECT_EQ(encode_pong(), R"({"type":"pong"})");
}

TEST(JsonEncode, ReliableConnectedCarriesTheReconnectionToken) {
    EXPECT_EQ(encode_connected(std::string("u"), "c", "tok.en-_"),
              R"({"type":"system","event":"connected","userId":"u","connectionId":"c",)"
              R"("reconnectionToken":"tok.en-_"})");
    EXPECT_EQ(
        encode_connected(std::nullopt, "c", "t"),
        R"({"type":"system","event":"connected","userId":null,"connectionId":"c","reconnectionToken":"t"})");
}

// Spec 5.1: the prefix and the shared body make the plain message plus `sequenceId` first.
TEST(JsonEncode, SequencePrefixAndBodyMakeTheNumberedMessage) {
    const std::string message = encode_group_message("g", std::string("u"), {data_type::text, "hi"});
    const std::string_view body = json_sequenced_body(message);
    EXPECT_EQ(body.size() + 1, message.size());
    EXPECT_EQ(json_sequence_prefix(1) + std::string(body),
              R"({"sequenceId":1,"type":"message","from":"group","group":"g","fromUserId":"u",)"
              R"("dataType":"text","data":"hi"})");
    EXPECT_EQ(json_sequence_prefix(18446744073709551615ULL), R"({"sequenceId":18446744073709551615,)");
    for (const std::uint64_t id : {1ULL, 9ULL, 10ULL, 99ULL, 100ULL, 18446744073709551615ULL}) {
        EXPECT_EQ(json_sequence_prefix_size(id), json_sequence_prefix(id).size()) << id;
    }
    simdjson::dom::parser parser;
    auto numbered = parse_dom(
        parser, json_sequence_prefix(42) +
                    std::string(json_sequenced_body(encode_server_message({data_type::json, "[1]"}))));
    EXPECT_EQ(std::uint64_t(numbered["sequenceId"]), 42u);
}

TEST(JsonEncode, EscapesQuotesBackslashesAndControlCharacters) {
    std::string out;
    append_json_string(out, std::string("a\"b\\c/\b\f\n\r\t\x01\x1f\x7f\0z", 16));
    EXPECT_EQ(out, R"("a\"b\\c/\b\f\n\r\t\u0001\u001f)"
                   "\x7f"
                   R"(\u0000z")");
}

TEST(JsonEncode, AppendsAfterExistingContent) {
    std::string out = "prefix:";
    append_json_string(out, "x");
    append_json_string(out, "");
    EXPECT_EQ(out, R"(prefix:"x""")");
}

TEST(JsonEncode, EveryByteBelow0x80AndMultibyteTextRoundTripsThroughAJsonParser) {
    std::string tricky;
    for (int c = 0; c < 0x80; ++c) {
        tricky.push_back(static_cast<char>(c));
    }
    tricky += "\xc3\xa9 \xe2\x80\xa8 \xe2\x80\xa9 \xef\xbf\xbf \xf0\x9f\x98\x80 \\u0041 \"\"";
    simdjson::dom::parser parser;
    for (const std::string& text : {tricky, std::string("\\"), std::string("\""), std::string()}) {
        std::string out;
        append_json_string(out, text);
        std::string_view parsed;
        ASSERT_EQ(parser.parse(out).get(parsed), simdjson::SUCCESS) << out;
        EXPECT_EQ(parsed, text);
    }
}

/// The plain byte-at-a-time escaping append_json_string must agree with.
std::string reference_escape(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0x0f];
            } else {
                out += ch;
            }
        }
    }
    return out + "\"";
}

TEST(JsonEncode, EscapesASpecialByteAtEveryOffsetOfTheWordScan) {
    // The scanner tests eight bytes at a time; put each byte that matters before, inside and
    // after every word, among neighbours that must not be mistaken for it.
    for (char special : {'"', '\\', '\0', '\x01', '\x1f', '\n'}) {
        for (std::size_t at = 0; at < 24; ++at) {
            for (char filler : {'a', '!', '#', '[', ']', '\x20', '\x7f', '\x80'}) {
                std::string text(24, filler);
                text[at] = special;
                std::string out;
                append_json_string(out, text);
                EXPECT_EQ(out, reference_escape(text)) << "offset " << at << " byte " << int(special);
            }
        }
    }
}

TEST(JsonDecode, EscapesAtEveryOffsetOfJsonDataStringsAreChecked) {
    for (std::size_t at = 0; at < 24; ++at) {
        std::string content(24, 'x');
        content.replace(at, 1, "\\\"");
        const std::string data = "\"" + content + "\"";
        auto request = decode_as<event_request>(R"({"type":"event","event":"e","data":)" + data + "}");
        EXPECT_EQ(request.data.bytes, data);
        std::string bad = content;
        bad.replace(at, 2, "\\q");
        EXPECT_EQ(rejection(R"({"type":"event","event":"e","data":")" + bad + "\"}"),
                  "'data' is not valid JSON")
            << bad;
    }
}

// Round trips: encode, then read back with an independent parser (simdjson DOM).

TEST(JsonRoundTrip, GroupMessageFieldsReadBack) {
    simdjson::dom::parser parser;
    const std::string group = "g \"1\"\n\\";
    const std::string user = "user\t\x01\xe2\x82\xac";
    const std::string text = "text with \"quotes\" and \x1b escapes";
    auto json = encode_group_message(group, user, {data_type::text, text});
    auto root = parse_dom(parser, json);
    EXPECT_EQ(dom_string(root, "type"), "message");
    EXPECT_EQ(dom_string(root, "from"), "group");
    EXPECT_EQ(dom_string(root, "group"), group);
    EXPECT_EQ(dom_string(root, "fromUserId"), user);
    EXPECT_EQ(dom_string(root, "dataType"), "text");
    EXPECT_EQ(dom_string(root, "data"), text);
}

TEST(JsonRoundTrip, DecodedJsonDataReEncodesToTheSameValue) {
    simdjson::dom::parser parser;
    for (const char* data : {R"({"k":[1,-2.5,"s\"t",null,{"x":{}}]})", R"("\ud83d\ude00 \u0000")",
                             R"(1.25e3)", R"([ true , false ])"}) {
        auto frame = std::string(R"({"type":"sendToGroup","group":"room","data":)") + data + "}";
        auto request = decode_as<send_to_group_request>(frame);
        auto json = encode_group_message(request.group, std::nullopt, request.data);
        auto root = parse_dom(parser, json);
        EXPECT_EQ(dom_string(root, "dataType"), "json");
        EXPECT_TRUE(root["fromUserId"].is_null());
        // Minified both ways, the embedded value equals the one the client sent.
        simdjson::dom::parser original_parser;
        auto original = parse_dom(original_parser, data);
        EXPECT_EQ(simdjson::minify(root["data"]), simdjson::minify(original)) << json;
    }
}

// invoke / cancelInvocation / ttlSeconds (docs/protocol.md, invoke).

TEST(JsonDecode, InvokeAsTheJsClientWritesIt) {
    const auto invoke = decode_as<invoke_request>(
        R"({"type":"invoke","invocationId":"1","target":"event","event":"calc","dataType":"json","data":{"a":1}})");
    EXPECT_EQ(invoke.invocation_id, "1");
    EXPECT_EQ(invoke.event, "calc");
    EXPECT_TRUE(invoke.targets_event);
    ASSERT_TRUE(invoke.data.has_value());
    EXPECT_EQ(invoke.data->type, data_type::json);
    EXPECT_EQ(invoke.data->bytes, R"({"a":1})");
}

TEST(JsonDecode, InvokeWithoutPayloadOrTarget) {
    const auto invoke = decode_as<invoke_request>(R"({"type":"invoke","invocationId":"x-1","event":"e"})");
    EXPECT_TRUE(invoke.targets_event);
    EXPECT_FALSE(invoke.data.has_value());
    EXPECT_TRUE(
        decode_as<invoke_request>(R"({"type":"invoke","invocationId":"2","target":"Event","event":"e"})")
            .targets_event);
}

TEST(JsonDecode, InvokeOfAnotherTargetIsAnsweredNotRejected) {
    const auto invoke = decode_as<invoke_request>(R"({"type":"invoke","invocationId":"1","target":"group"})");
    EXPECT_FALSE(invoke.targets_event);
    EXPECT_EQ(invoke.invocation_id, "1");
}

TEST(JsonDecode, CancelInvocation) {
    EXPECT_EQ(decode_as<cancel_invocation_request>(R"({"type":"cancelInvocation","invocationId":"7"})")
                  .invocation_id,
              "7");
}

TEST(JsonDecode, RejectsMalformedInvocations) {
    const std::string longest(max_invocation_id_bytes, 'i');
    EXPECT_EQ(decode_as<cancel_invocation_request>(R"({"type":"cancelInvocation","invocationId":")" +
                                                   longest + R"("})")
                  .invocation_id,
              longest);
    EXPECT_EQ(rejection(R"({"type":"invoke","event":"e"})"), "missing 'invocationId'");
    EXPECT_EQ(rejection(R"({"type":"invoke","invocationId":1,"event":"e"})"),
              "'invocationId' is not a string");
    EXPECT_EQ(rejection(R"({"type":"invoke","invocationId":"","event":"e"})"),
              "'invocationId' is empty or too long");
    EXPECT_EQ(rejection(R"({"type":"cancelInvocation","invocationId":")" + longest + R"(i"})"),
              "'invocationId' is empty or too long");
    EXPECT_EQ(rejection(R"({"type":"cancelInvocation"})"), "missing 'invocationId'");
    EXPECT_EQ(rejection(R"({"type":"invoke","invocationId":"1"})"), "missing 'event'");
    EXPECT_EQ(rejection(R"({"type":"invoke","invocationId":"1","event":"1e"})"), "invalid event name");
    EXPECT_EQ(rejection(R"({"type":"invoke","invocationId":"1","target":2,"event":"e"})"),
              "'target' is not a string");
    EXPECT_EQ(rejection(R"({"type":"invoke","invocationId":"1","event":"e","dataType":"text"})"),
              "missing 'data'");
    EXPECT_EQ(rejection(R"({"type":"invoke","invocationId":"1","event":"e","data":null})"), "'data' is null");
}

TEST(JsonDecode, SendToGroupTtlSeconds) {
    EXPECT_EQ(decode_as<send_to_group_request>(R"({"type":"sendToGroup","group":"g","data":1})").ttl_seconds,
              0U);
    EXPECT_EQ(
        decode_as<send_to_group_request>(R"({"type":"sendToGroup","group":"g","data":1,"ttlSeconds":300})")
            .ttl_seconds,
        300U);
    for (const char* ttl : {"301", "-1", "1.5", "\"5\"", "18446744073709551616"}) {
        const std::string frame =
            std::string(R"({"type":"sendToGroup","group":"g","data":1,"ttlSeconds":)") + ttl + "}";
        EXPECT_EQ(rejection(frame), "'ttlSeconds' is not an integer from 0 to 300") << frame;
    }
}

TEST(JsonDecode, MetadataOfSendToGroupAndEvent) {
    const auto send = decode_as<send_to_group_request>(
        R"({"type":"sendToGroup","group":"g","data":1,"metadata":{"trace":"t-1","Kind":"x y"}})");
    EXPECT_EQ(send.data.metadata, (message_metadata{{"trace", "t-1"}, {"Kind", "x y"}}));
    const auto event = decode_as<event_request>(
        R"({"type":"event","event":"e","metadata":{"a":"b"},"dataType":"text","data":"t"})");
    EXPECT_EQ(event.data.metadata, (message_metadata{{"a", "b"}}));
    EXPECT_TRUE(
        decode_as<send_to_group_request>(R"({"type":"sendToGroup","group":"g","data":1,"metadata":null})")
            .data.metadata.empty());
}

TEST(JsonDecode, RejectsInvalidMetadata) {
    for (const char* metadata : {"1", "\"x\"", "[]", R"({"k":1})", R"({"k":{"a":"b"}})", R"({"k":null})"}) {
        const std::string frame =
            std::string(R"({"type":"sendToGroup","group":"g","data":1,"metadata":)") + metadata + "}";
        EXPECT_EQ(rejection(frame), "'metadata' is not an object of strings") << frame;
    }
    EXPECT_EQ(rejection(R"({"type":"sendToGroup","group":"g","data":1,"metadata":{"a b":"v"}})"),
              "a metadata key is not 1-256 characters of an HTTP header name");
    EXPECT_EQ(rejection(R"({"type":"event","event":"e","data":1,"metadata":{"k":"\u00e9"}})"),
              "a metadata value is not at most 1024 printable ASCII characters");
    EXPECT_EQ(rejection(R"({"type":"sendToGroup","group":"g","data":1,"metadata":{"k":"1","K":"2"}})"),
              "a metadata key appears twice");
}

TEST(JsonEncode, MessagesCarryTheirMetadata) {
    message_data data{data_type::text, "hi", {{"trace", "t \"1\""}, {"b", ""}}};
    EXPECT_EQ(
        encode_group_message("g", std::nullopt, data),
        R"({"type":"message","from":"group","group":"g","fromUserId":null,"dataType":"text","data":"hi",)"
        R"("metadata":{"trace":"t \"1\"","b":""}})");
    EXPECT_EQ(
        encode_server_message(data),
        R"({"type":"message","from":"server","dataType":"text","data":"hi","metadata":{"trace":"t \"1\"","b":""}})");
    EXPECT_EQ(encode_server_message(message_data{data_type::text, "hi"}),
              R"({"type":"message","from":"server","dataType":"text","data":"hi"})")
        << "no metadata member without metadata";
}

TEST(JsonEncode, InvokeResponses) {
    EXPECT_EQ(encode_invoke_response("1", std::nullopt),
              R"({"type":"invokeResponse","invocationId":"1","success":true})");
    EXPECT_EQ(
        encode_invoke_response("a\"b", message_data{data_type::json, R"({"x":[1]})"}),
        R"({"type":"invokeResponse","invocationId":"a\"b","success":true,"dataType":"json","data":{"x":[1]}})");
    EXPECT_EQ(
        encode_invoke_response("2", message_data{data_type::binary, "\x01\x02"}),
        R"({"type":"invokeResponse","invocationId":"2","success":true,"dataType":"binary","data":"AQI="})");
    EXPECT_EQ(encode_invoke_error("3", "InternalServerError", "The event handler answered 500."),
              R"({"type":"invokeResponse","invocationId":"3","success":false,)"
              R"("error":{"name":"InternalServerError","message":"The event handler answered 500."}})");
}

TEST(JsonRoundTrip, DecodedBinaryAndTextDataReEncodeToWhatTheClientSent) {
    auto binary = decode_as<send_to_group_request>(
        R"({"type":"sendToGroup","group":"g","dataType":"binary","data":"AAECAwQFBgcICQ=="})");
    EXPECT_EQ(encode_server_message(binary.data),
              R"({"type":"message","from":"server","dataType":"binary","data":"AAECAwQFBgcICQ=="})");
    auto text = decode_as<send_to_group_request>(
        R"({"type":"sendToGroup","group":"g","dataType":"Text","data":"a\"b\nc"})");
    EXPECT_EQ(encode_server_message(text.data),
              R"({"type":"message","from":"server","dataType":"text","data":"a\"b\nc"})");
}

TEST(JsonRoundTrip, AckAndConnectedReadBack) {
    simdjson::dom::parser parser;
    auto ack = parse_dom(parser, encode_ack_error(UINT64_MAX, "InternalServerError", "bad \"thing\""));
    std::uint64_t ack_id = 0;
    ASSERT_EQ(ack["ackId"].get(ack_id), simdjson::SUCCESS);
    EXPECT_EQ(ack_id, UINT64_MAX);
    bool success = true;
    ASSERT_EQ(ack["success"].get(success), simdjson::SUCCESS);
    EXPECT_FALSE(success);
    EXPECT_EQ(dom_string(ack["error"], "message"), "bad \"thing\"");

    auto connected = parse_dom(parser, encode_connected(std::string("\xf0\x9f\x98\x80"), "id\\1"));
    EXPECT_EQ(dom_string(connected, "userId"), "\xf0\x9f\x98\x80");
    EXPECT_EQ(dom_string(connected, "connectionId"), "id\\1");
}

} // namespace

// libFuzzer target for decode_json_request (src/protocol/json_protocol.cpp).
//
// The input is one client frame. Whatever the bytes, decoding must not crash and must either
// reject with a usable close reason or return a request whose fields hold the promises of
// json_protocol.hpp. An accepted request is then encoded back (server message, and a client frame
// rebuilt from the fields) and the results are checked with independent means: simdjson's DOM for
// JSON validity, a second decode for field equality. A violation aborts, which libFuzzer reports.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <simdjson.h>

#include "fuzz_check.hpp"
#include "protocol/json_protocol.hpp"
#include "protocol/names.hpp"
#include "util/base64.hpp"

namespace {

using namespace hubcast::protocol;

constexpr std::size_t max_close_reason = 123; // RFC 6455 section 5.5: 125-byte control payload

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// simdjson's DOM refuses two kinds of valid JSON that clients may send and the decoder passes
/// through: numbers it cannot represent (1e400, integers beyond 64 bits) and escaped surrogates
/// that do not pair up. This rewrites both without changing whether the text is grammatical, so
/// the DOM can then judge it: each digit run becomes "1", or "0"/"00" when it starts with 0 (so
/// a forbidden leading zero stays forbidden); each \uD800-\uDFFF escape becomes \u0041.
std::string normalise_for_dom(std::string_view json) {
    std::string out;
    out.reserve(json.size());
    bool in_string = false;
    std::size_t i = 0;
    while (i < json.size()) {
        const char c = json[i];
        if (in_string) {
            if (c == '\\' && i + 1 < json.size()) {
                const bool surrogate =
                    json[i + 1] == 'u' && i + 5 < json.size() && (json[i + 2] == 'd' || json[i + 2] == 'D') &&
                    std::string_view("89abcdefABCDEF").find(json[i + 3]) != std::string_view::npos &&
                    is_hex(json[i + 4]) && is_hex(json[i + 5]);
                out += surrogate ? std::string_view("\\u0041") : json.substr(i, 2);
                i += surrogate ? 6 : 2;
                continue;
            }
            in_string = c != '"';
            out += c;
            ++i;
            continue;
        }
        if (is_digit(c)) {
            std::size_t end = i;
            while (end < json.size() && is_digit(json[end])) {
                ++end;
            }
            out += c != '0' ? "1" : (end - i > 1 ? "00" : "0");
            i = end;
            continue;
        }
        in_string = c == '"';
        out += c;
        ++i;
    }
    return out;
}

simdjson::dom::element parse_or_abort(simdjson::dom::parser& parser, std::string_view json) {
    const std::string normalised = normalise_for_dom(json);
    simdjson::dom::element element;
    const auto error = parser.parse(normalised).get(element);
    if (error != simdjson::SUCCESS) {
        std::fprintf(stderr, "not valid JSON (%s): %.*s\n", simdjson::error_message(error),
                     static_cast<int>(json.size() > 2000 ? 2000 : json.size()), json.data());
    }
    FUZZ_CHECK(error == simdjson::SUCCESS);
    return element;
}

bool same_data(const message_data& a, const message_data& b) {
    return a.type == b.type && a.bytes == b.bytes && a.metadata == b.metadata;
}

/// `,"metadata":{...}` as a client writes it; checks the promises of metadata_error first.
void append_client_metadata(std::string& frame, const message_metadata& metadata) {
    FUZZ_CHECK(metadata_error(metadata).empty());
    if (metadata.empty()) {
        return;
    }
    frame += R"(,"metadata":{)";
    for (std::size_t i = 0; i < metadata.size(); ++i) {
        if (i > 0) {
            frame += ',';
        }
        append_json_string(frame, metadata[i].first);
        frame += ':';
        append_json_string(frame, metadata[i].second);
    }
    frame += '}';
}

void check_data(const message_data& data) {
    FUZZ_CHECK(data.type != data_type::protobuf);
    if (data.type == data_type::text) {
        FUZZ_CHECK(simdjson::validate_utf8(data.bytes.data(), data.bytes.size()));
    }
    if (data.type == data_type::json) {
        FUZZ_CHECK(!data.bytes.empty());
        simdjson::dom::parser parser;
        FUZZ_CHECK(!parse_or_abort(parser, data.bytes).is_null());
    }
}

/// Encodes `data` the way a client would put it in a frame.
void append_client_data(std::string& frame, const message_data& data) {
    frame += R"("dataType":")";
    frame += to_string(data.type);
    frame += R"(","data":)";
    if (data.type == data_type::json) {
        frame += data.bytes;
    } else if (data.type == data_type::text) {
        append_json_string(frame, data.bytes);
    } else {
        frame += '"' + hubcast::util::base64_encode(data.bytes) + '"';
    }
}

void append_ack_id(std::string& frame, std::optional<std::uint64_t> ack_id) {
    if (ack_id) {
        frame += R"(,"ackId":)" + std::to_string(*ack_id);
    }
}

/// The server's message for `data` must be valid JSON that reads back to the same fields.
void check_server_encoding(std::string_view group, const message_data& data) {
    simdjson::dom::parser parser;
    const std::string message = encode_group_message(group, std::string(group), data);
    const auto root = parse_or_abort(parser, message);
    std::string_view text;
    FUZZ_CHECK(root["group"].get(text) == simdjson::SUCCESS && text == group);
    FUZZ_CHECK(root["fromUserId"].get(text) == simdjson::SUCCESS && text == group);
    FUZZ_CHECK(root["dataType"].get(text) == simdjson::SUCCESS && text == to_string(data.type));
    if (data.type == data_type::text) {
        FUZZ_CHECK(root["data"].get(text) == simdjson::SUCCESS && text == data.bytes);
    } else if (data.type == data_type::binary) {
        FUZZ_CHECK(root["data"].get(text) == simdjson::SUCCESS &&
                   hubcast::util::base64_decode(text) == data.bytes);
    }
    parse_or_abort(parser, encode_server_message(data));
}

template <typename T> T redecode(const std::string& frame) {
    auto again = decode_json_request(frame);
    if (!again) {
        std::fprintf(stderr, "rebuilt frame rejected (%s): %s\n", again.error().reason.c_str(),
                     frame.c_str());
    }
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(std::holds_alternative<T>(*again));
    return std::get<T>(std::move(again).value());
}

struct request_checker {
    template <typename T> void group_request(const T& request, const char* type) {
        FUZZ_CHECK(is_valid_group_name(request.group));
        std::string frame = std::string(R"({"type":")") + type + R"(","group":)";
        append_json_string(frame, request.group);
        append_ack_id(frame, request.ack_id);
        frame += '}';
        const auto again = redecode<T>(frame);
        FUZZ_CHECK(again.group == request.group && again.ack_id == request.ack_id);
        simdjson::dom::parser parser;
        parse_or_abort(parser, encode_ack_error(request.ack_id.value_or(0), "Forbidden", request.group));
    }

    void operator()(const join_group_request& request) { group_request(request, "joinGroup"); }
    void operator()(const leave_group_request& request) { group_request(request, "leaveGroup"); }

    void operator()(const send_to_group_request& request) {
        FUZZ_CHECK(is_valid_group_name(request.group));
        check_data(request.data);
        check_server_encoding(request.group, request.data);
        std::string frame = R"({"type":"sendToGroup","group":)";
        append_json_string(frame, request.group);
        frame += request.no_echo ? R"(,"noEcho":true,)" : R"(,"noEcho":false,)";
        FUZZ_CHECK(request.ttl_seconds <= max_ttl_seconds);
        frame += R"("ttlSeconds":)" + std::to_string(request.ttl_seconds) + ',';
        append_client_data(frame, request.data);
        append_client_metadata(frame, request.data.metadata);
        append_ack_id(frame, request.ack_id);
        frame += '}';
        const auto again = redecode<send_to_group_request>(frame);
        FUZZ_CHECK(again.group == request.group && again.ack_id == request.ack_id);
        FUZZ_CHECK(again.no_echo == request.no_echo && same_data(again.data, request.data));
        FUZZ_CHECK(again.ttl_seconds == request.ttl_seconds);
    }

    void operator()(const event_request& request) {
        FUZZ_CHECK(is_valid_event_name(request.event));
        check_data(request.data);
        check_server_encoding(request.event, request.data);
        std::string frame = R"({"type":"event","event":)";
        append_json_string(frame, request.event);
        frame += ',';
        append_client_data(frame, request.data);
        append_client_metadata(frame, request.data.metadata);
        append_ack_id(frame, request.ack_id);
        frame += '}';
        const auto again = redecode<event_request>(frame);
        FUZZ_CHECK(again.event == request.event && again.ack_id == request.ack_id);
        FUZZ_CHECK(same_data(again.data, request.data));
    }

    void operator()(const sequence_ack_request& request) {
        const auto again = redecode<sequence_ack_request>(R"({"type":"sequenceAck","sequenceId":)" +
                                                          std::to_string(request.sequence_id) + "}");
        FUZZ_CHECK(again.sequence_id == request.sequence_id);
    }

    void operator()(const ping_request&) {}

    void operator()(const invoke_request& request) {
        FUZZ_CHECK(!request.invocation_id.empty() && request.invocation_id.size() <= max_invocation_id_bytes);
        std::string frame = R"({"type":"invoke","invocationId":)";
        append_json_string(frame, request.invocation_id);
        simdjson::dom::parser parser;
        if (!request.targets_event) {
            FUZZ_CHECK(request.event.empty() && !request.data);
            frame += R"(,"target":"other"})";
            const auto again = redecode<invoke_request>(frame);
            FUZZ_CHECK(!again.targets_event && again.invocation_id == request.invocation_id);
            parse_or_abort(parser,
                           encode_invoke_error(request.invocation_id, "BadRequest", request.invocation_id));
            return;
        }
        FUZZ_CHECK(is_valid_event_name(request.event));
        frame += R"(,"target":"event","event":)";
        append_json_string(frame, request.event);
        if (request.data) {
            check_data(*request.data);
            frame += ',';
            append_client_data(frame, *request.data);
        }
        frame += '}';
        const auto again = redecode<invoke_request>(frame);
        FUZZ_CHECK(again.targets_event && again.invocation_id == request.invocation_id &&
                   again.event == request.event);
        FUZZ_CHECK(again.data.has_value() == request.data.has_value());
        FUZZ_CHECK(!request.data || same_data(*again.data, *request.data));
        // The answer echoes the id and may carry any payload the decoder accepts.
        parse_or_abort(parser, encode_invoke_response(request.invocation_id, request.data));
    }

    void operator()(const cancel_invocation_request& request) {
        FUZZ_CHECK(!request.invocation_id.empty() && request.invocation_id.size() <= max_invocation_id_bytes);
        std::string frame = R"({"type":"cancelInvocation","invocationId":)";
        append_json_string(frame, request.invocation_id);
        frame += '}';
        FUZZ_CHECK(redecode<cancel_invocation_request>(frame).invocation_id == request.invocation_id);
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    const std::string_view frame(reinterpret_cast<const char*>(bytes), size);
    auto decoded = decode_json_request(frame);
    if (!decoded) {
        const std::string& reason = decoded.error().reason;
        FUZZ_CHECK(!reason.empty() && reason.size() <= max_close_reason);
        FUZZ_CHECK(simdjson::validate_utf8(reason.data(), reason.size()));
        return 0;
    }
    // A frame that decodes is valid UTF-8 (simdjson checks the whole input).
    FUZZ_CHECK(simdjson::validate_utf8(frame.data(), frame.size()));
    std::visit(request_checker{}, decoded.value());
    return 0;
}

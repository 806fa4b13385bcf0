#include "protocol/json_request.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include <simdjson.h>

#include "protocol/ascii.hpp"
#include "protocol/json_checker.hpp"
#include "protocol/names.hpp"
#include "util/base64.hpp"

namespace hubcast::protocol {

namespace {

namespace od = simdjson::ondemand;

enum class request_type {
    join_group,
    leave_group,
    send_to_group,
    event,
    sequence_ack,
    ping,
    invoke,
    cancel_invocation
};

constexpr std::array<std::pair<std::string_view, request_type>, 8> request_types{{
    {"joinGroup", request_type::join_group},
    {"leaveGroup", request_type::leave_group},
    {"sendToGroup", request_type::send_to_group},
    {"event", request_type::event},
    {"sequenceAck", request_type::sequence_ack},
    {"ping", request_type::ping},
    {"invoke", request_type::invoke},
    {"cancelInvocation", request_type::cancel_invocation},
}};

/// What one property held. Values are read as they stream past (On-Demand cannot go back) and
/// judged once `type` is known, because `type` may come last.
enum class seen : std::uint8_t { absent, valid, invalid };

template <typename T> struct captured {
    seen state = seen::absent;
    T value{};
};

struct captured_data {
    bool present = false;
    od::json_type kind = od::json_type::null;
    /// The value's JSON text, trimmed; it points into the padded copy of the frame.
    std::string_view raw;
    /// For a string value: its unescaped UTF-8, when it has one (a lone surrogate escape has not).
    std::optional<std::string_view> unescaped;
};

struct captured_request {
    captured<std::string_view> type;
    captured<std::uint64_t> ack_id;
    captured<std::string_view> group;
    captured<std::string_view> event;
    captured<std::string_view> data_type;
    captured<bool> no_echo;
    captured<std::uint64_t> sequence_id;
    captured<std::uint64_t> ttl_seconds;
    captured<std::string_view> invocation_id;
    captured<std::string_view> target;
    captured<message_metadata> metadata;
    captured_data data;
};

using decode_result = util::result<client_request, decode_error>;

decode_result reject(const char* reason) {
    return util::fail(decode_error{reason});
}

captured<std::string_view> read_string(od::value& value) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) {
        return {seen::invalid, {}};
    }
    return {seen::valid, text};
}

/// `null` counts as absent, as a nullable ulong does in the emulator; anything but a
/// non-negative integer that fits 64 bits is invalid (no sign, fraction or exponent).
captured<std::uint64_t> read_uint64(od::value& value) {
    od::json_type kind{};
    if (value.type().get(kind) != simdjson::SUCCESS) {
        return {seen::invalid, 0};
    }
    if (kind == od::json_type::null) {
        bool is_null = false;
        return {value.is_null().get(is_null) == simdjson::SUCCESS && is_null ? seen::absent : seen::invalid,
                0};
    }
    std::uint64_t number = 0;
    if (kind != od::json_type::number || value.get_uint64().get(number) != simdjson::SUCCESS) {
        return {seen::invalid, 0};
    }
    return {seen::valid, number};
}

captured<bool> read_bool(od::value& value) {
    bool flag = false;
    if (value.get_bool().get(flag) != simdjson::SUCCESS) {
        return {seen::invalid, false};
    }
    return {seen::valid, flag};
}

/// `metadata`: an object of strings. `null` counts as absent; anything else is invalid. Returns false
/// only when the frame itself cannot be read further.
bool read_metadata(od::value& value, captured<message_metadata>& metadata) {
    metadata = {};
    od::json_type kind{};
    if (value.type().get(kind) != simdjson::SUCCESS) {
        return false;
    }
    if (kind == od::json_type::null) {
        return true;
    }
    if (kind != od::json_type::object) {
        metadata.state = seen::invalid;
        return true;
    }
    od::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) {
        return false;
    }
    metadata.state = seen::valid;
    for (auto item : object) {
        od::field field;
        std::string_view key;
        if (std::move(item).get(field) != simdjson::SUCCESS ||
            field.unescaped_key().get(key) != simdjson::SUCCESS) {
            return false;
        }
        std::string_view text;
        if (field.value().get_string().get(text) != simdjson::SUCCESS) {
            metadata.state = seen::invalid; // the value is skipped when the loop moves on
            continue;
        }
        metadata.value.emplace_back(std::string(key), std::string(text));
    }
    return true;
}

/// Returns false only when the frame itself cannot be read further; a `data` value that is not
/// JSON is left for the checker to reject once the data type is known.
bool read_data(od::value& value, captured_data& data) {
    data = captured_data{};
    data.present = true;
    if (value.type().get(data.kind) != simdjson::SUCCESS) {
        return false;
    }
    // For scalars this does not advance; for objects and arrays it skips to the end.
    if (simdjson::to_json_string(value).get(data.raw) != simdjson::SUCCESS) {
        return false;
    }
    if (data.kind == od::json_type::string) {
        std::string_view text;
        if (value.get_string().get(text) == simdjson::SUCCESS) {
            data.unescaped = text;
        }
    }
    return true;
}

/// Stores one property. Later duplicates overwrite earlier ones (last wins), as in JSON.parse and
/// System.Text.Json's JsonDocument.
bool capture(std::string_view key, od::value& value, captured_request& request) {
    if (key == "type") {
        request.type = read_string(value);
    } else if (key == "ackId") {
        request.ack_id = read_uint64(value);
    } else if (key == "group") {
        request.group = read_string(value);
    } else if (key == "event") {
        request.event = read_string(value);
    } else if (key == "dataType") {
        request.data_type = read_string(value);
    } else if (key == "data") {
        return read_data(value, request.data);
    } else if (key == "noEcho") {
        request.no_echo = read_bool(value);
    } else if (key == "sequenceId") {
        request.sequence_id = read_uint64(value);
    } else if (key == "ttlSeconds") {
        request.ttl_seconds = read_uint64(value);
    } else if (key == "invocationId") {
        request.invocation_id = read_string(value);
    } else if (key == "target") {
        request.target = read_string(value);
    } else if (key == "metadata") {
        return read_metadata(value, request.metadata);
    }
    return true;
}

util::result<message_data, decode_error> interpret_data(const captured_request& request) {
    data_type type = data_type::json;
    if (request.data_type.state == seen::invalid) {
        return util::fail(decode_error{"'dataType' is not a string"});
    }
    if (request.data_type.state == seen::valid) {
        auto parsed = parse_data_type(request.data_type.value);
        if (!parsed) {
            return util::fail(decode_error{"unknown 'dataType'"});
        }
        // The emulator refuses it too: a JSON client has no schema to produce a protobuf Any from.
        if (*parsed == data_type::protobuf) {
            return util::fail(decode_error{"'dataType' protobuf is not accepted from JSON clients"});
        }
        type = *parsed;
    }
    const captured_data& data = request.data;
    if (!data.present) {
        return util::fail(decode_error{"missing 'data'"});
    }
    switch (type) {
    case data_type::json:
        if (data.kind == od::json_type::null) {
            return util::fail(decode_error{"'data' is null"});
        }
        if (!is_single_json_value(data.raw, max_json_depth - 1)) {
            return util::fail(decode_error{"'data' is not valid JSON"});
        }
        return message_data{data_type::json, std::string(data.raw)};
    case data_type::text:
        if (data.kind != od::json_type::string) {
            return util::fail(decode_error{"'data' is not a string"});
        }
        if (!data.unescaped) {
            return util::fail(decode_error{"'data' is not a valid string"});
        }
        return message_data{data_type::text, std::string(*data.unescaped)};
    case data_type::binary:
    case data_type::protobuf: {
        if (data.kind != od::json_type::string) {
            return util::fail(decode_error{"'data' is not a string"});
        }
        auto bytes = data.unescaped ? util::base64_decode(*data.unescaped) : std::nullopt;
        if (!bytes) {
            return util::fail(decode_error{"'data' is not valid base64"});
        }
        return message_data{type, std::move(*bytes)};
    }
    }
    return util::fail(decode_error{"unknown 'dataType'"});
}

util::result<std::string, decode_error> required_group(const captured<std::string_view>& group) {
    switch (group.state) {
    case seen::absent:
        return util::fail(decode_error{"missing 'group'"});
    case seen::invalid:
        return util::fail(decode_error{"'group' is not a string"});
    case seen::valid:
        break;
    }
    if (!is_valid_group_name(group.value)) {
        return util::fail(decode_error{"invalid group name"});
    }
    return std::string(group.value);
}

/// `metadata` of a sendToGroup or event, into `data`.
std::optional<decode_error> take_metadata(const captured_request& request, message_data& data) {
    if (request.metadata.state == seen::invalid) {
        return decode_error{"'metadata' is not an object of strings"};
    }
    if (const auto error = metadata_error(request.metadata.value); !error.empty()) {
        return decode_error{std::string(error)};
    }
    data.metadata = request.metadata.value;
    return std::nullopt;
}

util::result<std::string, decode_error> required_event(const captured<std::string_view>& event) {
    switch (event.state) {
    case seen::absent:
        return util::fail(decode_error{"missing 'event'"});
    case seen::invalid:
        return util::fail(decode_error{"'event' is not a string"});
    case seen::valid:
        break;
    }
    if (!is_valid_event_name(event.value)) {
        return util::fail(decode_error{"invalid event name"});
    }
    return std::string(event.value);
}

util::result<std::string, decode_error> required_invocation_id(const captured<std::string_view>& id) {
    switch (id.state) {
    case seen::absent:
        return util::fail(decode_error{"missing 'invocationId'"});
    case seen::invalid:
        return util::fail(decode_error{"'invocationId' is not a string"});
    case seen::valid:
        break;
    }
    if (id.value.empty() || id.value.size() > max_invocation_id_bytes) {
        return util::fail(decode_error{"'invocationId' is empty or too long"});
    }
    return std::string(id.value);
}

decode_result build_send_to_group(const captured_request& request, std::optional<std::uint64_t> ack_id) {
    auto group = required_group(request.group);
    if (!group) {
        return util::fail(group.error());
    }
    if (request.no_echo.state == seen::invalid) {
        return reject("'noEcho' is not a boolean");
    }
    if (request.ttl_seconds.state == seen::invalid || request.ttl_seconds.value > max_ttl_seconds) {
        return reject("'ttlSeconds' is not an integer from 0 to 300");
    }
    auto data = interpret_data(request);
    if (!data) {
        return util::fail(data.error());
    }
    if (auto error = take_metadata(request, *data)) {
        return util::fail(std::move(*error));
    }
    return client_request{send_to_group_request{std::move(*group), ack_id, request.no_echo.value,
                                                std::move(*data),
                                                static_cast<std::uint32_t>(request.ttl_seconds.value)}};
}

/// `dataType` and `data` are optional together: the JS client leaves both out without a payload.
decode_result build_invoke(const captured_request& request) {
    auto id = required_invocation_id(request.invocation_id);
    if (!id) {
        return util::fail(id.error());
    }
    if (request.target.state == seen::invalid) {
        return reject("'target' is not a string");
    }
    invoke_request invoke{.invocation_id = std::move(*id),
                          .event = {},
                          .targets_event =
                              request.target.state == seen::absent || iequals(request.target.value, "event"),
                          .data = std::nullopt};
    if (!invoke.targets_event) {
        return client_request{std::move(invoke)}; // answered with an error response, not a close
    }
    auto event = required_event(request.event);
    if (!event) {
        return util::fail(event.error());
    }
    invoke.event = std::move(*event);
    if (request.data.present || request.data_type.state != seen::absent) {
        auto data = interpret_data(request);
        if (!data) {
            return util::fail(data.error());
        }
        invoke.data = std::move(*data);
    }
    return client_request{std::move(invoke)};
}

decode_result build_request(const captured_request& request) {
    if (request.type.state == seen::absent) {
        return reject("missing 'type'");
    }
    if (request.type.state == seen::invalid) {
        return reject("'type' is not a string");
    }
    const auto* match = std::find_if(request_types.begin(), request_types.end(), [&](const auto& known) {
        return iequals(request.type.value, known.first);
    });
    if (match == request_types.end()) {
        return reject("unknown 'type'");
    }
    // Checked for every type, as the emulator does, so a malformed ackId never slips through.
    if (request.ack_id.state == seen::invalid) {
        return reject("'ackId' is not a uint64");
    }
    std::optional<std::uint64_t> ack_id;
    if (request.ack_id.state == seen::valid) {
        ack_id = request.ack_id.value;
    }

    switch (match->second) {
    case request_type::join_group:
    case request_type::leave_group: {
        auto group = required_group(request.group);
        if (!group) {
            return util::fail(group.error());
        }
        if (match->second == request_type::join_group) {
            return client_request{join_group_request{std::move(*group), ack_id}};
        }
        return client_request{leave_group_request{std::move(*group), ack_id}};
    }
    case request_type::send_to_group:
        return build_send_to_group(request, ack_id);
    case request_type::event: {
        auto event = required_event(request.event);
        if (!event) {
            return util::fail(event.error());
        }
        auto data = interpret_data(request);
        if (!data) {
            return util::fail(data.error());
        }
        if (auto error = take_metadata(request, *data)) {
            return util::fail(std::move(*error));
        }
        return client_request{event_request{std::move(*event), ack_id, std::move(*data)}};
    }
    case request_type::sequence_ack:
        if (request.sequence_id.state == seen::absent) {
            return reject("missing 'sequenceId'");
        }
        if (request.sequence_id.state == seen::invalid) {
            return reject("'sequenceId' is not a uint64");
        }
        return client_request{sequence_ack_request{request.sequence_id.value}};
    case request_type::ping:
        return client_request{ping_request{}};
    case request_type::invoke:
        return build_invoke(request);
    case request_type::cancel_invocation: {
        auto id = required_invocation_id(request.invocation_id);
        if (!id) {
            return util::fail(id.error());
        }
        return client_request{cancel_invocation_request{std::move(*id)}};
    }
    }
    return reject("unknown 'type'");
}

/// One parser and one padded buffer per thread: both keep their capacity, so a steady stream of
/// frames decodes without allocating for the parse. They grow to the largest frame seen (bounded
/// by the frame size limit).
struct decoder_scratch {
    od::parser parser;
    std::string padded;
};

decode_result decode(std::string_view frame) {
    thread_local decoder_scratch scratch;
    const std::size_t capacity = frame.size() + simdjson::SIMDJSON_PADDING;
    if (scratch.padded.size() < capacity) {
        scratch.padded.resize(capacity);
    }
    // simdjson only needs the padding allocated; what an earlier frame left there is never read as
    // part of this one.
    if (!frame.empty()) { // an empty view may have a null data(), which memcpy must not see
        std::memcpy(scratch.padded.data(), frame.data(), frame.size());
    }

    od::document document;
    if (scratch.parser.iterate(scratch.padded.data(), frame.size(), scratch.padded.size()).get(document) !=
        simdjson::SUCCESS) {
        return reject("invalid JSON");
    }
    od::object object;
    if (auto error = document.get_object().get(object); error != simdjson::SUCCESS) {
        return reject(error == simdjson::INCORRECT_TYPE ? "message is not a JSON object" : "invalid JSON");
    }
    captured_request request;
    for (auto item : object) {
        od::field field;
        std::string_view key;
        if (std::move(item).get(field) != simdjson::SUCCESS ||
            field.unescaped_key().get(key) != simdjson::SUCCESS || !capture(key, field.value(), request)) {
            return reject("invalid JSON");
        }
    }
    // Anything after the object, such as a second object, leaves the iterator inside the input.
    const char* trailing = nullptr;
    if (document.current_location().get(trailing) == simdjson::SUCCESS) {
        return reject("invalid JSON");
    }
    return build_request(request);
}

} // namespace

util::result<client_request, decode_error> decode_json_request(std::string_view frame) {
    try {
        return decode(frame);
    } catch (...) {
        // Only allocation can throw here; the caller still gets a value to close the connection with.
        return util::fail(decode_error{"internal error"});
    }
}

} // namespace hubcast::protocol

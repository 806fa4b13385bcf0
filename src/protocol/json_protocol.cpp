#include "protocol/json_protocol.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstring>
#include <utility>

#include <simdjson.h>

#include "protocol/ascii.hpp"
#include "protocol/names.hpp"
#include "util/base64.hpp"

namespace hubcast::protocol {

namespace {

namespace od = simdjson::ondemand;

/// Deepest nesting of objects and arrays accepted in a frame, counting the frame's own object.
/// System.Text.Json and Json.NET stop at 64 by default: the emulator rejects deeper frames, and a
/// .NET client could not read a message whose `data` went deeper.
constexpr int max_json_depth = 64;

/// For each byte: 0 when it is copied as is, otherwise the letter after the backslash ('u' for
/// the \u00XX form).
constexpr std::array<char, 256> make_escape_table() {
    std::array<char, 256> table{};
    for (int c = 0; c < 0x20; ++c) {
        table[c] = 'u';
    }
    table['\b'] = 'b';
    table['\f'] = 'f';
    table['\n'] = 'n';
    table['\r'] = 'r';
    table['\t'] = 't';
    table['"'] = '"';
    table['\\'] = '\\';
    return table;
}

constexpr auto escape_table = make_escape_table();

/// Length of the longest prefix of [p, end) that a JSON string holds unescaped: no '"', '\\' or
/// control character. Strings are mostly such bytes, so eight are tested per step (SWAR: a
/// byte is flagged when it is zero after the xor, or below 0x20).
std::size_t plain_string_prefix(const char* p, const char* end) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
    const char* const start = p;
    while (end - p >= 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, p, sizeof word);
        const std::uint64_t quote = word ^ (ones * '"');
        const std::uint64_t backslash = word ^ (ones * '\\');
        const std::uint64_t flagged =
            ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((word - ones * 0x20) & ~word);
        if ((flagged & high_bits) != 0) {
            break;
        }
        p += 8;
    }
    while (p != end && escape_table[static_cast<unsigned char>(*p)] == 0) {
        ++p;
    }
    return static_cast<std::size_t>(p - start);
}

/// Checks that `text` is exactly one JSON value (RFC 8259) nested at most `max_depth` containers
/// deep. Needed because On-Demand skips the values it is not asked to read without checking them
/// (`{"a":tru}` skips fine), and simdjson's DOM rejects integers beyond 64 bits, which
/// JSON.stringify writes for 1e20. `text` must be valid UTF-8; simdjson checked the whole frame.
class json_checker {
public:
    explicit json_checker(std::string_view text) noexcept
        : p_(text.data()), end_(text.data() + text.size()) {}

    bool is_single_value(int max_depth) noexcept {
        skip_white_space();
        if (!value(max_depth)) {
            return false;
        }
        skip_white_space();
        return p_ == end_;
    }

private:
    bool value(int depth_left) noexcept {
        if (p_ == end_) {
            return false;
        }
        switch (*p_) {
        case '{':
            return object(depth_left);
        case '[':
            return array(depth_left);
        case '"':
            return string();
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        default:
            return number();
        }
    }

    bool object(int depth_left) noexcept {
        if (depth_left == 0) {
            return false;
        }
        ++p_;
        skip_white_space();
        if (consume('}')) {
            return true;
        }
        for (;;) {
            if (p_ == end_ || *p_ != '"' || !string()) {
                return false;
            }
            skip_white_space();
            if (!consume(':')) {
                return false;
            }
            skip_white_space();
            if (!value(depth_left - 1)) {
                return false;
            }
            skip_white_space();
            if (consume('}')) {
                return true;
            }
            if (!consume(',')) {
                return false;
            }
            skip_white_space();
        }
    }

    bool array(int depth_left) noexcept {
        if (depth_left == 0) {
            return false;
        }
        ++p_;
        skip_white_space();
        if (consume(']')) {
            return true;
        }
        for (;;) {
            if (!value(depth_left - 1)) {
                return false;
            }
            skip_white_space();
            if (consume(']')) {
                return true;
            }
            if (!consume(',')) {
                return false;
            }
            skip_white_space();
        }
    }

    bool string() noexcept {
        ++p_;
        for (;;) {
            p_ += plain_string_prefix(p_, end_);
            if (p_ == end_) {
                return false;
            }
            const char c = *p_++;
            if (c == '"') {
                return true;
            }
            if (c != '\\') {
                return false; // a control character
            }
            if (p_ == end_) {
                return false;
            }
            switch (*p_++) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                break;
            case 'u':
                // Lone surrogates are grammatical JSON (RFC 8259 section 8.2) and JSON.parse takes
                // them, so they pass through.
                for (int i = 0; i < 4; ++i, ++p_) {
                    if (p_ == end_ || !is_hex_digit(*p_)) {
                        return false;
                    }
                }
                break;
            default:
                return false;
            }
        }
    }

    bool number() noexcept {
        consume('-');
        if (consume('0')) {
            // A leading zero stands alone; "01" fails at the caller, which sees '1'.
        } else if (!digits()) {
            return false;
        }
        if (consume('.') && !digits()) {
            return false;
        }
        if (consume('e') || consume('E')) {
            if (!consume('+')) {
                consume('-');
            }
            return digits();
        }
        return true;
    }

    bool digits() noexcept {
        const char* start = p_;
        while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
            ++p_;
        }
        return p_ != start;
    }

    bool literal(std::string_view word) noexcept {
        if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
            return false;
        }
        p_ += word.size();
        return true;
    }

    bool consume(char c) noexcept {
        if (p_ != end_ && *p_ == c) {
            ++p_;
            return true;
        }
        return false;
    }

    void skip_white_space() noexcept {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) {
            ++p_;
        }
    }

    static bool is_hex_digit(char c) noexcept {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    const char* p_;
    const char* end_;
};

enum class request_type { join_group, leave_group, send_to_group, event, sequence_ack, ping };

constexpr std::array<std::pair<std::string_view, request_type>, 6> request_types{{
    {"joinGroup", request_type::join_group},
    {"leaveGroup", request_type::leave_group},
    {"sendToGroup", request_type::send_to_group},
    {"event", request_type::event},
    {"sequenceAck", request_type::sequence_ack},
    {"ping", request_type::ping},
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
        if (!json_checker(data.raw).is_single_value(max_json_depth - 1)) {
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
    case request_type::send_to_group: {
        auto group = required_group(request.group);
        if (!group) {
            return util::fail(group.error());
        }
        if (request.no_echo.state == seen::invalid) {
            return reject("'noEcho' is not a boolean");
        }
        auto data = interpret_data(request);
        if (!data) {
            return util::fail(data.error());
        }
        return client_request{
            send_to_group_request{std::move(*group), ack_id, request.no_echo.value, std::move(*data)}};
    }
    case request_type::event: {
        if (request.event.state == seen::absent) {
            return reject("missing 'event'");
        }
        if (request.event.state == seen::invalid) {
            return reject("'event' is not a string");
        }
        if (!is_valid_event_name(request.event.value)) {
            return reject("invalid event name");
        }
        auto data = interpret_data(request);
        if (!data) {
            return util::fail(data.error());
        }
        return client_request{event_request{std::string(request.event.value), ack_id, std::move(*data)}};
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

void append_uint(std::string& out, std::uint64_t value) {
    std::array<char, 20> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
    out.append(digits.data(), end);
}

void append_nullable_string(std::string& out, const std::optional<std::string>& text) {
    if (text) {
        append_json_string(out, *text);
    } else {
        out += "null";
    }
}

std::size_t encoded_data_size(const message_data& data) {
    switch (data.type) {
    case data_type::json:
        return data.bytes.size();
    case data_type::text:
        return data.bytes.size() + 2;
    case data_type::binary:
    case data_type::protobuf:
        break;
    }
    return (data.bytes.size() + 2) / 3 * 4 + 2;
}

void append_data(std::string& out, const message_data& data) {
    out += R"("dataType":")";
    out += to_string(data.type);
    out += R"(","data":)";
    switch (data.type) {
    case data_type::json:
        // The contract of message_data: the raw text of one JSON value, never empty.
        assert(!data.bytes.empty());
        out += data.bytes;
        return;
    case data_type::text:
        append_json_string(out, data.bytes);
        return;
    case data_type::binary:
    case data_type::protobuf:
        // The base64 alphabet needs no escaping.
        out += '"';
        out += util::base64_encode(data.bytes);
        out += '"';
        return;
    }
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

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    const char* p = text.data();
    const char* const end = text.data() + text.size();
    for (;;) {
        const char* const run = p;
        p += plain_string_prefix(p, end);
        out.append(run, p);
        if (p == end) {
            break;
        }
        const auto c = static_cast<unsigned char>(*p++);
        const char escape = escape_table[c];
        out += '\\';
        out += escape;
        if (escape == 'u') {
            out += "00";
            out += hex[c >> 4];
            out += hex[c & 0x0f];
        }
    }
    out += '"';
}

std::optional<std::string_view> json_data_text(std::string_view text) noexcept {
    const auto first = text.find_first_not_of(" \t\n\r");
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    text = text.substr(first, text.find_last_not_of(" \t\n\r") - first + 1);
    // The frame's own object is one level of the limit, as for data decoded from a JSON frame.
    if (text == "null" || !json_checker(text).is_single_value(max_json_depth - 1)) {
        return std::nullopt;
    }
    return text;
}

std::string encode_ack(std::uint64_t ack_id) {
    std::string out;
    out.reserve(64);
    out += R"({"type":"ack","ackId":)";
    append_uint(out, ack_id);
    out += R"(,"success":true})";
    return out;
}

std::string encode_ack_error(std::uint64_t ack_id, std::string_view name, std::string_view message) {
    std::string out;
    out.reserve(96 + name.size() + message.size());
    out += R"({"type":"ack","ackId":)";
    append_uint(out, ack_id);
    out += R"(,"success":false,"error":{"name":)";
    append_json_string(out, name);
    out += R"(,"message":)";
    append_json_string(out, message);
    out += "}}";
    return out;
}

std::string encode_group_message(std::string_view group, const std::optional<std::string>& from_user_id,
                                 const message_data& data) {
    std::string out;
    out.reserve(96 + group.size() + (from_user_id ? from_user_id->size() : 0) + encoded_data_size(data));
    out += R"({"type":"message","from":"group","group":)";
    append_json_string(out, group);
    out += R"(,"fromUserId":)";
    append_nullable_string(out, from_user_id);
    out += ',';
    append_data(out, data);
    out += '}';
    return out;
}

std::string encode_server_message(const message_data& data) {
    std::string out;
    out.reserve(64 + encoded_data_size(data));
    out += R"({"type":"message","from":"server",)";
    append_data(out, data);
    out += '}';
    return out;
}

std::string encode_connected(const std::optional<std::string>& user_id, std::string_view connection_id) {
    std::string out;
    out.reserve(80 + (user_id ? user_id->size() : 0) + connection_id.size());
    out += R"({"type":"system","event":"connected","userId":)";
    append_nullable_string(out, user_id);
    out += R"(,"connectionId":)";
    append_json_string(out, connection_id);
    out += '}';
    return out;
}

std::string encode_connected(const std::optional<std::string>& user_id, std::string_view connection_id,
                             std::string_view reconnection_token) {
    std::string out = encode_connected(user_id, connection_id);
    out.pop_back(); // the closing brace
    out += R"(,"reconnectionToken":)";
    append_json_string(out, reconnection_token);
    out += '}';
    return out;
}

std::string encode_disconnected(std::string_view reason) {
    std::string out;
    out.reserve(64 + reason.size());
    out += R"({"type":"system","event":"disconnected","message":)";
    append_json_string(out, reason);
    out += '}';
    return out;
}

std::string encode_pong() {
    return R"({"type":"pong"})";
}

namespace {
constexpr std::string_view sequence_id_member = R"({"sequenceId":)";
} // namespace

std::string json_sequence_prefix(std::uint64_t sequence_id) {
    std::string out;
    out.reserve(json_sequence_prefix_size(sequence_id));
    append_json_sequence_prefix(out, sequence_id);
    return out;
}

void append_json_sequence_prefix(std::string& out, std::uint64_t sequence_id) {
    out += sequence_id_member;
    append_uint(out, sequence_id);
    out += ',';
}

std::size_t json_sequence_prefix_size(std::uint64_t sequence_id) noexcept {
    std::size_t digits = 1;
    for (; sequence_id >= 10; sequence_id /= 10) {
        ++digits;
    }
    return sequence_id_member.size() + digits + 1;
}

std::string_view json_sequenced_body(std::string_view message) noexcept {
    assert(!message.empty() && message.front() == '{');
    return message.substr(1);
}

} // namespace hubcast::protocol

#include "api/rest_params.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "protocol/ascii.hpp"
#include "protocol/names.hpp"
#include "protocol/utf8.hpp"
#include "util/base64.hpp"

namespace hubcast::api {
namespace {

// Spec 2.1: the stable versions, then the previews that older SDK builds still send.
constexpr std::array<std::string_view, 10> api_versions{
    "2024-12-01", "2024-01-01", "2023-07-01",         "2022-11-01",         "2021-10-01",
    "2020-10-01", "2021-01-01", "2021-05-01-preview", "2021-08-01-preview", "2022-10-01-preview",
};

/// System.Text.Json and Json.NET stop at 64 levels by default, so a .NET client could not read a
/// message nested deeper; the JSON subprotocol decoder applies the same bound to client messages.
constexpr unsigned max_json_depth = 64;

rest_error invalid(std::string message) {
    return rest_error{400, rest_error_code::invalid_parameter, std::move(message)};
}

rest_error invalid_body(std::string message) {
    return rest_error{400, rest_error_code::invalid_body, std::move(message)};
}

/// A decimal integer spelled exactly (no sign but '-', no spaces, no leading '+').
std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return value;
}

std::optional<boost::json::value> parse_json(std::string_view text) {
    boost::json::parse_options options;
    options.max_depth = max_json_depth;
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(text, ec, {}, options);
    if (ec) {
        return std::nullopt;
    }
    return value;
}

bool is_blank(std::string_view text) noexcept {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

} // namespace

std::optional<std::string_view> query_parameters::first(std::string_view name) const {
    for (const auto& [key, value] : pairs_) {
        if (protocol::iequals(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

std::vector<std::string> query_parameters::all(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto& [key, value] : pairs_) {
        if (protocol::iequals(key, name)) {
            values.push_back(value);
        }
    }
    return values;
}

bool is_known_api_version(std::string_view version) noexcept {
    return std::find(api_versions.begin(), api_versions.end(), version) != api_versions.end();
}

std::optional<rest_error> check_api_version(const query_parameters& query) {
    const auto version = query.first("api-version");
    if (!version) {
        return rest_error{400, rest_error_code::invalid_api_version,
                          "The api-version query parameter is required (e.g. api-version=2024-12-01)."};
    }
    if (!is_known_api_version(*version)) {
        return rest_error{
            400, rest_error_code::invalid_api_version,
            "Unsupported api-version. Supported: 2024-12-01, 2024-01-01, 2023-07-01, 2022-11-01, "
            "2021-10-01 and the earlier previews."};
    }
    return std::nullopt;
}

std::vector<std::string> excluded_connections(const query_parameters& query) {
    std::vector<std::string> ids;
    for (const std::string& value : query.all("excluded")) {
        std::string_view rest = value;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const std::string_view item = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            if (!item.empty()) {
                ids.emplace_back(item);
            }
        }
    }
    return ids;
}

util::result<std::chrono::seconds, rest_error> message_ttl(const query_parameters& query) {
    const auto text = query.first("messageTtlSeconds");
    if (!text) {
        return std::chrono::seconds{0};
    }
    const auto value = parse_integer(*text);
    if (!value || *value < 0 || *value > 300) {
        return util::fail(invalid("messageTtlSeconds must be an integer from 0 to 300."));
    }
    return std::chrono::seconds{*value};
}

util::result<std::string, rest_error> close_reason(const query_parameters& query) {
    const auto reason = query.first("reason");
    if (!reason) {
        return std::string{};
    }
    if (!protocol::is_valid_utf8(*reason)) {
        return util::fail(invalid("reason must be UTF-8 text."));
    }
    return std::string(*reason);
}

util::result<std::optional<std::string>, rest_error> permission_target(const query_parameters& query) {
    const auto target = query.first("targetName");
    if (!target) {
        return std::optional<std::string>{};
    }
    if (!protocol::is_valid_group_name(*target)) {
        return util::fail(invalid("targetName must be a group name: 1 to 1024 characters of UTF-8, not only "
                                  "whitespace."));
    }
    return std::optional<std::string>(std::string(*target));
}

util::result<core::filter_ptr, rest_error> parse_filter(std::optional<std::string_view> text) {
    if (!text || is_blank(*text)) {
        return core::filter_ptr{};
    }
    auto parsed = core::connection_filter::parse(*text);
    if (!parsed) {
        const auto& error = parsed.error();
        std::string message = "Invalid filter: " + error.message;
        if (message.find("position") == std::string::npos) {
            message += " (at position " + std::to_string(error.position) + ")";
        }
        return util::fail(rest_error{400, rest_error_code::invalid_filter, std::move(message)});
    }
    return std::move(parsed).value();
}

util::result<protocol::message_data, rest_error> message_body(std::string_view content_type,
                                                              std::string body) {
    const std::string type = media_type(content_type);
    if (type == "application/json") {
        if (body.empty()) {
            return util::fail(invalid_body("The application/json body is empty."));
        }
        const auto value = parse_json(body);
        if (!value) {
            return util::fail(
                invalid_body("The application/json body is not one valid JSON value (UTF-8, at most "
                             "64 levels deep)."));
        }
        if (value->is_null()) {
            return util::fail(invalid_body("The application/json body must not be null."));
        }
        return protocol::message_data{protocol::data_type::json, std::move(body)};
    }
    if (type == "text/plain") {
        if (!protocol::is_valid_utf8(body)) {
            return util::fail(invalid_body("The text/plain body is not valid UTF-8."));
        }
        return protocol::message_data{protocol::data_type::text, std::move(body)};
    }
    // RFC 9110 8.3: content without a type may be treated as application/octet-stream.
    if (type == "application/octet-stream" || type.empty()) {
        return protocol::message_data{protocol::data_type::binary, std::move(body)};
    }
    return util::fail(
        rest_error{415, rest_error_code::unsupported_media_type,
                   "The body must be application/json, text/plain or application/octet-stream."});
}

util::result<groups_request, rest_error> parse_groups_request(std::string_view body) {
    const auto value = parse_json(body);
    if (!value || !value->is_object()) {
        return util::fail(invalid_body(R"(The body must be a JSON object {"groups":[...],"filter":"..."}.)"));
    }
    const auto& object = value->get_object();
    groups_request request;
    const auto* groups = object.if_contains("groups");
    if (groups == nullptr || !groups->is_array()) {
        return util::fail(invalid_body("The body must hold \"groups\", an array of group names."));
    }
    for (const auto& group : groups->get_array()) {
        if (!group.is_string() || !protocol::is_valid_group_name(group.get_string())) {
            return util::fail(
                invalid_body("Every item of \"groups\" must be a group name: 1 to 1024 characters, "
                             "not only whitespace."));
        }
        request.groups.emplace_back(group.get_string());
    }
    if (const auto* filter = object.if_contains("filter"); filter != nullptr && !filter->is_null()) {
        if (!filter->is_string()) {
            return util::fail(invalid_body("\"filter\" must be a string."));
        }
        request.filter.emplace(filter->get_string());
    }
    return request;
}

util::result<page_request, rest_error> parse_page_request(const query_parameters& query) {
    page_request page;
    if (const auto size = query.first("maxpagesize")) {
        const auto value = parse_integer(*size);
        if (!value || *value < 1 || *value > static_cast<std::int64_t>(page_request::max_page_size)) {
            return util::fail(invalid("maxpagesize must be an integer from 1 to 200."));
        }
        page.page_size = static_cast<std::size_t>(*value);
    }
    if (const auto top = query.first("top")) {
        const auto value = parse_integer(*top);
        if (!value || *value < 1 || *value > std::numeric_limits<std::int32_t>::max()) {
            return util::fail(invalid("top must be an integer from 1 to 2147483647."));
        }
        page.top = *value;
    }
    if (const auto token = query.first("continuationToken"); token && !token->empty()) {
        auto after = connection_after(*token);
        if (!after) {
            return util::fail(invalid("continuationToken is not one this server issued."));
        }
        page.after = std::move(*after);
    }
    return page;
}

std::string continuation_token(std::string_view last_connection_id) {
    return util::base64url_encode(last_connection_id);
}

std::optional<std::string> connection_after(std::string_view token) {
    auto decoded = util::base64url_decode(token);
    if (!decoded || decoded->empty()) {
        return std::nullopt;
    }
    return decoded;
}

util::result<token_parameters, rest_error> parse_token_parameters(const query_parameters& query) {
    token_parameters parameters;
    if (const auto user = query.first("userId"); user && !user->empty()) {
        if (!protocol::is_valid_user_id(*user)) {
            return util::fail(invalid("userId must be 1 to 1024 characters of UTF-8."));
        }
        parameters.user_id.emplace(*user);
    }
    for (std::string& role : query.all("role")) {
        if (!protocol::is_valid_utf8(role)) {
            return util::fail(invalid("role must be UTF-8 text."));
        }
        if (!role.empty()) {
            parameters.roles.push_back(std::move(role));
        }
    }
    for (std::string& group : query.all("group")) {
        if (!protocol::is_valid_group_name(group)) {
            return util::fail(invalid("group must be a group name: 1 to 1024 characters of UTF-8, not only "
                                      "whitespace."));
        }
        parameters.groups.push_back(std::move(group));
    }
    if (const auto minutes = query.first("minutesToExpire")) {
        const auto value = parse_integer(*minutes);
        if (!value || *value < 1 || *value > std::numeric_limits<std::int32_t>::max()) {
            return util::fail(invalid("minutesToExpire must be an integer of at least 1."));
        }
        parameters.lifetime = std::chrono::minutes{*value};
    }
    if (const auto type = query.first("clientType")) {
        if (protocol::iequals(*type, "default")) {
            parameters.type = client_type::default_client;
        } else if (protocol::iequals(*type, "mqtt")) {
            parameters.type = client_type::mqtt;
        } else if (protocol::iequals(*type, "socketio")) {
            parameters.type = client_type::socketio;
        } else {
            return util::fail(invalid("clientType must be Default, MQTT or SocketIO."));
        }
    }
    return parameters;
}

std::string media_type(std::string_view content_type) {
    std::string_view type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) {
        type.remove_prefix(1);
    }
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
        type.remove_suffix(1);
    }
    return protocol::to_lower_ascii(type);
}

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(hex[byte >> 4]);
            out.push_back(hex[byte & 0x0F]);
        }
    }
    return out;
}

} // namespace hubcast::api

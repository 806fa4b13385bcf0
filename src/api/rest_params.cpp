#include "api/rest_params.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "auth/client_token.hpp"
#include "auth/jwt.hpp"
#include "protocol/ascii.hpp"
#include "protocol/names.hpp"
#include "protocol/utf8.hpp"
#include "util/base64.hpp"
#include "util/decimal.hpp"

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

/// RFC 9110 5.6.2 tchar.
bool is_token_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

/// Takes the token at the front of `text` (possibly empty).
std::string_view take_token(std::string_view& text) noexcept {
    std::size_t n = 0;
    while (n < text.size() && is_token_char(text[n])) {
        ++n;
    }
    const auto token = text.substr(0, n);
    text.remove_prefix(n);
    return token;
}

void skip_ows(std::string_view& text) noexcept {
    while (!text.empty() && is_ows(text.front())) {
        text.remove_prefix(1);
    }
}

/// Takes a quoted-string (RFC 9110 5.6.4) from the front of `text`, which starts with '"', and
/// returns its unescaped value; nullopt when it is not one.
std::optional<std::string> take_quoted(std::string_view& text) {
    const auto is_text = [](unsigned char c) {
        return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7F);
    };
    std::string value;
    for (std::size_t i = 1; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"') {
            text.remove_prefix(i + 1);
            return value;
        }
        if (c == '\\') {
            if (++i == text.size() || !is_text(static_cast<unsigned char>(text[i]))) {
                return std::nullopt;
            }
            value.push_back(text[i]);
        } else if (is_text(c)) {
            value.push_back(static_cast<char>(c));
        } else {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

struct parsed_media_type {
    std::string type;                   ///< "type/subtype", lowercase
    std::optional<std::string> charset; ///< lowercase, when given
};

/// RFC 9110 8.3.1: `type "/" subtype *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] )`,
/// with optional whitespace around the whole value (a field value is trimmed).
std::optional<parsed_media_type> parse_media_type(std::string_view text) {
    skip_ows(text);
    while (!text.empty() && is_ows(text.back())) {
        text.remove_suffix(1);
    }
    const auto type = take_token(text);
    if (type.empty() || text.empty() || text.front() != '/') {
        return std::nullopt;
    }
    text.remove_prefix(1);
    const auto subtype = take_token(text);
    if (subtype.empty()) {
        return std::nullopt;
    }
    parsed_media_type parsed{protocol::to_lower_ascii(type) + "/" + protocol::to_lower_ascii(subtype), {}};
    while (true) {
        skip_ows(text);
        if (text.empty()) {
            return parsed;
        }
        if (text.front() != ';') {
            return std::nullopt;
        }
        text.remove_prefix(1);
        skip_ows(text);
        if (text.empty() || text.front() == ';') {
            continue; // an empty parameter is allowed
        }
        const auto name = take_token(text);
        if (name.empty() || text.empty() || text.front() != '=') {
            return std::nullopt;
        }
        text.remove_prefix(1);
        std::string value;
        if (!text.empty() && text.front() == '"') {
            auto quoted = take_quoted(text);
            if (!quoted) {
                return std::nullopt;
            }
            value = std::move(*quoted);
        } else {
            value = std::string(take_token(text));
            if (value.empty()) {
                return std::nullopt;
            }
        }
        if (protocol::iequals(name, "charset")) {
            parsed.charset = protocol::to_lower_ascii(value);
        }
    }
}

rest_error unsupported_media_type(std::string message) {
    return rest_error{415, rest_error_code::unsupported_media_type, std::move(message)};
}

/// Continuation tokens (see continuation_token()).
constexpr char continuation_version = 1;
constexpr std::size_t continuation_mac_bytes = 16; // 128 bits: nobody forges one by guessing
constexpr std::size_t max_continuation_token_chars =
    (1 + continuation_mac_bytes + max_continuation_id_bytes + 2) / 3 * 4;

/// What the MAC covers: every part length-prefixed, so that no two scopes and ids share an input.
std::string continuation_mac_input(group_scope scope, std::string_view id) {
    std::string input = "hubcast.continuation";
    input.push_back(continuation_version);
    for (const std::string_view part : {scope.hub, scope.group, id}) {
        input += std::to_string(part.size());
        input.push_back(':');
        input += part;
    }
    return input;
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

namespace {
constexpr std::string_view newest_known_api_version = "2024-12-01";
constexpr std::string_view preview_suffix = "-preview";

bool is_digits(std::string_view text) noexcept {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// YYYY-MM-DD with a month 01-12 and a day 01-31.
bool is_version_date(std::string_view date) noexcept {
    if (date.size() != 10 || date[4] != '-' || date[7] != '-' || !is_digits(date.substr(0, 4)) ||
        !is_digits(date.substr(5, 2)) || !is_digits(date.substr(8, 2))) {
        return false;
    }
    const int month = (date[5] - '0') * 10 + (date[6] - '0');
    const int day = (date[8] - '0') * 10 + (date[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}
} // namespace

bool is_accepted_api_version(std::string_view version) noexcept {
    if (is_known_api_version(version)) {
        return true;
    }
    std::string_view date = version;
    if (date.ends_with(preview_suffix)) {
        date.remove_suffix(preview_suffix.size());
    }
    // ISO dates of one width order as strings do.
    return is_version_date(date) && date > newest_known_api_version;
}

std::optional<rest_error> check_api_version(const query_parameters& query) {
    const auto version = query.first("api-version");
    if (!version) {
        return rest_error{400, rest_error_code::invalid_api_version,
                          "The api-version query parameter is required (e.g. api-version=2024-12-01)."};
    }
    if (!is_accepted_api_version(*version)) {
        return rest_error{
            400, rest_error_code::invalid_api_version,
            "Unsupported api-version. Supported: 2024-12-01, 2024-01-01, 2023-07-01, 2022-11-01, "
            "2021-10-01, the earlier previews, and any later YYYY-MM-DD[-preview]."};
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
    const auto value = util::parse_decimal<std::int64_t>(*text);
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

util::result<protocol::message_metadata, rest_error>
message_metadata_of(const std::vector<std::pair<std::string, std::string>>& headers) {
    constexpr std::string_view prefix = "x-webpubsub-metadata-";
    protocol::message_metadata metadata;
    for (const auto& [name, value] : headers) {
        if (name.size() <= prefix.size() || !protocol::istarts_with(name, prefix)) {
            continue;
        }
        std::string key = protocol::to_lower_ascii(std::string_view(name).substr(prefix.size()));
        std::string text(protocol::trim_blanks(value));
        const auto same =
            std::find_if(metadata.begin(), metadata.end(), [&](const auto& e) { return e.first == key; });
        if (same != metadata.end()) {
            same->second = std::move(text);
        } else {
            metadata.emplace_back(std::move(key), std::move(text));
        }
    }
    if (const auto error = protocol::metadata_error(metadata); !error.empty()) {
        return util::fail(invalid(std::string(error) + "."));
    }
    return metadata;
}

util::result<protocol::message_data, rest_error> message_body(std::string_view content_type,
                                                              std::string body) {
    const auto media = parse_media_type(content_type);
    if (!media) {
        return util::fail(unsupported_media_type(
            content_type.empty() ? "The Content-Type header is required: application/json, text/plain or "
                                   "application/octet-stream."
                                 : "The Content-Type is not a media type; it must be application/json, "
                                   "text/plain or application/octet-stream."));
    }
    const std::string& type = media->type;
    // The body is read as UTF-8: a text body declared in another charset would be misread.
    if ((type == "application/json" || type == "text/plain") && media->charset &&
        *media->charset != "utf-8" && *media->charset != "us-ascii") {
        return util::fail(unsupported_media_type(
            "The charset of " + type + " must be utf-8; send other bytes as application/octet-stream."));
    }
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
    if (type == "application/octet-stream") {
        return protocol::message_data{protocol::data_type::binary, std::move(body)};
    }
    return util::fail(
        unsupported_media_type("The body must be application/json, text/plain or application/octet-stream."));
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
    if (groups->get_array().size() > max_groups_per_request) {
        return util::fail(invalid_body("\"groups\" may name at most " +
                                       std::to_string(max_groups_per_request) + " groups in one call."));
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

util::result<page_request, rest_error> parse_page_request(const query_parameters& query,
                                                          const auth::access_keys& keys, group_scope scope) {
    page_request page;
    if (const auto size = query.first("maxpagesize")) {
        const auto value = util::parse_decimal<std::int64_t>(*size);
        if (!value || *value < 1 || *value > static_cast<std::int64_t>(page_request::max_page_size)) {
            return util::fail(invalid("maxpagesize must be an integer from 1 to 200."));
        }
        page.page_size = static_cast<std::size_t>(*value);
    }
    if (const auto top = query.first("top")) {
        const auto value = util::parse_decimal<std::int64_t>(*top);
        if (!value || *value < 1 || *value > std::numeric_limits<std::int32_t>::max()) {
            return util::fail(invalid("top must be an integer from 1 to 2147483647."));
        }
        page.top = *value;
    }
    if (const auto token = query.first("continuationToken"); token && !token->empty()) {
        auto after = connection_after(keys, scope, *token);
        if (!after) {
            return util::fail(invalid("continuationToken is not one this server issued for this group."));
        }
        page.after = std::move(*after);
    }
    return page;
}

std::string continuation_token(const auth::access_keys& keys, group_scope scope,
                               std::string_view last_connection_id) {
    std::string bytes(1, continuation_version);
    const auto mac = auth::hmac_sha256(keys.signing_key(), continuation_mac_input(scope, last_connection_id));
    // Without libcrypto no token can be checked either: an all-zero MAC is refused like any other.
    if (mac) {
        bytes.append(reinterpret_cast<const char*>(mac->data()), continuation_mac_bytes);
    } else {
        bytes.append(continuation_mac_bytes, '\0');
    }
    bytes += last_connection_id;
    return util::base64url_encode(bytes);
}

std::optional<std::string> connection_after(const auth::access_keys& keys, group_scope scope,
                                            std::string_view token) {
    if (token.size() > max_continuation_token_chars) {
        return std::nullopt;
    }
    auto decoded = util::base64url_decode(token);
    if (!decoded || decoded->size() <= 1 + continuation_mac_bytes ||
        decoded->front() != continuation_version) {
        return std::nullopt;
    }
    const std::string_view mac = std::string_view(*decoded).substr(1, continuation_mac_bytes);
    std::string id = decoded->substr(1 + continuation_mac_bytes);
    const std::string input = continuation_mac_input(scope, id);
    for (const auto& key : keys.keys) {
        const auto expected = auth::hmac_sha256(key, input);
        if (!expected) {
            continue;
        }
        // Constant time: how much of a MAC matched must not show in the answer's timing.
        unsigned char difference = 0;
        for (std::size_t i = 0; i < continuation_mac_bytes; ++i) {
            difference |= static_cast<unsigned char>(mac[i]) ^ (*expected)[i];
        }
        if (difference == 0) {
            return id;
        }
    }
    return std::nullopt;
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
        const auto value = util::parse_decimal<std::int64_t>(*minutes);
        if (!value || *value < 1 || *value > auth::max_client_token_lifetime.count()) {
            return util::fail(invalid("minutesToExpire must be an integer from 1 to " +
                                      std::to_string(auth::max_client_token_lifetime.count()) +
                                      " (365 days)."));
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

#include "protocol/cloud_events.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include "protocol/ascii.hpp"
#include "protocol/json_protocol.hpp"
#include "protocol/names.hpp"
#include "protocol/utf8.hpp"

namespace hubcast::protocol {

namespace {

void append_string_lists(std::string& out, const string_lists& lists) {
    out.push_back('{');
    bool first = true;
    for (const auto& [name, values] : lists) {
        if (!first) {
            out.push_back(',');
        }
        first = false;
        append_json_string(out, name);
        out.append(":[");
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i != 0) {
                out.push_back(',');
            }
            append_json_string(out, values[i]);
        }
        out.push_back(']');
    }
    out.push_back('}');
}

bool is_blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// The media type of a Content-Type value: before any `;`, trimmed, lowercase.
std::string media_type(std::string_view content_type) {
    return to_lower_ascii(trim_blanks(content_type.substr(0, content_type.find(';'))));
}

util::result<std::vector<std::string>, std::string> string_array(simdjson::dom::element element,
                                                                 std::string_view member) {
    simdjson::dom::array array;
    if (element.get_array().get(array) != simdjson::SUCCESS) {
        return util::fail(fmt::format("'{}' must be an array of strings", member));
    }
    std::vector<std::string> values;
    for (auto item : array) {
        std::string_view text;
        if (item.get_string().get(text) != simdjson::SUCCESS) {
            return util::fail(fmt::format("'{}' must be an array of strings", member));
        }
        values.emplace_back(text);
    }
    return values;
}

} // namespace

std::string encode_connect_body(const string_lists& claims, const string_lists& query,
                                const string_lists& headers, const std::vector<std::string>& subprotocols) {
    std::string out;
    out.reserve(512);
    out.append(R"({"claims":)");
    append_string_lists(out, claims);
    out.append(R"(,"query":)");
    append_string_lists(out, query);
    out.append(R"(,"headers":)");
    append_string_lists(out, headers);
    out.append(R"(,"subprotocols":[)");
    for (std::size_t i = 0; i < subprotocols.size(); ++i) {
        if (i != 0) {
            out.push_back(',');
        }
        append_json_string(out, subprotocols[i]);
    }
    out.append("]}");
    return out;
}

std::string encode_disconnected_body(std::string_view reason) {
    std::string out = R"({"reason":)";
    append_json_string(out, reason);
    out.push_back('}');
    return out;
}

util::result<connect_response, std::string> decode_connect_response(std::string_view body) {
    connect_response response;
    if (is_blank(body)) {
        return response;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (const auto error = parser.parse(body.data(), body.size()).get(root); error != simdjson::SUCCESS) {
        return util::fail(std::string("not valid JSON (") + simdjson::error_message(error) + ")");
    }
    simdjson::dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS) {
        return util::fail(std::string("not a JSON object"));
    }
    for (auto [key, value] : object) {
        if (value.is_null()) {
            continue;
        }
        if (key == "userId") {
            std::string_view user;
            if (value.get_string().get(user) != simdjson::SUCCESS || !is_valid_user_id(user)) {
                return util::fail(std::string("'userId' must be a string of 1 to 1024 characters"));
            }
            response.user_id = std::string(user);
        } else if (key == "groups") {
            auto groups = string_array(value, key);
            if (!groups) {
                return util::fail(groups.error());
            }
            for (const auto& group : *groups) {
                if (!is_valid_group_name(group)) {
                    return util::fail("'groups' holds an invalid group name '" + group + "'");
                }
            }
            response.groups = std::move(*groups);
        } else if (key == "roles") {
            auto roles = string_array(value, key);
            if (!roles) {
                return util::fail(roles.error());
            }
            response.roles = std::move(*roles);
        } else if (key == "subprotocol") {
            std::string_view name;
            if (value.get_string().get(name) != simdjson::SUCCESS || name.empty()) {
                return util::fail(
                    std::string("'subprotocol' must be a non-empty string (leave it out for none)"));
            }
            response.subprotocol = std::string(name);
        }
    }
    return response;
}

std::string_view content_type_of(data_type type) noexcept {
    switch (type) {
    case data_type::text:
        return "text/plain";
    case data_type::json:
        return "application/json";
    case data_type::binary:
    case data_type::protobuf:
        break;
    }
    return "application/octet-stream";
}

util::result<message_data, std::string> decode_reply(std::string_view content_type, std::string body) {
    const auto media = media_type(content_type);
    if (media == "application/json") {
        const auto json = is_valid_utf8(body) ? json_data_text(body) : std::nullopt;
        if (!json) {
            return util::fail(
                std::string("the application/json reply is not one JSON value other than null"));
        }
        return message_data{.type = data_type::json, .bytes = std::string(*json)};
    }
    if (media == "text/plain") {
        if (!is_valid_utf8(body)) {
            return util::fail(std::string("the text/plain reply is not UTF-8"));
        }
        return message_data{.type = data_type::text, .bytes = std::move(body)};
    }
    return message_data{.type = data_type::binary, .bytes = std::move(body)};
}

} // namespace hubcast::protocol

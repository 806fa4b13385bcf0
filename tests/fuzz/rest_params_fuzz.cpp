// fuzz-extra-sources: src/api/rest_params.cpp src/core/connection_filter*.cpp src/auth/*.cpp
//
// libFuzzer target for the REST data plane's parameters and bodies (src/api/rest_params*): every
// query parameter and body a REST caller sends goes through these functions after the token
// check, and a caller holding a valid key is still untrusted input.
//
// Input layout (FuzzedDataProvider): a query string (split on & and =, each side percent-decoded
// as the router's URL parser does, so any byte can reach a value), a Content-Type (random, or one
// the server knows), then the body. Every parse function gets the same input; an answer is either
// a value that holds the header's promises or a 4xx with a message, checked against references
// written here. Round trips: percent_encode and percent_decode, the continuation token, a groups
// body written back from what was read.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <fuzzer/FuzzedDataProvider.h>

#include "api/rest_params.hpp"
#include "fuzz_check.hpp"
#include "protocol/names.hpp"
#include "protocol/utf8.hpp"
#include "util/query_string.hpp"

namespace {

using namespace hubcast;

const auth::access_keys fuzz_keys{{"rest-params-fuzz-access-key"}};
const api::group_scope fuzz_scope{"hub", "group"};

constexpr std::string_view content_types[] = {"application/json",
                                              "text/plain",
                                              "application/octet-stream",
                                              "",
                                              "Application/JSON; charset=utf-8",
                                              " text/plain ;charset=utf-8",
                                              "application/x-protobuf",
                                              "garbage"};

std::vector<std::pair<std::string, std::string>> split_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> pairs;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view piece = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto equals = piece.find('=');
        pairs.emplace_back(util::decode_query_value(piece.substr(0, equals)),
                           equals == std::string_view::npos
                               ? std::string{}
                               : util::decode_query_value(piece.substr(equals + 1)));
    }
    return pairs;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) {
                   return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
               };
               return lower(x) == lower(y);
           });
}

/// The first value of `name` and all of them, the way the header promises (ASCII case-insensitive).
std::optional<std::string> first_of(const std::vector<std::pair<std::string, std::string>>& pairs,
                                    std::string_view name) {
    for (const auto& [key, value] : pairs) {
        if (iequals(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

std::vector<std::string> all_of(const std::vector<std::pair<std::string, std::string>>& pairs,
                                std::string_view name) {
    std::vector<std::string> values;
    for (const auto& [key, value] : pairs) {
        if (iequals(key, name)) {
            values.push_back(value);
        }
    }
    return values;
}

bool is_blank(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

void check_error(const api::rest_error& error) {
    FUZZ_CHECK(error.status >= 400 && error.status <= 499);
    FUZZ_CHECK(!error.code.empty());
    FUZZ_CHECK(!error.message.empty());
}

void check_query(const std::vector<std::pair<std::string, std::string>>& pairs) {
    const api::query_parameters query(pairs);

    const auto version = first_of(pairs, "api-version");
    const auto version_error = api::check_api_version(query);
    FUZZ_CHECK(version_error.has_value() == !(version && api::is_accepted_api_version(*version)));
    if (version_error) {
        check_error(*version_error);
    }

    std::vector<std::string> expected_excluded;
    for (const auto& value : all_of(pairs, "excluded")) {
        std::size_t start = 0;
        while (start <= value.size()) {
            const auto comma = std::min(value.find(',', start), value.size());
            if (comma > start) {
                expected_excluded.push_back(value.substr(start, comma - start));
            }
            start = comma + 1;
        }
    }
    FUZZ_CHECK(api::excluded_connections(query) == expected_excluded);

    const auto ttl = api::message_ttl(query);
    if (ttl) {
        FUZZ_CHECK(ttl->count() >= 0 && ttl->count() <= 300);
        const auto text = first_of(pairs, "messageTtlSeconds");
        FUZZ_CHECK(text || ttl->count() == 0);
    } else {
        check_error(ttl.error());
    }
    if (const auto text = first_of(pairs, "messageTtlSeconds");
        text && !text->empty() && text->size() <= 3 &&
        std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        std::stoi(*text) <= 300) {
        FUZZ_CHECK(ttl && ttl->count() == std::stoi(*text));
    }

    const auto reason = api::close_reason(query);
    const auto reason_text = first_of(pairs, "reason");
    FUZZ_CHECK(reason.has_value() == (!reason_text || protocol::is_valid_utf8(*reason_text)));
    if (reason) {
        FUZZ_CHECK(*reason == reason_text.value_or(""));
    } else {
        check_error(reason.error());
    }

    const auto target = api::permission_target(query);
    const auto target_text = first_of(pairs, "targetName");
    FUZZ_CHECK(target.has_value() == (!target_text || protocol::is_valid_group_name(*target_text)));
    if (target) {
        FUZZ_CHECK(*target == target_text);
    } else {
        check_error(target.error());
    }

    const auto filter_text = first_of(pairs, "filter");
    const auto filter =
        api::parse_filter(filter_text ? std::optional<std::string_view>(*filter_text) : std::nullopt);
    if (filter) {
        FUZZ_CHECK((*filter == nullptr) == (!filter_text || is_blank(*filter_text)));
    } else {
        check_error(filter.error());
        FUZZ_CHECK(filter.error().message.find("position") != std::string::npos);
    }

    const auto page = api::parse_page_request(query, fuzz_keys, fuzz_scope);
    if (page) {
        FUZZ_CHECK(page->page_size >= 1 && page->page_size <= api::page_request::max_page_size);
        FUZZ_CHECK(!page->top || (*page->top >= 1 && *page->top <= 2147483647));
        const auto token = first_of(pairs, "continuationToken");
        FUZZ_CHECK(page->after.empty() == (!token || token->empty()));
        if (!page->after.empty()) {
            FUZZ_CHECK(api::connection_after(fuzz_keys, fuzz_scope,
                                             api::continuation_token(fuzz_keys, fuzz_scope, page->after)) ==
                       page->after);
        }
    } else {
        check_error(page.error());
    }

    const auto token = api::parse_token_parameters(query);
    if (token) {
        FUZZ_CHECK(!token->user_id || protocol::is_valid_user_id(*token->user_id));
        for (const auto& role : token->roles) {
            FUZZ_CHECK(!role.empty() && protocol::is_valid_utf8(role));
        }
        for (const auto& group : token->groups) {
            FUZZ_CHECK(protocol::is_valid_group_name(group));
        }
        FUZZ_CHECK(token->lifetime.count() >= 1);
    } else {
        check_error(token.error());
    }
}

void check_body(std::string_view content_type, const std::string& body) {
    const std::string media = api::media_type(content_type);
    FUZZ_CHECK(media.find(';') == std::string::npos);
    FUZZ_CHECK(std::none_of(media.begin(), media.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
    FUZZ_CHECK(media.empty() || (media.front() != ' ' && media.back() != ' '));

    const auto message = api::message_body(content_type, body);
    if (!message) {
        check_error(message.error());
        FUZZ_CHECK(message.error().status == 400 || message.error().status == 415);
    } else {
        FUZZ_CHECK(message->bytes == body);
        switch (message->type) {
        case protocol::data_type::json: {
            FUZZ_CHECK(media == "application/json");
            boost::json::parse_options options;
            options.max_depth = 64;
            boost::system::error_code ec;
            const auto value = boost::json::parse(body, ec, {}, options);
            FUZZ_CHECK(!ec && !value.is_null());
            break;
        }
        case protocol::data_type::text:
            FUZZ_CHECK(media == "text/plain" && protocol::is_valid_utf8(body));
            break;
        case protocol::data_type::binary:
            FUZZ_CHECK(media == "application/octet-stream" || media.empty());
            break;
        case protocol::data_type::protobuf:
            FUZZ_CHECK(false); // REST sends never carry protobuf data
        }
    }

    const auto groups = api::parse_groups_request(body);
    if (!groups) {
        check_error(groups.error());
        return;
    }
    boost::json::object rewritten;
    boost::json::array names;
    for (const auto& group : groups->groups) {
        FUZZ_CHECK(protocol::is_valid_group_name(group));
        names.emplace_back(group);
    }
    rewritten["groups"] = std::move(names);
    if (groups->filter) {
        rewritten["filter"] = *groups->filter;
    }
    const auto again = api::parse_groups_request(boost::json::serialize(rewritten));
    FUZZ_CHECK(again && again->groups == groups->groups && again->filter == groups->filter);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    const std::string query = input.ConsumeRandomLengthString(512);
    const std::string content_type =
        input.ConsumeBool()
            ? std::string(
                  content_types[input.ConsumeIntegralInRange<std::size_t>(0, std::size(content_types) - 1)])
            : input.ConsumeRandomLengthString(64);
    const std::string body = input.ConsumeRemainingBytesAsString();

    check_query(split_query(query));
    check_body(content_type, body);

    // percent_encode (nextLink) writes only unreserved characters and escapes, and decodes back.
    const std::string encoded = api::percent_encode(body);
    FUZZ_CHECK(
        encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%") ==
        std::string::npos);
    FUZZ_CHECK(util::percent_decode(encoded, false) == body);
    // A continuation token names the id it was made from, for ids up to the bound; a token for a
    // longer id is refused.
    if (query.size() > api::max_continuation_id_bytes) {
        FUZZ_CHECK(!api::connection_after(fuzz_keys, fuzz_scope,
                                          api::continuation_token(fuzz_keys, fuzz_scope, query)));
    } else if (!query.empty()) {
        FUZZ_CHECK(api::connection_after(fuzz_keys, fuzz_scope,
                                         api::continuation_token(fuzz_keys, fuzz_scope, query)) == query);
        // A token for another group, or signed with a key hubcast does not have, is refused.
        FUZZ_CHECK(!api::connection_after(fuzz_keys, {"hub", "other"},
                                          api::continuation_token(fuzz_keys, fuzz_scope, query)));
        FUZZ_CHECK(!api::connection_after(
            fuzz_keys, fuzz_scope,
            api::continuation_token(auth::access_keys{{"another-key"}}, fuzz_scope, query)));
    }
    return 0;
}

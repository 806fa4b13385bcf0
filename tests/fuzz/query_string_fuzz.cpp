// libFuzzer target for query-string scanning (src/util/query_string*): the upgrade reads
// access_token and the reliable-session parameters from the raw query with it, the token checks
// decode with it.
//
// Input layout (FuzzedDataProvider): up to four names to look up (each a random-length string,
// or one of the names the server looks up), then the query text. Every function is compared with
// a reference written the obvious way (split, decode, compare) and its promises are checked: the
// first parameter wins, raw values point into the query, decoding never grows the text, a strict
// decode fails exactly on a truncated or non-hex escape.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_check.hpp"
#include "util/query_string.hpp"

namespace {

using namespace hubcast::util;

constexpr std::string_view server_names[] = {"access_token",
                                             "awps_connection_id",
                                             "awps_reconnection_token",
                                             "id_token",
                                             "api-version",
                                             "",
                                             "a b",
                                             "a+b",
                                             "%"};

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/// Percent-decoding, one escape at a time. `strict`: a bad escape fails; otherwise it stays as is.
std::optional<std::string> reference_decode(std::string_view text, bool plus_is_space, bool strict) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size() && is_hex(text[i + 1]) && is_hex(text[i + 2])) {
            out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
            i += 3;
            continue;
        }
        if (c == '%' && strict) {
            return std::nullopt;
        }
        out.push_back(c == '+' && plus_is_space ? ' ' : c);
        ++i;
    }
    return out;
}

struct reference_param {
    std::string_view key;
    std::optional<std::string_view> value;
};

std::vector<reference_param> reference_split(std::string_view query) {
    std::vector<reference_param> params;
    std::size_t start = 0;
    while (true) {
        const auto end = query.find('&', start);
        const std::string_view piece = query.substr(start, end == std::string_view::npos ? end : end - start);
        const auto equals = piece.find('=');
        if (equals == std::string_view::npos) {
            params.push_back({piece, std::nullopt});
        } else {
            params.push_back({piece.substr(0, equals), piece.substr(equals + 1)});
        }
        if (end == std::string_view::npos) {
            return params;
        }
        start = end + 1;
    }
}

bool points_into(std::string_view inner, std::string_view outer) {
    return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    std::vector<std::string> names;
    const int name_count = input.ConsumeIntegralInRange<int>(0, 4);
    for (int i = 0; i < name_count; ++i) {
        if (input.ConsumeBool()) {
            names.emplace_back(server_names[input.ConsumeIntegralInRange<std::size_t>(
                0, sizeof(server_names) / sizeof(server_names[0]) - 1)]);
        } else {
            names.push_back(input.ConsumeRandomLengthString(16));
        }
    }
    const std::string query = input.ConsumeRemainingBytesAsString();

    std::vector<query_lookup> lookups;
    for (const auto& name : names) {
        lookups.push_back(query_lookup{.name = name});
    }
    // Stale results from an earlier call must not survive.
    for (auto& lookup : lookups) {
        lookup.found = true;
        lookup.raw_value = "stale";
    }
    find_query_params(query, lookups);

    const auto params = reference_split(query);
    for (std::size_t n = 0; n < names.size(); ++n) {
        const reference_param* first = nullptr;
        for (const auto& param : params) {
            if (reference_decode(param.key, false, false) == names[n]) {
                first = &param;
                break;
            }
        }
        FUZZ_CHECK(lookups[n].found == (first != nullptr));
        if (first == nullptr) {
            FUZZ_CHECK(!lookups[n].raw_value);
            continue;
        }
        FUZZ_CHECK(lookups[n].raw_value.has_value() == first->value.has_value());
        if (lookups[n].raw_value) {
            // The same view, not merely equal bytes: the first parameter wins.
            FUZZ_CHECK(lookups[n].raw_value->data() == first->value->data());
            FUZZ_CHECK(lookups[n].raw_value->size() == first->value->size());
            FUZZ_CHECK(points_into(*lookups[n].raw_value, query));
        }
    }

    // Decoding: the lenient value decoder, the strict decoder and the plain-value shortcut agree
    // with the reference and with each other.
    const std::string lenient = decode_query_value(query);
    FUZZ_CHECK(lenient == reference_decode(query, true, false));
    FUZZ_CHECK(lenient.size() <= query.size());
    FUZZ_CHECK(is_plain_query_value(query) == (query.find_first_of("%+") == std::string::npos));
    if (is_plain_query_value(query)) {
        FUZZ_CHECK(lenient == query);
    }
    for (const bool plus_is_space : {false, true}) {
        const auto strict = percent_decode(query, plus_is_space);
        FUZZ_CHECK(strict == reference_decode(query, plus_is_space, true));
        if (strict && plus_is_space) {
            FUZZ_CHECK(*strict == lenient); // without a bad escape the two decoders are one
        }
    }
    return 0;
}

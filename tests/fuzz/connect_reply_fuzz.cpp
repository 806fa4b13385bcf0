// fuzz-extra-sources: src/upstream/connect_reply.cpp
//
// libFuzzer target for the connect event handler's answer (src/upstream/connect_reply*,
// protocol::decode_connect_response): a handler is a third-party HTTP server, so its status,
// headers and body are untrusted input that decides whether and as whom a client connects.
//
// Input layout (FuzzedDataProvider): the status (any 16-bit value, or a common one), the
// ce-connectionState header, then the body. Whatever the bytes: a 4xx rejects with that status
// and a printable, bounded detail; another non-2xx fails with 500; a 2xx either fails with a reason
// or accepts with a valid user id, valid group names and a non-empty subprotocol, taken from a
// body that an independent parser (Boost.JSON) reads as an object. What an accepted answer set,
// written back as JSON, must read back the same.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_check.hpp"
#include "protocol/names.hpp"
#include "upstream/connect_reply.hpp"

namespace {

using namespace hubcast;
using verdict = core::connect_outcome::verdict;

constexpr unsigned common_statuses[] = {200, 201, 204, 299, 300, 304, 400, 401, 403, 404, 429, 499, 500, 503};

bool is_blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

bool printable(std::string_view text) {
    for (const char c : text) {
        if (static_cast<unsigned char>(c) < 0x20) {
            return false;
        }
    }
    return true;
}

bool same(const core::connect_outcome& a, const core::connect_outcome& b) {
    return a.result == b.result && a.status == b.status && a.detail == b.detail && a.user_id == b.user_id &&
           a.groups == b.groups && a.roles == b.roles && a.subprotocol == b.subprotocol &&
           a.connection_state == b.connection_state;
}

boost::json::array strings(const std::vector<std::string>& items) {
    boost::json::array out;
    for (const auto& item : items) {
        out.emplace_back(item);
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    const unsigned status =
        input.ConsumeBool()
            ? common_statuses[input.ConsumeIntegralInRange<std::size_t>(0, std::size(common_statuses) - 1)]
            : input.ConsumeIntegral<std::uint16_t>();
    const std::string state = input.ConsumeRandomLengthString(64);
    const std::string body = input.ConsumeRemainingBytesAsString();

    const auto reply = upstream::interpret_connect_reply(status, body, state);
    const auto& outcome = reply.outcome;
    FUZZ_CHECK(same(outcome, upstream::interpret_connect_reply(status, body, state).outcome));
    FUZZ_CHECK(reply.failure.empty() == (outcome.result != verdict::failed));

    if (status >= 400 && status <= 499) {
        FUZZ_CHECK(outcome.result == verdict::rejected);
        FUZZ_CHECK(outcome.status == status);
        FUZZ_CHECK(outcome.detail.size() <= upstream::max_detail_bytes + 3);
        FUZZ_CHECK(printable(outcome.detail));
        FUZZ_CHECK(body.empty() ? outcome.detail.empty() : !outcome.detail.empty());
        return 0;
    }
    if (!upstream::is_success_status(status)) {
        FUZZ_CHECK(outcome.result == verdict::failed);
        FUZZ_CHECK(outcome.status == 500);
        return 0;
    }
    if (outcome.result == verdict::failed) {
        FUZZ_CHECK(outcome.status == 500);
        FUZZ_CHECK(!is_blank(body)); // an empty answer sets nothing, it never fails
        return 0;
    }
    FUZZ_CHECK(outcome.result == verdict::accepted);
    FUZZ_CHECK(outcome.status == 0 && outcome.detail.empty());
    FUZZ_CHECK(outcome.connection_state ==
               (state.empty() ? std::nullopt : std::optional<std::string>(state)));
    if (outcome.user_id) {
        FUZZ_CHECK(protocol::is_valid_user_id(*outcome.user_id));
    }
    if (outcome.groups) {
        for (const auto& group : *outcome.groups) {
            FUZZ_CHECK(protocol::is_valid_group_name(group));
        }
    }
    if (outcome.subprotocol) {
        FUZZ_CHECK(!outcome.subprotocol->empty());
    }
    if (is_blank(body)) {
        FUZZ_CHECK(!outcome.user_id && !outcome.groups && !outcome.roles && !outcome.subprotocol);
        return 0;
    }
    // Accepted JSON is JSON to another parser too (deep nesting is legal in unknown members).
    boost::json::parse_options options;
    options.max_depth = 4096;
    boost::system::error_code ec;
    const auto value = boost::json::parse(body, ec, {}, options);
    FUZZ_CHECK(!ec && value.is_object());

    // What was read, written back, reads back the same.
    boost::json::object rewritten;
    if (outcome.user_id) {
        rewritten["userId"] = *outcome.user_id;
    }
    if (outcome.groups) {
        rewritten["groups"] = strings(*outcome.groups);
    }
    if (outcome.roles) {
        rewritten["roles"] = strings(*outcome.roles);
    }
    if (outcome.subprotocol) {
        rewritten["subprotocol"] = *outcome.subprotocol;
    }
    const auto again = upstream::interpret_connect_reply(status, boost::json::serialize(rewritten), state);
    FUZZ_CHECK(same(outcome, again.outcome));
    return 0;
}

// fuzz-extra-sources: src/core/connection_filter*.cpp
//
// libFuzzer target for connection_filter (src/core/connection_filter*.cpp).
//
// The input is a filter text as a REST caller sends it. Whatever the bytes, parse must not crash
// or exhaust the stack, and must answer the same way twice. A refusal must carry a printable
// message that names its position, and that position must lie within the text. An accepted
// filter is evaluated against connections chosen to reach every branch (anonymous, empty and
// long strings, malformed UTF-8, no group set); each answer must be the same on a second
// evaluation and from a second parse, and must agree with the filter rewritten three ways whose
// answers are known: `not (f)` never matches where f does, `(f) or true` always matches and
// `(f) and false` never does.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/connection_filter.hpp"
#include "fuzz_check.hpp"

namespace {

using hubcast::core::connection_filter;
using hubcast::core::filter_subject;

struct connection_state {
    std::string connection_id;
    std::optional<std::string> user_id;
    std::unordered_set<std::string> groups;
    bool has_groups = true;

    filter_subject subject() const { return {connection_id, &user_id, has_groups ? &groups : nullptr}; }
};

const std::vector<connection_state>& connections() {
    static const std::vector<connection_state> all{
        {"c1", "u1", {"g1", "g2"}},
        {"123", std::nullopt, {}},
        {"", " USER-ab'1 \t", {"", "it's", "g1"}},
        // Longer than the evaluator's inline scratch space, so built strings go to the heap.
        {std::string(300, 'c'), std::string(300, 'a') + std::string(300, 'B'), {"\xc3\xa9"}},
        {"c\xc3\xa9", "h\xc3\xa9llo\x80\xff", {}, false},
    };
    return all;
}

bool printable(std::string_view message) {
    for (const char c : message) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
            return false;
        }
    }
    return true;
}

/// Parses a rewriting of an accepted filter. It can only be refused for nesting one level deeper
/// (the added parenthesis), never for its syntax or types.
std::shared_ptr<const connection_filter> parse_rewritten(const std::string& text) {
    auto parsed = connection_filter::parse(text);
    if (!parsed) {
        FUZZ_CHECK(parsed.error().message.starts_with("nesting too deep"));
        return nullptr;
    }
    return *parsed;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(bytes), size);
    const auto parsed = connection_filter::parse(text);
    const auto again = connection_filter::parse(text);
    FUZZ_CHECK(parsed.has_value() == again.has_value());
    if (!parsed) {
        const auto& error = parsed.error();
        FUZZ_CHECK(error.position <= size);
        FUZZ_CHECK(!error.message.empty() && printable(error.message));
        FUZZ_CHECK(error.message.find(std::to_string(error.position)) != std::string::npos);
        FUZZ_CHECK(error.message == again.error().message && error.position == again.error().position);
        return 0;
    }
    FUZZ_CHECK(size <= connection_filter::max_length);

    const std::string inner = "(" + std::string(text) + ")";
    // Each rewriting adds at most 16 bytes; past the length limit it would be refused for that.
    const bool rewrite = size + 16 <= connection_filter::max_length;
    const auto negated = rewrite ? parse_rewritten("not " + inner) : nullptr;
    const auto widened = rewrite ? parse_rewritten(inner + " or true") : nullptr;
    const auto narrowed = rewrite ? parse_rewritten(inner + " and false") : nullptr;

    for (const auto& connection : connections()) {
        const filter_subject subject = connection.subject();
        const bool match = (*parsed)->matches(subject);
        FUZZ_CHECK(match == (*parsed)->matches(subject));
        FUZZ_CHECK(match == (*again)->matches(subject));
        // Not `!match`: a null result (e.g. not startswith(null, ...)) matches neither way.
        FUZZ_CHECK(!(negated && match && negated->matches(subject)));
        FUZZ_CHECK(!widened || widened->matches(subject));
        FUZZ_CHECK(!narrowed || !narrowed->matches(subject));
    }
    return 0;
}

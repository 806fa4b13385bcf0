#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "util/result.hpp"

namespace hubcast::core {

/// What a filter may look at of one connection.
struct filter_subject {
    std::string_view connection_id;
    const std::optional<std::string>* user_id = nullptr; ///< never null when evaluated
    const std::unordered_set<std::string>* groups = nullptr;
};

/// Why a filter text was refused: the REST layer answers 400 with this message.
struct filter_error {
    std::string message;      ///< names the problem and what was expected
    std::size_t position = 0; ///< byte offset in the filter text where it was found
};

/// An OData `$filter`-style expression over a connection's `userId`, `connectionId` and `groups`
/// (server-protocol spec 2.4): eq ne gt ge lt le, and or not, parentheses, `in` with lists and
/// with `groups`, string functions, null, '' quoting. Parsed once per REST request, immutable,
/// shared by every shard and evaluated on each connection's owning worker. Evaluation is pure and
/// bounded by the size of the expression (at most `max_clauses` comparisons).
class connection_filter {
public:
    static constexpr std::size_t max_clauses = 100;
    static constexpr std::size_t max_length = 8 * 1024;
    static constexpr std::size_t max_depth = 32;

    /// Parses and type-checks `text` once. Every refusal (syntax, type, unknown name, a limit
    /// above) is a filter_error whose message is printable ASCII and whose position is at most
    /// text.size(); parse never throws one. Identifiers, keywords and function names are matched
    /// case-insensitively; string values are compared case-sensitively (ordinal, by bytes).
    static util::result<std::shared_ptr<const connection_filter>, filter_error> parse(std::string_view text);

    /// Whether the filter is true for `subject`. Pure, does not throw for any subject (string
    /// functions clamp out-of-range positions), and allocates only when string functions build
    /// more than a few hundred bytes. Safe to call concurrently on one filter.
    bool matches(const filter_subject& subject) const;

    /// The text it was parsed from: what crosses to other nodes, which parse it again.
    const std::string& source() const noexcept { return source_; }

private:
    /// Static type of an expression. `null` is the type of the literal `null` alone; string and
    /// integer expressions may still evaluate to null (the userId of an anonymous connection, and
    /// any function of it).
    enum class value_type : std::uint8_t { boolean, integer, string, collection, null };

    enum class op : std::uint8_t {
        literal_boolean,
        literal_integer,
        literal_string,
        literal_null,
        user_id,
        connection_id,
        groups,
        to_lower,
        to_upper,
        trim,
        substring,
        concat,
        ends_with,
        starts_with,
        contains,
        index_of,
        length_of_string,
        length_of_collection,
        equal,
        not_equal,
        greater,
        greater_equal,
        less,
        less_equal,
        in_list,
        in_sorted_strings, ///< `in` over string literals only, kept sorted for a binary search
        in_collection,
        logical_and,
        logical_or,
        logical_not,
    };

    /// One term (node) of the flat expression tree. Its children are `children_[first, first + count)`;
    /// the parser type-checked every term, so evaluation never meets a type it did not expect.
    struct term {
        op kind;
        value_type type;    ///< of the term's result
        value_type operand; ///< comparisons and `in`: the type both sides are compared as
        std::uint32_t first = 0;
        std::uint32_t count = 0;
        std::int64_t value = 0; ///< boolean or integer literal; index in `literals_` for a string
    };

    class parser;
    class evaluator;

    connection_filter() = default;

    std::string source_;
    std::vector<term> terms_;
    std::vector<std::uint32_t> children_;
    std::vector<std::string> literals_; ///< unescaped; std::string so groups->find() needs no copy
    std::uint32_t root_ = 0;
};

using filter_ptr = std::shared_ptr<const connection_filter>;

} // namespace hubcast::core

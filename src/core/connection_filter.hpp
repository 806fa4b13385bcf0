#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

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
    std::string message;  ///< names the problem and what was expected
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

    static util::result<std::shared_ptr<const connection_filter>, filter_error> parse(std::string_view text);

    bool matches(const filter_subject& subject) const;

private:
    // Implementation-defined compiled form (e.g. a flat expression tree).
};

using filter_ptr = std::shared_ptr<const connection_filter>;

} // namespace hubcast::core

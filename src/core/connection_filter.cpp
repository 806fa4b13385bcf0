#include "core/connection_filter.hpp"

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/connection_filter_lexer.hpp"

namespace hubcast::core {
namespace {

/// A boolean that may be null, as OData's lifted operators (MS-ODATA 2.2.3.6.1.1.5) require:
/// a function of a null string is null, `not null` is null, `and`/`or` treat null as false,
/// and a null result does not match.
enum class truth : std::uint8_t { no, yes, unknown };

truth to_truth(bool value) {
    return value ? truth::yes : truth::no;
}

using text = std::optional<std::string_view>; ///< nullopt is null
using number = std::optional<std::int64_t>;

/// Storage for the strings tolower/toupper/concat build during one evaluation. The common case
/// (short ids, a function or two) stays in the inline block on the stack; past it each string gets
/// its own heap block so earlier views stay valid.
class scratch {
public:
    char* allocate(std::size_t size) {
        if (size <= inline_.size() - used_) {
            char* out = inline_.data() + used_;
            used_ += size;
            return out;
        }
        overflow_.push_back(std::make_unique_for_overwrite<char[]>(size));
        return overflow_.back().get();
    }

private:
    std::array<char, 512> inline_;
    std::size_t used_ = 0;
    std::vector<std::unique_ptr<char[]>> overflow_;
};

// Positions and lengths count code points, as the .NET service counts UTF-16 units (the same
// for every character of the Basic Multilingual Plane). A code point starts at byte 0 and at
// every byte that is not a UTF-8 continuation byte, so malformed input still has one meaning.
bool starts_code_point(std::string_view s, std::size_t i) {
    return i == 0 || (static_cast<unsigned char>(s[i]) & 0xc0) != 0x80;
}

std::int64_t code_points(std::string_view s) {
    std::int64_t count = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        count += starts_code_point(s, i) ? 1 : 0;
    }
    return count;
}

/// Byte offset of code point `n` (n >= 0), or s.size() when s has no more.
std::size_t byte_offset(std::string_view s, std::int64_t n) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (starts_code_point(s, i) && n-- == 0) {
            return i;
        }
    }
    return s.size();
}

} // namespace

/// One evaluation against one subject: all state lives here, on the caller's stack, so a shared
/// filter is evaluated concurrently without synchronisation.
class connection_filter::evaluator {
public:
    evaluator(const connection_filter& filter, const filter_subject& subject)
        : filter_(filter), subject_(subject) {}

    truth boolean(std::uint32_t index) {
        const term& n = filter_.terms_[index];
        switch (n.kind) {
        case op::literal_boolean:
            return to_truth(n.value != 0);
        case op::literal_null:
            return truth::unknown;
        case op::logical_not: {
            const truth operand = boolean(child(n, 0));
            return operand == truth::unknown ? truth::unknown : to_truth(operand == truth::no);
        }
        case op::logical_and:
            for (std::uint32_t i = 0; i < n.count; ++i) {
                if (boolean(child(n, i)) != truth::yes) {
                    return truth::no;
                }
            }
            return truth::yes;
        case op::logical_or:
            for (std::uint32_t i = 0; i < n.count; ++i) {
                if (boolean(child(n, i)) == truth::yes) {
                    return truth::yes;
                }
            }
            return truth::no;
        case op::starts_with:
        case op::ends_with:
        case op::contains:
            return string_test(n);
        case op::equal:
        case op::not_equal:
        case op::greater:
        case op::greater_equal:
        case op::less:
        case op::less_equal:
            return to_truth(read_as(
                n.operand, [&](auto read) { return ordered(n.kind, read(child(n, 0)), read(child(n, 1))); }));
        case op::in_list:
            return to_truth(read_as(n.operand, [&](auto read) {
                // Once, not per item: it may be built by string functions.
                const auto left = read(child(n, 0));
                for (std::uint32_t i = 1; i < n.count; ++i) {
                    if (ordered(op::equal, left, read(child(n, i)))) {
                        return true;
                    }
                }
                return false;
            }));
        case op::in_sorted_strings:
            return in_sorted_strings(n);
        case op::in_collection:
            return in_groups(child(n, 0));
        default:
            return truth::unknown; // the parser types every boolean position
        }
    }

    number integer(std::uint32_t index) {
        const term& n = filter_.terms_[index];
        switch (n.kind) {
        case op::literal_integer:
            return n.value;
        case op::length_of_collection:
            return subject_.groups == nullptr ? 0 : static_cast<std::int64_t>(subject_.groups->size());
        case op::length_of_string: {
            const text s = string(child(n, 0));
            return s ? number(code_points(*s)) : std::nullopt;
        }
        case op::index_of: {
            const text haystack = string(child(n, 0));
            const text needle = string(child(n, 1));
            if (!haystack || !needle) {
                return std::nullopt;
            }
            const std::size_t found = haystack->find(*needle);
            return found == std::string_view::npos ? -1 : code_points(haystack->substr(0, found));
        }
        default:
            return std::nullopt;
        }
    }

    text string(std::uint32_t index) {
        const term& n = filter_.terms_[index];
        switch (n.kind) {
        case op::literal_string:
            return filter_.literals_[static_cast<std::size_t>(n.value)];
        case op::user_id:
            if (subject_.user_id == nullptr || !subject_.user_id->has_value()) {
                return std::nullopt;
            }
            return std::string_view(**subject_.user_id);
        case op::connection_id:
            return subject_.connection_id;
        case op::to_lower:
            return change_case(child(n, 0), 'A', 'Z');
        case op::to_upper:
            return change_case(child(n, 0), 'a', 'z');
        case op::trim: {
            text s = string(child(n, 0));
            if (s) {
                while (!s->empty() && filter_syntax::is_space(s->front())) {
                    s->remove_prefix(1);
                }
                while (!s->empty() && filter_syntax::is_space(s->back())) {
                    s->remove_suffix(1);
                }
            }
            return s;
        }
        case op::substring:
            return substring(n);
        case op::concat:
            return concat(child(n, 0), child(n, 1));
        default:
            return std::nullopt;
        }
    }

private:
    std::uint32_t child(const term& n, std::uint32_t i) const { return filter_.children_[n.first + i]; }

    /// eq/ne treat null as a value (null eq null); gt/ge/lt/le are false when either side is null.
    template <typename T> static bool ordered(op kind, const std::optional<T>& a, const std::optional<T>& b) {
        if (!a || !b) {
            const bool both_null = !a && !b;
            return kind == op::equal ? both_null : kind == op::not_equal ? !both_null : false;
        }
        const auto order = *a <=> *b;
        switch (kind) {
        case op::equal:
            return std::is_eq(order);
        case op::not_equal:
            return std::is_neq(order);
        case op::greater:
            return std::is_gt(order);
        case op::greater_equal:
            return std::is_gteq(order);
        case op::less:
            return std::is_lt(order);
        default:
            return std::is_lteq(order);
        }
    }

    /// Calls `use` with a function that evaluates a term as `operand`, the type the parser
    /// unified both sides of a comparison or `in` to.
    template <typename Use> bool read_as(value_type operand, Use use) {
        switch (operand) {
        case value_type::string:
            // string_view compares as unsigned bytes, which is code point order for UTF-8.
            return use([this](std::uint32_t i) { return string(i); });
        case value_type::integer:
            return use([this](std::uint32_t i) { return integer(i); });
        case value_type::boolean:
            return use([this](std::uint32_t i) { return as_optional(boolean(i)); });
        default:
            return use([](std::uint32_t) { return std::optional<int>(); }); // null against null
        }
    }

    static std::optional<bool> as_optional(truth t) {
        return t == truth::unknown ? std::nullopt : std::optional<bool>(t == truth::yes);
    }

    truth string_test(const term& n) {
        const text s = string(child(n, 0));
        const text part = string(child(n, 1));
        if (!s || !part) {
            return truth::unknown;
        }
        switch (n.kind) {
        case op::starts_with:
            return to_truth(s->starts_with(*part));
        case op::ends_with:
            return to_truth(s->ends_with(*part));
        default:
            return to_truth(s->find(*part) != std::string_view::npos);
        }
    }

    truth in_sorted_strings(const term& n) {
        const text value = string(child(n, 0));
        if (!value) {
            return truth::no; // the list holds string literals only, never null
        }
        const auto* begin = filter_.children_.data() + n.first + 1;
        const auto* end = filter_.children_.data() + n.first + n.count;
        const auto* found = std::lower_bound(
            begin, end, *value, [this](std::uint32_t item, std::string_view v) { return literal(item) < v; });
        return to_truth(found != end && literal(*found) == *value);
    }

    truth in_groups(std::uint32_t left) {
        if (subject_.groups == nullptr) {
            return truth::no;
        }
        const term& n = filter_.terms_[left];
        // A literal is already a std::string, so the usual `'g1' in groups` looks up without a copy.
        if (n.kind == op::literal_string) {
            return to_truth(subject_.groups->contains(filter_.literals_[static_cast<std::size_t>(n.value)]));
        }
        const text value = string(left);
        return to_truth(value && subject_.groups->contains(std::string(*value)));
    }

    std::string_view literal(std::uint32_t index) const {
        return filter_.literals_[static_cast<std::size_t>(filter_.terms_[index].value)];
    }

    /// ASCII only: shifts [from, to] by the distance between the cases. A string with nothing to
    /// change is returned as it is, without a copy.
    text change_case(std::uint32_t operand, char from, char to) {
        const text s = string(operand);
        if (!s) {
            return s;
        }
        const auto in_range = [from, to](char c) {
            return c >= from && c <= to;
        };
        const auto first = std::find_if(s->begin(), s->end(), in_range);
        if (first == s->end()) {
            return s;
        }
        char* out = scratch_.allocate(s->size());
        std::copy(s->begin(), s->end(), out);
        constexpr int case_distance = 'a' - 'A';
        const int shift = from == 'A' ? case_distance : -case_distance;
        for (auto i = static_cast<std::size_t>(first - s->begin()); i < s->size(); ++i) {
            if (in_range(out[i])) {
                out[i] = static_cast<char>(out[i] + shift);
            }
        }
        return std::string_view(out, s->size());
    }

    /// Out-of-range arguments clamp rather than fail, so a filter never errors per connection:
    /// a negative start counts from 0, a start past the end gives '', a negative length gives ''.
    text substring(const term& n) {
        const text s = string(child(n, 0));
        const number start = integer(child(n, 1));
        const number length =
            n.count == 3 ? integer(child(n, 2)) : number(std::numeric_limits<std::int64_t>::max());
        if (!s || !start || !length) {
            return std::nullopt;
        }
        const std::size_t begin = byte_offset(*s, std::max<std::int64_t>(*start, 0));
        const std::string_view rest = s->substr(begin);
        return rest.substr(0, byte_offset(rest, std::max<std::int64_t>(*length, 0)));
    }

    text concat(std::uint32_t left, std::uint32_t right) {
        const text a = string(left);
        const text b = string(right);
        if (!a || !b) {
            return std::nullopt;
        }
        if (a->empty() || b->empty()) {
            return a->empty() ? b : a;
        }
        char* out = scratch_.allocate(a->size() + b->size());
        std::copy(a->begin(), a->end(), out);
        std::copy(b->begin(), b->end(), out + a->size());
        return std::string_view(out, a->size() + b->size());
    }

    const connection_filter& filter_;
    const filter_subject& subject_;
    scratch scratch_;
};

bool connection_filter::matches(const filter_subject& subject) const {
    return evaluator(*this, subject).boolean(root_) == truth::yes;
}

} // namespace hubcast::core

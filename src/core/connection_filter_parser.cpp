#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/connection_filter.hpp"
#include "core/connection_filter_lexer.hpp"

namespace hubcast::core {
namespace {

using filter_syntax::at;
using filter_syntax::fail;
using filter_syntax::parse_failure;
using filter_syntax::quote;
using filter_syntax::token_kind;
using filter_syntax::word;

bool is_comparison(word w) {
    return w == word::eq || w == word::ne || w == word::gt || w == word::ge || w == word::lt || w == word::le;
}

enum class parameter : std::uint8_t { string, integer, string_or_collection };

struct function_info {
    word name;
    std::string_view spelling;
    std::uint8_t min_args;
    std::uint8_t max_args;
    std::array<parameter, 3> parameters;
};

constexpr std::array functions{
    function_info{word::tolower, "tolower", 1, 1, {parameter::string}},
    function_info{word::toupper, "toupper", 1, 1, {parameter::string}},
    function_info{word::trim, "trim", 1, 1, {parameter::string}},
    function_info{
        word::substring, "substring", 2, 3, {parameter::string, parameter::integer, parameter::integer}},
    function_info{word::concat, "concat", 2, 2, {parameter::string, parameter::string}},
    function_info{word::endswith, "endswith", 2, 2, {parameter::string, parameter::string}},
    function_info{word::startswith, "startswith", 2, 2, {parameter::string, parameter::string}},
    function_info{word::contains, "contains", 2, 2, {parameter::string, parameter::string}},
    function_info{word::indexof, "indexof", 2, 2, {parameter::string, parameter::string}},
    function_info{word::length, "length", 1, 1, {parameter::string_or_collection}},
};

const function_info* find_function(word w) {
    const auto* found =
        std::find_if(functions.begin(), functions.end(), [w](const function_info& f) { return f.name == w; });
    return found == functions.end() ? nullptr : found;
}

constexpr std::string_view comparison_operators = "eq, ne, gt, ge, lt, le or in";

} // namespace

class connection_filter::parser {
public:
    parser(std::string_view text, connection_filter& filter) : lexer_(text), filter_(filter) {}

    void run() {
        lexer_.advance();
        const std::uint32_t root = parse_or();
        if (current().kind != token_kind::end && type_of(root) == value_type::boolean) {
            fail_unexpected("and, or or end of filter");
        }
        require_boolean(root);
        filter_.root_ = root;
    }

private:
    // Each '(' and each `not` is one level: the only ways the tree (and both recursions over it)
    // can grow deep, since and/or chains become one n-ary node.
    class nesting {
    public:
        nesting(parser& p, std::size_t position) : parser_(p) {
            if (parser_.depth_ == max_depth) {
                fail("nesting too deep (more than " + std::to_string(max_depth) + " levels)" + at(position),
                     position);
            }
            ++parser_.depth_;
        }
        ~nesting() { --parser_.depth_; }
        nesting(const nesting&) = delete;
        nesting& operator=(const nesting&) = delete;

    private:
        parser& parser_;
    };

    [[noreturn]] void fail_unexpected(std::string_view expected) {
        std::string message;
        const std::string_view source = lexer_.source();
        switch (current().kind) {
        case token_kind::end:
            message = "unexpected end of filter";
            break;
        case token_kind::string:
            message = "unexpected string " + quote(source, false);
            break;
        default:
            message = "unexpected token " + quote(source);
            break;
        }
        fail(message + at(current().position) + ": expected " + std::string(expected), current().position);
    }

    const filter_syntax::token& current() const { return lexer_.current(); }

    bool at_word(word w) const { return current().kind == token_kind::name && current().name == w; }

    std::uint32_t emit(term n, std::size_t position, const std::vector<std::uint32_t>& children = {}) {
        n.first = static_cast<std::uint32_t>(filter_.children_.size());
        n.count = static_cast<std::uint32_t>(children.size());
        filter_.children_.insert(filter_.children_.end(), children.begin(), children.end());
        filter_.terms_.push_back(n);
        positions_.push_back(position);
        return static_cast<std::uint32_t>(filter_.terms_.size() - 1);
    }

    value_type type_of(std::uint32_t index) const { return filter_.terms_[index].type; }
    std::size_t position_of(std::uint32_t index) const { return positions_[index]; }

    static std::string_view describe(value_type type) {
        switch (type) {
        case value_type::boolean:
            return "a boolean";
        case value_type::integer:
            return "an integer";
        case value_type::string:
            return "a string";
        case value_type::collection:
            return "a collection";
        case value_type::null:
            break;
        }
        return "null";
    }

    [[noreturn]] void fail_collection(std::uint32_t index) {
        const std::size_t position = position_of(index);
        fail("groups" + at(position) + " is a collection: use it as '<group>' in groups or length(groups)",
             position);
    }

    /// Where a boolean is needed and the operand just parsed is not one, the comparison the user
    /// left out is the likeliest fix, so the error points at the token where it was expected.
    void require_boolean(std::uint32_t index) {
        if (type_of(index) == value_type::collection) {
            fail_collection(index);
        }
        if (type_of(index) != value_type::boolean) {
            fail_unexpected(comparison_operators);
        }
    }

    void count_clause(std::size_t position) {
        if (++clauses_ > max_clauses) {
            fail("too many clauses (more than " + std::to_string(max_clauses) + ")" + at(position), position);
        }
    }

    // The grammar, lowest precedence first.

    std::uint32_t parse_or() { return parse_logical(word::logical_or); }

    std::uint32_t parse_logical(word connective) {
        const bool is_or = connective == word::logical_or;
        const std::uint32_t first = is_or ? parse_logical(word::logical_and) : parse_comparison();
        if (!at_word(connective)) {
            return first;
        }
        require_boolean(first);
        std::vector<std::uint32_t> operands{first};
        while (at_word(connective)) {
            lexer_.advance();
            const std::uint32_t next = is_or ? parse_logical(word::logical_and) : parse_comparison();
            require_boolean(next);
            operands.push_back(next);
        }
        return emit({is_or ? op::logical_or : op::logical_and, value_type::boolean, value_type::boolean},
                    position_of(first), operands);
    }

    std::uint32_t parse_comparison() {
        const std::uint32_t left = parse_unary();
        if (at_word(word::in)) {
            return parse_in(left);
        }
        if (current().kind != token_kind::name || !is_comparison(current().name)) {
            return left;
        }
        const word comparison = current().name;
        const std::size_t op_position = current().position;
        const std::string op_text(lexer_.source());
        count_clause(op_position);
        lexer_.advance();
        const std::uint32_t right = parse_unary();
        reject_collection(left);
        reject_collection(right);
        const value_type operand = unify(type_of(left), type_of(right), op_position);
        const bool ordering = comparison != word::eq && comparison != word::ne;
        if (ordering && operand == value_type::boolean) {
            fail(quote(op_text) + at(op_position) + " cannot order booleans: use eq or ne", op_position);
        }
        static constexpr std::array<std::pair<word, op>, 6> kinds{{{word::eq, op::equal},
                                                                   {word::ne, op::not_equal},
                                                                   {word::gt, op::greater},
                                                                   {word::ge, op::greater_equal},
                                                                   {word::lt, op::less},
                                                                   {word::le, op::less_equal}}};
        const auto kind =
            std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == comparison; });
        return emit({kind->second, value_type::boolean, operand}, position_of(left), {left, right});
    }

    void reject_collection(std::uint32_t index) {
        if (type_of(index) == value_type::collection) {
            fail_collection(index);
        }
    }

    /// The type two scalar operands are compared as: their common type, where the literal null
    /// goes with any other.
    value_type unify(value_type a, value_type b, std::size_t op_position) {
        if (a == value_type::null || a == b) {
            return b;
        }
        if (b == value_type::null) {
            return a;
        }
        fail("cannot compare " + std::string(describe(a)) + " with " + std::string(describe(b)) +
                 at(op_position),
             op_position);
    }

    std::uint32_t parse_in(std::uint32_t left) {
        const std::size_t in_position = current().position;
        count_clause(in_position);
        lexer_.advance();
        if (current().kind != token_kind::open) {
            const std::uint32_t collection = parse_primary();
            if (type_of(collection) != value_type::collection) {
                fail("the right side of 'in'" + at(position_of(collection)) +
                         " must be a parenthesised list or groups, not " +
                         std::string(describe(type_of(collection))),
                     position_of(collection));
            }
            return membership(left, collection);
        }
        const std::size_t list_position = current().position;
        std::vector<std::uint32_t> items = parse_list();
        if (items.empty()) {
            fail("the list of 'in'" + at(list_position) + " is empty", list_position);
        }
        if (items.size() == 1 && type_of(items.front()) == value_type::collection) {
            return membership(left, items.front());
        }
        reject_collection(left);
        value_type operand = type_of(left);
        for (const std::uint32_t item : items) {
            reject_collection(item);
            operand = unify(operand, type_of(item), position_of(item));
        }
        bool all_literals = operand == value_type::string;
        for (const std::uint32_t item : items) {
            all_literals = all_literals && filter_.terms_[item].kind == op::literal_string;
        }
        op kind = op::in_list;
        if (all_literals) {
            kind = op::in_sorted_strings;
            std::sort(items.begin(), items.end(), [this](std::uint32_t a, std::uint32_t b) {
                return filter_.literals_[filter_.terms_[a].value] <
                       filter_.literals_[filter_.terms_[b].value];
            });
        }
        items.insert(items.begin(), left);
        return emit({kind, value_type::boolean, operand}, position_of(left), items);
    }

    std::uint32_t membership(std::uint32_t left, std::uint32_t collection) {
        const value_type type = type_of(left);
        if (type != value_type::string && type != value_type::null) {
            fail("only strings can be members of groups, not " + std::string(describe(type)) +
                     at(position_of(left)),
                 position_of(left));
        }
        return emit({op::in_collection, value_type::boolean, value_type::string}, position_of(left),
                    {left, collection});
    }

    /// `( expr {, expr} )` for call arguments and `in` lists; the current token is the '('.
    std::vector<std::uint32_t> parse_list() {
        const nesting level(*this, current().position);
        lexer_.advance();
        std::vector<std::uint32_t> items;
        if (current().kind == token_kind::close) {
            lexer_.advance();
            return items;
        }
        for (;;) {
            items.push_back(parse_or());
            if (current().kind == token_kind::comma) {
                lexer_.advance();
            } else if (current().kind == token_kind::close) {
                lexer_.advance();
                return items;
            } else {
                fail_unexpected("',' or ')'");
            }
        }
    }

    std::uint32_t parse_unary() {
        if (!at_word(word::logical_not)) {
            return parse_primary();
        }
        const std::size_t not_position = current().position;
        const nesting level(*this, not_position);
        lexer_.advance();
        const std::uint32_t operand = parse_unary();
        if (type_of(operand) != value_type::boolean) {
            fail("'not'" + at(not_position) + " needs a boolean operand, but the operand" +
                     at(position_of(operand)) + " is " + std::string(describe(type_of(operand))) +
                     " (not binds tighter than comparisons: write not (...))",
                 not_position);
        }
        return emit({op::logical_not, value_type::boolean, value_type::boolean}, not_position, {operand});
    }

    std::uint32_t parse_primary() {
        const std::size_t position = current().position;
        switch (current().kind) {
        case token_kind::integer: {
            const std::int64_t value = current().integer;
            lexer_.advance();
            return emit({op::literal_integer, value_type::integer, value_type::integer, 0, 0, value},
                        position);
        }
        case token_kind::string: {
            filter_.literals_.push_back(lexer_.take_text());
            const auto index = static_cast<std::int64_t>(filter_.literals_.size() - 1);
            lexer_.advance();
            return emit({op::literal_string, value_type::string, value_type::string, 0, 0, index}, position);
        }
        case token_kind::open: {
            const nesting level(*this, position);
            lexer_.advance();
            const std::uint32_t inner = parse_or();
            if (current().kind != token_kind::close) {
                const value_type type = type_of(inner);
                fail_unexpected(type == value_type::boolean      ? "and, or or ')'"
                                : type == value_type::collection ? "')'"
                                                                 : "eq, ne, gt, ge, lt, le, in or ')'");
            }
            lexer_.advance();
            return inner;
        }
        case token_kind::name:
            return parse_name();
        default:
            fail_unexpected("an operand");
        }
    }

    std::uint32_t parse_name() {
        const std::size_t position = current().position;
        const std::string name(lexer_.source());
        const word w = current().name;
        switch (w) {
        case word::literal_null:
            lexer_.advance();
            return emit({op::literal_null, value_type::null, value_type::null}, position);
        case word::literal_true:
        case word::literal_false:
            lexer_.advance();
            return emit({op::literal_boolean, value_type::boolean, value_type::boolean, 0, 0,
                         w == word::literal_true ? 1 : 0},
                        position);
        case word::user_id:
            lexer_.advance();
            return emit({op::user_id, value_type::string, value_type::string}, position);
        case word::connection_id:
            lexer_.advance();
            return emit({op::connection_id, value_type::string, value_type::string}, position);
        case word::groups:
            lexer_.advance();
            return emit({op::groups, value_type::collection, value_type::collection}, position);
        default:
            break;
        }
        if (const function_info* function = find_function(w)) {
            return parse_call(*function);
        }
        if (w != word::none) {
            fail_unexpected("an operand");
        }
        // Peeks rather than lexes: what follows an unknown name may itself be malformed, and the
        // name is the first problem.
        if (lexer_.next_char_is('(')) {
            fail("unknown function " + quote(name) + at(position), position);
        }
        fail("unknown identifier " + quote(name) + at(position) + ": expected userId, connectionId or groups",
             position);
    }

    std::uint32_t parse_call(const function_info& function) {
        const std::size_t position = current().position;
        lexer_.advance();
        if (current().kind != token_kind::open) {
            fail_unexpected("'(' after " + std::string(function.spelling));
        }
        const std::vector<std::uint32_t> args = parse_list();
        if (args.size() < function.min_args || args.size() > function.max_args) {
            const std::string expected =
                function.min_args == function.max_args
                    ? std::to_string(function.min_args)
                    : std::to_string(function.min_args) + " or " + std::to_string(function.max_args);
            fail(std::string(function.spelling) + at(position) + " takes " + expected +
                     (function.max_args == 1 ? " argument" : " arguments") + ", not " +
                     std::to_string(args.size()),
                 position);
        }
        for (std::size_t i = 0; i < args.size(); ++i) {
            check_argument(function, i, args[i]);
        }
        value_type result = value_type::string;
        op kind = op::to_lower;
        switch (function.name) {
        case word::tolower:
            kind = op::to_lower;
            break;
        case word::toupper:
            kind = op::to_upper;
            break;
        case word::trim:
            kind = op::trim;
            break;
        case word::substring:
            kind = op::substring;
            break;
        case word::concat:
            kind = op::concat;
            break;
        case word::endswith:
        case word::startswith:
        case word::contains:
            kind = function.name == word::endswith     ? op::ends_with
                   : function.name == word::startswith ? op::starts_with
                                                       : op::contains;
            result = value_type::boolean;
            count_clause(position);
            break;
        case word::indexof:
            kind = op::index_of;
            result = value_type::integer;
            break;
        default:
            kind = type_of(args.front()) == value_type::collection ? op::length_of_collection
                                                                   : op::length_of_string;
            result = value_type::integer;
            break;
        }
        return emit({kind, result, result}, position, args);
    }

    void check_argument(const function_info& function, std::size_t index, std::uint32_t arg) {
        const value_type type = type_of(arg);
        std::string_view wanted;
        switch (function.parameters[index]) {
        case parameter::string:
            wanted = type == value_type::string || type == value_type::null ? "" : "a string";
            break;
        case parameter::integer:
            wanted = type == value_type::integer || type == value_type::null ? "" : "an integer";
            break;
        case parameter::string_or_collection:
            wanted = type == value_type::string || type == value_type::null || type == value_type::collection
                         ? ""
                         : "a string or a collection";
            break;
        }
        if (!wanted.empty()) {
            fail("argument " + std::to_string(index + 1) + " of " + std::string(function.spelling) +
                     at(position_of(arg)) + " must be " + std::string(wanted) + ", not " +
                     std::string(describe(type)),
                 position_of(arg));
        }
    }

    filter_syntax::lexer lexer_;
    connection_filter& filter_;
    std::vector<std::size_t> positions_; ///< where each term starts in the text, for type errors
    std::size_t clauses_ = 0;
    std::size_t depth_ = 0;
};

util::result<filter_ptr, filter_error> connection_filter::parse(std::string_view text) {
    if (text.size() > max_length) {
        return util::fail(filter_error{"filter too long (" + std::to_string(text.size()) +
                                           " bytes, at most " + std::to_string(max_length) + ")",
                                       max_length});
    }
    // make_shared cannot reach the private constructor.
    std::shared_ptr<connection_filter> filter(new connection_filter());
    filter->source_ = std::string(text);
    try {
        parser(text, *filter).run();
    } catch (parse_failure& failure) {
        return util::fail(std::move(failure.error));
    }
    return filter_ptr(std::move(filter));
}

} // namespace hubcast::core

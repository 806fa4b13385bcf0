#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include "core/connection_filter.hpp"

namespace hubcast::core {
namespace {

/// Owns what a filter_subject points at.
struct connection_state {
    std::string connection_id;
    std::optional<std::string> user_id;
    std::unordered_set<std::string> groups;

    filter_subject subject() const { return {connection_id, &user_id, &groups}; }
};

const connection_state user_u1{"c1", "u1", {"g1"}};
const connection_state anonymous{"123", std::nullopt, {}};
const connection_state shouting{"C-2", "USER1", {"g1", "g2"}};
const connection_state padded{"c3", " user-ab-de\t", {}};
const connection_state quoted{"c4", "user'1", {"it's"}};
const connection_state accented{"c5", "h\xc3\xa9llo", {"g\xc3\xa9"}}; // héllo, gé
const connection_state listener{"c6", "listener-7", {"g2", "group1"}};

filter_ptr parse_or_fail(std::string_view text) {
    auto parsed = connection_filter::parse(text);
    if (!parsed) {
        ADD_FAILURE() << "'" << text << "' refused: " << parsed.error().message << " (position "
                      << parsed.error().position << ")";
        return nullptr;
    }
    return *parsed;
}

struct match_case {
    std::string_view filter;
    const connection_state* connection;
    bool expected;
};

void expect_matches(const std::vector<match_case>& cases) {
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.filter) + " on connection " + c.connection->connection_id);
        const filter_ptr filter = parse_or_fail(c.filter);
        if (filter) {
            EXPECT_EQ(filter->matches(c.connection->subject()), c.expected);
        }
    }
}

struct error_case {
    std::string_view filter;
    std::string_view message;
    std::size_t position;
};

void expect_errors(const std::vector<error_case>& cases) {
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.filter));
        const auto parsed = connection_filter::parse(c.filter);
        ASSERT_FALSE(parsed.has_value());
        EXPECT_EQ(parsed.error().message, c.message);
        EXPECT_EQ(parsed.error().position, c.position);
    }
}

std::string repeat(std::string_view part, std::size_t times, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < times; ++i) {
        out += i == 0 ? "" : separator;
        out += part;
    }
    return out;
}

// Server-protocol spec 2.4 and the Azure filter doc.
TEST(ConnectionFilter, SpecExamples) {
    expect_matches({
        {"'g1' in groups or 'g2' in groups", &user_u1, true},
        {"'g1' in groups or 'g2' in groups", &listener, true},
        {"'g1' in groups or 'g2' in groups", &anonymous, false},
        {"userId in ('u1','u2') and 'g1' in groups", &user_u1, true},
        {"userId in ('u1','u2') and 'g2' in groups", &user_u1, false},
        {"userId in ('u1','u2') and 'g1' in groups", &shouting, false},
        {"userId eq 'u1' and connectionId ne '123'", &user_u1, true},
        {"userId eq 'u1' and connectionId ne 'c1'", &user_u1, false},
        {"userId eq 'u1' and (not ('g1' in groups))", &user_u1, false},
        {"userId eq 'u1' and (not ('g2' in groups))", &user_u1, true},
        {"not('group1' in groups)", &listener, false},
        {"not('group1' in groups)", &anonymous, true},
        {"startswith(userId, 'listener-')", &listener, true},
        {"startswith(userId, 'listener-')", &user_u1, false},
        {"userId eq 'user''1'", &quoted, true},
        {"tolower(userId) eq 'user1'", &shouting, true},
        {"substring(userId,5,2) eq 'ab'", &padded, false}, // the leading space shifts it
        {"substring(trim(userId),5,2) eq 'ab'", &padded, true},
        {"indexof(trim(userId),'-ab-') ge 0", &padded, true},
        {"length(groups) gt 1", &shouting, true},
        {"length(groups) gt 1", &user_u1, false},
        {"length(userId) gt 0 and length(userId) lt 3 or length(userId) gt 7 and length(userId) lt 10",
         &user_u1, true},
        {"length(userId) gt 0 and length(userId) lt 3 or length(userId) gt 7 and length(userId) lt 10",
         &shouting, false},
        {"not (length(userId) gt 5)", &user_u1, true},
    });
}

TEST(ConnectionFilter, ComparesStringsOrdinally) {
    expect_matches({
        {"userId eq 'u1'", &user_u1, true},
        {"userId eq 'U1'", &user_u1, false},
        {"userId ne 'U1'", &user_u1, true},
        {"userId ne 'u1'", &user_u1, false},
        {"userId gt 'u0'", &user_u1, true},
        {"userId gt 'u1'", &user_u1, false},
        {"userId ge 'u1'", &user_u1, true},
        {"userId ge 'u2'", &user_u1, false},
        {"userId lt 'u2'", &user_u1, true},
        {"userId lt 'u1'", &user_u1, false},
        {"userId le 'u1'", &user_u1, true},
        {"userId le 'u0'", &user_u1, false},
        {"'B' lt 'a'", &user_u1, true}, // upper case sorts first: no culture rules
        {"'ab' gt 'a'", &user_u1, true},
        {"'' lt 'a'", &user_u1, true},
        {"'\xc3\xa9' gt 'z'", &user_u1, true}, // bytes compare unsigned: UTF-8 after ASCII
        {"'u1' eq userId", &user_u1, true},
        {"connectionId eq 'c1'", &user_u1, true},
        {"connectionId eq userId", &user_u1, false},
    });
}

TEST(ConnectionFilter, ComparesIntegersAndBooleans) {
    expect_matches({
        {"length(userId) eq 2", &user_u1, true},
        {"length(userId) ne 2", &user_u1, false},
        {"length(userId) gt 1", &user_u1, true},
        {"length(userId) ge 3", &user_u1, false},
        {"length(userId) lt 3", &user_u1, true},
        {"length(userId) le 1", &user_u1, false},
        {"indexof(userId, 'x') eq -1", &user_u1, true},
        {"+2 eq length(userId)", &user_u1, true},
        {"-9223372036854775808 lt 9223372036854775807", &user_u1, true},
        {"true", &user_u1, true},
        {"false", &user_u1, false},
        {"true eq true", &user_u1, true},
        {"false ne true", &user_u1, true},
        {"startswith(userId, 'u') eq true", &user_u1, true},
        {"startswith(userId, 'u') eq false", &user_u1, false},
        {"(userId eq 'u1') ne false", &user_u1, true},
    });
}

TEST(ConnectionFilter, PrecedenceIsNotThenComparisonThenAndThenOr) {
    expect_matches({
        {"true or false and false", &user_u1, true}, // and binds tighter: true or (false and false)
        {"(true or false) and false", &user_u1, false},
        {"false and false or true", &user_u1, true},
        {"false and (false or true)", &user_u1, false},
        {"not false and false", &user_u1, false}, // (not false) and false
        {"not (false and false)", &user_u1, true},
        {"not true or true", &user_u1, true}, // (not true) or true
        {"not (true or true)", &user_u1, false},
        {"false or not false", &user_u1, true},
        {"not not true", &user_u1, true},
        {"not true eq false", &user_u1, true}, // (not true) eq false
        {"userId eq 'x' or userId eq 'u1' and connectionId eq 'c1'", &user_u1, true},
        {"userId eq 'x' or userId eq 'u1' and connectionId eq 'x'", &user_u1, false},
        {"(userId eq 'x' or userId eq 'u1') and connectionId eq 'c1'", &user_u1, true},
        {"((((userId eq 'u1'))))", &user_u1, true},
        {"(userId) eq ('u1')", &user_u1, true},
        {"'g1' in groups and not ('g2' in groups) or userId eq null", &user_u1, true},
        {"'g1' in groups and not ('g2' in groups) or userId eq null", &shouting, false},
        {"'g1' in groups and not ('g2' in groups) or userId eq null", &anonymous, true},
    });
}

TEST(ConnectionFilter, CaseConversionIsAsciiOnly) {
    expect_matches({
        {"tolower(userId) eq 'user1'", &shouting, true},
        {"tolower(userId) eq 'u1'", &user_u1, true}, // nothing to change
        {"toupper(userId) eq 'U1'", &user_u1, true},
        {"toupper(userId) eq 'u1'", &user_u1, false},
        {"toupper(connectionId) eq 'C-2'", &shouting, true},
    });
    // Bytes outside ASCII are left as they are.
    expect_matches({
        {"tolower('\xc3\x89Z') eq '\xc3\x89z'", &user_u1, true},
        {"toupper(userId) eq 'H\xc3\xa9LLO'", &accented, true},
    });
}

TEST(ConnectionFilter, TrimRemovesAsciiWhitespaceAtBothEnds) {
    expect_matches({
        {"trim(userId) eq 'user-ab-de'", &padded, true},
        {"userId eq 'user-ab-de'", &padded, false},
        {"trim('  ') eq ''", &user_u1, true},
        {"trim('') eq ''", &user_u1, true},
        {"trim(' a b ') eq 'a b'", &user_u1, true},
        {"length(trim(userId)) eq 10", &padded, true},
    });
}

TEST(ConnectionFilter, SubstringClampsOutOfRangeArguments) {
    expect_matches({
        {"substring('hello', 0) eq 'hello'", &user_u1, true},
        {"substring('hello', 2) eq 'llo'", &user_u1, true},
        {"substring('hello', 1, 3) eq 'ell'", &user_u1, true},
        {"substring('hello', 5) eq ''", &user_u1, true},
        {"substring('hello', 99) eq ''", &user_u1, true},
        {"substring('hello', 3, 99) eq 'lo'", &user_u1, true},
        {"substring('hello', -2) eq 'hello'", &user_u1, true},
        {"substring('hello', 1, 0) eq ''", &user_u1, true},
        {"substring('hello', 1, -1) eq ''", &user_u1, true},
        {"substring('hello', 2, indexof('hello', 'o')) eq 'llo'", &user_u1, true},
        {"substring(userId, 1, 2) eq '\xc3\xa9l'", &accented, true}, // positions count characters
        {"substring(userId, 2) eq 'llo'", &accented, true},
    });
}

TEST(ConnectionFilter, StartsEndsWithAndContains) {
    expect_matches({
        {"startswith(userId, 'list')", &listener, true},
        {"startswith(userId, 'List')", &listener, false},
        {"startswith(userId, '')", &listener, true},
        {"startswith('ab', 'abc')", &listener, false},
        {"endswith(userId, '-7')", &listener, true},
        {"endswith(userId, 'listener')", &listener, false},
        {"endswith(userId, '')", &listener, true},
        {"contains(userId, 'ten')", &listener, true},
        {"contains(userId, 'TEN')", &listener, false},
        {"contains(userId, '')", &listener, true},
        {"contains(userId, 'listener-77')", &listener, false},
        {"not endswith(userId, 'milk')", &listener, true},
    });
}

TEST(ConnectionFilter, ConcatIndexOfAndLength) {
    expect_matches({
        {"concat(userId, '-x') eq 'u1-x'", &user_u1, true},
        {"concat(concat('a', 'b'), 'c') eq 'abc'", &user_u1, true},
        {"concat('', userId) eq userId", &user_u1, true},
        {"concat(userId, '') eq 'u1'", &user_u1, true},
        {"concat(toupper(userId), tolower('X')) eq 'U1x'", &user_u1, true},
        {"indexof(userId, 'ener') eq 4", &listener, true},
        {"indexof(userId, 'zz') eq -1", &listener, true},
        {"indexof(userId, '') eq 0", &listener, true},
        {"indexof(userId, 'llo') eq 2", &accented, true}, // the two-byte character counts once
        {"length(userId) eq 5", &accented, true},
        {"length('') eq 0", &user_u1, true},
        {"length(groups) eq 0", &anonymous, true},
        {"length(groups) eq 2", &shouting, true},
        {"length((groups)) eq 2", &shouting, true},
    });
}

// Strings longer than the evaluator's inline scratch space must survive being built on the heap
// next to ones built inline.
TEST(ConnectionFilter, LongBuiltStringsStayIntact) {
    const std::string lower(700, 'a');
    const std::string upper(700, 'A');
    const connection_state big{"c", lower, {}};
    const std::string filter = "concat(toupper(userId), concat(userId, toupper(concat('b', userId)))) eq '" +
                               upper + lower + "B" + upper + "'";
    expect_matches({{filter, &big, true}});
    const std::string mixed = "concat(toupper(substring(userId, 0, 100)), concat(toupper(userId), "
                              "toupper(substring(userId, 0, 300)))) eq '" +
                              std::string(1100, 'A') + "'";
    expect_matches({{mixed, &big, true}});
    const std::string near_miss = "concat(toupper(userId), tolower(userId)) eq '" + upper + lower + "x'";
    expect_matches({{near_miss, &big, false}});
}

// Null semantics follow MS-ODATA's lifted operators: eq/ne see null as a value, ordering with
// null is false, functions of null are null, `not null` is null and a null result never matches.
TEST(ConnectionFilter, NullFollowsLiftedOperators) {
    expect_matches({
        {"userId eq null", &anonymous, true},
        {"userId eq null", &user_u1, false},
        {"null eq userId", &anonymous, true},
        {"userId ne null", &anonymous, false},
        {"userId ne null", &user_u1, true},
        {"userId ne 'u1'", &anonymous, true},
        {"userId eq 'u1'", &anonymous, false},
        {"userId gt null", &user_u1, false},
        {"userId lt 'zzz'", &anonymous, false},
        {"userId ge null", &anonymous, false},
        {"userId le null", &anonymous, false},
        {"null eq null", &user_u1, true},
        {"null ne null", &user_u1, false},
        {"length(userId) eq null", &anonymous, true},
        {"length(userId) gt -1", &anonymous, false},
        {"tolower(userId) eq null", &anonymous, true},
        {"concat(userId, 'x') eq null", &anonymous, true},
        {"substring(userId, 1) eq null", &anonymous, true},
        {"substring('abc', null) eq null", &user_u1, true},
        {"indexof(userId, 'x') eq null", &anonymous, true},
        {"trim(null) eq null", &user_u1, true},
        {"startswith(userId, 'a')", &anonymous, false},
        {"not startswith(userId, 'a')", &anonymous, false}, // not null is null
        {"not (userId eq 'a')", &anonymous, true},          // eq is never null
        {"startswith(userId, 'a') eq false", &anonymous, false},
        {"startswith(userId, 'a') eq null", &anonymous, true},
        {"startswith(userId, 'a') or true", &anonymous, true},
        {"startswith(userId, 'a') and true", &anonymous, false},
        {"not (startswith(userId, 'a') and true)", &anonymous, true}, // and gave false, not null
        {"contains('abc', null)", &user_u1, false},
    });
}

TEST(ConnectionFilter, InListsAndGroups) {
    expect_matches({
        {"userId in ('u1')", &user_u1, true},
        {"userId in ('u2', 'u1')", &user_u1, true},
        {"userId in ('u2', 'u3')", &user_u1, false},
        {"userId in ('u2', 'u3')", &anonymous, false},
        {"userId in ('u2', null)", &anonymous, true},
        {"userId in ('u2', null)", &user_u1, false},
        {"userId in ('z', 'a', 'u1', 'm', 'u1', 'b')", &user_u1, true}, // unsorted, duplicated
        {"userId in ('z', 'a', 'u0', 'm', 'u2', 'b')", &user_u1, false},
        {"'c1' in (userId, connectionId)", &user_u1, true},
        {"'c9' in (userId, connectionId)", &user_u1, false},
        {"length(userId) in (1, 2)", &user_u1, true},
        {"length(userId) in (3, 4)", &user_u1, false},
        {"true in (false, true)", &user_u1, true},
        {"null in (null)", &user_u1, true},
        {"'g1' in groups", &user_u1, true},
        {"'G1' in groups", &user_u1, false},
        {"tolower('G1') in groups", &user_u1, true},
        {"'g1' in (groups)", &user_u1, true},
        {"'g2' in ((groups))", &user_u1, false},
        {"'g1' in groups", &anonymous, false},
        {"userId in groups", &user_u1, false},
        {"null in groups", &user_u1, false},
        {"userId in groups", &anonymous, false},
        {"'it''s' in groups", &quoted, true},
        {"'g\xc3\xa9' in groups", &accented, true},
    });
    const std::string many = "userId in (" + repeat("'x'", 2000, ",") + ", 'u1')";
    expect_matches({{many, &user_u1, true}, {many, &anonymous, false}});
}

TEST(ConnectionFilter, MissingGroupsActLikeNoGroups) {
    const std::optional<std::string> user = "u1";
    const filter_subject subject{"c1", &user, nullptr};
    const filter_ptr member = parse_or_fail("'g1' in groups");
    const filter_ptr none = parse_or_fail("length(groups) eq 0");
    ASSERT_TRUE(member && none);
    EXPECT_FALSE(member->matches(subject));
    EXPECT_TRUE(none->matches(subject));
}

TEST(ConnectionFilter, QuotesAreEscapedByDoubling) {
    expect_matches({
        {"userId eq 'user''1'", &quoted, true},
        {"userId eq 'user'", &quoted, false},
        {"'''' eq concat('''', '')", &user_u1, true},
        {"length('''') eq 1", &user_u1, true},
        {"length('''''') eq 2", &user_u1, true},
        {"length('') eq 0", &user_u1, true},
        {"'a and (b)' eq concat('a and ', '(b)')", &user_u1, true},
        {"endswith(userId, '''1')", &quoted, true},
    });
}

// Names are case-insensitive (the doc calls the identifiers so; keywords and functions follow);
// values are not.
TEST(ConnectionFilter, NamesIgnoreCaseValuesDoNot) {
    expect_matches({
        {"userid eq 'u1'", &user_u1, true},
        {"USERID EQ 'u1'", &user_u1, true},
        {"UserId Eq 'U1'", &user_u1, false},
        {"CONNECTIONID eq 'c1'", &user_u1, true},
        {"'g1' IN GROUPS", &user_u1, true},
        {"NOT ('g1' in Groups) OR userId EQ NULL", &anonymous, true},
        {"TRUE AND NOT FALSE", &user_u1, true},
        {"StartsWith(userId, 'u') And ToLower(userId) Eq 'u1'", &user_u1, true},
        {"LENGTH(userId) GE 2", &user_u1, true},
    });
}

TEST(ConnectionFilter, WhitespaceIsFreeBetweenTokens) {
    expect_matches({
        {"  userId\teq\n'u1'\r\n ", &user_u1, true},
        {"userId in('u1')and('g1'in groups)", &user_u1, true},
        {"startswith(userId,'u')", &user_u1, true},
    });
}

TEST(ConnectionFilter, SyntaxErrorsSayWhatWasExpectedWhere) {
    expect_errors({
        {"userId xq 'a'", "unexpected token 'xq' at position 7: expected eq, ne, gt, ge, lt, le or in", 7},
        {"userId", "unexpected end of filter at position 6: expected eq, ne, gt, ge, lt, le or in", 6},
        {"userId and true", "unexpected token 'and' at position 7: expected eq, ne, gt, ge, lt, le or in", 7},
        {"true and userId", "unexpected end of filter at position 15: expected eq, ne, gt, ge, lt, le or in",
         15},
        {"'a'", "unexpected end of filter at position 3: expected eq, ne, gt, ge, lt, le or in", 3},
        {"null", "unexpected end of filter at position 4: expected eq, ne, gt, ge, lt, le or in", 4},
        {"userId eq", "unexpected end of filter at position 9: expected an operand", 9},
        {"", "unexpected end of filter at position 0: expected an operand", 0},
        {"   ", "unexpected end of filter at position 3: expected an operand", 3},
        {"eq eq 'a'", "unexpected token 'eq' at position 0: expected an operand", 0},
        {"userId eq 'a' eq true", "unexpected token 'eq' at position 14: expected and, or or end of filter",
         14},
        {"userId eq 'a' )", "unexpected token ')' at position 14: expected and, or or end of filter", 14},
        {"userId eq 'a' 'b'", "unexpected string 'b' at position 14: expected and, or or end of filter", 14},
        {"(userId eq 'a'", "unexpected end of filter at position 14: expected and, or or ')'", 14},
        {"(userId xq 'a')", "unexpected token 'xq' at position 8: expected eq, ne, gt, ge, lt, le, in or ')'",
         8},
        {"length((groups xq 1)", "unexpected token 'xq' at position 15: expected ')'", 15},
        {"startswith(userId 'a')", "unexpected string 'a' at position 18: expected ',' or ')'", 18},
        {"startswith(userId,)", "unexpected token ')' at position 18: expected an operand", 18},
        {"tolower eq 'a'", "unexpected token 'eq' at position 8: expected '(' after tolower", 8},
        {"userId in ()", "the list of 'in' at position 10 is empty", 10},
    });
}

TEST(ConnectionFilter, LexicalErrorsPointAtTheBadCharacters) {
    expect_errors({
        {"userId eq 'abc", "unterminated string starting at position 10", 10},
        {"userId eq 'it''s", "unterminated string starting at position 10", 10},
        {"userId = 'a'", "unexpected character '=' at position 7", 7},
        {"userId eq -", "unexpected character '-' at position 10", 10},
        {"userId eq \"a\"", "unexpected character '\"' at position 10", 10},
        {"userId eq 'a' \x01", "unexpected character '\\x01' at position 14", 14},
        {"userId eq '\xc3\xa9' or \xc3\xa9", "unexpected character '\\xc3' at position 18", 18},
        {"length(userId) gt 9223372036854775808",
         "integer '9223372036854775808' at position 18 is out of range (64-bit signed)", 18},
        {"length(userId) gt -9223372036854775809",
         "integer '-9223372036854775809' at position 18 is out of range (64-bit signed)", 18},
    });
}

TEST(ConnectionFilter, UnknownNamesAreNamed) {
    const std::string long_name(60, 'x');
    expect_errors({
        {"user eq 'a'", "unknown identifier 'user' at position 0: expected userId, connectionId or groups",
         0},
        {"userId eq 'a' or group eq 'b'",
         "unknown identifier 'group' at position 17: expected userId, connectionId or groups", 17},
        {"lower(userId) eq 'a'", "unknown function 'lower' at position 0", 0},
        {"startswith(userId, 'a') and tolowercase (userId) eq 'b'",
         "unknown function 'tolowercase' at position 28", 28},
        // The name is the first problem, even when what follows would not lex.
        {"user 'a", "unknown identifier 'user' at position 0: expected userId, connectionId or groups", 0},
        {long_name + " eq 'a'",
         "unknown identifier '" + std::string(40, 'x') +
             "...' at position 0: expected userId, connectionId or groups",
         0},
    });
}

TEST(ConnectionFilter, TypeErrorsAreFoundAtParseTime) {
    expect_errors({
        {"not length(userId) gt 5",
         "'not' at position 0 needs a boolean operand, but the operand at position 4 is an integer (not "
         "binds "
         "tighter than comparisons: write not (...))",
         0},
        {"not 'g1' in groups",
         "'not' at position 0 needs a boolean operand, but the operand at position 4 is a string (not binds "
         "tighter than comparisons: write not (...))",
         0},
        {"groups eq 'g1'",
         "groups at position 0 is a collection: use it as '<group>' in groups or length(groups)", 0},
        {"'g1' eq groups",
         "groups at position 8 is a collection: use it as '<group>' in groups or length(groups)", 8},
        {"groups", "groups at position 0 is a collection: use it as '<group>' in groups or length(groups)",
         0},
        {"groups in ('a')",
         "groups at position 0 is a collection: use it as '<group>' in groups or length(groups)", 0},
        {"'a' in ('b', groups)",
         "groups at position 13 is a collection: use it as '<group>' in groups or length(groups)", 13},
        {"userId eq 5", "cannot compare a string with an integer at position 7", 7},
        {"length(userId) eq 'a'", "cannot compare an integer with a string at position 15", 15},
        {"true eq 'a'", "cannot compare a boolean with a string at position 5", 5},
        {"userId in ('a', 5)", "cannot compare a string with an integer at position 16", 16},
        {"null in ('a', 5)", "cannot compare a string with an integer at position 14", 14},
        {"true gt false", "'gt' at position 5 cannot order booleans: use eq or ne", 5},
        {"'a' in userId",
         "the right side of 'in' at position 7 must be a parenthesised list or groups, not a string", 7},
        {"5 in groups", "only strings can be members of groups, not an integer at position 0", 0},
        {"startswith(userId)", "startswith at position 0 takes 2 arguments, not 1", 0},
        {"substring(userId) eq 'a'", "substring at position 0 takes 2 or 3 arguments, not 1", 0},
        {"tolower(userId, 'a') eq 'a'", "tolower at position 0 takes 1 argument, not 2", 0},
        {"tolower() eq 'a'", "tolower at position 0 takes 1 argument, not 0", 0},
        {"startswith(userId, 5)", "argument 2 of startswith at position 19 must be a string, not an integer",
         19},
        {"substring(userId, '1') eq 'a'",
         "argument 2 of substring at position 18 must be an integer, not a string", 18},
        {"length(true) eq 1",
         "argument 1 of length at position 7 must be a string or a collection, not a boolean", 7},
        {"concat(groups, 'a') eq 'a'",
         "argument 1 of concat at position 7 must be a string, not a collection", 7},
        {"tolower(userId eq 'a') eq 'a'",
         "argument 1 of tolower at position 8 must be a string, not a boolean", 8},
    });
}

TEST(ConnectionFilter, TextLengthIsLimited) {
    const std::string clause = "userId eq 'u1'";
    std::string at_limit = clause + std::string(connection_filter::max_length - clause.size(), ' ');
    expect_matches({{at_limit, &user_u1, true}});
    expect_errors({{at_limit + " ", "filter too long (8193 bytes, at most 8192)", 8192}});
}

TEST(ConnectionFilter, ClausesAreLimited) {
    // Comparisons, `in` and the boolean functions each count as one clause.
    const std::string hundred = repeat("userId eq 'x'", 97, " or ") +
                                " or 'g1' in groups or userId in ('a', 'u1')" + " or startswith(userId, 'u')";
    expect_matches({{hundred, &user_u1, true}});
    const std::string one_more = hundred + " or userId eq 'y'";
    expect_errors(
        {{one_more, "too many clauses (more than 100) at position " + std::to_string(one_more.size() - 6),
          one_more.size() - 6}});
    const std::string as_function = hundred + " or endswith(userId, 'y')";
    expect_errors(
        {{as_function, "too many clauses (more than 100) at position " + std::to_string(hundred.size() + 4),
          hundred.size() + 4}});
    // Literals and functions that are not predicates are free: 800 `true`s make one n-ary `and`.
    expect_matches(
        {{repeat("true", 800, " and ") + " and length(concat(userId, userId)) eq 4", &user_u1, true}});
}

TEST(ConnectionFilter, NestingIsLimited) {
    const auto nested = [](std::size_t levels) {
        return std::string(levels, '(') + "userId eq 'u1'" + std::string(levels, ')');
    };
    expect_matches({{nested(connection_filter::max_depth), &user_u1, true}});
    expect_errors({{nested(33), "nesting too deep (more than 32 levels) at position 32", 32}});
    // Deep enough to exhaust the stack if the parser did not stop.
    expect_errors({{nested(4000), "nesting too deep (more than 32 levels) at position 32", 32}});
    expect_matches({{repeat("not", 32, " ") + " false", &user_u1, false}});
    expect_errors(
        {{repeat("not", 33, " ") + " false", "nesting too deep (more than 32 levels) at position 128", 128},
         {repeat("not", 2000, " ") + " false", "nesting too deep (more than 32 levels) at position 128", 128},
         {repeat("tolower(", 33, "") + "userId" + std::string(33, ')') + " eq 'u1'",
          "nesting too deep (more than 32 levels) at position 263", 263}});
}

// A filter is parsed once and then shared by every worker: repeated evaluation, in any order of
// subjects, must see nothing of earlier ones.
TEST(ConnectionFilter, EvaluationKeepsNoState) {
    const filter_ptr filter =
        parse_or_fail("concat(tolower(userId), connectionId) eq 'user1C-2' or 'g1' in groups");
    ASSERT_TRUE(filter);
    for (int round = 0; round < 3; ++round) {
        EXPECT_TRUE(filter->matches(shouting.subject()));
        EXPECT_FALSE(filter->matches(anonymous.subject()));
        EXPECT_TRUE(filter->matches(user_u1.subject()));
        EXPECT_FALSE(filter->matches(listener.subject()));
    }
}

} // namespace
} // namespace hubcast::core

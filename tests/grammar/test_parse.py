"""The filter grammar: text -> AST, the syntax errors, and inputs built to crash or stall a parser."""
from __future__ import annotations

import math
import pickle
import sys
import time
from typing import List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastmlmd.grammar import FilterSyntaxError, ast, children, parse, parse_uncached, walk
from fastmlmd.grammar.ast import (
    And, Between, Bool, Compare, CompareOp, Float, InList, Int, IsBool, IsNull, Like, Not, Null, Or, Path, String,
)
from fastmlmd.grammar.errors import OWN_PHRASES, SYNTAX_ERROR, render_at

# `fastmlmd.grammar.parse` is also the name of the function, so reach the module through sys.modules.
_parse_module = sys.modules["fastmlmd.grammar.parse"]
reference_parse = _parse_module.reference_parse


def P(*parts: str) -> Path:
    """A path from its parts; a part written `like this` was back-quoted."""
    quoted = tuple(p.startswith("`") for p in parts)
    return Path(tuple(p[1:-1] if q else p for p, q in zip(parts, quoted)), quoted)


def S(value: str) -> String:
    return String(value)


def I(value: int) -> Int:  # noqa: E743 - reads like the other one-letter builders
    return Int(value)


def cmp(left: ast.Node, op: str, right: ast.Node) -> Compare:
    return Compare(left, CompareOp(op), right)


ID, NAME = P("id"), P("name")
EQ1 = cmp(ID, "=", I(1))


# --- every construct ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("id = 1", EQ1, id="compare-eq"),
        pytest.param("id != 1", cmp(ID, "!=", I(1)), id="compare-ne"),
        pytest.param("id <> 1", cmp(ID, "<>", I(1)), id="compare-ltgt-kept-apart-from-ne"),
        pytest.param("id < 1", cmp(ID, "<", I(1)), id="compare-lt"),
        pytest.param("id <= 1", cmp(ID, "<=", I(1)), id="compare-le"),
        pytest.param("id > 1", cmp(ID, ">", I(1)), id="compare-gt"),
        pytest.param("id >= 1", cmp(ID, ">=", I(1)), id="compare-ge"),
        pytest.param("id=1", EQ1, id="no-spaces"),
        pytest.param("  \t\nid\n=\r\n1\f\v ", EQ1, id="ascii-whitespace-anywhere"),
        pytest.param("1 = id", cmp(I(1), "=", ID), id="literal-on-the-left"),
        pytest.param("id = type_id", cmp(ID, "=", P("type_id")), id="column-on-the-right"),
        pytest.param("(id) = 1", EQ1, id="parenthesised-operand"),
        pytest.param("(id = 1) = TRUE", cmp(EQ1, "=", Bool(True)), id="parenthesised-comparison-operand"),
        pytest.param("((((id = 1))))", EQ1, id="parentheses-leave-no-node"),
        pytest.param("properties.flag.bool_value", P("properties", "flag", "bool_value"), id="bare-column"),
        pytest.param("TRUE", Bool(True), id="bare-true"),
        pytest.param("false", Bool(False), id="bare-false-lowercase"),
        pytest.param("name LIKE 'ds%'", Like(NAME, S("ds%"), False), id="like"),
        pytest.param("name NOT LIKE '_s1'", Like(NAME, S("_s1"), True), id="not-like"),
        pytest.param("id IN (1)", InList(ID, (I(1),), False), id="in-one"),
        pytest.param("id IN (1, 2, 3)", InList(ID, (I(1), I(2), I(3)), False), id="in-many"),
        pytest.param("id NOT IN (2,3)", InList(ID, (I(2), I(3)), True), id="not-in"),
        pytest.param("id IN (1, NULL)", InList(ID, (I(1), Null()), False), id="in-with-null"),
        pytest.param("id IN ((1), id)", InList(ID, (I(1), ID), False), id="in-with-parenthesised-and-column"),
        pytest.param("id BETWEEN 1 AND 2", Between(ID, I(1), I(2), False), id="between"),
        pytest.param("id NOT BETWEEN -1 AND 2.5", Between(ID, I(-1), Float(2.5), True), id="not-between"),
        pytest.param("name IS NULL", IsNull(NAME, False), id="is-null"),
        pytest.param("name IS NOT NULL", IsNull(NAME, True), id="is-not-null"),
        pytest.param("properties.f.bool_value IS TRUE", IsBool(P("properties", "f", "bool_value"), True, False),
                     id="is-true"),
        pytest.param("(id = 1) IS NOT FALSE", IsBool(EQ1, False, True), id="is-not-false"),
        pytest.param("id = NULL", cmp(ID, "=", Null()), id="null-operand-left-to-the-planner"),
        pytest.param("id = 1 and NoT name lIkE 'x' Or name iS nOt NuLl",
                     Or((And((EQ1, Not(Like(NAME, S("x"), False)))), IsNull(NAME, True))),
                     id="keywords-any-case"),
        pytest.param("NAME = 'ds1'", cmp(P("NAME"), "=", S("ds1")), id="names-keep-their-case"),
        # Enum names are bare identifiers: the planner decides what they mean.
        pytest.param("state = LIVE", cmp(P("state"), "=", P("LIVE")), id="enum-name-is-a-path"),
        pytest.param("state IN (LIVE, PENDING)", InList(P("state"), (P("LIVE"), P("PENDING")), False),
                     id="enum-names-in-list"),
        pytest.param("last_known_state NOT IN (COMPLETE)",
                     InList(P("last_known_state"), (P("COMPLETE"),), True), id="enum-names-not-in"),
        pytest.param("events_0.type = INPUT", cmp(P("events_0", "type"), "=", P("INPUT")), id="event-type-enum"),
        # Names as written: MLMD says "Unrecognized name: ds1" for this, so the planner says it too.
        pytest.param("name = `ds1`", cmp(NAME, "=", P("`ds1`")), id="backquoted-name-on-the-right"),
        pytest.param("`name` = 'ds1'", cmp(P("`name`"), "=", S("ds1")), id="backquoted-column"),
        # Nothing shadows: identifiers that start like keywords.
        pytest.param("android = 1 AND is_live = 2 AND nullable = 3 AND order = 4 AND trueish = 5",
                     And((cmp(P("android"), "=", I(1)), cmp(P("is_live"), "=", I(2)),
                          cmp(P("nullable"), "=", I(3)), cmp(P("order"), "=", I(4)), cmp(P("trueish"), "=", I(5)))),
                     id="keyword-prefixes-are-names"),
        pytest.param("NOT(id=1)AND(name='x')OR(id IN(1))",
                     Or((And((Not(EQ1), cmp(NAME, "=", S("x")))), InList(ID, (I(1),), False))),
                     id="keywords-touching-parentheses"),
        pytest.param("name='a'AND id=1", And((cmp(NAME, "=", S("a")), EQ1)), id="keyword-touching-string"),
    ],
)
def test_constructs(query: str, expected: ast.Node) -> None:
    assert parse(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("contexts_a.name", P("contexts_a", "name"), id="alias"),
        pytest.param("parent_contexts_1x.type", P("parent_contexts_1x", "type"), id="alias-with-digit"),
        pytest.param("properties.span.int_value", P("properties", "span", "int_value"), id="property"),
        pytest.param("custom_properties.`my key`.string_value", P("custom_properties", "`my key`", "string_value"),
                     id="backquoted-property-with-space"),
        pytest.param("properties.1st.int_value", P("properties", "1st", "int_value"), id="part-starting-with-digit"),
        pytest.param("properties.and.int_value", P("properties", "and", "int_value"), id="keyword-part"),
        pytest.param("properties.select.int_value", P("properties", "select", "int_value"), id="sql-keyword-part"),
        pytest.param('custom_properties.`we"ird`.string_value', P("custom_properties", '`we"ird`', "string_value"),
                     id="backquoted-double-quote"),
        pytest.param("custom_properties.`it's`.string_value", P("custom_properties", "`it's`", "string_value"),
                     id="backquoted-single-quote"),
        pytest.param("custom_properties.`p%;--/*x*/`.int_value",
                     P("custom_properties", "`p%;--/*x*/`", "int_value"), id="backquoted-sql-punctuation"),
        pytest.param("custom_properties.`a.b`.int_value", P("custom_properties", "`a.b`", "int_value"),
                     id="backquoted-dot"),
        # A back-quoted name takes the escapes of a string literal, as in GoogleSQL.
        pytest.param("custom_properties.`a\\\\b`.int_value", P("custom_properties", "`a\\b`", "int_value"),
                     id="backquoted-escaped-backslash"),
        pytest.param("custom_properties.`a\\b`.int_value", P("custom_properties", "`a\bb`"[:-2] + "`", "int_value"),
                     id="backquoted-backslash-b-is-backspace"),
        pytest.param("custom_properties.`a\\`b`.int_value", P("custom_properties", "`a`b`", "int_value"),
                     id="backquoted-escaped-backquote"),
        pytest.param("custom_properties.`new\\nline\\r\\t`.int_value",
                     P("custom_properties", "`new\nline\r\t`", "int_value"), id="backquoted-escaped-line-break"),
        pytest.param("custom_properties.`\\x41\\X42\\u00e9\\U0001F600\\101`.int_value",
                     P("custom_properties", "`ABé\U0001F600A`", "int_value"), id="backquoted-hex-unicode-octal"),
        pytest.param("custom_properties.`\\x00\\000`.int_value", P("custom_properties", "`\x00\x00`", "int_value"),
                     id="backquoted-escaped-nul-both-ways"),
        pytest.param("custom_properties.`\\'\\\"\\?`.int_value", P("custom_properties", "`'\"?`", "int_value"),
                     id="backquoted-escaped-quotes"),
        pytest.param("custom_properties.``.int_value", P("custom_properties", "``", "int_value"),
                     id="backquoted-empty-for-the-planner"),
        pytest.param("custom_properties.`\u0301`.int_value", P("custom_properties", "`\u0301`", "int_value"),
                     id="backquoted-lone-combining-mark"),
        pytest.param("`n\\x61me`", P("`name`"), id="backquoted-column-with-escape"),
        pytest.param("custom_properties.`tab\there`.int_value", P("custom_properties", "`tab\there`", "int_value"),
                     id="backquoted-tab"),
        pytest.param("custom_properties.`café 日本 🙂`.int_value",
                     P("custom_properties", "`café 日本 🙂`", "int_value"), id="backquoted-unicode"),
        pytest.param("custom_properties.`\x00`.int_value", P("custom_properties", "`\x00`", "int_value"),
                     id="backquoted-nul"),
        pytest.param("custom_properties.` `.int_value", P("custom_properties", "` `", "int_value"),
                     id="backquoted-space-only"),
        pytest.param("a.b.c.d.e", P("a", "b", "c", "d", "e"), id="any-depth-for-the-planner"),
        # ZetaSQL (and so MLMD) allows spaces after a dot; the planner refuses them in property paths.
        pytest.param("contexts_a. name", P("contexts_a", "name"), id="space-after-dot"),
        pytest.param("contexts_a.\tname", P("contexts_a", "name"), id="tab-after-dot"),
    ],
)
def test_paths(query: str, expected: Path) -> None:
    node = parse(query)
    assert node == expected
    assert parse(node.text) == node  # type: ignore[union-attr]
    if query.isprintable() and "\\" not in query:  # else quote_name writes escapes of its own
        assert node.text == query.replace(". ", ".").replace(".\t", ".")  # type: ignore[union-attr]


def test_path_tightness() -> None:
    assert parse("properties.`a\\`b`.int_value").tight  # type: ignore[union-attr]
    assert not parse("properties.`a\\`b`. int_value").tight  # type: ignore[union-attr]
    assert not parse("contexts_a.\tname").tight  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        pytest.param("'x'", "x", id="single-quotes"),
        pytest.param('"x"', "x", id="double-quotes"),
        pytest.param("''", "", id="empty"),
        pytest.param('"it\'s"', "it's", id="single-inside-double"),
        pytest.param("'say \"hi\"'", 'say "hi"', id="double-inside-single"),
        pytest.param(r"'it\'s'", "it's", id="escaped-single-quote"),
        pytest.param(r'"a\"b"', 'a"b', id="escaped-double-quote"),
        pytest.param(r"'a\\b'", "a\\b", id="escaped-backslash"),
        pytest.param(r"'\n\t\r'", "\n\t\r", id="newline-tab-return"),
        pytest.param(r"'\a\b\f\v'", "\a\b\f\v", id="bell-backspace-formfeed-vtab"),
        pytest.param(r"'\?\`'", "?`", id="question-backquote"),
        pytest.param(r"'\x41\X42'", "AB", id="hex"),
        pytest.param(r"'caf\xe9'", "café", id="hex-is-a-code-point-as-in-mlmd"),
        pytest.param(r"'\101\000'", "A\x00", id="octal"),
        pytest.param(r"'\u00e9\U0001F600'", "é\U0001F600", id="unicode-escapes"),
        pytest.param("'日本 🙂'", "日本 🙂", id="unicode-as-is"),
        pytest.param("'a\x00b'", "a\x00b", id="nul-character"),
        pytest.param("'%_'", "%_", id="like-wildcards-untouched"),
        pytest.param(r"r'a\'b\d'", r"a\'b\d", id="raw-single"),
        pytest.param(r'R"C:\dir"', "C:\\dir", id="raw-double"),
        pytest.param("'''it's'''", "it's", id="triple-single"),
        pytest.param('"""two\nlines"""', "two\nlines", id="triple-double-multiline"),
        pytest.param("''''''", "", id="triple-empty"),
        pytest.param("r'''\\n'''", "\\n", id="raw-triple"),
    ],
)
def test_strings(literal: str, value: str) -> None:
    assert parse(f"name = {literal}") == cmp(NAME, "=", S(value))


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        pytest.param("1", I(1), id="int"),
        pytest.param("007", I(7), id="leading-zeros"),
        pytest.param("0x1F", I(31), id="hex"),
        pytest.param("-1", I(-1), id="minus"),
        pytest.param("- 1", I(-1), id="minus-space"),
        pytest.param("+1", I(1), id="plus"),
        pytest.param("- -1", I(1), id="two-minuses"),
        pytest.param("-+-+1", I(1), id="sign-chain"),
        pytest.param("18446744073709551615", I(2**64 - 1), id="uint64-max"),
        pytest.param("-9223372036854775808", I(-(2**63)), id="int64-min"),
        pytest.param("0000000000000000000000000000000000001", I(1), id="many-leading-zeros"),
        pytest.param("1.5", Float(1.5), id="float"),
        pytest.param("1.", Float(1.0), id="trailing-dot"),
        pytest.param(".5", Float(0.5), id="leading-dot"),
        pytest.param("-.5", Float(-0.5), id="signed-leading-dot"),
        pytest.param("1e3", Float(1000.0), id="exponent"),
        pytest.param("1E+3", Float(1000.0), id="exponent-plus"),
        pytest.param("1.5e-3", Float(0.0015), id="exponent-minus"),
        pytest.param("1.e3", Float(1000.0), id="dot-exponent"),
        pytest.param("1e400", Float(math.inf), id="overflow-is-inf"),
    ],
)
def test_numbers(literal: str, expected: ast.Node) -> None:
    node = parse(f"id = {literal}")
    assert node == cmp(ID, "=", expected)
    assert type(node.right.value) is type(expected.value)  # type: ignore[union-attr]


# --- precedence ---------------------------------------------------------------------------------

A, B, C = (cmp(P(n), "=", I(1)) for n in "abc")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("a = 1 OR b = 1 AND c = 1", Or((A, And((B, C)))), id="and-binds-tighter-than-or"),
        pytest.param("a = 1 AND b = 1 OR c = 1", Or((And((A, B)), C)), id="and-first-then-or"),
        pytest.param("NOT a = 1 AND b = 1", And((Not(A), B)), id="not-binds-tighter-than-and"),
        pytest.param("NOT a = 1 OR b = 1", Or((Not(A), B)), id="not-binds-tighter-than-or"),
        pytest.param("NOT a LIKE 'x'", Not(Like(P("a"), S("x"), False)), id="like-binds-tighter-than-not"),
        pytest.param("NOT a IN (1)", Not(InList(P("a"), (I(1),), False)), id="in-binds-tighter-than-not"),
        pytest.param("NOT a IS NULL", Not(IsNull(P("a"), False)), id="is-binds-tighter-than-not"),
        pytest.param("a = 1 AND (b = 1 OR c = 1)", And((A, Or((B, C)))), id="parentheses-group"),
        pytest.param("a BETWEEN 1 AND 2 AND b = 1", And((Between(P("a"), I(1), I(2), False), B)),
                     id="between-and-then-and"),
        pytest.param("a = 1 OR b = 1 OR c = 1", Or((A, B, C)), id="or-chain-is-flat"),
        pytest.param("(a = 1 OR b = 1) OR c = 1", Or((A, B, C)), id="or-flattens-through-parentheses"),
        pytest.param("a = 1 AND (b = 1 AND c = 1)", And((A, B, C)), id="and-flattens-through-parentheses"),
        pytest.param("NOT NOT a = 1", A, id="double-not-collapses"),
        pytest.param("NOT NOT NOT a = 1", Not(A), id="triple-not-is-one-not"),
        pytest.param("NOT (NOT (a = 1))", A, id="double-not-through-parentheses"),
        pytest.param("a = 1 OR NOT b LIKE 'x' AND c IS NULL",
                     Or((A, And((Not(Like(P("b"), S("x"), False)), IsNull(P("c"), False))))), id="mixed"),
    ],
)
def test_precedence(query: str, expected: ast.Node) -> None:
    assert parse(query) == expected


# --- positions ----------------------------------------------------------------------------------

def _positions(node: ast.Node) -> List[Tuple[str, int, int]]:
    return [(type(n).__name__, n.line, n.column) for n in walk(node)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("id = 1", [("Compare", 1, 1), ("Path", 1, 1), ("Int", 1, 6)], id="compare"),
        pytest.param("(name) = 1", [("Compare", 1, 1), ("Path", 1, 2), ("Int", 1, 10)],
                     id="compare-starts-at-its-parenthesis-as-in-mlmd"),
        pytest.param("  NOT id = - 1", [("Not", 1, 3), ("Compare", 1, 7), ("Path", 1, 7), ("Int", 1, 12)],
                     id="not-and-signed-number"),
        pytest.param("id = 1\n AND foo = 2",
                     [("And", 1, 1), ("Compare", 1, 1), ("Path", 1, 1), ("Int", 1, 6),
                      ("Compare", 2, 6), ("Path", 2, 6), ("Int", 2, 12)], id="second-line"),
        pytest.param("name = '''a\nb''' OR\r\n\tid IN (1)",
                     [("Or", 1, 1), ("Compare", 1, 1), ("Path", 1, 1), ("String", 1, 8),
                      ("InList", 3, 2), ("Path", 3, 2), ("Int", 3, 9)], id="after-a-multiline-string"),
        pytest.param("x BETWEEN 1 AND 2", [("Between", 1, 1), ("Path", 1, 1), ("Int", 1, 11), ("Int", 1, 17)],
                     id="between"),
    ],
)
def test_positions(query: str, expected: List[Tuple[str, int, int]]) -> None:
    assert _positions(parse(query)) == expected


def test_path_part_columns() -> None:
    node = parse("id = 1 AND custom_properties.`my key`.string_value = 'x'")
    path = node.items[1].left  # type: ignore[union-attr]
    assert (path.line, path.column, path.columns) == (1, 12, (12, 30, 39))


# --- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "column", "says"),
    [
        # The rejections docs/mlmd-interface.md §3.3 lists.
        pytest.param("id = 1;", 7, "single expression", id="semicolon"),
        pytest.param("id == 1", 5, '"==" is not an operator', id="double-equals"),
        pytest.param("id = 1 -- c", 8, "comments are not supported", id="dash-comment"),
        pytest.param("id = --1", 6, "comments are not supported", id="double-minus-is-a-comment"),
        pytest.param("id = 1 /* c */", 8, "comments are not supported", id="block-comment"),
        pytest.param("id = 1 # c", 8, "comments are not supported", id="hash-comment"),
        pytest.param("id + 1 = 3", 4, "arithmetic is not supported", id="plus"),
        pytest.param("id = 1 - 1", 8, "arithmetic is not supported", id="minus"),
        pytest.param("id * 2 = 2", 4, "arithmetic is not supported", id="times"),
        pytest.param("id / 2 = 2", 4, "arithmetic is not supported", id="divide"),
        pytest.param("id = -id", 7, "only stand in front of a number", id="minus-column"),
        pytest.param("id = -(1)", 7, "only stand in front of a number", id="minus-parenthesis"),
        pytest.param("id = -", 7, "only stand in front of a number", id="minus-at-end"),
        pytest.param("LOWER(name) = 'x'", 6, "function calls are not supported", id="function-call"),
        pytest.param("CAST(id AS STRING) = '1'", 5, "function calls are not supported", id="cast"),
        pytest.param("id IN (SELECT 1)", 8, "subqueries are not supported", id="subquery"),
        pytest.param("id = (SELECT MAX(id) FROM t)", 7, "subqueries are not supported", id="scalar-subquery"),
        pytest.param("id IS DISTINCT FROM 1", 4, "DISTINCT FROM is not supported", id="is-distinct-from"),
        # MLMD points at IS, or at DISTINCT after IS NOT.
        pytest.param("id IS NOT DISTINCT FROM 1", 11, "DISTINCT FROM is not supported",
                     id="is-not-distinct-from"),
        pytest.param("name LIKE 'a!%' ESCAPE '!'", 17, "no ESCAPE clause", id="escape"),
        pytest.param("id IN ()", 8, "IN () has no values", id="empty-in"),
        pytest.param("id NOT IN ( )", 13, "IN () has no values", id="empty-not-in"),
        # Empty queries.
        pytest.param("", 1, "the query is empty", id="empty"),
        pytest.param(" \t\r\n ", 1, "the query is empty", id="whitespace-only"),
        # Unfinished or misplaced pieces.
        pytest.param("id =", 5, "unexpected end of query; expected a value", id="missing-right"),
        # The end of the query is where its last token ends, as in MLMD, not past trailing whitespace.
        pytest.param("id = ", 5, "unexpected end of query; expected a value", id="missing-right-then-space"),
        pytest.param("id = 1 AND", 11, "expected NOT or a value", id="dangling-and"),
        pytest.param("NOT", 4, "expected NOT or a value", id="lone-not"),
        # An unclosed "(": the caret goes under the expression it opens, as MLMD's does.
        pytest.param("(id = 1", 2, 'the "(" before this is never closed: expected AND, OR or ")"',
                     id="unclosed-parenthesis"),
        pytest.param("(id = 1 AND (name = 'x'", 14, 'the "(" before this is never closed', id="inner-unclosed"),
        pytest.param("((id = 1) AND (name = 'x')", 2, 'the "(" before this is never closed', id="outer-unclosed"),
        pytest.param("id IN (1, 2", 12, 'expected "," or ")"', id="unclosed-in-list"),
        pytest.param("id = 1)", 7, "expected AND, OR or the end of the query", id="extra-parenthesis"),
        pytest.param("()", 2, '"()" holds nothing', id="empty-parentheses"),
        pytest.param("id IN (1,)", 10, 'remove the last ","', id="trailing-comma"),
        pytest.param("id IN 1", 7, 'expected "("', id="in-without-parentheses"),
        pytest.param("id x", 4, "expected a comparison operator", id="two-values"),
        pytest.param("'a' 'b'", 5, "unexpected string 'b'", id="adjacent-strings"),
        pytest.param("id = 1 x", 8, "expected AND, OR or the end of the query", id="value-after-comparison"),
        pytest.param("id = 1 = 2", 8, "comparisons do not chain", id="chained-comparison"),
        pytest.param("x IS 1", 6, "expected NOT, NULL, TRUE or FALSE", id="is-number"),
        pytest.param("x IS NOT x", 10, "expected NULL, TRUE or FALSE", id="is-not-name"),
        pytest.param("x NOT NULL", 3, "to test for NULL, write IS NOT NULL", id="not-null-without-is"),
        pytest.param("x NOT 1", 3, "NOT must be followed by LIKE, IN or BETWEEN", id="not-before-a-value"),
        pytest.param("x BETWEEN 1", 12, "expected AND", id="between-without-and"),
        pytest.param("x BETWEEN 1 OR 2", 13, "expected AND", id="between-with-or"),
        pytest.param("id = NOT TRUE", 6, "expected a value", id="not-as-operand"),
        pytest.param("AND id = 1", 1, "expected NOT or a value", id="leading-and"),
        pytest.param("id && id", 4, "write AND", id="double-ampersand"),
        pytest.param("id || id", 4, "write OR", id="double-bar"),
        pytest.param("! id", 1, "write NOT", id="bang"),
        pytest.param("name = b'x'", 9, "unexpected string", id="bytes-literal"),
        # Literals.
        pytest.param("name = 'abc", 8, "unclosed string literal", id="unclosed-string"),
        pytest.param("name = 'abc\\'", 8, "unclosed string literal", id="escaped-closing-quote"),
        pytest.param("name = 'a\nb'", 8, "unclosed string literal", id="newline-in-string"),
        pytest.param("name = r'a\\'", 8, "unclosed raw string literal", id="unclosed-raw-string"),
        pytest.param("name = '''abc''", 8, "unclosed triple-quoted string literal; end it with '''",
                     id="unclosed-triple"),
        pytest.param('name = r"""abc', 8, "unclosed triple-quoted raw string literal", id="unclosed-raw-triple"),
        pytest.param("name = 'a\\\nb'", 10, "illegal escaped newline", id="escaped-line-break"),
        pytest.param(r"name = 'a\qb'", 10, r"illegal escape sequence \q", id="unknown-escape"),
        pytest.param(r"name = 'a\N'", 10, r"illegal escape sequence \N", id="uppercase-n"),
        pytest.param(r"name = 'a\x4'", 10, r"\x takes exactly 2 hex digits", id="short-hex"),
        pytest.param(r"name = 'a\u12'", 10, r"\u takes exactly 4 hex digits", id="short-u"),
        pytest.param(r"name = 'a\0'", 10, "octal escape is 3 digits", id="short-octal"),
        pytest.param(r"name = 'a\400'", 10, "octal escape is 3 digits", id="octal-over-377"),
        pytest.param(r"name = 'a\uD800'", 10, "not a Unicode character", id="surrogate-escape"),
        pytest.param(r"name = 'a\U00110000'", 10, "not a Unicode character", id="escape-past-unicode"),
        pytest.param(r"name = 'ok' OR name = 'a\z'", 25, r"illegal escape sequence \z", id="escape-in-second"),
        # A malformed number: the caret goes where the longest number in it ends, as MLMD's does.
        pytest.param("id = 1e", 7, 'malformed number "1e"', id="exponent-without-digits"),
        pytest.param("id=1AND id=1", 5, 'malformed number "1AND"', id="number-touching-keyword"),
        pytest.param("id = 1.5.5", 9, "malformed number", id="two-dots"),
        pytest.param("id = .5.5", 8, "malformed number", id="two-dots-without-leading-digit"),
        pytest.param("id = 0x", 7, "malformed number", id="hex-without-digits"),
        pytest.param("id = 99999999999999999999", 6, "out of range", id="int-too-big"),
        pytest.param("id = -9223372036854775809", 6, "out of range", id="int-too-small"),
        pytest.param("id = " + "9" * 5000, 6, "out of range", id="int-with-5000-digits"),
        pytest.param("id = - 0x1FFFFFFFFFFFFFFFFF", 6, "Invalid hex integer literal: -0x1FFFFFFFFFFFFFFFFF",
                     id="hex-too-big"),
        # Names.
        pytest.param(r"custom_properties.`a\qb`.string_value = 'y'", 21,
                     r"illegal escape sequence \q in a back-quoted name", id="unknown-escape-in-name"),
        pytest.param(r"custom_properties.`a\x4`.string_value = 'y'", 21, r"\x takes exactly 2 hex digits",
                     id="short-hex-in-name"),
        pytest.param(r"`\uDFFF` = 1", 2, "not a Unicode character", id="surrogate-escape-in-name"),
        pytest.param(r"`\477` = 1", 2, "octal escape is 3 digits", id="octal-over-377-in-name"),
        # The caret goes under the backquote that opens an unclosed name, as ZetaSQL's does.
        pytest.param(r"custom_properties.`a\`.string_value = 'y'", 19, "unclosed back-quoted name",
                     id="backslash-escapes-the-closing-backquote"),
        pytest.param("`a\\\nb` = 1", 3, "illegal escaped newline in a back-quoted name",
                     id="escaped-line-break-in-name"),
        pytest.param("custom_properties.`abc.string_value = 'y'", 19, "unclosed back-quoted name",
                     id="unclosed-backquote-in-path"),
        pytest.param("id = 1 AND custom_properties.`abc.string_value = 'y'", 30, "unclosed back-quoted name",
                     id="unclosed-backquote-in-later-path"),
        pytest.param("`name = 'x'", 1, "unclosed back-quoted name", id="unclosed-backquote"),
        pytest.param("custom_properties.`a\nb`.string_value = 'y'", 19, "unclosed back-quoted name",
                     id="line-break-in-backquotes"),
        pytest.param("properties . span . int_value = 1", 12, "without spaces around its dots", id="spaced-dots"),
        pytest.param("é = 1", 1, "back-quote any other name", id="non-ascii-name"),
        pytest.param("id = 1\u00a0AND id = 2", 7, "ASCII spaces", id="no-break-space"),
        pytest.param("id = 1 ，", 8, "U+FF0C", id="fullwidth-comma"),
        pytest.param("id = 1\x00", 7, "U+0000", id="nul-outside-a-string"),
        pytest.param("name = '\ud800'", 9, "lone surrogate", id="lone-surrogate"),
        pytest.param("id = 1 AND\nfoo bar", 5, "expected a comparison operator", id="column-on-second-line"),
    ],
)
def test_rejections(query: str, column: int, says: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse(query)
    error = caught.value
    assert error.column == column, error.rendered
    assert says in error.message, error.rendered


def test_error_shape() -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse("name = 'x' AND\n  id == 1")
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.line, error.column, error.offset) == (2, 7, 21)
    assert error.message == 'Syntax error: unexpected "=="; "==" is not an operator: compare with "=" [at 2:7]'
    assert str(error) == error.rendered == f"{error.message}\n      id == 1\n          ^"
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.rendered, copy.column) == (FilterSyntaxError, error.rendered, error.column)


def test_error_context_is_clipped_around_the_caret() -> None:
    query = " OR ".join(f"id = {i}" for i in range(100)) + " OR id =="
    with pytest.raises(FilterSyntaxError) as caught:
        parse(query)
    _, shown, caret = caught.value.rendered.split("\n")
    assert shown.startswith("    ...") and shown.endswith("id ==")
    assert caret.index("^") == shown.rindex("=")


def test_error_context_for_wide_and_invisible_characters() -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse("name = '日本'\t; ")
    _, shown, caret = caught.value.rendered.split("\n")
    assert shown == "    name = '日本' ; "
    assert caret == "    " + " " * 14 + "^"  # 12 characters before ";", and 日 and 本 take two columns each


def test_render_at_points_like_the_syntax_errors() -> None:
    assert render_at("id = 1\n AND foo = 2", 2, 6) == "     AND foo = 2\n         ^"


def test_non_str_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not bytes"):
        parse(b"id = 1")  # type: ignore[arg-type]


def test_results_are_cached_by_text() -> None:
    query = "name = 'cached' AND id IN (1, 2)"
    assert parse(query) is parse(query)
    assert parse_uncached(query) == parse(query)


# --- the AST walk -------------------------------------------------------------------------------

def test_walk_is_preorder_and_left_to_right() -> None:
    node = parse("a = 1 OR NOT b BETWEEN 1 AND 2 AND c IN (3, d)")
    assert [type(n).__name__ for n in walk(node)] == [
        "Or", "Compare", "Path", "Int", "And", "Not", "Between", "Path", "Int", "Int",
        "InList", "Path", "Int", "Path",
    ]
    assert children(node.items[0]) == (P("a"), I(1))  # type: ignore[union-attr]


# --- inputs built to crash or stall a parser ----------------------------------------------------

def _alternating(depth: int) -> str:
    """((((id = 0 OR id = 1) AND id = 2) OR id = 3) ...: an AST as deep as the text."""
    return "(" * depth + "id = 0" + "".join(f" {'AND' if i % 2 else 'OR'} id = {i})" for i in range(1, depth + 1))


@pytest.mark.parametrize(
    ("query", "check"),
    [
        pytest.param("NOT " * 5000 + "id = 1", lambda n: n == EQ1, id="5000-nots"),
        pytest.param("NOT " * 5001 + "id = 1", lambda n: n == Not(EQ1), id="5001-nots"),
        pytest.param("(" * 5000 + "id = 1" + ")" * 5000, lambda n: n == EQ1, id="5000-parentheses"),
        pytest.param("NOT (" * 5000 + "id = 1" + ")" * 5000, lambda n: n == EQ1, id="5000-not-parentheses"),
        pytest.param("id = " + "- " * 5001 + "1", lambda n: n == cmp(ID, "=", I(-1)), id="5001-signs"),
        pytest.param(" OR ".join(f"id = {i}" for i in range(2000)),
                     lambda n: isinstance(n, Or) and len(n.items) == 2000, id="or-of-2000"),
        pytest.param(" AND ".join(["name LIKE 'x%'"] * 5000),
                     lambda n: isinstance(n, And) and len(n.items) == 5000, id="and-of-5000"),
        pytest.param("(" * 2000 + "id = 0" + "".join(f" OR id = {i})" for i in range(1, 2001)),
                     lambda n: isinstance(n, Or) and len(n.items) == 2001, id="nested-ors-flatten"),
        pytest.param(" AND ".join(f"contexts_{i}.name = 'c{i}'" for i in range(100)),
                     lambda n: isinstance(n, And) and len(n.items) == 100, id="100-aliases"),
        pytest.param(_alternating(3000), lambda n: sum(1 for _ in walk(n)) == 1 + 3001 * 3 + 2999,
                     id="3000-deep-alternating"),
        pytest.param("id IN (" + ", ".join(["1"] * 10000) + ")",
                     lambda n: isinstance(n, InList) and len(n.items) == 10000, id="in-list-of-10000"),
        pytest.param("name = '" + "x" * 1_000_000 + "'", lambda n: len(n.right.value) == 1_000_000,
                     id="1mb-string"),
        pytest.param("custom_properties.`" + "k" * 100_000 + "`.string_value = 'x'",
                     lambda n: len(n.left.parts[1]) == 100_000, id="100kb-property-name"),
    ],
)
def test_big_inputs_parse(query: str, check) -> None:
    started = time.perf_counter()
    node = parse_uncached(query)
    assert check(node)
    assert sum(1 for _ in walk(node)) >= 1
    assert time.perf_counter() - started < 20  # generous: catches a quadratic blow-up, not a slow machine


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("(" * 5000 + "id = 1", id="5000-unclosed-parentheses"),
        pytest.param("NOT " * 5000, id="5000-nots-and-nothing"),
        pytest.param("id = 1" + ")" * 5000, id="5000-closing-parentheses"),
        pytest.param("'" * 100_001, id="100001-quotes"),
        pytest.param("'''" + "'" * 100_000, id="unclosed-triple-quote-of-quotes"),
        pytest.param("`" * 100_001, id="100001-backquotes"),
        pytest.param("\\" * 100_000, id="backslashes"),
        pytest.param("a." * 100_000, id="path-ending-in-dot"),
        pytest.param("name = '" + "\\" * 99_999 + "'", id="string-of-backslashes"),
        pytest.param("id " * 100_000, id="names-without-operators"),
        pytest.param("1" * 100_000 + "x", id="huge-malformed-number"),
        pytest.param("\x00" * 1000, id="nuls"),
        pytest.param("-" * 100_000, id="dashes"),
        pytest.param(("(" * 1000 + "id = 1 AND ") * 5, id="unclosed-nesting-with-work-inside"),
        pytest.param(_alternating(3000) + " ==", id="error-after-a-deep-tree"),
    ],
)
def test_hostile_inputs_fail_cleanly(query: str) -> None:
    started = time.perf_counter()
    with pytest.raises(FilterSyntaxError) as caught:
        parse_uncached(query)
    assert 1 <= caught.value.column and caught.value.rendered.count("\n") == 2
    assert time.perf_counter() - started < 20


_VOCABULARY = [
    "id", "name", "state", "LIVE", "properties.span.int_value", "custom_properties.`my key`.string_value",
    "contexts_a.name", "events_0.type", "`q`", "=", "!=", "<>", "<", "<=", ">", ">=", "==", "AND", "OR",
    "NOT", "LIKE", "IN", "BETWEEN", "IS", "NULL", "TRUE", "FALSE", "(", ")", ",", "-", "+", "--", "*",
    "1", "-1", "1.5", ".5", "1e3", "0x1F", "'a'", '"b"', r"'\n'", r"'\q'", "'''x'''", "r'\\d'", ";", "`",
    "'", ".", "ESCAPE", "SELECT", "DISTINCT", "é", "\x00", "\n", "99999999999999999999",
    "`a\\`b`", "`\\x41\\n`", "``", "`\\q`", "\\`",
]
_SEPARATORS = st.sampled_from([" ", "", "\n", "\t", "  "])


@st.composite
def _token_soup(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(_VOCABULARY), min_size=0, max_size=25))
    return "".join(w + draw(_SEPARATORS) for w in words)


@st.composite
def _valid_query(draw: st.DrawFn) -> str:
    value = st.sampled_from(["id", "name", "state", "LIVE", "1", "- 2", "1.5", "'x'", "NULL", "TRUE",
                             "properties.p.int_value", "custom_properties.`a b`.string_value", "`n`",
                             "custom_properties.`a\\`b\\n`.string_value", "`\\x6e`"])
    predicate = st.one_of(
        value,
        st.builds("{} {} {}".format, value, st.sampled_from(["=", "!=", "<>", "<", "<=", ">", ">="]), value),
        st.builds("{} {}LIKE {}".format, value, st.sampled_from(["", "NOT "]), value),
        st.builds(lambda v, n, items: f"{v} {n}IN ({', '.join(items)})", value, st.sampled_from(["", "NOT "]),
                  st.lists(value, min_size=1, max_size=4)),
        st.builds("{} {}BETWEEN {} AND {}".format, value, st.sampled_from(["", "NOT "]), value, value),
        st.builds("{} IS {}{}".format, value, st.sampled_from(["", "NOT "]),
                  st.sampled_from(["NULL", "TRUE", "FALSE"])),
    )
    expression = st.recursive(
        predicate,
        lambda inner: st.one_of(
            st.builds("NOT {}".format, inner),
            st.builds("({})".format, inner),
            st.builds("{} AND {}".format, inner, inner),
            st.builds("{} OR {}".format, inner, inner),
        ),
        max_leaves=12,
    )
    return draw(expression)


def _assert_parses_or_fails_cleanly(text: str) -> None:
    try:
        node = parse_uncached(text)
    except FilterSyntaxError as error:
        assert error.message.startswith((SYNTAX_ERROR, *OWN_PHRASES))
        assert error.message.endswith(f"[at {error.line}:{error.column}]")
        assert 0 <= error.offset <= len(text)
        assert error.rendered.count("\n") == 2
    else:
        assert all(isinstance(n, ast.Node.__args__) for n in walk(node))  # type: ignore[attr-defined]


_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(st.text())
def test_fuzz_any_text(text: str) -> None:
    _assert_parses_or_fails_cleanly(text)


@_FUZZ
@given(st.binary(), st.sampled_from(["latin-1", "utf-8"]))
def test_fuzz_any_bytes(data: bytes, encoding: str) -> None:
    _assert_parses_or_fails_cleanly(data.decode(encoding, errors="surrogateescape"))


@_FUZZ
@given(_token_soup())
def test_fuzz_token_soup(text: str) -> None:
    _assert_parses_or_fails_cleanly(text)


# --- our LALR runtime against Lark's own, on the same grammar and transformer --------------------

def _same_result(text: str) -> None:
    try:
        ours = parse_uncached(text)
    except FilterSyntaxError:
        ours = None
    try:
        theirs = reference_parse(text)
    except FilterSyntaxError:
        theirs = None
    assert ours == theirs
    if ours is not None:
        assert _positions(ours) == _positions(theirs)  # type: ignore[arg-type]


@_FUZZ
@given(_valid_query())
def test_twin_valid_queries(text: str) -> None:
    _same_result(text)
    parse_uncached(text)  # every generated query is valid


@_FUZZ
@given(_token_soup())
def test_twin_token_soup(text: str) -> None:
    _same_result(text)


@pytest.mark.parametrize("query", [
    "id = 1 AND custom_properties.`my key`.string_value = 'x\\ty' OR NOT state IN (LIVE, PENDING)",
    "name = '''a\nb''' OR\r\n\tid IN (1, -2, 0x1F, 1.5e3) AND x IS NOT NULL",
    "(a = 1) = TRUE AND b NOT BETWEEN - -1 AND .5",
    "NOT NOT NOT (((x)))",
])
def test_twin_examples(query: str) -> None:
    _same_result(query)

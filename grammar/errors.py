"""`FilterSyntaxError`, and a failed parse described in plain words.

Messages say what is wrong, where (`[at line:column]`, like MLMD's), and what would work, in words a
user knows: "a comparison operator", not `COMP_OP`. They start like MLMD's: ``Syntax error: `` (after which
ZetaSQL's parser wording is not a phrase to keep, so ours explains instead), or MLMD's own phrase where it
has one (`OWN_PHRASES`); the position ends the line and points where MLMD's does wherever both parsers
stop at the same token. The planner prefixes them with ``Invalid `filter_query`: ``.
"""
from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any, List, Optional, Set, Tuple

from .lalr import END

if TYPE_CHECKING:
    from .lalr import Token

_WHITESPACE = " \t\r\n\f\v"
SYNTAX_ERROR = "Syntax error: "
# Malformed inputs that MLMD reports in its own words rather than as a "Syntax error: " (its literal and
# IS DISTINCT FROM checks): a detail starting with one of them is not prefixed.
OWN_PHRASES = ("Invalid integer literal: ", "Invalid hex integer literal: ", "IS DISTINCT FROM is not supported")
_CONTEXT_BEFORE = 40  # characters of the query line shown before the caret
_CONTEXT_WIDTH = 72


class FilterSyntaxError(ValueError):
    """A filter query that is not well-formed.

    Attributes:
        detail: what is wrong and what would work, without position.
        message: one line, e.g. ``Syntax error: unexpected "=="; "==" is not an operator: compare
            with "=" [at 1:5]`` (no ``Syntax error: `` before one of MLMD's `OWN_PHRASES`).
        line, column: 1-based position of the problem.
        offset: 0-based index of the problem in `text`.
        text: the query.
        rendered: `message`, then the query line and a caret under the problem (also `str(exc)`).
    """

    def __init__(self, detail: str, text: str, offset: int) -> None:
        offset = max(0, min(offset, len(text)))
        line_start = text.rfind("\n", 0, offset) + 1
        self.detail = detail
        self.text = text
        self.offset = offset
        self.line = text.count("\n", 0, offset) + 1
        self.column = offset - line_start + 1
        prefix = "" if detail.startswith(OWN_PHRASES) else SYNTAX_ERROR
        self.message = f"{prefix}{detail} [at {self.line}:{self.column}]"
        self.rendered = f"{self.message}\n{_caret(text, line_start, offset)}"
        super().__init__(self.rendered)

    def __reduce__(self) -> Tuple[type, Tuple[str, str, int]]:  # picklable despite the custom __init__
        return (type(self), (self.detail, self.text, self.offset))


def _caret(text: str, line_start: int, offset: int) -> str:
    line_end = text.find("\n", offset)
    line = text[line_start:line_end if line_end >= 0 else len(text)]
    col = offset - line_start
    left = max(0, col - _CONTEXT_BEFORE)
    right = min(len(line), left + _CONTEXT_WIDTH)
    prefix = "..." if left else ""
    suffix = "..." if right < len(line) else ""
    shown = [_visible(c) for c in line[left:right]]
    pad = len(prefix) + sum(_width(c) for c in shown[:col - left])
    return f"    {prefix}{''.join(shown)}{suffix}\n    {' ' * pad}^"


def _visible(char: str) -> str:
    if char.isprintable():
        return char
    return " " if char.isspace() else "?"


def _width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


# --- describing a failure -----------------------------------------------------------------------

_VALUE = 'a value (a column name, a string, a number, TRUE, FALSE, NULL or "(")'
# Terminal name -> words, in the order they are listed after "expected".
_EXPECTED_WORDS = (
    ("NOT", "NOT"),
    ("COMP_OP", "a comparison operator (=, !=, <>, <, <=, >, >=)"),
    ("_LIKE", "LIKE"),
    ("_IN", "IN"),
    ("_BETWEEN", "BETWEEN"),
    ("_IS", "IS"),
    ("INT", "a number"),
    ("NULL", "NULL"),
    ("TRUE", "TRUE"),
    ("FALSE", "FALSE"),
    ("_AND", "AND"),
    ("_OR", "OR"),
    ("_COMMA", '","'),
    ("LPAR", '"("'),
    ("_RPAR", '")"'),
    (END, "the end of the query"),
)
_VALUE_TERMINALS = frozenset({"PATH", "STRING", "INT", "FLOAT", "SIGN", "TRUE", "FALSE", "NULL", "LPAR"})
_INFIX_AFTER_NOT = frozenset({"_LIKE", "_IN", "_BETWEEN"})
_KEYWORDS = frozenset({"AND", "OR", "NOT", "LIKE", "IN", "BETWEEN", "IS", "NULL", "TRUE", "FALSE"})
_KEYWORD_TERMINALS = frozenset({"_OR", "_AND", "NOT", "_LIKE", "_IN", "_BETWEEN", "_IS", "NULL", "TRUE", "FALSE"})
_SIGN_ONLY = frozenset({"INT", "FLOAT", "SIGN"})
_BACKQUOTED = r"`(?:[^`\\\r\n]|\\[^\r\n])*`"  # a back-quoted name, as in filter.lark
_LAST_WORD = re.compile(rf"(?:[A-Za-z_][A-Za-z0-9_]*|{_BACKQUOTED})(?:\.(?:[A-Za-z0-9_]+|{_BACKQUOTED}))*$")
_NUMBERISH = re.compile(r"[0-9A-Za-z_.]+")
# The longest number literal at the start of a malformed one: where ZetaSQL's lexer stops reading it.
_NUMBER_PREFIX = re.compile(r"0[xX][0-9A-Fa-f]+|[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
                            r"|[0-9]+(?:[eE][+-]?[0-9]+)?")
_WORD_CHAR = re.compile(r"[0-9A-Za-z_]")
_DIGITS = frozenset("0123456789")
_IS_BEFORE = re.compile(r"(?i)\bIS(\s+NOT)?$")
_IN_PAREN_BEFORE = re.compile(r"(?i)\bIN\s*\($")
_LINE_BREAKS = "\r\n"


def describe_failure(text: str, offset: int, token: Optional[Token], expected: Set[str],
                     open_paren: Optional[int] = None) -> Tuple[str, int]:
    """What went wrong at `offset` of `text` and what would work, in plain words, and where to point.

    Args:
        text: the query.
        offset: where parsing stopped.
        token: the token that did not fit (type END at the end of the query), or None when no token
            could be lexed at `offset`.
        expected: the terminal names the parser would have taken at `offset`.
        open_paren: where the expression inside the innermost unclosed "(" starts, if there is one
            (not an IN list's).

    Returns:
        (detail, offset to report): usually `offset`, or the start of the construct that is not
        supported (`IS` of `IS DISTINCT FROM`, `SELECT` of a subquery). The end of the query is reported
        right after its last token, as MLMD does, not after trailing whitespace.
    """
    if token is None:
        what = f"unexpected {_describe_char(text[offset])}"
    elif token.type == END:
        what = "unexpected end of query"
        offset = len(text.rstrip(_WHITESPACE))
    else:
        what = f"unexpected {_describe_token(text, token)}"
    special = _diagnose(text, offset, token, expected)
    if special is not None:
        what, advice, offset = special
    elif token is not None and token.type == END and open_paren is not None and "_RPAR" in expected:
        # Point at the parenthesised expression that never ends, as MLMD does ("Parenthesized expression
        # cannot be parsed"): with several "(" open, the caret says which one.
        advice = f'the "(" before this is never closed: {_expected_phrase(expected)}'
        offset = open_paren
    else:
        advice = _expected_phrase(expected)
    return (f"{what}; {advice}" if advice else what), offset


def _describe_token(text: str, token: Token) -> str:
    source = text[token.start_pos:token.end_pos]
    if token.type == "PATH":
        return f"name {_quoted(source)}"
    if token.type == "STRING":
        return f"string {_clip(source)}"
    if token.type in ("INT", "FLOAT"):
        return f"number {_clip(source)}"
    if token.type in _KEYWORD_TERMINALS:
        return f"keyword {source.upper()}"
    return _quoted(source)


def _describe_char(char: str) -> str:
    if char.isprintable() and char.isascii():
        return f"character {_quoted(char)}"
    name = unicodedata.name(char, "")
    return f"character U+{ord(char):04X}" + (f" ({name})" if name else "")


def _quoted(source: str) -> str:
    return '"' + _clip(source).replace('"', '\\"') + '"'


def _clip(source: str, width: int = 30) -> str:
    source = "".join(c if c.isprintable() else "?" for c in source)
    return source if len(source) <= width else f"{source[:width]}..."


def _expected_phrase(expected: Set[str]) -> str:
    expected = set(expected)
    words: List[str] = []
    if "PATH" in expected:
        if "NOT" in expected:
            words.append("NOT")
        words.append(_VALUE)
        expected -= _VALUE_TERMINALS | {"NOT"}
    if "FLOAT" in expected:
        expected.add("INT")
    infix_not = "NOT" in expected and bool(expected & _INFIX_AFTER_NOT)
    for name, word in _EXPECTED_WORDS:
        if name not in expected or (infix_not and name == "NOT"):
            continue
        words.append(f"[NOT] {word}" if infix_not and name in _INFIX_AFTER_NOT else word)
    if not words:
        return ""
    if len(words) == 1:
        return f"expected {words[0]}"
    return f"expected {', '.join(words[:-1])} or {words[-1]}"


def _diagnose(text: str, offset: int, token: Optional[Token],
              expected: Set[str]) -> Optional[Tuple[str, str, int]]:
    """(what, advice, offset) for mistakes worth a specific hint, else None; `token` is None if none lexed."""
    hint = _hint(text, offset, token, expected)
    if hint is None:
        return None
    what, advice, *moved = hint
    return what, advice, moved[0] if moved else offset


def _hint(text: str, offset: int, token: Optional[Token], expected: Set[str]) -> Optional[Tuple[Any, ...]]:
    rest = text[offset:offset + 64]  # hints only look nearby: long inputs must not cost more
    char = rest[:1]
    base = max(0, offset - 256)
    before = text[base:offset].rstrip(_WHITESPACE)
    last = _LAST_WORD.search(before)
    last_word = last.group().upper() if last else ""
    word = token.value.upper() if token is not None and token.type == "PATH" else ""
    if char == ";":
        return 'unexpected ";"', 'a filter is a single expression: remove the ";"'
    if rest.startswith(("--", "/*", "#")):
        return f"{_quoted(rest[:2].rstrip())} starts a comment", "comments are not supported: remove it"
    if char == "=" and text[offset - 1:offset] == "=":
        return 'unexpected "=="', '"==" is not an operator: compare with "="'
    if rest.startswith("&&"):
        return 'unexpected "&&"', "write AND"
    if rest.startswith("||"):
        return 'unexpected "||"', "write OR (string concatenation is not supported)"
    if char == "!" and not rest.startswith("!="):
        return 'unexpected "!"', 'write NOT, or "!=" to compare'
    if word in ("SELECT", "WITH") and before.endswith("("):
        return f"unexpected keyword {word}", "subqueries are not supported"
    if last is not None and last_word in ("SELECT", "WITH") and before[:last.start()].rstrip(_WHITESPACE).endswith("("):
        return f"unexpected keyword {last_word}", "subqueries are not supported", base + last.start()
    if char in ("*", "/", "%") or (char in ("+", "-") and "SIGN" not in expected):
        return f"unexpected {_quoted(char)}", 'arithmetic is not supported; a "+" or "-" may only sign a number'
    if expected and expected <= _SIGN_ONLY:
        found = "end of query" if token is not None and token.type == END else (
            _describe_token(text, token) if token is not None else _describe_char(char))
        return f"unexpected {found} after a sign", 'a "+" or "-" may only stand in front of a number literal'
    if token is not None and token.type == "COMP_OP" and "COMP_OP" not in expected and END in expected:
        return (f"unexpected {_quoted(token.value)}",
                "comparisons do not chain: write a = b AND b = c, or parenthesise one side")
    if char == "(" and last and last_word not in _KEYWORDS and "LPAR" not in expected:
        return f'unexpected "(" after {_quoted(last.group())}', "function calls are not supported"
    if token is not None and last_word == "NOT" and expected and expected <= _INFIX_AFTER_NOT:
        # `x NOT NULL`: after a value NOT only opens NOT LIKE / IN / BETWEEN; MLMD points at the NOT too.
        found = "the end of the query" if token.type == END else _describe_token(text, token)
        advice = f"after a value, NOT must be followed by LIKE, IN or BETWEEN, not by {found}"
        if token.type == "NULL":
            advice += "; to test for NULL, write IS NOT NULL"
        return "unexpected keyword NOT", advice, base + last.start()  # type: ignore[union-attr]
    if word == "DISTINCT":
        is_keyword = _IS_BEFORE.search(before)
        if is_keyword:
            # MLMD points at IS, or at DISTINCT after IS NOT.
            return ("IS DISTINCT FROM is not supported",
                    "compare with = or != and test NULL separately (x = 1 OR x IS NULL)",
                    offset if is_keyword.group(1) else base + is_keyword.start())
    if word == "ESCAPE":
        return ("LIKE has no ESCAPE clause",
                'a pattern matches "%" for any run of characters and "_" for any one character')
    if char == ")" and before.endswith("("):
        if _IN_PAREN_BEFORE.search(before):
            return "IN () has no values", "list at least one value, e.g. id IN (1, 2)"
        return 'unexpected ")"', '"()" holds nothing: put an expression inside'
    if char == ")" and before.endswith(","):
        return 'unexpected ")" after ","', 'remove the last ","'
    if token is not None:
        return None
    # No token could be lexed here at all.
    if char == "`" or rest.startswith(".`"):
        return _unclosed_name(text, offset + (char == "."))
    if char in ("'", '"'):
        raw_prefix = text[offset - 1:offset] in ("r", "R") and not _WORD_CHAR.match(text[offset - 2:offset - 1])
        return _unclosed_string(text, offset, raw_prefix)
    if char in _DIGITS or (char == "." and rest[1:2] in _DIGITS):
        # ZetaSQL reads the longest number it can and stops at the first character after it: point there.
        malformed = _NUMBERISH.match(rest)
        number = _NUMBER_PREFIX.match(text, offset)
        return (f"malformed number {_quoted(malformed.group() if malformed else char)}",
                "a number is like 1, 1.5, .5, 1e3 or 0x1F, and needs a space or an operator after it",
                number.end() if number else offset)
    if char == "." and (text[offset - 1:offset].isspace() or rest[1:2].isspace()):
        return 'unexpected "."', "write a path without spaces around its dots: properties.span.int_value"
    if char.isspace():
        return f"unexpected {_describe_char(char)}", "separate words with ASCII spaces, tabs or line breaks"
    if char.isalpha():
        return (f"unexpected {_describe_char(char)}",
                'a name without backquotes is ASCII letters, digits and "_"; back-quote any other name, '
                "e.g. custom_properties.`café`.string_value")
    return None


def _unclosed_name(text: str, quote: int) -> Tuple[str, str, int]:
    """A back-quoted name opened at `quote` that does not end on its line."""
    escaped_break = _escaped_line_break(text, quote + 1)
    if escaped_break is not None:
        return ("illegal escaped newline in a back-quoted name",
                "a name cannot go on to the next line: write \\n for a line break", escaped_break)
    return ("unclosed back-quoted name",
            "end it with a backquote on the same line (inside, write \\` for a backquote, \\\\ for a "
            "backslash and \\n for a line break)", quote)


def _unclosed_string(text: str, quote: int, raw_prefix: bool) -> Tuple[str, str, int]:
    """A string literal opened at `quote` (after an r/R when `raw_prefix`) that does not end."""
    start = quote - 1 if raw_prefix else quote
    kind = "raw string literal" if raw_prefix else "string literal"
    delimiter = text[quote:quote + 3]
    if delimiter in ("'''", '"""'):
        return f"unclosed triple-quoted {kind}", f"end it with {delimiter}", start
    escaped_break = None if raw_prefix else _escaped_line_break(text, quote + 1)
    if escaped_break is not None:
        return ("illegal escaped newline",
                "a backslash cannot carry a string on to the next line: write \\n for a line break, or use "
                "triple quotes", escaped_break)
    return (f"unclosed {kind}",
            "end it with the same quote on the same line (write \\n for a line break, or use triple quotes)", start)


def _escaped_line_break(text: str, start: int) -> Optional[int]:
    """Where a backslash right before a line break stands in the rest of the line from `start`, if one does."""
    i = start
    while i < len(text) and text[i] not in _LINE_BREAKS:
        if text[i] == "\\":
            if text[i + 1:i + 2] in ("\r", "\n"):
                return i
            i += 1
        i += 1
    return None


def render_at(text: str, line: int, column: int) -> str:
    """The query line holding 1-based (line, column) with a caret under that column, for other stages' errors."""
    line_start = 0
    for _ in range(max(line, 1) - 1):
        next_break = text.find("\n", line_start)
        if next_break < 0:
            break
        line_start = next_break + 1
    return _caret(text, line_start, min(line_start + max(column, 1) - 1, len(text)))

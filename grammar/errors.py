"""`FilterSyntaxError`, and a failed parse described in plain words.

Messages say what is wrong, where (`[at line:column]`, like MLMD's), and what would work, in words a
user knows: "a comparison operator", not `COMP_OP`. The planner prefixes them with
``Invalid `filter_query`: ``.
"""
from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any, List, Optional, Set, Tuple

from .lalr import END

if TYPE_CHECKING:
    from .lalr import Token

_WHITESPACE = " \t\r\n\f\v"
_CONTEXT_BEFORE = 40  # characters of the query line shown before the caret
_CONTEXT_WIDTH = 72


class FilterSyntaxError(ValueError):
    """A filter query that is not well-formed.

    Attributes:
        detail: what is wrong and what would work, without position.
        message: one line, e.g. ``Syntax error: unexpected "=="; "==" is not an operator: compare
            with "=" [at 1:5]``.
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
        self.message = f"Syntax error: {detail} [at {self.line}:{self.column}]"
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
_WORD_CHAR = re.compile(r"[0-9A-Za-z_]")
_DIGITS = frozenset("0123456789")
_IS_BEFORE = re.compile(r"(?i)\bIS(?:\s+NOT)?$")
_IN_PAREN_BEFORE = re.compile(r"(?i)\bIN\s*\($")
_UNCLOSED_STRING = (
    "unclosed string literal",
    "end it with the same quote on the same line (write \\n for a line break, or use triple quotes)",
)


def describe_failure(text: str, offset: int, token: Optional[Token], expected: Set[str]) -> Tuple[str, int]:
    """What went wrong at `offset` of `text` and what would work, in plain words, and where to point.

    Args:
        text: the query.
        offset: where parsing stopped.
        token: the token that did not fit (type END at the end of the query), or None when no token
            could be lexed at `offset`.
        expected: the terminal names the parser would have taken at `offset`.

    Returns:
        (detail, offset to report): usually `offset`, or the start of the construct that is not
        supported (`IS` of `IS DISTINCT FROM`, `SELECT` of a subquery).
    """
    if token is None:
        what = f"unexpected {_describe_char(text[offset])}"
    elif token.type == END:
        what = "unexpected end of query"
    else:
        what = f"unexpected {_describe_token(text, token)}"
    special = _diagnose(text, offset, token, expected)
    if special is not None:
        what, advice, offset = special
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
    if word == "DISTINCT":
        is_keyword = _IS_BEFORE.search(before)
        if is_keyword:
            return ("IS [NOT] DISTINCT FROM is not supported",
                    "compare with = or != and test NULL separately (x = 1 OR x IS NULL)", base + is_keyword.start())
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
        return ("unclosed back-quoted name",
                "end it with a backquote on the same line (inside, write \\` for a backquote, \\\\ for a "
                "backslash and \\n for a line break)")
    if char == "." and (text[offset - 1:offset].isspace() or rest[1:2].isspace()):
        return 'unexpected "."', "write a path without spaces around its dots: properties.span.int_value"
    if char in ("'", '"'):
        raw_prefix = text[offset - 1:offset] in ("r", "R") and not _WORD_CHAR.match(text[offset - 2:offset - 1])
        return (*_UNCLOSED_STRING, offset - 1 if raw_prefix else offset)
    if char in _DIGITS or (char == "." and rest[1:2] in _DIGITS):
        malformed = _NUMBERISH.match(rest)
        return (f"malformed number {_quoted(malformed.group() if malformed else char)}",
                "a number is like 1, 1.5, .5, 1e3 or 0x1F, and needs a space or an operator after it")
    if char.isspace():
        return f"unexpected {_describe_char(char)}", "separate words with ASCII spaces, tabs or line breaks"
    if char.isalpha():
        return (f"unexpected {_describe_char(char)}",
                'a name without backquotes is ASCII letters, digits and "_"; back-quote any other name, '
                "e.g. custom_properties.`café`.string_value")
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

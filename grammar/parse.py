"""Parses a filter query into the AST of `ast.py`, or raises `FilterSyntaxError`.

`filter.lark` is compiled by Lark once, lazily, and run by `lalr.Runtime`, which calls the transformer
below while it reduces: no parse tree is built and nothing recurses, so 5,000 nested NOTs or
parentheses cost two Python lists, not 5,000 frames. Results are cached by query text.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, List, Optional, Tuple, Type, Union

from lark import Lark, Transformer, v_args
from lark.exceptions import UnexpectedInput

from . import ast
from .errors import FilterSyntaxError, describe_failure
from .lalr import END, ParseFailure, Runtime

if TYPE_CHECKING:
    from .ast import Node
    from .lalr import Token

_WHITESPACE = " \t\r\n\f\v"  # the grammar's %ignore set: Unicode spaces are not whitespace here
# Integer literals span INT64 and UINT64, as in ZetaSQL: -2**63 .. 2**64 - 1.
_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1
_CACHE_SIZE = 1024
_CACHE_MAX_CHARS = 4096  # longer queries are rare and slow to parse anyway: keep the cache small


def parse(text: str) -> Node:
    """Parses a filter query into its AST.

    Args:
        text: the query, e.g. ``"type = 'Model' AND properties.acc.double_value > 0.9"``. An empty or
            whitespace-only query is a syntax error: callers handle "no filter" before calling this.

    Returns:
        The root node. Nodes are immutable, and equal texts of up to 4,096 characters return the same
        node from a cache.

    Raises:
        FilterSyntaxError: the query is not well-formed; the error says where and what would work.
        TypeError: `text` is not a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"a filter query is a str, not {type(text).__name__}")
    if len(text) > _CACHE_MAX_CHARS:
        return parse_uncached(text)
    return _parse_cached(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse_cached(text: str) -> Node:
    return parse_uncached(text)


def parse_uncached(text: str) -> Node:
    """Like `parse`, without the cache (for benchmarks and tests)."""
    _check_text(text)
    runtime = _runtime()
    try:
        return _unwrap(runtime.parse(text))
    except _TokenError as exc:  # internal signals: the FilterSyntaxError carries all they knew
        raise FilterSyntaxError(exc.message, text, exc.offset) from None
    except ParseFailure as failure:
        expected = runtime.acceptable(runtime.states_before(text, failure.offset))
        at_end = failure.token is not None and failure.token.type == END
        detail, offset = describe_failure(text, failure.offset, failure.token, expected,
                                          _open_paren(runtime, text, failure.offset) if at_end else None)
        raise FilterSyntaxError(detail, text, offset) from None


def _open_paren(runtime: Runtime, text: str, stop: int) -> Optional[int]:
    """Where the expression inside the innermost "(" still open at `stop` starts; None for an IN list's "("."""
    opened: List[Tuple[int, bool]] = []  # (offset after "(", is an IN list)
    previous = ""
    for kind, start, end in runtime.lex(text, stop):
        if kind == "LPAR":
            opened.append((end, previous == "_IN"))
        elif kind == "_RPAR" and opened:
            opened.pop()
        previous = kind
    if not opened or opened[-1][1]:
        return None
    after = opened[-1][0]
    return len(text) - len(text[after:].lstrip(_WHITESPACE)) if after < len(text) else after


def reference_parse(text: str) -> Node:
    """Parses `text` with Lark's own LALR runtime and the same grammar and transformer (for tests).

    Raises FilterSyntaxError with a terse message where `parse` would explain.
    """
    _check_text(text)
    try:
        return _unwrap(_lark(with_transformer=True).parse(text))  # type: ignore[arg-type]  # the transformer's
    except _TokenError as exc:
        raise FilterSyntaxError(exc.message, text, exc.offset) from None
    except UnexpectedInput as exc:
        raise FilterSyntaxError(f"reference parser: {type(exc).__name__}", text, exc.pos_in_stream or 0) from exc


def _check_text(text: str) -> None:
    if not text.strip(_WHITESPACE):
        raise FilterSyntaxError("the query is empty; write a condition such as name = 'x'", text, 0)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        # Only str built with surrogateescape and the like gets here; SQLite could not bind it anyway.
        raise FilterSyntaxError(
            f"U+{ord(text[exc.start]):04X} is a lone surrogate, not a character; the query must be valid Unicode",
            text, exc.start) from None


class _TokenError(Exception):
    """A malformed literal (bad escape, integer out of range) at `offset`."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


# --- literals -----------------------------------------------------------------------------------

_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", "?": "?", '"': '"', "'": "'", "`": "`",
}
_HEX_WIDTH = {"x": 2, "X": 2, "u": 4, "U": 8}
_OCTAL3 = re.compile(r"[0-3][0-7]{2}")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_ESCAPE_LIST = (r"\n \t \r \a \b \f \v \\ \' \" \` \? \ooo \xhh \uhhhh \Uhhhhhhhh")


def string_value(raw: str, offset: int) -> str:
    """The value of a STRING token found at `offset`: quotes removed, escapes decoded as in ZetaSQL.

    `'...'` and `"..."` may not span lines; `'''...'''` and `\"\"\"...\"\"\"` may; an r/R prefix keeps
    backslashes as written. `\\xhh` and `\\ooo` are code points (`'caf\\xe9'` is café), as in MLMD.
    """
    is_raw = raw[0] in "rR"
    quote_len = 3 if len(raw) >= is_raw + 6 and raw[is_raw:is_raw + 3] in ("'''", '"""') else 1
    start = is_raw + quote_len
    body = raw[start:len(raw) - quote_len]
    if is_raw or "\\" not in body:
        return body
    return _unescape(body, offset + start, in_name=False)


def _unescape(body: str, offset: int, in_name: bool) -> str:
    """`body` with its escapes decoded; `offset` is where `body` starts in the query.

    String literals and back-quoted names share it: GoogleSQL decodes both alike. `in_name` only changes
    the messages, which say where the bad escape is and, for a string, that a raw string keeps backslashes.
    """
    where = " in a back-quoted name" if in_name else ""
    out = []
    i = 0
    while True:
        j = body.find("\\", i)
        if j < 0:
            out.append(body[i:])
            return "".join(out)
        out.append(body[i:j])
        kind = body[j + 1]  # the STRING and PATH regexes never end a literal or name on a lone backslash
        if kind in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[kind])
            i = j + 2
        elif kind in "01234567":
            digits = body[j + 1:j + 4]
            if not _OCTAL3.fullmatch(digits):
                raise _TokenError(f"illegal escape sequence \\{_shown(digits)}{where}; an octal escape is "
                                  "3 digits from \\000 to \\377", offset + j)
            out.append(chr(int(digits, 8)))
            i = j + 4
        elif kind in _HEX_WIDTH:
            width = _HEX_WIDTH[kind]
            digits = body[j + 2:j + 2 + width]
            if len(digits) != width or not _HEX.fullmatch(digits):
                raise _TokenError(f"illegal escape sequence \\{kind}{_shown(digits)}{where}; \\{kind} takes "
                                  f"exactly {width} hex digits", offset + j)
            code = int(digits, 16)
            if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
                raise _TokenError(f"illegal escape sequence \\{kind}{digits}{where}: U+{code:04X} is not a "
                                  "Unicode character", offset + j)
            out.append(chr(code))
            i = j + 2 + width
        else:
            hint = "" if in_name else " (or write a raw string: r'...')"
            raise _TokenError(f"illegal escape sequence \\{_shown(kind)}{where}; the escapes are "
                              f"{_ESCAPE_LIST}{hint}", offset + j)


def _shown(fragment: str) -> str:
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in fragment)


def _clip(text: str, width: int = 30) -> str:
    return text if len(text) <= width else f"{text[:width]}..."


_PATH_PART = re.compile(r"([A-Za-z0-9_]+)|`((?:[^`\\]|\\.)*)`", re.DOTALL)  # parts of a lexed PATH


# --- the transformer ----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Paren:
    """A parenthesised node: only the "(" position survives, for the enclosing node's column."""

    node: Node
    line: int
    column: int


_Item = Union["Node", _Paren]


def _unwrap(item: _Item) -> Node:
    return item.node if isinstance(item, _Paren) else item


def _start(item: Any) -> Tuple[int, int]:
    return item.line, item.column


def _flatten(kind: Type[Union[ast.Or, ast.And]], items: Iterable[_Item]) -> Tuple[Node, ...]:
    flat: List[Node] = []
    for item in items:
        node = _unwrap(item)
        if isinstance(node, (ast.Or, ast.And)) and isinstance(node, kind):
            flat.extend(node.items)
        else:
            flat.append(node)
    return tuple(flat)


def _signed(tokens: Tuple[Token, ...]) -> Tuple[bool, str]:
    """(is negative, digits) for `[SIGN ...] NUMBER`."""
    negative = sum(1 for t in tokens[:-1] if t.value == "-") % 2 == 1
    return negative, tokens[-1].value


@v_args(inline=True)
class _ToAst(Transformer):
    """Builds AST nodes during reductions; each method is named after its rule and (mostly) its node.

    It runs under `lalr.Runtime` and under Lark's own runtime alike (tokens of either kind have
    `type`, `value`, `start_pos`, `line` and `column`).
    """

    def or_(self, *items: _Item) -> ast.Or:
        return ast.Or(_flatten(ast.Or, items), *_start(items[0]))

    def and_(self, *items: _Item) -> ast.And:
        return ast.And(_flatten(ast.And, items), *_start(items[0]))

    def not_(self, keyword: Token, operand: _Item) -> Node:
        node = _unwrap(operand)
        if isinstance(node, ast.Not):
            # NOT NOT x is x for TRUE, FALSE and NULL alike; keeps 5,000 NOTs one node deep.
            return node.operand
        return ast.Not(node, keyword.line, keyword.column)

    def compare(self, left: _Item, op: Token, right: _Item) -> ast.Compare:
        return ast.Compare(_unwrap(left), ast.CompareOp(op.value), _unwrap(right), *_start(left))

    def like(self, operand: _Item, *rest: Any) -> ast.Like:  # [NOT] pattern
        return ast.Like(_unwrap(operand), _unwrap(rest[-1]), len(rest) == 2, *_start(operand))

    def in_list(self, operand: _Item, *rest: Any) -> ast.InList:  # [NOT] "(" item ...
        negated = rest[0].type == "NOT"
        items = tuple(_unwrap(i) for i in rest[1 + negated:])
        return ast.InList(_unwrap(operand), items, negated, *_start(operand))

    def between(self, operand: _Item, *rest: Any) -> ast.Between:  # [NOT] low high
        low, high = rest[-2:]
        return ast.Between(_unwrap(operand), _unwrap(low), _unwrap(high), len(rest) == 3, *_start(operand))

    def is_null(self, operand: _Item, *rest: Token) -> ast.IsNull:  # [NOT] NULL
        return ast.IsNull(_unwrap(operand), len(rest) == 2, *_start(operand))

    def is_bool(self, operand: _Item, *rest: Token) -> ast.IsBool:  # [NOT] TRUE|FALSE
        return ast.IsBool(_unwrap(operand), rest[-1].type == "TRUE", len(rest) == 2, *_start(operand))

    def paren(self, lpar: Token, inner: _Item) -> _Paren:
        # No AST node: parentheses only group, and nested ones collapse to the outermost position.
        return _Paren(_unwrap(inner), lpar.line, lpar.column)

    def path(self, token: Token) -> ast.Path:
        parts, quoted, columns = [], [], []
        text = token.value
        tight = True
        for match in _PATH_PART.finditer(text):
            plain, backquoted = match.groups()
            if plain is not None:
                parts.append(plain)
            elif "\\" in backquoted:
                parts.append(_unescape(backquoted, token.start_pos + match.start() + 1, in_name=True))
            else:
                parts.append(backquoted)
            quoted.append(plain is None)
            columns.append(token.column + match.start())
            tight = tight and (match.start() == 0 or text[match.start() - 1] == ".")
        return ast.Path(tuple(parts), tuple(quoted), token.line, token.column, tuple(columns), tight)

    def string(self, token: Token) -> ast.String:
        return ast.String(token.value, token.line, token.column)  # decoded by string_value when lexed

    def int(self, *tokens: Token) -> ast.Int:
        negative, text = _signed(tokens)
        if text[:2] in ("0x", "0X"):
            magnitude = int(text, 16)
        else:
            digits = text.lstrip("0") or "0"
            # int() refuses over 4,300 digits; anything over 20 is out of range anyway.
            magnitude = int(digits) if len(digits) <= 21 else _INT_MAX + 1
        value = -magnitude if negative else magnitude
        if not _INT_MIN <= value <= _INT_MAX:
            # MLMD's words, with the literal as its lexer reads it: signs folded in, spaces dropped.
            kind = "hex integer" if text[:2] in ("0x", "0X") else "integer"
            raise _TokenError(
                f"Invalid {kind} literal: {'-' if negative else ''}{_clip(text, 200)}; it is out of range: "
                f"integers go from {_INT_MIN} to {_INT_MAX} (write a float such as 1e20 for larger numbers)",
                tokens[0].start_pos)
        return ast.Int(value, tokens[0].line, tokens[0].column)

    def float(self, *tokens: Token) -> ast.Float:
        negative, text = _signed(tokens)
        value = float(text)
        return ast.Float(-value if negative else value, tokens[0].line, tokens[0].column)

    def bool(self, token: Token) -> ast.Bool:
        return ast.Bool(token.type == "TRUE", token.line, token.column)

    def null(self, token: Token) -> ast.Null:
        return ast.Null(token.line, token.column)


# --- building the parser once -------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _lark(with_transformer: bool) -> Lark:
    options: dict = {}
    if with_transformer:
        options.update(
            transformer=_ToAst(),
            lexer_callbacks={"STRING": lambda token: token.update(value=string_value(token, token.start_pos))},
        )
    return Lark.open_from_package(
        __name__.rpartition(".")[0], "filter.lark",
        parser="lalr", lexer="basic", start="or_", maybe_placeholders=False, **options,
    )


@functools.lru_cache(maxsize=None)
def _runtime() -> Runtime:
    return Runtime(_lark(with_transformer=False), _ToAst(), {"STRING": string_value})

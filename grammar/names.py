"""Writing names: `quote_name` (so that a filter query can reach any name) and `identifier` (for messages).

A back-quoted name takes the escapes of a string literal, as in GoogleSQL (decoded in parse.py), so every
string a store can hold as a property name has a spelling: ``quote_name("a`b") == "`a\\\\`b`"``.
"""
from __future__ import annotations

import re

# Inside backquotes only a backquote, a backslash and a line break need an escape; the other control
# characters are escaped too, so that a quoted name stays readable on one line.
_NEEDS_ESCAPE = re.compile(r"[`\\\x00-\x1f\x7f]")
_NAMED_ESCAPES = {"`": "\\`", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# The words ml-metadata 1.17.1 (ZetaSQL) back-quotes when it names a column in a message, found by asking
# it (`\`select\` = 1` says "Unrecognized name: `select`", `\`key\` = 1` says "Unrecognized name: key").
_QUOTED_KEYWORDS = frozenset("""
    access all and any array as asc assert_rows_modified at between by case cast collate contains create
    cross cube current default define desc distinct else end enum escape except exclude exists extract false
    fetch following for from full function group grouping groups hash having if ignore in inner inout
    intersect interval into is join lateral left like limit lookup merge natural new no not null nulls of on
    or order out outer over partition policy preceding proto qualify range recursive replace respect right
    rollup row rows safe_cast select set some struct tablesample then to treat true unbounded union unnest
    update using when where window with within
""".split())


def _escape(match: "re.Match[str]") -> str:
    char = match.group()
    return _NAMED_ESCAPES.get(char) or f"\\x{ord(char):02x}"


def quote_name(name: str) -> str:
    """`name` back-quoted, with escapes where it needs them: the parser reads it back as `name`.

    Any str without lone surrogates works, the empty name included (``), which only a property name may be.

    Example: ``f"custom_properties.{quote_name(key)}.string_value = 'x'"`` finds the custom property `key`.
    """
    return "`" + _NEEDS_ESCAPE.sub(_escape, name) + "`"


def identifier(name: str) -> str:
    """`name` as MLMD's messages print a column name: bare when it is a plain word, else back-quoted.

    "Unrecognized name: ds1" for `` `ds1` ``, "Unrecognized name: `a b`" for `` `a b` ``; a word MLMD
    treats as a keyword is back-quoted too (`` `select` ``).
    """
    if _PLAIN.fullmatch(name) and name.lower() not in _QUOTED_KEYWORDS:
        return name
    return quote_name(name)

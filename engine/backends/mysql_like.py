"""SQLite's LIKE written for MySQL and MariaDB: ASCII letters matched in either case, `_` one character, no escape.

The text columns' binary collation keeps every character itself; both sides have their ASCII letters lowered
(LOWER would fold `Ü` too). LIKE has no escape character, as SQLite's: MariaDB reads ESCAPE '' as `\\` where the
collation is multi-byte, so `\\` is the escape and a pattern has each of its own doubled.
"""
from __future__ import annotations

from ..sqlutil import ascii_lowered
from .mysql_schema import FOLDED, ascii_lower

NO_ESCAPE = "ESCAPE '\\\\'"


def like(operand: str, pattern: str, negated: bool) -> str:
    """`operand LIKE pattern` (each an SQL expression), lowering both in SQL."""
    return f"{ascii_lower(operand)} {'NOT LIKE' if negated else 'LIKE'} {escaped(pattern)} {NO_ESCAPE}"


def escaped(pattern: str) -> str:
    """The SQL expression `pattern` with its ASCII letters lowered and each backslash doubled, for LIKE ... NO_ESCAPE."""
    return f"REPLACE({ascii_lower(pattern)}, '\\\\', '\\\\\\\\')"


def escaped_value(pattern: str) -> str:
    """`escaped`, done here on a pattern's value."""
    return ascii_lowered(pattern).replace("\\", "\\\\")


def folded_like(folded: str, widened: str, lowered: str) -> str:
    """A LIKE on a lowered twin column (mysql_schema.FOLDED) given the pattern `lowered` (as `escaped` makes it)
    and `widened`, the same with each `_` widened to `%`.

    The LIKE on bytes with the widened pattern goes first: it holds wherever the LIKE does (a character's bytes
    match a `%`), fails fast where it does not (utf8mb4's LIKE decodes every character; a contains-LIKE scans 3x
    faster), and leaves the LIKE itself to decide.
    """
    return f"{folded} LIKE CAST({widened} AS BINARY) {NO_ESCAPE} AND {folded} LIKE {lowered} {NO_ESCAPE}"


def search_like(column: str, pattern: str, negated: bool) -> str:
    """`column LIKE pattern` on the column's lowered twin: a prefix pattern seeks its index."""
    lowered = escaped(pattern)
    test = folded_like(f"{column}{FOLDED}", f"REPLACE({lowered}, '_', '%')", lowered)
    return f"NOT ({test})" if negated else f"({test})"

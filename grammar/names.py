"""Writing any name so that a filter query can reach it: `quote_name`.

A back-quoted name takes the escapes of a string literal, as in GoogleSQL (decoded in parse.py), so every
string a store can hold as a property name has a spelling: ``quote_name("a`b") == "`a\\\\`b`"``.
"""
from __future__ import annotations

import re

# Inside backquotes only a backquote, a backslash and a line break need an escape; the other control
# characters are escaped too, so that a quoted name stays readable on one line.
_NEEDS_ESCAPE = re.compile(r"[`\\\x00-\x1f\x7f]")
_NAMED_ESCAPES = {"`": "\\`", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: "re.Match[str]") -> str:
    char = match.group()
    return _NAMED_ESCAPES.get(char) or f"\\x{ord(char):02x}"


def quote_name(name: str) -> str:
    """`name` back-quoted, with escapes where it needs them: the parser reads it back as `name`.

    Any str without lone surrogates works, the empty name included (``), which only a property name may be.

    Example: ``f"custom_properties.{quote_name(key)}.string_value = 'x'"`` finds the custom property `key`.
    """
    return "`" + _NEEDS_ESCAPE.sub(_escape, name) + "`"


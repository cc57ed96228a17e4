"""The shape of a filter query: its text with the plain literals taken out.

Programs send the same query again and again with other values (`events_0.artifact_id = 41`, then `= 42`);
parsing and planning each text costs far more than running it. `literal_shape` splits a query into a key,
equal for texts that differ only in plain literals, and the values of those literals, so the engine can
plan a shape once and bind new values into it.

Only literals whose text alone fixes their value and cannot change how the query parses take part: quoted
strings without a prefix, escapes or line breaks, and decimal integers of up to 18 digits (always inside
INT64). Everything else — keywords, paths, floats, raw or triple-quoted strings, whitespace — stays in the
key verbatim. The scan mirrors the terminals of `filter.lark`; it need not be perfect, because the engine
checks each shape it learns by planning a second text of the same shape (see `engine/planner.py`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

Literal = Union[str, int]

# One alternative per terminal that can hold a quote or a digit, in the lexer's priority order: strings
# (with an r/R prefix or three quotes, kept verbatim), numbers, then paths, whose later parts may start
# with digits (`events_0`, `properties.1st.int_value`) and whose back-quoted names may hold quotes and
# escaped backquotes.
_TOKENS = re.compile(r"""
    (?P<verbatim> [rR](?:'''|\"\"\"|'|")          # a raw string: the scan stops at its opening quote,
      | '''|\"\"\" )                            #   and triple quotes too: never generalised
  | '(?P<single>[^'\\\r\n]*)'(?!')
  | "(?P<double>[^"\\\r\n]*)"(?!")
  | (?P<int>[0-9]{1,18})(?![\w.])
  | (?P<other>[0-9.](?:[eE][+-]|[\w.])*                            # a float or a malformed number
      | (?:[A-Za-z_][A-Za-z0-9_]*|`(?:[^`\\\r\n]|\\[^\r\n])*`)                 # a path: as PATH in
        (?:\.[ \t]*(?:[A-Za-z0-9_]+|`(?:[^`\\\r\n]|\\[^\r\n])*`))*)           #   filter.lark
""", re.VERBOSE)
_INTERESTING = re.compile(r"""[rR]?['"]|[0-9.A-Za-z_`]""")


@dataclass(frozen=True)
class Shape:
    """`key` is the query with each plain literal replaced by a marker; `values` are those literals."""

    key: str
    values: Tuple[Literal, ...]
    spans: Tuple[Tuple[int, int], ...]  # where each value's token lies in the text

    def with_values(self, text: str, values: Sequence[Literal]) -> str:
        """`text` (which has this shape) with its literals replaced by `values`, written as literals."""
        out: List[str] = []
        last = 0
        for (start, end), value in zip(self.spans, values):
            out.append(text[last:start])
            quote = text[start]  # keep the quote: the new text must have the same shape
            out.append(f"{quote}{value}{quote}" if isinstance(value, str) else str(value))
            last = end
        out.append(text[last:])
        return "".join(out)


def literal_shape(text: str) -> Optional[Shape]:
    """The shape of `text`, or None when it has no plain literal or cannot be scanned safely.

    A string marker records its quote: `'a'` and `"a"` are the same value, but each may sit in a query
    where the other could not.
    """
    if "\x00" in text or "\\" in text:
        return None
    key: List[str] = []
    values: List[Literal] = []
    spans: List[Tuple[int, int]] = []
    last = pos = 0
    size = len(text)
    while pos < size:
        found = _INTERESTING.search(text, pos)
        if found is None:
            break
        pos = found.start()
        token = _TOKENS.match(text, pos)
        if token is None:
            return None  # an unclosed quote or the like: the parser will explain
        kind = token.lastgroup
        assert kind is not None  # every alternative of _TOKENS is a named group
        if kind == "verbatim":
            return None  # the rest would have to be scanned as a raw or triple-quoted string
        if kind != "other":
            value = token.group(kind)
            marker = "\x00i" if kind == "int" else ("\x00s'" if kind == "single" else '\x00s"')
            key.append(text[last:pos])
            key.append(marker)
            values.append(int(value) if kind == "int" else value)
            spans.append(token.span())
            last = token.end()
        pos = token.end()
    if not values:
        return None
    key.append(text[last:])
    return Shape("".join(key), tuple(values), tuple(spans))

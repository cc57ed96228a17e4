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

# One step of the scan: the run of characters no literal or path can hold, then one token. The token's
# alternatives follow the terminals that can hold a quote or a digit, in the lexer's priority order: strings
# (with an r/R prefix or three quotes, kept verbatim), numbers, then paths, whose later parts may start
# with digits (`events_0`, `properties.1st.int_value`) and whose back-quoted names may hold quotes and
# escaped backquotes. At the end of the text no token follows (`lastgroup` is then "skip").
_STEP = re.compile(r"""
    (?P<skip> [^'"0-9.A-Za-z_`]* )
    (?: (?P<verbatim> [rR](?:'''|\"\"\"|'|")         # a raw string: the scan stops at its opening quote,
          | '''|\"\"\" )                           #   and triple quotes too: never generalised
      | '(?P<single>[^'\\\r\n]*)'(?!')
      | "(?P<double>[^"\\\r\n]*)"(?!")
      | (?P<int>[0-9]{1,18})(?![\w.])
      | (?P<other>[0-9.](?:[eE][+-]|[\w.])*                            # a float or a malformed number
          | (?:[A-Za-z_][A-Za-z0-9_]*|`(?:[^`\\\r\n]|\\[^\r\n])*`)                 # a path: as PATH in
            (?:\.[ \t]*(?:[A-Za-z0-9_]+|`(?:[^`\\\r\n]|\\[^\r\n])*`))*)           #   filter.lark
      | \Z )
""", re.VERBOSE)


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
    while True:
        step = _STEP.match(text, pos)
        if step is None:
            return None  # an unclosed quote or the like: the parser will explain
        kind = step.lastgroup
        if kind == "skip":
            break  # the end of the text
        if kind == "verbatim":
            return None  # the rest would have to be scanned as a raw or triple-quoted string
        pos = step.end()
        if kind != "other":
            start = step.end("skip")
            value = step.group(kind)  # type: ignore[arg-type]  # never None: `skip` always matches
            key.append(text[last:start])
            key.append("\x00i" if kind == "int" else ("\x00s'" if kind == "single" else '\x00s"'))
            values.append(int(value) if kind == "int" else value)
            spans.append((start, pos))
            last = pos
    if not values:
        return None
    key.append(text[last:])
    return Shape("".join(key), tuple(values), tuple(spans))

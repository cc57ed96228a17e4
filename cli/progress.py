"""A one-line progress counter on stderr, shown only when stderr is a terminal.

Given where each kind of record ends (`ends`: the highest id its stream goes by), the line is a bar of how far
the current kind has come: nodes go by their id, events by their execution's, links by their context's.
"""
from __future__ import annotations

import shutil
import sys
import time
from collections import Counter
from typing import Dict, Optional, TextIO

REDRAW_SECONDS = 0.2


class Progress:
    """Counts records by kind and redraws one line when a kind begins, and at most five times a second."""

    def __init__(self, verb: str, stream: Optional[TextIO] = None, ends: Optional[Dict[str, int]] = None) -> None:
        self.stream = stream or sys.stderr
        self.shown = self.stream.isatty()
        self.verb = verb
        self.counts: Counter = Counter()
        self.ends = ends or {}
        self._kind = ""
        self._position = 0
        self._started = time.monotonic()
        self._drawn = 0.0

    def add(self, kind: str, count: int = 1, position: int = 0) -> None:
        """`count` more records of `kind`; `position`, the id the last of them goes by (see the module)."""
        self.counts[kind] += count
        new_kind = kind != self._kind
        self._kind, self._position = kind, position
        if self.shown and (new_kind or time.monotonic() - self._drawn > REDRAW_SECONDS):
            self._draw()

    def _line(self) -> str:
        total = sum(self.counts.values())
        end = self.ends.get(self._kind)
        if not end:
            parts = ", ".join(f"{n} {kind}" for kind, n in self.counts.items())
            return f"{self.verb} {total} records ({parts})"
        rate = total / max(time.monotonic() - self._started, 1e-3)
        text = f"{self.verb} {total:,} records, {rate:,.0f}/s; {self._kind}s "
        fraction = min(1.0, self._position / end)
        width = max(10, min(40, shutil.get_terminal_size().columns - len(text) - 8))
        filled = int(fraction * width)
        return f"{text}[{'#' * filled}{'-' * (width - filled)}] {fraction:4.0%}"

    def _draw(self) -> None:
        self._drawn = time.monotonic()
        self.stream.write(f"\r\x1b[K{self._line()}")
        self.stream.flush()

    def done(self) -> None:
        if self.shown:
            self.ends = {}  # the last line says what was done, by kind
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

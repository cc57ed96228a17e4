"""A one-line progress counter on stderr, shown only when stderr is a terminal."""
from __future__ import annotations

import sys
import time
from collections import Counter
from typing import Optional, TextIO


class Progress:
    """Counts records by kind and redraws one line at most five times a second."""

    def __init__(self, verb: str, stream: Optional[TextIO] = None) -> None:
        self.stream = stream or sys.stderr
        self.shown = self.stream.isatty()
        self.verb = verb
        self.counts: Counter = Counter()
        self._drawn = 0.0

    def add(self, kind: str, count: int = 1) -> None:
        self.counts[kind] += count
        if self.shown and time.monotonic() - self._drawn > 0.2:
            self._draw()

    def _draw(self) -> None:
        self._drawn = time.monotonic()
        parts = ", ".join(f"{n} {kind}" for kind, n in self.counts.items())
        self.stream.write(f"\r\x1b[K{self.verb} {sum(self.counts.values())} records ({parts})")
        self.stream.flush()

    def done(self) -> None:
        if self.shown:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

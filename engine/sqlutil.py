"""Small SQL helpers shared by the engine modules."""
from __future__ import annotations

from typing import Iterator, List, Sequence, TypeVar

T = TypeVar("T")

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# Stays well under every backend's bound-parameter limit (SQLite's is the lowest, whatever the build).
CHUNK = 900


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[List[T]]:
    """Splits `items` into lists of at most `size`, for `IN (...)` lists of bound parameters."""
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def placeholders(items: Sequence[object]) -> str:
    """`?, ?, ?` for an `IN (...)` list with one bound parameter per item."""
    return ", ".join("?" * len(items))


def ascii_lowered(text: str) -> str:
    """`text` with its ASCII letters lowered, as SQLite's LIKE folds them (str.lower would fold every letter)."""
    return text.translate(_ASCII_LOWER)

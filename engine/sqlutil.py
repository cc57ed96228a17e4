"""Small SQL helpers shared by the engine modules."""
from __future__ import annotations

from typing import Iterator, List, Sequence, TypeVar

T = TypeVar("T")

# Stays well under SQLite's bound-parameter limit, whatever the build.
CHUNK = 900


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[List[T]]:
    """Splits `items` into lists of at most `size`, for `IN (...)` lists of bound parameters."""
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def next_id_sql(table: str) -> str:
    """A scalar subquery: the id the next row of `table` takes (ids are allocated by the engine, in order)."""
    return f"(SELECT ifnull(max(id), 0) + 1 FROM {table})"


def placeholders(items: Sequence[object]) -> str:
    """`?, ?, ?` for an `IN (...)` list with one bound parameter per item."""
    return ", ".join("?" * len(items))

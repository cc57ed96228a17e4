"""SQLite's word index (FTS5): which nodes hold a word in their uri or name, so a contains- or suffix-LIKE seeks.

Each node kind has an FTS5 table (sqlite_schema.py, version 11) whose tokens are the words of the node's
`word_columns` (engine/word_terms.py: runs of ASCII letters and digits, lower-cased), and the words a LIKE
pattern names come from word_terms.rarest_terms. The planner (planner._with_word_groups) lets the access planner
drive from the nodes holding such words, while the LIKE itself, tested on each of them, decides: the answer is
exactly SQLite's LIKE.

The index is written in the transaction of the node writes it follows (nodes.py), one statement per
batch: FTS5 buffers a statement's words and writes them once, where a trigger would flush them per row.
It holds the nodes up to a mark and takes in newer ones in batches (`fold_at_column`).
"""
from __future__ import annotations

import functools
from typing import Any, List, Optional, Sequence, Tuple

from ..catalog import LAYOUTS, WORD_INDEX_MARKS, NodeLayout
from ..sqlutil import chunks, placeholders
from ..word_terms import rarest_terms
from .base import Cursor
from .sqlite_schema import fts5_available

FOLD_AT = 64  # nodes inserted before the index takes them in: few enough to test each by its LIKE
# SQLite refuses longer LIKE patterns (SQLITE_MAX_LIKE_PATTERN_LENGTH): such a query keeps failing as it did.
_MAX_PATTERN_BYTES = 50000
# Migration 11's statements index the rows a store holds already ('rebuild'): nothing is left for index_all.
MIGRATION_INDEXES_ROWS = True


@functools.lru_cache(maxsize=4096)
def match_query(pattern: str) -> Optional[str]:
    """The FTS5 query for a superset of the nodes that match `LIKE pattern` (word_terms.rarest_terms), or None
    when the index cannot narrow them."""
    if len(pattern.split("\x00", 1)[0].encode("utf-8", "surrogatepass")) > _MAX_PATTERN_BYTES:
        return None
    terms = rarest_terms(pattern)
    if terms is None:
        return None
    return " AND ".join(f'"{word}"' if whole else f'"{word}"*' for word, whole in terms)


def driver_params(pattern: str) -> Optional[Tuple[object, ...]]:
    """The parameters of `driver_branches` for `LIKE pattern`, or None when the index cannot narrow it."""
    query = match_query(pattern)
    return None if query is None else (query, pattern)


def read_mark(cur: Cursor, layout: NodeLayout) -> int:
    return cur.execute(f"SELECT indexed_to FROM {WORD_INDEX_MARKS} WHERE word_table = ?",
                       (layout.word_table,)).fetchone()[0]


def like_test(column_sql: str) -> str:
    """`column_sql LIKE ?` for a pattern the index serves, written so that SQLite's plan never depends on it.

    A bare `?` after LIKE makes SQLite prepare the statement again each time it is bound, in case the new
    pattern lets a B-tree index answer (a prefix pattern), and the access planner does not keep the EXPLAIN
    of a statement with LIKE in it (access._QueryPlans). A pattern that starts with a wildcard lets no index
    answer: `like(? || '', column)` is the same function as the operator, on the same pattern.
    """
    return f"like(? || '', {column_sql})"


def like_params(pattern: str) -> Tuple[object, ...]:
    """The parameters of `like_test` for `LIKE pattern`."""
    return (pattern,)


def driver_branches(layout: NodeLayout, column: str) -> Tuple[Tuple[str, int], ...]:
    """The SELECTs (each with its number of parameters) whose ids are the nodes that may match `column LIKE
    pattern`, given `driver_params(pattern)`.

    The nodes the index holds are found by their words; the few newer ones it does not hold yet are
    tested with the LIKE itself (one range of the primary key).
    """
    table = layout.word_table
    return ((f"SELECT rowid AS id FROM {table} WHERE {table} MATCH ?", 1),
            (f"SELECT id FROM {layout.table} WHERE id > "
             f"(SELECT indexed_to FROM {WORD_INDEX_MARKS} WHERE word_table = '{table}') AND {like_test(column)}", 1))


@functools.lru_cache(maxsize=None)
def fold_at_column(layout: NodeLayout) -> str:
    """A result column: the node id from which the index takes in the nodes it does not hold yet (its mark
    plus FOLD_AT; NULL without a word index), read in the statement that allocates an insert's ids. A call
    whose last new id reaches it runs `index_pending`.

    FTS5 writes a segment each transaction that gives it words, at a cost of a few hundred thousand
    instructions however few the words; calls that insert a node or two (put_execution) would pay it on
    every call. Nodes are inserted with ascending ids, so the ones not indexed yet are those above a mark,
    and readers test those few with the LIKE itself (`driver_sql`).
    """
    return (f"(SELECT indexed_to + {FOLD_AT} FROM {WORD_INDEX_MARKS} WHERE word_table = '{layout.word_table}')"
            if fts5_available() else "NULL")


def take_in(cur: Cursor, layout: NodeLayout, created: Sequence[Any], fold_at: int) -> None:
    """After an insert of `created` (one ascending run of ids): the index takes in every node it does not hold
    yet once the last new id reaches `fold_at` (`fold_at_column`)."""
    if created[-1].id >= fold_at:
        index_pending(cur, layout)


def index_pending(cur: Cursor, layout: NodeLayout) -> None:
    """Adds the words of every node the index does not hold yet (those above its mark)."""
    indexed_to = read_mark(cur, layout)
    last_id = cur.execute(f"SELECT coalesce(max(id), 0) FROM {layout.table}").fetchone()[0]
    if last_id > indexed_to:
        columns = ", ".join(layout.word_columns)
        cur.execute(f"INSERT INTO {layout.word_table}(rowid, {columns}) SELECT id, {columns} FROM {layout.table} "
                    "WHERE id > ?", (indexed_to,))
        cur.execute(f"UPDATE {WORD_INDEX_MARKS} SET indexed_to = ? WHERE word_table = ?", (last_id, layout.word_table))


def index_all(cur: Cursor) -> None:
    """Indexes the words of every node at once, as migration 11 does for a store that has nodes."""
    if not fts5_available():
        return
    for layout in LAYOUTS.values():
        cur.execute(f"INSERT INTO {layout.word_table}({layout.word_table}) VALUES ('rebuild')")
        cur.execute(f"UPDATE {WORD_INDEX_MARKS} SET indexed_to = (SELECT ifnull(max(id), 0) FROM {layout.table}) "
                    "WHERE word_table = ?", (layout.word_table,))


def forget(cur: Cursor, layout: NodeLayout, ids: Sequence[int]) -> List[int]:
    """Removes the words of these nodes as their rows hold them now; call before their text columns change.

    Returns the ones the index held, for `index_again` once the rows are written.
    """
    if not fts5_available():
        return []
    indexed_to = read_mark(cur, layout)
    held = [node_id for node_id in ids if node_id <= indexed_to]
    columns = ", ".join(layout.word_columns)
    for batch in chunks(held):
        cur.execute(f"INSERT INTO {layout.word_table}({layout.word_table}, rowid, {columns}) SELECT 'delete', id, "
                    f"{columns} FROM {layout.table} WHERE id IN ({placeholders(batch)})", batch)
    return held


def index_again(cur: Cursor, layout: NodeLayout, ids: Sequence[int]) -> None:
    """Adds the words of these nodes (`forget`'s answer) as their rows hold them now, after they changed."""
    columns = ", ".join(layout.word_columns)
    for batch in chunks(ids):
        cur.execute(f"INSERT INTO {layout.word_table}(rowid, {columns}) SELECT id, {columns} FROM {layout.table} "
                    f"WHERE id IN ({placeholders(batch)})", batch)


# Whether this process keeps word indexes (its SQLite has FTS5 with every option they use); asked once.
available = fts5_available

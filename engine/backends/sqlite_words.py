"""SQLite's word index (FTS5): which nodes hold a word in their uri or name, so a contains- or suffix-LIKE seeks.

Each node kind has an FTS5 table (sqlite_schema.py, version 11) whose tokens are the runs of ASCII letters and
digits of the node's `word_columns`, lower-cased; every other character separates words. A LIKE pattern
names whole words wherever a run of letters and digits in it sits between two characters that separate
words: `%/run-000123/Trainer/%` names `run`, `000123` and `trainer`, and a value it matches holds them
too. The planner (planner._with_word_groups) lets the access planner drive from the nodes holding such
words, while the LIKE itself, tested on each of them, decides: the answer is exactly SQLite's LIKE.

The index is written in the transaction of the node writes it follows (nodes.py), one statement per
batch: FTS5 buffers a statement's words and writes them once, where a trigger would flush them per row.
It holds the nodes up to a mark and takes in newer ones in batches (`fold_at_column`).
"""
from __future__ import annotations

import functools
import re
from typing import Dict, List, Optional, Sequence, Tuple

from ..catalog import WORD_INDEX_MARKS, NodeLayout
from ..sqlutil import chunks, placeholders
from .base import Cursor
from .sqlite_schema import fts5_available

FOLD_AT = 64  # nodes inserted before the index takes them in: few enough to test each by its LIKE
_RUN = re.compile(r"[0-9A-Za-z]+")
_MIN_PREFIX = 3  # a shorter prefix starts too many words to narrow anything
_MAX_WORDS = 2
_WILDCARDS = "%_"
# SQLite refuses longer LIKE patterns (SQLITE_MAX_LIKE_PATTERN_LENGTH): such a query keeps failing as it did.
_MAX_PATTERN_BYTES = 50000


def _separates(char: str) -> bool:
    """Whether `char`, next to a run of letters and digits in a pattern, ends the word that holds the run.

    "" is an end of the value. Any other ASCII character but a wildcard separates words in the row as in the
    pattern; a non-ASCII one may be part of a word (FTS5 decides by Unicode category), so it proves nothing.
    """
    return char == "" or (char < "\x80" and char not in _WILDCARDS)


@functools.lru_cache(maxsize=4096)
def match_query(pattern: str) -> Optional[str]:
    """The FTS5 query for a superset of the nodes that match `LIKE pattern`, or None when the index cannot
    narrow them.

    Only patterns that start with a wildcard are served: a prefix pattern has a B-tree index of its own
    (`artifact_uri_nocase`). A run of letters and digits that the pattern bounds on both sides is looked up
    as a word; one bounded only on its left (`/run-0012%`) starts a word, and is looked up as a prefix if it
    holds a digit and three characters: FTS5 gathers every word a prefix starts, which costs as much as the
    nodes they name, and an alphabetic prefix (`/Train%`) names many. Each word costs a walk of its list,
    and a common one a long walk, so the query names at most two, the likeliest to be rare: those with
    digits (run numbers, ids, dates), whole words, then the longest.
    """
    pattern = pattern.split("\x00", 1)[0]  # SQLite reads a pattern up to its first NUL
    if not pattern.startswith(tuple(_WILDCARDS)) or len(pattern.encode("utf-8", "surrogatepass")) > _MAX_PATTERN_BYTES:
        return None
    terms: Dict[Tuple[str, bool], None] = {}  # (word, whole): an ordered set
    for run in _RUN.finditer(pattern):
        start, end = run.span()
        if not _separates(pattern[start - 1:start]):
            continue  # the run may end a longer word, which the index cannot look up
        word = run.group().lower()
        whole = _separates(pattern[end:end + 1])
        if whole or (end - start >= _MIN_PREFIX and _has_digit(word)):
            terms[(word, whole)] = None
    if not terms:
        return None
    rarest = sorted(terms, key=lambda term: (not _has_digit(term[0]), not term[1], -len(term[0])))[:_MAX_WORDS]
    return " AND ".join(f'"{word}"' if whole else f'"{word}"*' for word, whole in rarest)


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


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


def driver_sql(layout: NodeLayout, column: str) -> str:
    """The ids of the nodes that may match `column LIKE ?2`, given the pattern's words `?1` (match_query).

    The nodes the index holds are found by their words; the few newer ones it does not hold yet are
    tested with the LIKE itself (one range of the primary key).
    """
    table = layout.word_table
    return (f"SELECT rowid AS id FROM {table} WHERE {table} MATCH ? UNION ALL SELECT id FROM {layout.table} WHERE id > "
            f"(SELECT indexed_to FROM {WORD_INDEX_MARKS} WHERE word_table = '{table}') AND {like_test(column)}")


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


def index_pending(cur: Cursor, layout: NodeLayout) -> None:
    """Adds the words of every node the index does not hold yet (those above its mark)."""
    indexed_to = read_mark(cur, layout)
    last_id = cur.execute(f"SELECT coalesce(max(id), 0) FROM {layout.table}").fetchone()[0]
    if last_id > indexed_to:
        columns = ", ".join(layout.word_columns)
        cur.execute(f"INSERT INTO {layout.word_table}(rowid, {columns}) SELECT id, {columns} FROM {layout.table} "
                    "WHERE id > ?", (indexed_to,))
        cur.execute(f"UPDATE {WORD_INDEX_MARKS} SET indexed_to = ? WHERE word_table = ?", (last_id, layout.word_table))


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

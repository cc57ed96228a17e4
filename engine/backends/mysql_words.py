"""MySQL's and MariaDB's word index: which nodes hold a word in their uri or name, so a contains- or suffix-LIKE
seeks, as SQLite's FTS5 index does (sqlite_words.py; this object answers to the same calls).

InnoDB's FULLTEXT index cannot serve: it drops words shorter than the server's minimum and its stopwords, and
tokenizes by rules of its own. So each node kind has a plain table of (word, node id) pairs (mysql_schema.py,
version 11), whose words engine/word_terms.py finds in Python, as they are found in a pattern: a contains-LIKE
reads the nodes holding its rarest word (a range of the primary key), tests each for its second word by the
key, and the LIKE itself, tested on each of them, decides.

As on SQLite the index holds the nodes up to a mark; unlike SQLite's FTS5, whose every write costs a segment,
a few rows cost little here, so each insert writes its nodes' words and moves the mark in the statements it
sends anyway (`take_in`: no read, no round trip of its own). Readers test any node above the mark with the LIKE
itself: none, unless another program inserted it. Writers take turns (MySQLBackend.write_lock) and allocate ids
as max(id) + 1 within their turn, so every node below the mark was committed before it moved.
"""
from __future__ import annotations

import functools
from typing import Any, Iterable, List, Optional, Sequence, Tuple

from ..catalog import LAYOUTS, WORD_INDEX_MARKS, NodeLayout
from ..sqlutil import chunks, placeholders
from ..word_terms import rarest_terms, words_of
from .base import Cursor
from .mysql_like import escaped_value, folded_like
from .mysql_schema import FOLDED, WORD_BYTES

_PAST_EVERY_WORD = "\x7f"  # after each character words hold (ASCII letters and digits): a prefix's range ends here
_INDEX_BATCH = 5000  # nodes read a statement when the index takes in new ones


class MySQLWords:
    """The word index of the MySQL backend."""

    FOLD_AT = 0  # the index takes in each node in the call that inserts it (`take_in`)
    # Migration 11 makes the tables empty: `index_all` then finds the words of the rows a store holds.
    MIGRATION_INDEXES_ROWS = False

    @staticmethod
    def available() -> bool:
        return True

    @staticmethod
    def like_test(column_sql: str) -> str:
        """The LIKE on `column_sql` for a pattern the index serves, given `like_params(pattern)` (lowered here,
        not in SQL), written so that the plan never depends on it: the lowered twin is read through CONCAT,
        whose value no index holds. Such a pattern starts with a wildcard, which no index serves anyway, and the
        access planner then keeps the EXPLAIN of the statement (MySQLBackend.plan_depends_on_values)."""
        return f"({folded_like(f'CONCAT({column_sql}{FOLDED})', '?', '?')})"

    @staticmethod
    def like_params(pattern: str) -> Tuple[object, ...]:
        """The parameters of `like_test`: the pattern lowered as mysql_like.escaped lowers it, once with each `_`
        widened to `%` and once as it is; as many as the planner's own LIKE on the column takes."""
        lowered = escaped_value(pattern)
        return lowered.replace("_", "%"), lowered

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def driver_params(pattern: str) -> Optional[Tuple[object, ...]]:
        """The parameters of `driver_branches` for `LIKE pattern`, or None when the index cannot narrow it."""
        terms = rarest_terms(pattern)
        if terms is None:
            return None
        ranges = [_range(word, whole) for word, whole in terms]
        # One term: the second test is skipped (`? OR EXISTS`), not run again on the same words.
        second = ranges[1] if len(ranges) > 1 else ranges[0]
        return (*ranges[0], int(len(ranges) == 1), *second, *MySQLWords.like_params(pattern))

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def driver_branches(layout: NodeLayout, column: str) -> Tuple[Tuple[str, int], ...]:
        """The SELECTs (each with its number of parameters) whose ids are the nodes that may match `column LIKE
        pattern`, given `driver_params(pattern)`: those the index holds with the pattern's words, and the newer
        ones it does not hold yet, tested with the LIKE itself (one range of the primary key)."""
        table = layout.word_table
        return ((f"SELECT w.node_id AS id FROM {table} w WHERE w.word BETWEEN ? AND ? AND (? OR EXISTS "
                 f"(SELECT 1 FROM {table} v WHERE v.word BETWEEN ? AND ? AND v.node_id = w.node_id))", 5),
                (f"SELECT id FROM {layout.table} WHERE id > (SELECT indexed_to FROM {WORD_INDEX_MARKS} WHERE "
                 f"word_table = '{table}') AND {MySQLWords.like_test(column)}", 2))

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def fold_at_column(layout: NodeLayout) -> str:
        """A result column read in the statement that allocates an insert's ids (MySQLBackend.next_ids): the
        index's mark, the last node it holds, for `take_in`."""
        return f"(SELECT indexed_to FROM {WORD_INDEX_MARKS} WHERE word_table = '{layout.word_table}')"

    def take_in(self, cur: Cursor, layout: NodeLayout, created: Sequence[Any], mark: int) -> None:
        """After an insert of `created` (one ascending run of ids): their words, from the nodes themselves, with
        no read, when the index holds every node before them; else every node above the mark, from their rows
        (nodes another program wrote)."""
        if mark < created[0].id - 1:
            self.index_pending(cur, layout)
            return
        _insert_words(cur, layout, [(node.id, *(getattr(node, c) for c in layout.word_columns)) for node in created])
        _move_mark(cur, layout, created[-1].id)

    @staticmethod
    def read_mark(cur: Cursor, layout: NodeLayout) -> int:
        return int(cur.execute(f"SELECT indexed_to FROM {WORD_INDEX_MARKS} WHERE word_table = ?",
                               (layout.word_table,)).fetchone()[0])

    def index_pending(self, cur: Cursor, layout: NodeLayout) -> None:
        """Adds the words of every node the index does not hold yet (those above its mark), a batch at a time."""
        indexed_to = last = self.read_mark(cur, layout)
        columns = ", ".join(layout.word_columns)
        while True:
            rows = cur.execute(f"SELECT id, {columns} FROM {layout.table} WHERE id > ? ORDER BY id "
                               f"LIMIT {_INDEX_BATCH}", (last,)).fetchall()
            if rows:
                _insert_words(cur, layout, rows)
                last = rows[-1][0]
            if len(rows) < _INDEX_BATCH:
                break
        if last > indexed_to:
            _move_mark(cur, layout, last)

    def index_all(self, cur: Cursor) -> None:
        """Indexes the words of every node the index does not hold yet, of every kind."""
        for layout in LAYOUTS.values():
            self.index_pending(cur, layout)

    def forget(self, cur: Cursor, layout: NodeLayout, ids: Sequence[int]) -> List[int]:
        """Removes the words of these nodes as their rows hold them now; call before their text columns change.

        Returns the ones the index held, for `index_again` once the rows are written.
        """
        indexed_to = self.read_mark(cur, layout)
        held = [node_id for node_id in ids if node_id <= indexed_to]
        pairs = [pair for rows in _rows_of(cur, layout, held) for pair in _word_rows(rows)]
        if pairs:
            cur.executemany(f"DELETE FROM {layout.word_table} WHERE word = ? AND node_id = ?", pairs)
        return held

    def index_again(self, cur: Cursor, layout: NodeLayout, ids: Sequence[int]) -> None:
        """Adds the words of these nodes (`forget`'s answer) as their rows hold them now, after they changed."""
        for rows in _rows_of(cur, layout, ids):
            _insert_words(cur, layout, rows)


def _range(word: str, whole: bool) -> Tuple[str, str]:
    """The stored words (word, node_id) a term finds: a whole word, or every word it starts."""
    stored = word[:WORD_BYTES]
    return (stored, stored) if whole or len(word) >= WORD_BYTES else (stored, stored + _PAST_EVERY_WORD)


def _rows_of(cur: Cursor, layout: NodeLayout, ids: Sequence[int]) -> Iterable[List[tuple]]:
    columns = ", ".join(layout.word_columns)
    for batch in chunks(ids):
        yield cur.execute(f"SELECT id, {columns} FROM {layout.table} WHERE id IN ({placeholders(batch)})",
                          batch).fetchall()


def _word_rows(rows: Sequence[tuple]) -> List[Tuple[str, int]]:
    """(word, node id) of each word of each (id, *texts) row, each word once a node."""
    return [(word, row[0]) for row in rows for word in {w[:WORD_BYTES] for w in words_of(*row[1:])}]


def _move_mark(cur: Cursor, layout: NodeLayout, indexed_to: int) -> None:
    cur.execute(f"UPDATE {WORD_INDEX_MARKS} SET indexed_to = ? WHERE word_table = ?", (indexed_to, layout.word_table))


def _insert_words(cur: Cursor, layout: NodeLayout, rows: Sequence[tuple]) -> None:
    pairs = _word_rows(rows)
    if pairs:
        cur.executemany(f"INSERT INTO {layout.word_table} (word, node_id) VALUES (?, ?)", pairs)

"""SQLite: every fact of SQLite the engine needs, and nothing the other backends share.

Connections: a file store uses WAL (readers never wait for writers) and takes the write lock up front
(BEGIN IMMEDIATE); SQLite reports a held lock at once (busy_timeout 0) and db.Database waits for it with
short randomised sleeps. Errors are told apart by SQLite's result code (`sqlite_errorcode`, Python 3.11+);
only where the driver does not expose it (Python 3.9 and 3.10) are SQLite's own texts for the same codes read.
The query time limit is a progress handler, installed once per connection. Ids are allocated as max(id) + 1
(a node's past every id ever deleted: schema.HIGH_WATER_TABLE) inside the write transaction, which SQLite's
single writer makes safe.
"""
from __future__ import annotations

import functools
import json
import os
import random
import sqlite3
import time
import urllib.parse
from typing import Any, Callable, FrozenSet, Hashable, Iterable, List, Sequence, Tuple, TypeVar

from .. import errors, retry
from ..catalog import NodeLayout
from ..schema import HIGH_WATER_NODE_TABLES, HIGH_WATER_TABLE, SCHEMA_VERSION, VERSION_TABLE_DDL, Migration
from . import sqlite_schema, sqlite_words
from .base import Backend, Cursor, register_cursor

T = TypeVar("T")

# SqliteMetadataSourceConfig.ConnectionMode numbers.
MODE_UNKNOWN, MODE_READONLY, MODE_READWRITE, MODE_READWRITE_OPENCREATE = 0, 1, 2, 3

# SQLite's page cache for a database file, per connection. Its default (2 MiB) cannot hold the name and
# uri indexes of a 100k-node store, and point reads then wait on the OS for every page (4x slower).
CACHE_MIB = int(os.environ.get("FASTMLMD_CACHE_MIB", "16"))
WAL_CHECKPOINT_PAGES = 4000
PROGRESS_STEPS = 20000  # SQLite's steps between two looks at the time limit

# SQLite's primary result codes that `classify` tells apart.
_SQLITE_ERROR, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_INTERRUPT = 1, 5, 6, 8, 9
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 10, 11, 13, 14, 26
# Python before 3.11 does not expose the result code; these texts are SQLite's own for the same codes.
_CODE_BY_TEXT = (
    ("database is locked", _SQLITE_BUSY),
    ("database table is locked", _SQLITE_LOCKED),
    ("readonly database", _SQLITE_READONLY),
    ("interrupted", _SQLITE_INTERRUPT),
    ("disk I/O error", _SQLITE_IOERR),
    ("database disk image is malformed", _SQLITE_CORRUPT),
    ("database or disk is full", _SQLITE_FULL),
    ("unable to open database file", _SQLITE_CANTOPEN),
    ("file is not a database", _SQLITE_NOTADB),
)
# SQLite reports a statement naming a table or column the file lacks with the generic SQLITE_ERROR code and
# no other: these texts (its own) are the only way to tell that the file was changed behind our back.
_SCHEMA_CHANGED_TEXTS = ("no such table", "no such column", "has no column named")


def _result_code(exc: BaseException) -> int:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF  # the primary code; extended codes keep it in the low byte
    text = str(exc)
    return next((c for phrase, c in _CODE_BY_TEXT if phrase in text), _SQLITE_ERROR)


class SqliteBackend(Backend):
    """SQLite through the standard library's sqlite3 (its own cursor, so the fast path adds no layer)."""

    name = "sqlite"
    Error = sqlite3.Error
    IntegrityError = sqlite3.IntegrityError
    OperationalError = sqlite3.OperationalError
    begin_write = "BEGIN IMMEDIATE"
    begin_read = "BEGIN"
    commit = "COMMIT"
    words = sqlite_words

    # Connections ---------------------------------------------------------------------------------------------
    def classify(self, exc: BaseException) -> errors.StatusError:
        code, text = _result_code(exc), str(exc)
        if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            return errors.DataLossError(f"the database file is corrupt or is not a fastmlmd store ({text})")
        if code == _SQLITE_ERROR and any(phrase in text for phrase in _SCHEMA_CHANGED_TEXTS):
            return errors.DataLossError(
                f"the store's tables are not those of fastmlmd schema version {SCHEMA_VERSION} ({text}); the "
                "database file was changed by another program")
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return errors.AbortedError(f"the store is locked by another connection ({text})")
        # MLMD's words for a statement that failed; its SQL would follow.
        if code == _SQLITE_READONLY:
            return errors.InternalError(f"Error when executing query: attempt to write a readonly database ({text})")
        if code == _SQLITE_FULL:
            return errors.ResourceExhaustedError(f"the database or the disk is full ({text})")
        if code in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
            return errors.UnavailableError(f"the database file cannot be read or written ({text})")
        return errors.InternalError(f"Error when executing query: {text}")

    def is_busy(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and _result_code(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED)

    def watch_time_limit(self, conn: Any, past_limit: Callable[[], int]) -> None:
        # Installed once: SQLite calls it every PROGRESS_STEPS steps of a long statement; it stops one only
        # while a call under a time limit runs (installing it per call cost more than a short query's planning).
        conn.set_progress_handler(past_limit, PROGRESS_STEPS)

    def interrupted(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and _result_code(exc) == _SQLITE_INTERRUPT

    def data_version(self, cur: Cursor) -> Hashable:
        # Moves when another connection commits (this connection's own commits leave it).
        return cur.execute("PRAGMA data_version").fetchone()[0]

    def joins_blobs(self, cur: Cursor) -> bool:
        # Only in UTF-8 (fixed when the file was made) does group_concat keep a blob's bytes: in UTF-16 it
        # drops a blob's odd last byte.
        return cur.execute("PRAGMA encoding").fetchone()[0] == "UTF-8"

    # Schema --------------------------------------------------------------------------------------------------
    def migrations(self) -> Tuple[Migration, ...]:
        return sqlite_schema.MIGRATIONS

    def table_names(self, cur: Cursor) -> List[str]:
        return [row[0] for row in cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if row[0] != "sqlite_sequence"]

    def check_schema(self, cur: Cursor) -> None:
        """Extra objects (an index a user added, SQLite's statistics tables) are left alone."""
        found = set(_schema_rows(cur))
        changed = sorted(name for kind, name, sql in _schema_objects(self.words.available()) - found)
        if changed:
            raise errors.DataLossError(
                f"the store's schema (version {SCHEMA_VERSION}) has lost or changed {', '.join(changed)}; the "
                "database file was changed by another program")

    # Statements ----------------------------------------------------------------------------------------------
    def next_id(self, table: str) -> str:
        if table in HIGH_WATER_NODE_TABLES:  # past every id deleted too: the subquery is one key seek
            return (f"(SELECT max(ifnull(max(id), 0), (SELECT deleted_to FROM {HIGH_WATER_TABLE} WHERE node_table = "
                    f"'{table}')) + 1 FROM {table})")
        return f"(SELECT ifnull(max(id), 0) + 1 FROM {table})"

    # Statements are cached on the methods themselves (one backend object, never freed): the write path asks for
    # them on every call, and a cache hit then costs no Python frame.
    @functools.lru_cache(maxsize=None)  # noqa: B019
    def next_ids(self, layout: NodeLayout) -> str:
        return f"{self.next_id(layout.table)}, {sqlite_words.fold_at_column(layout)}"

    def insert_id(self, cur: Cursor, sql: str, params: Sequence[object]) -> int:
        found = cur.execute(sql, params).lastrowid
        assert found is not None  # an INSERT's row id
        return int(found)

    @functools.lru_cache(maxsize=256)  # noqa: B019
    def insert_or_ignore(self, table: str, columns: Sequence[str]) -> str:
        return _insert("INSERT OR IGNORE", table, columns)

    @functools.lru_cache(maxsize=256)  # noqa: B019
    def upsert(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        # The key is the table's primary key: REPLACE deletes the row holding it and inserts this one.
        return _insert("INSERT OR REPLACE", table, columns)

    def frontier_in(self) -> str:
        # A whole id set as one bound parameter; SQLite sorts it into an ephemeral table and seeks the
        # column's index once per value.
        return "IN (SELECT value FROM json_each(?))"

    def frontier(self, alias: str) -> str:
        return f"json_each(?) AS {alias}"

    def frontier_value(self, ids: Iterable[int]) -> object:
        return json.dumps(sorted(int(i) for i in ids))

    @functools.lru_cache(maxsize=256)  # noqa: B019
    def events_sql(self, column: str, count: int, join_in_sql: bool) -> str:
        """One seek per id into the node column's index, one rowid seek per event, and SQLite joins the bodies
        into one value (one row for the driver to fetch instead of one per event); rowcore.frame_events then
        splits and orders them. The ids are a VALUES list that CROSS JOIN keeps as the outer loop: cheaper than
        `IN (...)`, which SQLite first copies into a temporary index. The event ids (for the order by execution)
        come as text, which the driver decodes whatever the database's encoding.
        """
        assert column in ("artifact_id", "execution_id")
        values = ", ".join(["(?)"] * count)
        if not join_in_sql:
            result = "e.body, e.id"
        elif column == "execution_id":
            result = "count(*), CAST(group_concat(e.body, '') AS BLOB), group_concat(e.id)"
        else:
            result = "count(*), CAST(group_concat(e.body, '') AS BLOB), NULL"
        return f"SELECT {result} FROM (VALUES {values}) AS v CROSS JOIN event AS e ON e.{column} = v.column1"

    # Planner hints -------------------------------------------------------------------------------------------
    def no_index(self, expression: str) -> str:
        return f"+{expression}"  # SQLite's unary `+`: the same value, never through an index

    def walk_in_order(self, table: str, alias: str, order_column: str) -> str:
        # Ids are the rowid, so NOT INDEXED leaves the primary key; the time columns have their (time, id)
        # index (sqlite_schema.py names them `<table>_<column>`).
        if order_column == "id":
            return f"{table} {alias} NOT INDEXED"
        return f"{table} {alias} INDEXED BY {table}_{order_column}"

    # Reading plans -------------------------------------------------------------------------------------------
    def plan_details(self, cur: Cursor, sql: str, params: Sequence[object]) -> Tuple[str, ...]:
        return tuple(row[-1] for row in cur.execute("EXPLAIN QUERY PLAN " + sql, params))

    def plan_seeks(self, details: Sequence[str]) -> bool:
        return not any(d.startswith("SCAN ") and "CONSTANT ROW" not in d and "VIRTUAL TABLE INDEX" not in d
                       for d in details)

    def plan_sorts(self, details: Sequence[str]) -> bool:
        return any("TEMP B-TREE" in d for d in details)

    def plan_depends_on_values(self, sql: str) -> bool:
        # A bound LIKE pattern changes SQLite's plan with its value (a prefix may seek an index); nothing else does.
        return " LIKE " in sql


SQLITE = SqliteBackend()
register_cursor(sqlite3.Cursor, SQLITE)


def _insert(verb: str, table: str, columns: Sequence[str]) -> str:
    return f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


# Opening a store -----------------------------------------------------------------------------------------------
def _sqlite_uri(filename_uri: str, mode: int) -> str:
    """Turns MLMD's `filename_uri` and connection mode into an SQLite URI with the matching `mode=`."""
    sqlite_mode = {MODE_READONLY: "ro", MODE_READWRITE: "rw"}.get(mode, "rwc")
    if filename_uri.startswith("file:"):
        parsed = urllib.parse.urlsplit(filename_uri)
        query = [(k, v) for k, v in urllib.parse.parse_qsl(parsed.query) if k != "mode"]
        query.append(("mode", sqlite_mode))
        return urllib.parse.urlunsplit(parsed._replace(query=urllib.parse.urlencode(query)))
    return "file:" + urllib.parse.quote(os.path.abspath(filename_uri)) + "?mode=" + sqlite_mode


def connect(filename_uri: str, mode: int) -> Tuple[sqlite3.Connection, bool, bool]:
    """(connection, readonly, in_memory) for MLMD's `filename_uri` and connection mode; failures raise
    RuntimeError, as MLMD's constructor does. An empty `filename_uri` is a private in-memory store."""
    in_memory = filename_uri in ("", ":memory:")
    readonly = mode == MODE_READONLY
    try:
        if in_memory:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        else:
            conn = sqlite3.connect(
                _sqlite_uri(filename_uri, mode), uri=True, isolation_level=None, check_same_thread=False
            )
        configure(conn, in_memory=in_memory, readonly=readonly)
    except sqlite3.Error as exc:
        # MLMD's words first: a file SQLite cannot open, or one whose first statement fails.
        opening = ("Cannot connect sqlite3 database" if isinstance(exc, sqlite3.OperationalError)
                   else "Error when executing query")
        raise RuntimeError(f"{opening}: {exc} (filename_uri {filename_uri!r}, connection mode {mode}); "
                           f"{SQLITE.classify(exc).message}") from exc
    return conn, readonly, in_memory


def configure(conn: sqlite3.Connection, in_memory: bool, readonly: bool) -> None:
    """Our stores' connection settings."""
    # Calls retry on SQLITE_BUSY themselves (Database.run), so SQLite must report it at once.
    conn.execute("PRAGMA busy_timeout = 0")
    if in_memory:
        return  # an in-memory database is all cache
    # Even this pragma reads the schema first: another process's commit can make it wait like any read.
    _retry_busy(lambda: conn.execute(f"PRAGMA cache_size = {-CACHE_MIB * 1024}"))
    if not readonly:
        # WAL: readers never wait for writers; NORMAL sync is crash-safe for the process under WAL.
        _retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        conn.execute("PRAGMA synchronous = NORMAL")
        # Checkpoint every 4,000 pages (16 MiB of WAL) rather than 1,000: bulk writes copy a page changed
        # many times once per checkpoint, and sync less often (+12% on 100-artifact batches).
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")


def _retry_busy(fn: Callable[[], T]) -> T:
    end = retry.call_end()
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not SQLITE.is_busy(exc) or time.monotonic() >= end:
                raise
            retry.sleep(random.uniform(0.0005, 0.005))


# The schema check ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _schema_objects(words: bool) -> FrozenSet[Tuple[str, str, str]]:
    """Every table and index of the current schema, as SQLite records them: built once, in memory."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        cur = conn.cursor()
        for migration in sqlite_schema.MIGRATIONS:
            if words or not migration.builds_word_index:
                for statement in migration.upgrade:
                    cur.execute(statement)
        cur.execute(VERSION_TABLE_DDL)
        return frozenset(_schema_rows(cur))
    finally:
        conn.close()


_SCHEMA_OBJECTS_SQL = ("SELECT type, name, sql FROM sqlite_master "
                       "WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")


def _schema_rows(cur: Cursor) -> List[Tuple[str, str, str]]:
    # FTS5 lays out its word index tables as its version likes: the index is checked by its own definition.
    return [row for row in cur.execute(_SCHEMA_OBJECTS_SQL) if row[1] not in sqlite_schema.WORD_INDEX_SHADOWS]


__all__ = ["SQLITE", "SqliteBackend", "connect", "configure", "CACHE_MIB", "WAL_CHECKPOINT_PAGES"]


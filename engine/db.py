"""Connections and transactions on SQLite: `Database.run(fn, write)` runs one call's transaction.

Every API call runs as one transaction through `Database.run`: writes take the write lock up front
(BEGIN IMMEDIATE), so a call never fails half-way for lack of it; reads run in a deferred transaction,
which under WAL sees one consistent snapshot and never waits for writers. When another connection holds
the write lock, the attempt waits with short randomised sleeps instead of SQLite's busy handler, whose
growing sleeps let a few writers starve the rest; it waits at most until the call's deadline (engine/retry.py).
Every sqlite3 error leaves `run` as the engine error of its class (`classify`), with the driver's error as
its cause.
"""
from __future__ import annotations

import functools
import os
import random
import sqlite3
import threading
import time
import urllib.parse
from typing import Callable, FrozenSet, List, Optional, Tuple, TypeVar

from . import errors, retry, schema
from .schema import MIGRATIONS, SCHEMA_VERSION, Migration, VERSION_TABLE, WORD_INDEX_SHADOWS, WORD_TABLES

T = TypeVar("T")

# SqliteMetadataSourceConfig.ConnectionMode numbers.
MODE_UNKNOWN, MODE_READONLY, MODE_READWRITE, MODE_READWRITE_OPENCREATE = 0, 1, 2, 3

# How long a query written by a user (a filter, a lineage walk) may run before it is stopped.
QUERY_TIME_LIMIT_SECONDS = float(os.environ.get("FASTMLMD_QUERY_TIME_LIMIT_SECONDS", "60"))
# SQLite's page cache for a database file, per connection. Its default (2 MiB) cannot hold the name and
# uri indexes of a 100k-node store, and point reads then wait on the OS for every page (4x slower).
CACHE_MIB = int(os.environ.get("FASTMLMD_CACHE_MIB", "16"))
WAL_CHECKPOINT_PAGES = 4000


class QueryTimeout(Exception):
    """A user-written query ran past its time limit and was interrupted."""


# SQLite's primary result codes that `classify` tells apart.
_SQLITE_ERROR, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 1, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 10, 11, 13, 14, 26
# Python before 3.11 does not expose the result code; these texts are SQLite's own for the same codes.
_CODE_BY_TEXT = (
    ("database is locked", _SQLITE_BUSY),
    ("database table is locked", _SQLITE_LOCKED),
    ("readonly database", _SQLITE_READONLY),
    ("disk I/O error", _SQLITE_IOERR),
    ("database disk image is malformed", _SQLITE_CORRUPT),
    ("database or disk is full", _SQLITE_FULL),
    ("unable to open database file", _SQLITE_CANTOPEN),
    ("file is not a database", _SQLITE_NOTADB),
)
# Statements that fail this way against our own schema mean the file was changed behind our back.
_SCHEMA_CHANGED_TEXTS = ("no such table", "no such column", "has no column named")


def _result_code(exc: sqlite3.Error) -> int:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF  # the primary code; extended codes keep it in the low byte
    text = str(exc)
    return next((c for phrase, c in _CODE_BY_TEXT if phrase in text), _SQLITE_ERROR)


def _is_busy(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and _result_code(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED)


def classify(exc: sqlite3.Error) -> errors.StatusError:
    """The engine error for a database error: the one place sqlite3 errors become status codes."""
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


class Database:
    """One connection to one store; `run` executes a call as a single transaction."""

    def __init__(self, connection: sqlite3.Connection, readonly: bool, in_memory: bool) -> None:
        self.readonly = readonly
        self.in_memory = in_memory
        self._conn = connection
        # A store object may be shared by threads; SQLite connections must not run two calls at once.
        self._lock = threading.RLock()
        self._time_limit: Optional[float] = None  # seconds, while a call under a time limit runs
        self._stop_at = 0.0  # when that call's running statement is interrupted
        self._timed_out = False
        # Installed once: SQLite calls it every 20,000 steps of a long statement; it stops one only while a
        # call under a time limit runs (installing it per call cost more than a short query's planning).
        connection.set_progress_handler(self._past_limit, 20000)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @functools.cached_property
    def text_is_utf8(self) -> bool:
        """Whether the file's text encoding (fixed when it was made) is UTF-8: only then does SQLite's text
        function group_concat keep a blob's bytes (in UTF-16 it drops a blob's odd last byte). Read once,
        inside a call."""
        return self._conn.execute("PRAGMA encoding").fetchone()[0] == "UTF-8"

    def run(self, fn: Callable[[sqlite3.Cursor], T], write: bool, time_limit: Optional[float] = None,
            one_statement: bool = False) -> T:
        """Runs `fn(cursor)` in one transaction: committed if it returns, rolled back if it raises.

        With `time_limit`, SQLite is interrupted once that many seconds have passed, and the call raises
        QueryTimeout: a pathological query ends instead of hanging the caller. A read that runs a single
        statement passes `one_statement`: SQLite runs every statement atomically, so BEGIN and COMMIT
        (a third of a point read's time) are left out. (A filtered listing passes it too: the estimates it
        makes before its one statement need no shared snapshot.) While another connection holds the write
        lock, the attempt waits until the call's deadline (retry.call_end), then raises AbortedError.

        Raises:
          errors.StatusError: every database error, classified (the sqlite3 error is its cause).
        """
        if one_statement and write:
            raise ValueError("a write always runs in an explicit transaction")
        if write and self.readonly:
            raise errors.InternalError("Error when executing query: attempt to write a readonly database (the "
                                       "store was opened with connection mode READONLY)")
        started = None  # when the call began to wait: looked up only once it has to
        if not self._lock.acquire(blocking=False):
            started, end = time.monotonic(), retry.call_end()
            if not self._lock.acquire(timeout=max(0.0, end - started)):
                raise errors.AbortedError(
                    f"another thread's call on this store held it for {time.monotonic() - started:.1f}s")
        try:
            waits = 0
            while True:
                try:
                    if one_statement and time_limit is None:
                        return fn(self._conn.cursor())
                    if time_limit is None:
                        return self._run_once(fn, write)
                    return self._run_limited(fn, write, time_limit, one_statement)
                except sqlite3.Error as exc:
                    if not _is_busy(exc) or self.in_memory:
                        raise classify(exc) from exc
                    if started is None:
                        started, end = time.monotonic(), retry.call_end()
                    elif time.monotonic() >= end:
                        raise errors.AbortedError(
                            f"another connection held the store's write lock for "
                            f"{time.monotonic() - started:.1f}s ({exc})") from exc
                waits += 1
                # Short, jittered waits keep every waiting writer in the race for the lock.
                retry.sleep(random.uniform(0.0002, min(0.002 * waits, 0.02)))
        finally:
            self._lock.release()

    def _run_limited(self, fn: Callable[[sqlite3.Cursor], T], write: bool, time_limit: float,
                     one_statement: bool) -> T:
        self._time_limit, self._timed_out = time_limit, False
        self.renew_time_limit()
        try:
            return fn(self._conn.cursor()) if one_statement else self._run_once(fn, write)
        except sqlite3.OperationalError as exc:
            if self._timed_out:
                raise QueryTimeout(f"stopped after {time_limit:.0f}s") from exc
            raise
        finally:
            self._time_limit = None

    def _past_limit(self) -> int:
        if self._time_limit is not None and time.monotonic() > self._stop_at:
            self._timed_out = True
            return 1  # non-zero interrupts the running statement
        return 0

    def renew_time_limit(self) -> None:
        """Gives the running call its whole time limit again, from now (if it has one): a listing that
        streams its rows is limited per batch, so a long one is not mistaken for a runaway query."""
        if self._time_limit is not None:
            self._stop_at = time.monotonic() + self._time_limit

    def _run_once(self, fn: Callable[[sqlite3.Cursor], T], write: bool) -> T:
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            result = fn(cur)
            cur.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:  # a failed COMMIT leaves the transaction open too
                self._conn.rollback()
            raise
        return result


def _sqlite_uri(filename_uri: str, mode: int) -> str:
    """Turns MLMD's `filename_uri` and connection mode into an SQLite URI with the matching `mode=`."""
    sqlite_mode = {MODE_READONLY: "ro", MODE_READWRITE: "rw"}.get(mode, "rwc")
    if filename_uri.startswith("file:"):
        parsed = urllib.parse.urlsplit(filename_uri)
        query = [(k, v) for k, v in urllib.parse.parse_qsl(parsed.query) if k != "mode"]
        query.append(("mode", sqlite_mode))
        return urllib.parse.urlunsplit(parsed._replace(query=urllib.parse.urlencode(query)))
    return "file:" + urllib.parse.quote(os.path.abspath(filename_uri)) + "?mode=" + sqlite_mode


def open_sqlite(filename_uri: str, mode: int, enable_upgrade_migration: bool,
                prepare_schema: bool = True) -> Database:
    """Opens (and if allowed creates) an SQLite store; failures raise RuntimeError, as MLMD's constructor does.

    An empty `filename_uri` is a private in-memory store. With `prepare_schema=False` the schema is left as
    found (for downgrades).
    """
    in_memory = filename_uri in ("", ":memory:")
    readonly = mode == MODE_READONLY
    try:
        if in_memory:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        else:
            conn = sqlite3.connect(
                _sqlite_uri(filename_uri, mode), uri=True, isolation_level=None, check_same_thread=False
            )
        _configure(conn, in_memory=in_memory, readonly=readonly)
    except sqlite3.Error as exc:
        # MLMD's words first: a file SQLite cannot open, or one whose first statement fails.
        opening = ("Cannot connect sqlite3 database" if isinstance(exc, sqlite3.OperationalError)
                   else "Error when executing query")
        raise RuntimeError(f"{opening}: {exc} (filename_uri {filename_uri!r}, connection mode {mode}); "
                           f"{classify(exc).message}") from exc
    db = Database(conn, readonly=readonly, in_memory=in_memory)
    if not prepare_schema:
        return db
    try:
        _prepare_schema(db, enable_upgrade_migration)
    except errors.StatusError as exc:
        conn.close()
        raise RuntimeError(f"Cannot open the store {filename_uri!r}: {exc.message}") from exc
    except BaseException:
        conn.close()
        raise
    return db


def _configure(conn: sqlite3.Connection, in_memory: bool, readonly: bool) -> None:
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
            if not _is_busy(exc) or time.monotonic() >= end:
                raise
            retry.sleep(random.uniform(0.0005, 0.005))


def read_schema_version(cur: sqlite3.Cursor) -> Optional[int]:
    """The stored schema version, or None for an empty database; raises RuntimeError for a foreign one."""
    tables = {row[0] for row in cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if VERSION_TABLE in tables:
        row = cur.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()
        return int(row[0]) if row else 0
    if "MLMDEnv" in tables or "Artifact" in tables:
        raise RuntimeError(
            "This database was created by ml-metadata (MLMD's own schema). fastmlmd keeps its own schema "
            "and cannot open it; record into a new database file."
        )
    if tables - {"sqlite_sequence"}:
        raise RuntimeError(f"The database is not empty and is not a fastmlmd store (tables: {sorted(tables)}).")
    return None


@functools.lru_cache(maxsize=None)
def _schema_objects(fts5: bool) -> FrozenSet[Tuple[str, str, str]]:
    """(type, name, sql) of every table and index of the current schema, as a fresh store has them here."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate_to(conn.cursor(), 0, SCHEMA_VERSION)
        return frozenset(_schema_rows(conn.cursor()))
    finally:
        conn.close()


def _schema_rows(cur: sqlite3.Cursor) -> List[Tuple[str, str, str]]:
    # FTS5 lays out its word index tables as its version likes: the index is checked by its own definition.
    return [row for row in cur.execute(_SCHEMA_OBJECTS_SQL) if row[1] not in WORD_INDEX_SHADOWS]


_SCHEMA_OBJECTS_SQL = ("SELECT type, name, sql FROM sqlite_master "
                       "WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")


def _check_schema(cur: sqlite3.Cursor) -> None:
    """Raises DataLossError when a table or index of the schema is missing or was altered by another program.

    Extra objects (an index a user added, SQLite's statistics tables) are left alone.
    """
    found = set(_schema_rows(cur))
    changed = sorted(name for kind, name, sql in _schema_objects(schema.fts5_available()) - found)
    if changed:
        raise errors.DataLossError(
            f"the store's schema (version {SCHEMA_VERSION}) has lost or changed {', '.join(changed)}; the database "
            "file was changed by another program")


def _word_tables_found(cur: sqlite3.Cursor) -> bool:
    found = {row[0] for row in cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return any(table in found for table in WORD_TABLES)


def _prepare_schema(db: Database, enable_upgrade_migration: bool) -> None:
    def check(cur: sqlite3.Cursor) -> Tuple[Optional[int], bool]:
        version = read_schema_version(cur)
        has_word_index = version == SCHEMA_VERSION and _word_tables_found(cur)
        if version == SCHEMA_VERSION and (has_word_index or not schema.fts5_available()):
            _check_schema(cur)  # a missing word index is built below, then checked
        return version, has_word_index

    version, has_word_index = db.run(check, write=False)
    if version == SCHEMA_VERSION:
        if has_word_index != schema.fts5_available():
            _match_word_index(db, has_word_index)
        return
    if version is not None and version > SCHEMA_VERSION:
        raise RuntimeError(
            f"MLMD database version {version} is greater than library version {SCHEMA_VERSION}. "
            "Please upgrade the library to use the given database in order to prevent potential data loss. "
            "If data loss is acceptable, please downgrade the database using a newer version of library."
        )
    if db.readonly:
        raise RuntimeError(
            "The read-only store has no schema to read" if version is None else
            f"MLMD database version {version} is older than library version {SCHEMA_VERSION}. "
            "A read-only store cannot be migrated: open it once read-write with enable_upgrade_migration=True."
        )
    if version is not None and not enable_upgrade_migration:
        raise RuntimeError(
            f"MLMD database version {version} is older than library version {SCHEMA_VERSION}. "
            "Schema migration is disabled. Please upgrade the database then use the library version; or "
            "switch to a older library version to use the current database. "
            "(MetadataStore(config, enable_upgrade_migration=True) upgrades it.)"
        )

    def migrate(cur: sqlite3.Cursor) -> None:
        # Re-read under the write lock: another process may have migrated meanwhile.
        current = read_schema_version(cur)
        migrate_to(cur, current or 0, SCHEMA_VERSION)

    db.run(migrate, write=True)


def _match_word_index(db: Database, has_word_index: bool) -> None:
    """Makes a current store's word index agree with this process: built where FTS5 is, absent where it is not.

    A store made where SQLite lacks FTS5 has none; here it gets one (a read-only store cannot, and is refused
    as an old schema is). A store with one cannot be written where FTS5 is missing: its writes would leave
    the index behind, and contains-LIKE would then miss nodes where FTS5 is back. Read-only, it scans.
    """
    if has_word_index:
        if db.readonly:
            return
        raise RuntimeError(
            "This store keeps word indexes in SQLite FTS5 tables, and this Python's sqlite3 has no FTS5: its writes "
            "would leave them behind. Open it read-only here, or use a Python whose sqlite3 has FTS5.")
    if db.readonly:
        raise RuntimeError(
            "This store was made where SQLite has no FTS5 and lacks the word indexes schema version "
            f"{SCHEMA_VERSION} keeps here. A read-only store cannot be given them: open it once read-write.")

    def build(cur: sqlite3.Cursor) -> None:
        if not _word_tables_found(cur):  # another process may have built them meanwhile
            for migration in MIGRATIONS:
                if migration.needs_fts5:
                    _run_upgrade(cur, migration)
        _check_schema(cur)

    db.run(build, write=True)


def _run_upgrade(cur: sqlite3.Cursor, migration: Migration) -> None:
    if migration.needs_fts5 and not schema.fts5_available():
        return
    for statement in migration.upgrade:
        cur.execute(statement)


def migrate_to(cur: sqlite3.Cursor, current: int, target: int) -> None:
    """Runs the registered migrations from version `current` to `target`, up or down, step by step."""
    if current < target:
        for migration in MIGRATIONS:
            if current < migration.version <= target:
                _run_upgrade(cur, migration)
    else:
        for migration in reversed(MIGRATIONS):
            if target < migration.version <= current:
                for statement in migration.downgrade:
                    cur.execute(statement)
    cur.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)")
    cur.execute(f"DELETE FROM {VERSION_TABLE}")
    cur.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (?)", (target,))

"""Connections and transactions, on any backend: `Database.run(fn, write)` runs one call's transaction.

Every API call runs as one transaction through `Database.run`: writes take the write lock up front (the
backend's `begin_write`), so a call never fails half-way for lack of it; reads run in a transaction that sees
one consistent snapshot. When another connection holds a lock the call needs, the attempt waits with short
randomised sleeps instead of the database's own busy handling, whose growing sleeps let a few writers
starve the rest; it waits at most until the call's deadline (engine/retry.py). Every driver error leaves
`run` as the engine error of its class (the backend's `classify`), with the driver's error as its cause.
"""
from __future__ import annotations

import functools
import os
import random
import threading
import time
from typing import Any, Callable, Optional, Tuple, TypeVar

from . import errors, retry
from .backends.base import Backend, Cursor
from .backends.base import of as backend_of
from .catalog import WORD_TABLES
from .schema import SCHEMA_VERSION, VERSION_TABLE, VERSION_TABLE_DDL, Migration

T = TypeVar("T")

# How long a query written by a user (a filter, a lineage walk) may run before it is stopped.
QUERY_TIME_LIMIT_SECONDS = float(os.environ.get("FASTMLMD_QUERY_TIME_LIMIT_SECONDS", "60"))


class QueryTimeout(Exception):
    """A user-written query ran past its time limit and was interrupted."""


class Database:
    """One connection to one store; `run` executes a call as a single transaction."""

    def __init__(self, backend: Backend, connection: Any, readonly: bool, in_memory: bool) -> None:
        self.backend = backend
        self.readonly = readonly
        self.in_memory = in_memory
        self._conn = connection
        # A store object may be shared by threads; SQLite connections must not run two calls at once.
        self._lock = threading.RLock()
        self._time_limit: Optional[float] = None  # seconds, while a call under a time limit runs
        self._caller_end: Optional[float] = None  # the caller's deadline, while a call under one runs
        self._limited = False  # whether the running call has either
        self._stop_at = 0.0  # when that call's running statement is interrupted
        self._timed_out = False
        backend.watch_time_limit(connection, self._past_limit)
        self._write_lock = backend.write_lock
        if backend.set_time_limit is not None:  # chosen once: the SQLite path keeps its few steps
            self._run_limited = self._run_limited_by_setting  # type: ignore[method-assign]

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @functools.cached_property
    def joins_blobs(self) -> bool:
        """Whether this database can join encoded bodies into one value in SQL (Backend.joins_blobs). Read
        once, inside a call."""
        return self.backend.joins_blobs(self._conn.cursor())

    def run(self, fn: Callable[[Cursor], T], write: bool, time_limit: Optional[float] = None,
            one_statement: bool = False) -> T:
        """Runs `fn(cursor)` in one transaction: committed if it returns, rolled back if it raises.

        With `time_limit`, the running statement is interrupted once that many seconds have passed, and the
        call raises QueryTimeout: a pathological query ends instead of hanging the caller. A read that runs a
        single statement passes `one_statement`: every statement runs atomically, so BEGIN and COMMIT
        (a third of a point read's time on SQLite) are left out. (A filtered listing passes it too: the estimates it
        makes before its one statement need no shared snapshot.) While another connection holds the write
        lock, the attempt waits until the call's deadline (retry.call_end), then raises AbortedError.

        Under a caller's deadline (retry.caller_deadline) every call is limited to the time that remains: a
        statement running when it passes is stopped, the transaction is not committed after it, and the call
        raises DeadlineExceededError.

        Raises:
          errors.StatusError: every database error, classified (the driver's error is its cause).
        """
        if one_statement and write:
            raise ValueError("a write always runs in an explicit transaction")
        if write and self.readonly:
            raise errors.InternalError("Error when executing query: attempt to write a readonly database (the "
                                       "store was opened with connection mode READONLY)")
        caller_end = retry.caller_end()
        if caller_end is not None and time.monotonic() >= caller_end:
            raise retry.past_caller_deadline("before the call began")
        started = None  # when the call began to wait: looked up only once it has to
        if not self._lock.acquire(blocking=False):
            started, end = time.monotonic(), retry.call_end()
            if not self._lock.acquire(timeout=max(0.0, end - started)):
                if end == caller_end:
                    raise retry.past_caller_deadline("while the call waited for another thread's call on the store")
                raise errors.AbortedError(
                    f"another thread's call on this store held it for {time.monotonic() - started:.1f}s")
        try:
            waits = 0
            while True:
                try:
                    if caller_end is not None:
                        return self._run_limited(fn, write, time_limit, one_statement, caller_end)
                    if one_statement and time_limit is None:
                        return fn(self._conn.cursor())
                    if time_limit is None:
                        return self._run_once(fn, write)
                    return self._run_limited(fn, write, time_limit, one_statement, None)
                except self.backend.Error as exc:
                    if self.in_memory or not self.backend.is_busy(exc):
                        raise self.backend.classify(exc) from exc
                    if started is None:
                        started, end = time.monotonic(), retry.call_end()
                    elif time.monotonic() >= end:
                        if end == caller_end:
                            raise retry.past_caller_deadline(
                                "while another connection held the store's write lock") from exc
                        raise errors.AbortedError(
                            f"another connection held the store's write lock for "
                            f"{time.monotonic() - started:.1f}s ({exc})") from exc
                waits += 1
                # Short, jittered waits keep every waiting writer in the race for the lock.
                retry.sleep(random.uniform(0.0002, min(0.002 * waits, 0.02)))
        finally:
            self._lock.release()

    def _run_limited(self, fn: Callable[[Cursor], T], write: bool, time_limit: Optional[float],
                     one_statement: bool, caller_end: Optional[float]) -> T:
        self._time_limit, self._caller_end, self._limited, self._timed_out = time_limit, caller_end, True, False
        self.renew_time_limit()
        try:
            return fn(self._conn.cursor()) if one_statement else self._run_once(fn, write)
        except self.backend.Error as exc:
            if self._timed_out and self.backend.interrupted(exc):
                raise self._stopped(time_limit, caller_end) from exc
            raise
        finally:
            self._time_limit, self._caller_end, self._limited = None, None, False

    def _run_limited_by_setting(self, fn: Callable[[Cursor], T], write: bool, time_limit: Optional[float],
                                one_statement: bool, caller_end: Optional[float]) -> T:
        """`_run_limited` where the database stops statements by a setting (Backend.set_time_limit)."""
        set_limit = self.backend.set_time_limit
        assert set_limit is not None
        limit = self._limit_from_now(time_limit, caller_end)
        set_limit(self._conn, limit)  # per statement: the check before COMMIT bounds the whole call
        self._caller_end = caller_end
        try:
            return fn(self._conn.cursor()) if one_statement else self._run_once(fn, write)
        except self.backend.Error as exc:
            if self.backend.interrupted(exc):
                raise self._stopped(time_limit, caller_end) from exc
            raise
        finally:
            self._caller_end = None
            set_limit(self._conn, None)

    @staticmethod
    def _limit_from_now(time_limit: Optional[float], caller_end: Optional[float]) -> float:
        """Seconds until the sooner of the query's time limit and the caller's deadline (one of them is set)."""
        if caller_end is None:
            assert time_limit is not None
            return time_limit
        remaining = caller_end - time.monotonic()
        return remaining if time_limit is None else min(time_limit, remaining)

    @staticmethod
    def _stopped(time_limit: Optional[float], caller_end: Optional[float]) -> Exception:
        """The error of a statement stopped by a limit: the caller's deadline, or else the query's own limit."""
        if caller_end is not None and (time_limit is None or time.monotonic() >= caller_end):
            return retry.past_caller_deadline("while a statement ran")
        return QueryTimeout(f"stopped after {time_limit:.0f}s")

    def _past_limit(self) -> int:
        if self._limited and time.monotonic() > self._stop_at:
            self._timed_out = True
            return 1  # non-zero interrupts the running statement
        return 0

    def renew_time_limit(self) -> None:
        """Gives the running call its whole time limit again, from now (if it has one): a listing that
        streams its rows is limited per batch, so a long one is not mistaken for a runaway query. The
        caller's deadline is never moved."""
        if self._limited:
            self._stop_at = time.monotonic() + self._limit_from_now(self._time_limit, self._caller_end)

    def _run_once(self, fn: Callable[[Cursor], T], write: bool) -> T:
        cur = self._conn.cursor()
        cur.execute(self.backend.begin_write if write else self.backend.begin_read)
        try:
            if write and self._write_lock is not None:
                cur.execute(self._write_lock)
            result = fn(cur)
            if self._caller_end is not None and time.monotonic() >= self._caller_end:
                raise retry.past_caller_deadline("before the call committed")
            cur.execute(self.backend.commit)
        except BaseException:
            if self._conn.in_transaction:  # a failed COMMIT leaves the transaction open too
                self._conn.rollback()
            raise
        return result


def open_store(backend: Backend, connection: Any, readonly: bool, in_memory: bool, enable_upgrade_migration: bool,
               prepare_schema: bool = True, name: str = "") -> Database:
    """The store on an open `connection` of `backend`, its schema made current (or created) unless
    `prepare_schema` is False (for downgrades); failures raise RuntimeError, as MLMD's constructor does."""
    db = Database(backend, connection, readonly=readonly, in_memory=in_memory)
    if not prepare_schema:
        return db
    try:
        _prepare_schema(db, enable_upgrade_migration)
    except errors.StatusError as exc:
        connection.close()
        raise RuntimeError(f"Cannot open the store {name!r}: {exc.message}") from exc
    except BaseException:
        connection.close()
        raise
    return db


def read_schema_version(cur: Cursor) -> Optional[int]:
    """The stored schema version, or None for an empty database; raises RuntimeError for a foreign one."""
    tables = set(backend_of(cur).table_names(cur))
    if VERSION_TABLE in tables:
        row = cur.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()
        return int(row[0]) if row else 0
    if "MLMDEnv" in tables or "Artifact" in tables:
        raise RuntimeError(
            "This database was created by ml-metadata (MLMD's own schema). fastmlmd keeps its own schema "
            "and cannot open it; record into a new database file."
        )
    if tables:
        raise RuntimeError(f"The database is not empty and is not a fastmlmd store (tables: {sorted(tables)}).")
    return None


def _word_tables_found(cur: Cursor) -> bool:
    found = set(backend_of(cur).table_names(cur))
    return any(table in found for table in WORD_TABLES)


def _keeps_words(backend: Backend) -> bool:
    return backend.words is not None and backend.words.available()


def _prepare_schema(db: Database, enable_upgrade_migration: bool) -> None:
    keeps_words = _keeps_words(db.backend)

    def check(cur: Cursor) -> Tuple[Optional[int], bool]:
        version = read_schema_version(cur)
        has_word_index = version == SCHEMA_VERSION and _word_tables_found(cur)
        if version == SCHEMA_VERSION and (has_word_index or not keeps_words):
            db.backend.check_schema(cur)  # a missing word index is built below, then checked
        return version, has_word_index

    version, has_word_index = db.run(check, write=False)
    if version == SCHEMA_VERSION:
        if has_word_index != keeps_words:
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

    def migrate(cur: Cursor) -> None:
        # Re-read under the write lock: another process may have migrated meanwhile.
        current = read_schema_version(cur)
        migrate_to(cur, current or 0, SCHEMA_VERSION)

    db.run(migrate, write=True)


def _match_word_index(db: Database, has_word_index: bool) -> None:
    """Makes a current store's word index agree with this process: built where the backend keeps one, absent
    where it cannot (SQLite without FTS5).

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

    def build(cur: Cursor) -> None:
        if not _word_tables_found(cur):  # another process may have built them meanwhile
            for migration in db.backend.migrations():
                if migration.builds_word_index:
                    _run_upgrade(cur, migration)
        db.backend.check_schema(cur)

    db.run(build, write=True)


def _run_upgrade(cur: Cursor, migration: Migration) -> None:
    backend = backend_of(cur)
    if migration.builds_word_index and not _keeps_words(backend):
        return
    for statement in migration.upgrade:
        cur.execute(statement)
    if migration.builds_word_index and not backend.words.MIGRATION_INDEXES_ROWS:
        backend.words.index_all(cur)  # words found in Python: the statements made the index empty


def migrate_to(cur: Cursor, current: int, target: int) -> None:
    """Runs the registered migrations from version `current` to `target`, up or down, step by step."""
    migrations = backend_of(cur).migrations()
    if current < target:
        for migration in migrations:
            if current < migration.version <= target:
                _run_upgrade(cur, migration)
    else:
        for migration in reversed(migrations):
            if target < migration.version <= current:
                for statement in migration.downgrade:
                    cur.execute(statement)
    cur.execute(VERSION_TABLE_DDL)
    cur.execute(f"DELETE FROM {VERSION_TABLE}")
    cur.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (?)", (target,))

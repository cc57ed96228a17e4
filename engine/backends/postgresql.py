"""PostgreSQL 12+ through psycopg 3 (`pip install fastmlmd[postgresql]`): every fact of it the engine needs.

The engine's statements use `?` placeholders; each statement text is turned into PostgreSQL's own `$1, $2, ...`
once (`_numbered`, cached) and sent through psycopg's RawCursor, which binds on the server and parses no `%`.
`PostgreSQLCursor` gives that cursor the shape the engine calls (sqlite3's: `execute` returns the cursor).

Transactions: the connection runs in autocommit, each call in BEGIN ... COMMIT. A write runs in READ
COMMITTED and first takes the store's write lock (in the same round trip as its BEGIN), so writers take
turns as they do on SQLite and on MySQL, and each statement after the lock sees every write committed before
it: ids allocated as max(id) + 1 within the call are never taken twice. The lock is an advisory lock of the
store's database, whose queue is first come, first served (the row of `fastmlmd_write_lock`, locked next to
count the write, is not: a writer woken when the row's holder commits re-reads it and may lose it to a
newcomer, so under 16 writers a few calls waited twice as long as any other). SERIALIZABLE with retries was
the other choice: every two writers that allocate ids from the same max(id) conflict, so under many writers
most attempts would be thrown away and redone; waiting in the server's queue wastes no work. The wait is
bounded by the call deadline (lock_timeout).
A read runs in REPEATABLE READ READ ONLY: one snapshot for all its statements, never blocked by writers,
never failed by them.

Round trips: a transaction runs in psycopg's pipeline mode (`PostgreSQLConnection.begin`). A statement whose
result the engine does not read (BEGIN, the write lock, every INSERT and UPDATE of a write) is queued, and goes
to the server with the next statement whose rows or row count the engine reads, or with COMMIT: put_execution
is two round trips (its first read, then every write with COMMIT), a fill of nodes too. The price is where a
server error shows: at the next statement read, not at the statement that failed, where the engine may catch
it (a unique violation it turns into AlreadyExistsError). So an error that ends a pipelined attempt (but for
the time limit, lost locks and a lost connection, which mean the same wherever they show) makes it run again
(`RunAgain`, retried by Database.run) without the pipeline, where each error shows at its own statement: the
engine then sees exactly what it sees on the other backends, on the failure path only.

A failed statement aborts PostgreSQL's whole transaction, where SQLite and MySQL keep it going; the engine
catches a unique violation in a few places (a key taken since a read, a duplicate event) and then reads the
store to say which row holds the key. Rather than pay a SAVEPOINT before every statement, the attempt runs
without one; when a statement then finds the transaction aborted (25P02), the attempt is retried, that once
with a savepoint before each write statement (`careful`), so the engine's reads after the failure work.

Errors are classified by SQLSTATE, never by message: unique and other integrity violations reach the engine
as the driver's IntegrityError (it decides AlreadyExistsError), serialization failures and deadlocks are
retried within the call's deadline (then AbortedError), a lost connection is UnavailableError. The query
time limit is `statement_timeout`, set on the session only when it changes. Another connection's commit is
noticed as MySQL's backend notices it: each write counts itself in the lock row, and data_version reads
the count.

Text columns are COLLATE "C" (postgresql_schema.py): names, uris and values compare byte for byte. Filters'
LIKE is ILIKE there, which folds ASCII letters only, and has no escape character: SQLite's LIKE exactly.
On uri and names it seeks the trigram indexes of schema version 14 (postgresql_schema.py), prefix and
contains patterns alike.

Plans: a listing's LIMIT is written into its text (`_literal_limit` says why), and the backend keeps the
statistics PostgreSQL plans from current itself (`PostgreSQLConnection.committed`).
"""
from __future__ import annotations

import functools
import logging
import re
from contextlib import ExitStack
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from .. import errors, retry
from ..reads import UNLIMITED
from ..schema import SCHEMA_VERSION
from . import postgresql_schema
from .base import Cursor
from .locked_row import LockedRowBackend
from .table_growth import TableGrowth

try:
    import psycopg
    from psycopg.adapt import Dumper
    from psycopg.conninfo import make_conninfo
    from psycopg.pq import TransactionStatus
    from psycopg.types.numeric import Int8Dumper
except ImportError as exc:  # pragma: no cover - the message is what matters
    raise RuntimeError("The postgresql backend needs psycopg 3: pip install 'fastmlmd[postgresql]'") from exc

LOG = logging.getLogger("fastmlmd")
# SQLSTATEs that `classify` tells apart (PostgreSQL's errcodes.txt).
UNIQUE_VIOLATION = "23505"
SERIALIZATION_FAILURE, DEADLOCK_DETECTED = "40001", "40P01"
LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout: the call waited its whole deadline
QUERY_CANCELED = "57014"  # statement_timeout
IN_FAILED_TRANSACTION = "25P02"
UNDEFINED_TABLE, UNDEFINED_COLUMN = "42P01", "42703"
NUMERIC_OUT_OF_RANGE = "22003"
CONNECTION_CLASS, SHUTDOWN_CLASS = "08", "57P0"  # connection exceptions; admin / crash shutdown
INSUFFICIENT_RESOURCES_CLASS, DISK_FULL = "53", "53100"
UNDEFINED_DATABASE, DUPLICATE_DATABASE = "3D000", "42P04"
# The store's write lock, an advisory lock of the store's database ("fastmlmd" as a number; advisory locks of
# other databases on the server are apart).
WRITE_LOCK_KEY = int.from_bytes(b"fastmlmd", "big")


def _sqlstate(exc: BaseException) -> str:
    return getattr(exc, "sqlstate", None) or ""


class RunAgain(psycopg.Error):
    """A pipelined attempt ended by a server error: the attempt is run again without the pipeline (the module's
    docstring says why). Not an IntegrityError nor an OperationalError: no engine code catches it."""


def _same_wherever_seen(exc: BaseException) -> bool:
    """Whether an error means the same whichever statement shows it: the time limit, a lost lock or connection,
    a server out of resources, or an error of the driver's own (no SQLSTATE: nothing was sent)."""
    code = _sqlstate(exc)
    if isinstance(exc, psycopg.errors.PipelineAborted):
        return False
    return (not code or code in (QUERY_CANCELED, SERIALIZATION_FAILURE, DEADLOCK_DETECTED, LOCK_NOT_AVAILABLE)
            or code.startswith((CONNECTION_CLASS, SHUTDOWN_CLASS, INSUFFICIENT_RESOURCES_CLASS)))


@functools.lru_cache(maxsize=4096)
def _numbered(sql: str) -> str:
    """`sql` with each `?` outside a quoted literal or name as `$1`, `$2`, ... (PostgreSQL's placeholders), and
    the one function the engine's shared SQL names that PostgreSQL lacks, `ifnull`, as its COALESCE (which
    the index on a type's identity is written with)."""
    sql = sql.replace("ifnull(", "COALESCE(")
    out: List[str] = []
    quote = ""
    count = 0
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "?":
            count += 1
            out.append(f"${count}")
            continue
        out.append(char)
    return "".join(out)


_LIMIT_PARAMETER = " LIMIT ?"


@functools.lru_cache(maxsize=256)
def _literal_limit(sql: str, limit: int) -> str:
    """`sql` (ending in `LIMIT ?`) with its limit written out, or none for a listing of every row.

    psycopg prepares a statement run a few times, and PostgreSQL then plans it once for any values (a generic
    plan) when that plan costs no more than the plans for the values given: a generic plan takes a LIMIT
    parameter for a tenth of the rows, so a listing of one name walked the whole primary key to find its
    node, 2 ms where the name index takes 0.06 ms. A limit in the text is planned for what it is."""
    head = sql[:-len(_LIMIT_PARAMETER)]
    return head if limit >= UNLIMITED else f"{head} LIMIT {int(limit)}"


_WRITES = "IUDW"  # the first letters of INSERT, UPDATE, DELETE and WITH ... (the statements `careful` guards)


MAX_PARAMETERS = 65535  # of one statement (the protocol counts them in 16 bits)
RANDOM_PAGE_COST = 1.1  # the cost of a random page read PostgreSQL plans this backend's sessions with (`_open`)


@functools.lru_cache(maxsize=256)
def _values_width(sql: str) -> int:
    """The number of columns of an `INSERT ... VALUES (?, ...)` that may take many rows in one statement (plain, or
    ON CONFLICT DO NOTHING: an update could meet the same key twice in one statement); 0 for any other."""
    found = re.fullmatch(r"INSERT INTO \w+ \([^)]*\)\s+VALUES (\((?:\?, )*\?\))( ON CONFLICT DO NOTHING)?", sql)
    return found.group(1).count("?") if found else 0


@functools.lru_cache(maxsize=1024)
def _many_values(sql: str, count: int) -> str:
    """`sql` (see `_values_width`) with `count` rows of values, numbered."""
    head, rest = sql.split(" VALUES ", 1)
    row = rest[:rest.index(")") + 1]
    return _numbered(f"{head} VALUES {', '.join([row] * count)}{rest[len(row):]}")


class _BoolAsInt(Dumper):
    """Booleans go to BIGINT columns (bool_value, flags) as 0 and 1, as on SQLite."""

    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class PostgreSQLCursor:
    """psycopg's RawCursor in the shape the engine calls (sqlite3's): `execute` returns the cursor."""

    __slots__ = ("_raw", "_conn", "backend", "_rows_written")

    def __init__(self, raw: Any, conn: "PostgreSQLConnection", backend: "PostgreSQLBackend") -> None:
        self._raw = raw
        self._conn = conn
        self.backend = backend  # backends.of reads it
        self._rows_written: Optional[int] = None  # the rowcount of an INSERT sent in chunks

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> "PostgreSQLCursor":
        self._rows_written = None
        conn = self._conn
        if sql.endswith(_LIMIT_PARAMETER) and parameters and type(parameters[-1]) is int:
            sql, parameters = _literal_limit(sql, parameters[-1]), parameters[:-1]
        elif sql[0] == "I":
            conn.growth.inserting(sql, 1)
        if sql[0] == "B":  # BEGIN: a new attempt
            conn.begin()
        elif conn.careful and sql[0] in _WRITES:
            self._guarded(lambda: self._raw.execute(_numbered(sql), tuple(parameters)))
            return self
        if conn.pipelined:
            self._raw = conn.raw.cursor()  # a queued statement's results reach its own cursor, whenever they come
        try:
            self._raw.execute(_numbered(sql), tuple(parameters) if parameters else None)
            if sql == "COMMIT":
                conn.end_pipeline()
                conn.committed()
        except psycopg.Error as exc:
            again = conn.saw(exc)
            if again is None:
                raise
            raise again from exc
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]]) -> "PostgreSQLCursor":
        rows = [tuple(row) for row in seq_of_parameters]
        self._rows_written = None
        if not rows:
            return self
        if len(rows) == 1:
            return self.execute(sql, rows[0])
        self._conn.growth.inserting(sql, len(rows))
        if self._conn.careful:
            self._guarded(lambda: self._run_many(sql, rows))
            return self
        if self._conn.pipelined:
            self._raw = self._conn.raw.cursor()
        try:
            self._run_many(sql, rows)
        except psycopg.Error as exc:
            again = self._conn.saw(exc)
            if again is None:
                raise
            raise again from exc
        return self

    def _run_many(self, sql: str, rows: List[Tuple[Any, ...]]) -> None:
        width = _values_width(sql)
        if not width:
            self._raw.executemany(_numbered(sql), rows)  # pipelined: one round trip for every row
            return
        # An INSERT of one VALUES row: the rows go as one statement of many (a chunk per parameter limit).
        step = MAX_PARAMETERS // width
        if len(rows) <= step:  # one statement: its row count is the cursor's (read when asked)
            self._raw.execute(_many_values(sql, len(rows)), [value for row in rows for value in row])
            return
        written = 0
        for start in range(0, len(rows), step):
            chunk = rows[start:start + step]
            self._raw.execute(_many_values(sql, len(chunk)), [value for row in chunk for value in row])
            self._conn.sync()  # each chunk's row count, before the next chunk's statement replaces it
            written += self._raw.rowcount
        self._rows_written = written

    def _guarded(self, run: Any) -> None:
        """Runs a statement after a savepoint, and rolls back to it if the statement fails: the transaction
        goes on, as it does on SQLite and MySQL."""
        self._raw.execute("SAVEPOINT fastmlmd_statement")
        try:
            run()
        except psycopg.Error:
            self._raw.execute("ROLLBACK TO SAVEPOINT fastmlmd_statement")
            raise
        self._raw.execute("RELEASE SAVEPOINT fastmlmd_statement")

    def fetchone(self) -> Any:
        return self._read(self._raw.fetchone)

    def fetchall(self) -> List[Any]:
        return self._read(self._raw.fetchall)

    def fetchmany(self, size: int = 1) -> List[Any]:
        return self._read(lambda: self._raw.fetchmany(size))

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())

    @property
    def rowcount(self) -> int:
        if self._rows_written is not None:
            return self._rows_written
        self._read(self._conn.sync)  # a queued statement's row count arrives with its result
        return int(self._raw.rowcount)

    def _read(self, read: Callable[[], Any]) -> Any:
        """`read()`, which may wait for queued statements' results: their errors show here (`saw`)."""
        try:
            return read()
        except psycopg.Error as exc:
            again = self._conn.saw(exc)
            if again is None:
                raise
            raise again from exc


class PostgreSQLConnection:
    """One psycopg connection, with the few methods db.Database calls on sqlite3's."""

    def __init__(self, raw: Any, backend: "PostgreSQLBackend", reopen: Callable[[], Any]) -> None:
        self.raw = raw
        self.backend = backend
        self._reopen = reopen  # a new connection with the same settings, for after this one is lost
        # This attempt guards each write statement with a savepoint (the module's docstring says why).
        self.careful = False
        self._careful_next = False
        # The pipeline of the running attempt (the module's docstring says why), and whether the next attempt
        # runs without one.
        self._pipeline: Optional[ExitStack] = None
        self._pipeline_object: Any = None
        self._eager_next = False
        self.time_limit: Optional[float] = None  # what statement_timeout should be for the next call
        self._session_limit: Optional[float] = None  # what it is
        self.growth = TableGrowth()  # what to ANALYZE after a commit (`committed`)
        # The psycopg cursor each call starts from: a new one per call cost a point read 7-34 us of client CPU
        # (of 120-190; benches/results/postgresql-cursor-reuse-2026-12-07.txt). A statement queued in a pipeline
        # gets one of its own (PostgreSQLCursor.execute).
        self._raw_cursor: Any = None

    def cursor(self) -> PostgreSQLCursor:
        if self.raw.closed:
            # Lost (a server restart, a killed session): the call that saw it raised UnavailableError, this one
            # connects again (and raises UnavailableError itself while the server is away).
            try:
                self.raw = self._reopen()
            except psycopg.OperationalError as exc:
                raise errors.UnavailableError(f"cannot reconnect to the PostgreSQL server ({exc})") from exc
            self._session_limit = None
        if self.time_limit != self._session_limit:
            milliseconds = 0 if self.time_limit is None else max(int(self.time_limit * 1000), 1)
            self.raw.execute(f"SET statement_timeout = {milliseconds}")
            self._session_limit = self.time_limit
        if self._raw_cursor is None or self._raw_cursor.connection is not self.raw:
            self._raw_cursor = self.raw.cursor()
        return PostgreSQLCursor(self._raw_cursor, self, self.backend)

    def saw(self, exc: BaseException) -> Optional[BaseException]:
        """Notes a failed statement: one that found the transaction aborted makes the next attempt careful; a
        server error in a pipelined attempt makes the next attempt run without the pipeline. Returns the error to
        raise instead of `exc` (RunAgain), or None."""
        if _sqlstate(exc) == IN_FAILED_TRANSACTION:
            self._careful_next = True
        if self._pipeline is None or _same_wherever_seen(exc):
            return None
        self._eager_next = True
        return RunAgain(f"a statement of the pipelined attempt failed; running it again statement by statement ({exc})")

    def begin(self) -> None:
        """A new attempt: careful after one that went on in an aborted transaction, pipelined unless it follows
        one that failed pipelined (or is careful)."""
        self.careful, self._careful_next = self._careful_next, False
        self.growth.begin()
        eager, self._eager_next = self._eager_next, False
        if not (self.careful or eager):
            stack = ExitStack()
            self._pipeline_object = stack.enter_context(self.raw.pipeline())  # no round trip: libpq's mode only
            self._pipeline = stack

    def committed(self) -> None:
        """After a commit: ANALYZEs each table this connection has doubled since its last statistics
        (table_growth.py says why; the rows a table held then are pg_class.reltuples). Their price on the small
        bench is the fill of 6,400 artifacts: 0.52 s of CPU (client and server) without them, 0.72 s with them,
        mostly the property table's."""
        try:
            due = self.growth.committed(lambda: dict(self.raw.execute(
                "SELECT relname, reltuples FROM pg_catalog.pg_class WHERE relkind = 'r' AND "
                "relnamespace = current_schema()::regnamespace").fetchall()))
            if due:
                self.raw.execute(f"ANALYZE {', '.join(due)}")
                self.growth.analyzed(due)
        except psycopg.Error:
            pass  # the write is committed; a lost connection shows in the next call, a refused ANALYZE never

    @property
    def pipelined(self) -> bool:
        return self._pipeline is not None

    def sync(self) -> None:
        """Sends the queued statements and waits for their results (in pipeline mode; otherwise nothing)."""
        if self._pipeline is not None:
            self._pipeline_object.sync()

    def end_pipeline(self) -> None:
        """Sends what is queued (COMMIT last), waits for every result and leaves pipeline mode."""
        stack, self._pipeline = self._pipeline, None
        if stack is not None:
            try:
                stack.close()
            except psycopg.Error:
                self._pipeline = stack  # the attempt failed: `saw` sees it pipelined; rollback ends the pipeline
                raise

    @property
    def in_transaction(self) -> bool:
        return self._pipeline is not None or self.raw.info.transaction_status != TransactionStatus.IDLE

    def rollback(self) -> None:
        stack, self._pipeline = self._pipeline, None
        if stack is not None:
            try:  # the queued statements run (and are rolled back below), or the connection is lost
                stack.close()
            except psycopg.Error:
                pass
        if self.raw.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
            self.raw.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()


class PostgreSQLBackend(LockedRowBackend):
    """PostgreSQL 12+ (psycopg 3)."""

    name = "postgresql"
    Error = psycopg.Error
    IntegrityError = psycopg.IntegrityError
    OperationalError = psycopg.OperationalError
    begin_write = "BEGIN ISOLATION LEVEL READ COMMITTED"
    begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    commit = "COMMIT"
    # Queued after BEGIN (pipeline mode), so it travels with the call's first read; it counts the write too.
    # It joins the store's advisory lock, which its plan takes before it locks the row: writers wait in the
    # advisory lock's queue, first come, first served (a row lock's is not: a writer woken when the holder
    # commits re-reads the row and can lose it to a newcomer, again and again).
    write_lock = (f"UPDATE {postgresql_schema.WRITE_LOCK_TABLE} SET writes = writes + 1 "
                  f"FROM pg_advisory_xact_lock({WRITE_LOCK_KEY}) WHERE id = 1")
    write_lock_table = postgresql_schema.WRITE_LOCK_TABLE
    schema_tables = postgresql_schema.TABLES

    def __init__(self) -> None:
        self._migrations = postgresql_schema.MIGRATIONS

    # Connections ---------------------------------------------------------------------------------------------
    def classify(self, exc: BaseException) -> errors.StatusError:
        code, text = _sqlstate(exc), str(exc)
        if code in (UNDEFINED_TABLE, UNDEFINED_COLUMN):
            return errors.DataLossError(
                f"the store's tables are not those of fastmlmd schema version {SCHEMA_VERSION} ({text}); the "
                "database was changed by another program")
        if code in (SERIALIZATION_FAILURE, DEADLOCK_DETECTED, LOCK_NOT_AVAILABLE, IN_FAILED_TRANSACTION):
            return errors.AbortedError(f"the call lost a lock to another connection ({text})")
        if code.startswith((CONNECTION_CLASS, SHUTDOWN_CLASS)) or (
                not code and isinstance(exc, psycopg.OperationalError)):
            return errors.UnavailableError(f"the connection to the server was lost ({text})")
        if code == DISK_FULL or code.startswith(INSUFFICIENT_RESOURCES_CLASS):
            return errors.ResourceExhaustedError(f"the server is out of resources ({text})")
        if isinstance(exc, psycopg.DataError) and not code:
            # The driver's own refusal of a value, before anything is sent: PostgreSQL's text holds no NUL.
            return errors.InvalidArgumentError(f"a value PostgreSQL cannot hold ({text})")
        return errors.InternalError(f"Error when executing query: {text}")

    def is_busy(self, exc: BaseException) -> bool:
        # The server rolled the attempt back (or the engine went on after a failed statement, or a pipelined
        # attempt failed): run it again, within the call's deadline. A lock wait past lock_timeout has used the
        # deadline up already.
        return isinstance(exc, RunAgain) or _sqlstate(exc) in (SERIALIZATION_FAILURE, DEADLOCK_DETECTED, IN_FAILED_TRANSACTION)

    def watch_time_limit(self, conn: Any, past_limit: Any) -> None:
        pass  # the server stops statements itself (set_time_limit)

    def set_time_limit(self, conn: Any, seconds: Optional[float]) -> None:
        conn.time_limit = seconds  # applied by the connection's next cursor, where it changes

    def interrupted(self, exc: BaseException) -> bool:
        return _sqlstate(exc) == QUERY_CANCELED

    # Schema --------------------------------------------------------------------------------------------------
    def table_names(self, cur: Cursor) -> List[str]:
        # The write lock's table is the backend's own, not the store's (postgresql_schema.py).
        return [row[0] for row in cur.execute(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename != ?",
            (postgresql_schema.WRITE_LOCK_TABLE,))]

    def check_schema(self, cur: Cursor) -> None:
        super().check_schema(cur)
        # Version 14's trigram indexes are there unless pg_trgm could not be added (postgresql_schema.py).
        names = [postgresql_schema.trigram_index(table, column) for table, column in postgresql_schema.TRIGRAM_COLUMNS]
        found = {row[0] for row in cur.execute(
            "SELECT indexname FROM pg_catalog.pg_indexes WHERE schemaname = current_schema() AND indexname = ANY(?)",
            (names,))}
        if len(found) < len(names):
            LOG.warning("this PostgreSQL store has no trigram indexes (the pg_trgm extension could not be added "
                        "when its schema reached version 14): LIKE filters on uri and names scan every node. "
                        "Once a user who may add pg_trgm has downgraded the store to version 13 and opened it "
                        "with enable_upgrade_migration, they seek.")

    # Statements ----------------------------------------------------------------------------------------------
    def insert_id(self, cur: Cursor, sql: str, params: Sequence[object]) -> int:
        return int(cur.execute(_with_next_id(sql), params).fetchone()[0])

    @functools.lru_cache(maxsize=256)  # noqa: B019
    def insert_or_ignore(self, table: str, columns: Sequence[str]) -> str:
        return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                "ON CONFLICT DO NOTHING")

    @functools.lru_cache(maxsize=256)  # noqa: B019
    def upsert(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        rest = [column for column in columns if column not in key]
        return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in rest)}")

    one_recursive_reference = True

    def frontier_in(self) -> str:
        return "= ANY(?::bigint[])"

    def frontier(self, alias: str) -> str:
        return f"unnest(?::bigint[]) AS {alias}(value)"

    def in_select(self, select: str) -> str:
        # An array of the ids, made once: PostgreSQL estimates a recursive query's rows at many times what a walk
        # reaches, and would join it with a scan of the whole link table.
        return f"= ANY(ARRAY({select}))"

    def frontier_value(self, ids: Iterable[int]) -> object:
        return sorted(int(i) for i in ids)

    @functools.lru_cache(maxsize=256)  # noqa: B019
    def events_sql(self, column: str, count: int, join_in_sql: bool) -> str:
        assert column in ("artifact_id", "execution_id") and not join_in_sql
        order = "e.artifact_id, e.execution_id, e.type" if column == "artifact_id" else "e.execution_id, e.id"
        return (f"SELECT e.body, e.id FROM event AS e WHERE e.{column} IN ({', '.join('?' * count)}) "
                f"ORDER BY {order}")

    # Filters -------------------------------------------------------------------------------------------------
    def like(self, operand: str, pattern: str, negated: bool) -> str:
        # ILIKE on "C" text folds ASCII letters only, and ESCAPE '' makes `\` an ordinary character: SQLite's LIKE.
        return f"{operand} {'NOT ILIKE' if negated else 'ILIKE'} {pattern} ESCAPE ''"

    def truth(self, column: str) -> str:
        return f"({column} <> 0)"  # conditions are BOOLEAN here, and an integer is none

    def bool_literal(self, value: bool) -> str:
        return "TRUE" if value else "FALSE"

    # Reading plans -------------------------------------------------------------------------------------------
    def plan_details(self, cur: Cursor, sql: str, params: Sequence[object]) -> Tuple[str, ...]:
        return tuple(row[0].strip() for row in cur.execute("EXPLAIN " + sql, params))

    def plan_seeks(self, details: Sequence[str]) -> bool:
        return not any("Seq Scan" in d for d in details)

    def plan_sorts(self, details: Sequence[str]) -> bool:
        return any(re.search(r"(^|-> +)(Incremental )?Sort ", d) for d in details)

    def plan_depends_on_values(self, sql: str) -> bool:
        # A trigram index serves an ILIKE pattern that holds a trigram ('%ab%' holds none: PostgreSQL scans), and
        # only in a store that has the indexes (pg_trgm may have been missing): such a plan is not kept by text.
        return " ILIKE " in sql


POSTGRESQL = PostgreSQLBackend()


@functools.lru_cache(maxsize=64)
def _with_next_id(sql: str) -> str:
    """An `INSERT INTO t (columns) VALUES (...)` that also writes the id max(id) + 1 and returns it (writers hold
    the write lock, so no other call takes that id meanwhile)."""
    found = re.fullmatch(r"INSERT INTO (\w+) \((.*?)\)\s+VALUES \((.*)\)", sql, re.S)
    assert found is not None, sql
    table, columns, values = found.groups()
    return (f"INSERT INTO {table} (id, {columns}) VALUES ({POSTGRESQL.next_id(table)}, {values}) "
            "RETURNING id")


def connect(config: Any, on_open: Optional[Callable[[PostgreSQLConnection], None]] = None
            ) -> Tuple[PostgreSQLConnection, PostgreSQLBackend]:
    """A connection to the store MLMD's `PostgreSQLDatabaseConfig` names, the database created unless
    `skip_db_creation`; failures raise RuntimeError, as MLMD's constructor does. `on_open` sees the connection
    before anything of ours is written to the database (postgresql_mlmd.py's check for a store MLMD made)."""
    connection = session(config, create_database=not config.skip_db_creation)
    try:
        if on_open is not None:
            on_open(connection)
        _make_write_lock(connection.raw)
    except psycopg.Error as exc:
        connection.close()
        raise _connect_failed(config, exc) from exc
    except BaseException:
        connection.close()
        raise
    return connection, POSTGRESQL


def session(config: Any, create_database: bool, dbname: Optional[str] = None) -> PostgreSQLConnection:
    """A session on `dbname` (the config's by default), set up as the engine's statements expect, with nothing
    written to the database; failures raise RuntimeError."""
    dbname = dbname or config.dbname
    if not dbname:
        raise RuntimeError("PostgreSQLDatabaseConfig.dbname is required: the name of the store's database")
    settings = {field: getattr(config, field) for field in ("host", "hostaddr", "port", "user", "password",
                                                            "passfile") if config.HasField(field)}
    if config.HasField("ssloption"):
        options = config.ssloption
        settings.update({field: getattr(options, field) for field in (
            "sslmode", "sslcert", "sslkey", "sslpassword", "sslrootcert") if options.HasField(field)})
    try:
        if create_database:
            _create_database(settings, dbname)
        raw = _open(dbname, settings)
    except psycopg.Error as exc:
        raise _connect_failed(config, exc, dbname) from exc
    return PostgreSQLConnection(raw, POSTGRESQL, functools.partial(_open, dbname, settings))


def _connect_failed(config: Any, exc: BaseException, dbname: str = "") -> RuntimeError:
    # MLMD's words first.
    return RuntimeError(f"PostgreSQL metadata source error: {exc} (the PostgreSQL server at "
                        f"{config.host or config.hostaddr or 'localhost'}:{config.port or 5432}, database "
                        f"{dbname or config.dbname!r})")


def _open(dbname: str, settings: Dict[str, str]) -> Any:
    """A session on the store's database, set up as the engine's statements expect."""
    raw = psycopg.connect(make_conninfo("", dbname=dbname, **settings), autocommit=True,
                          cursor_factory=psycopg.RawCursor)
    # Every integer is a BIGINT, as every integer column is (psycopg would pick the smallest type that holds the
    # value, which a UNION or a recursive query then refuses to mix).
    raw.adapters.register_dumper(int, Int8Dumper)
    raw.adapters.register_dumper(bool, _BoolAsInt)
    # A writer waits for the write lock in the server's queue, at most the call's deadline.
    raw.execute(f"SET lock_timeout = {int(retry.deadline_seconds() * 1000)}")
    raw.execute("SET client_encoding = 'UTF8'")
    # No JIT compilation: it starts where a plan's estimated cost passes jit_above_cost, and the store's
    # statements never run long enough to repay it. A random filter estimated past it spent 100 ms compiling 79
    # functions to answer in 40 (benches/results/postgresql-jit-2026-12-07.txt).
    raw.execute("SET jit = off")
    # The store's reads are index seeks into pages that are in memory; PostgreSQL's default cost of a random
    # page (4, for spinning disks: 4 times a sequential one) made it read the 11k events of a small store
    # whole rather than seek 100 artifacts' events (1.1 ms of server time a call where the seeks take 0.35).
    # For this session only, and only where the server's setting is higher (a lower one was chosen).
    raw.execute(f"SELECT set_config('random_page_cost', '{RANDOM_PAGE_COST}', false) "
                f"WHERE current_setting('random_page_cost')::float8 > {RANDOM_PAGE_COST}")
    return raw


def _create_database(settings: Dict[str, str], dbname: str) -> None:
    """Creates the database unless it exists (as MLMD does), from the server's maintenance database."""
    with psycopg.connect(make_conninfo("", dbname="postgres", **settings), autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
            return
        try:
            admin.execute(f"CREATE DATABASE {identifier(dbname)} ENCODING 'UTF8' TEMPLATE template0")
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            pass  # another process made it meanwhile


def _make_write_lock(raw: Any) -> None:
    for attempt in range(3):
        try:
            for statement in postgresql_schema.WRITE_LOCK_STATEMENTS:
                raw.execute(statement)
            return
        except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
            if attempt == 2:  # CREATE TABLE IF NOT EXISTS races another connection's: it made the table
                raise


def identifier(name: str) -> str:
    """`name` quoted as PostgreSQL quotes an identifier."""
    if "\x00" in name:
        raise RuntimeError(f"the database name {name!r} holds a NUL")
    return '"' + name.replace('"', '""') + '"'


__all__ = ["POSTGRESQL", "PostgreSQLBackend", "connect", "identifier", "session"]

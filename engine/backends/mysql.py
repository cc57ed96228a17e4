"""MySQL and MariaDB through mysqlclient or PyMySQL (mysql_driver.py): every fact of them the engine needs.

The engine's statements use `?` placeholders; the drivers take `%s` (and read `%` as their own), so each
statement text is turned into their form once (`_pyformat`, cached). The engine calls the cursor as it
calls sqlite3's (`execute` returns the cursor): `MySQLCursor` wraps the driver's to that shape.

Round trips: the connection speaks MySQL's multi-statement protocol. In a transaction, a statement whose
result the engine does not read (START TRANSACTION, the write lock, every INSERT, UPDATE and DELETE) waits, and
goes to the server in one packet with the next statement whose rows or row count the engine reads, or with
COMMIT (`MySQLConnection.flight`): put_execution is two round trips (its first read, then every write with
COMMIT), a fill of nodes too, and an executemany of UPDATEs one. A server error then shows at the next
statement read, not at the one that failed, where the engine may catch it (a duplicate key it turns into
AlreadyExistsError): an error that ends such an attempt (but for the time limit, lost locks and a lost
connection, which mean the same wherever they show) makes it run again (`RunAgain`, retried by Database.run)
with each statement sent on its own, where the engine sees exactly what it sees on the other backends, on the
failure path only. The query time limit is set in the same packet as the statement it limits.

Transactions: the connection runs in autocommit, each call in START TRANSACTION ... COMMIT; a write first
locks the one row of `fastmlmd_write_lock`, so writers take turns as they do on SQLite (ids are allocated
as max(id) + 1 within the call). Errors are classified by the server's error number, never its message. The
query time limit is MariaDB's `max_statement_time` (seconds) or MySQL's `max_execution_time` (milliseconds,
SELECTs only), set for a limited call and reset with the next call's first statement. A call whose
connection is lost (a server restart, a killed session) raises UnavailableError, and the next call's first
cursor connects again.

Filters: text columns and the session's literals are in a binary collation, so `=` and `<` compare byte for
byte; LIKE lowers the ASCII letters of both sides and has no escape character: SQLite's LIKE exactly
(mysql_like.py); on a node's uri or name it reads the lowered twin that schema version 14 stores and indexes,
so a prefix seeks (`search_like`), and a contains- or suffix-LIKE seeks the word index (mysql_words.py). A
filter's EXISTS probes are kept subqueries (`probe`).

Not yet here (issue 12): index hints beyond walking an order.
"""
from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from .. import errors
from ..schema import SCHEMA_VERSION, Migration
from . import mysql_driver as driver
from . import mysql_like, mysql_schema
from .base import Cursor
from .locked_row import LockedRowBackend
from .mysql_words import MySQLWords
from .table_growth import TableGrowth

# Server error numbers that `classify` tells apart (mysqld_error.h, errmsg.h).
ER_DUP_ENTRY = 1062
ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK = 1205, 1213
ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR = 1146, 1054
ER_STATEMENT_TIMEOUT, ER_QUERY_TIMEOUT = 1969, 3024  # MariaDB's and MySQL's
ER_DATA_TOO_LONG, ER_TRUNCATED_WRONG_VALUE = 1406, 1366
CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST = 2002, 2003, 2006, 2013
ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED = 1053, 1927  # the server's farewells: shutting down; KILL (MariaDB)
CONNECTION_LOST = (CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST, ER_SERVER_SHUTDOWN,
                   ER_CONNECTION_KILLED)
ER_ACCESS_DENIED, ER_BAD_DB_ERROR = 1045, 1049
# The largest statement time limit MariaDB accepts (a year); a longer limit is none in practice.
MAX_STATEMENT_SECONDS = 31536000.0
# The statements waiting for a flight are sent once their text passes this size (well under the server's
# max_allowed_packet, 16 MiB by default); a statement of many rows is cut into statements of about this size.
MAX_FLIGHT_BYTES = 1 << 20
# The statements that may wait for the next flight: the engine reads no rows of them (a row count or a new id
# when it asks, which sends the flight).
_WAITS = ("INSERT", "UPDATE", "DELETE", "START")


class RunAgain(driver.Error):
    """An attempt whose waiting statements failed: it is run again with each statement on its own (the module's
    docstring says why). Not an IntegrityError nor an OperationalError: no engine code catches it."""


def _session_lost(exc: BaseException) -> bool:
    """Whether an error ended the session: the server's farewell, or the client's own (2000-2999: the connection
    is gone, or out of step with the server)."""
    code = _errno(exc)
    return code in CONNECTION_LOST or 2000 <= code < 3000


def _same_wherever_seen(exc: BaseException) -> bool:
    """Whether an error means the same whichever statement shows it: the time limit, a lost lock, a lost
    connection (the client's own error numbers), or no server error at all."""
    code = _errno(exc)
    return (code in (ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT, ER_STATEMENT_TIMEOUT, ER_QUERY_TIMEOUT)
            or not code or 2000 <= code < 3000)


@functools.lru_cache(maxsize=256)
def _values_parts(sql: str) -> Optional[Tuple[str, str, str]]:
    """(head, one row's `(?, ...)`, tail) of an INSERT of one VALUES row, whose rows can be many in one statement."""
    found = re.fullmatch(r"(INSERT INTO \w+ \([^)]*\)\s+VALUES )(\((?:\?, )*\?\))(.*)", sql, re.S)
    return (_pyformat(found.group(1)), _pyformat(found.group(2)), _pyformat(found.group(3))) if found else None


def _errno(exc: BaseException) -> int:
    args = getattr(exc, "args", ())
    return int(args[0]) if args and isinstance(args[0], int) else 0


@functools.lru_cache(maxsize=4096)
def _pyformat(sql: str) -> str:
    """`sql` with each `?` outside a quoted literal as `%s`, and each `%` as `%%` (the drivers format with `%`)."""
    out: List[str] = []
    quote = ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


class MySQLCursor:
    """The driver's cursor in the shape the engine calls (sqlite3's): `execute` returns the cursor."""

    __slots__ = ("_raw", "_conn", "backend", "_waiting")

    def __init__(self, raw: Any, conn: "MySQLConnection", backend: "MySQLBackend") -> None:
        self._raw = raw
        self._conn = conn
        self.backend = backend  # backends.of reads it
        # (flight, first, end): the statements of this cursor's last call, when they went (or wait to go) in a
        # flight among others; None when the raw cursor holds that call's own result.
        self._waiting: Optional[Tuple[int, int, int]] = None

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> "MySQLCursor":
        conn = self._conn
        text = driver.mogrify(self._raw, _pyformat(sql), parameters)
        if sql[0] == "S" and sql.startswith("START"):
            conn.begin()
        elif sql[0] == "I":
            conn.growth.inserting(sql, 1)
        if conn.batching and (sql.startswith(_WAITS) or sql == "COMMIT"):
            self._waiting = conn.wait(self._raw, [text])
            if sql == "COMMIT":
                conn.flight(self._raw)
                conn.batching = False  # statements outside a transaction (one-statement reads) go at once
                conn.open_transaction = False
                conn.committed(self._raw)
            return self
        self._waiting = None
        conn.flight(self._raw, [text])
        if sql == "COMMIT":
            conn.open_transaction = False
            conn.committed(self._raw)
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]]) -> "MySQLCursor":
        rows = [tuple(row) for row in seq_of_parameters]
        if not rows:
            return self
        conn = self._conn
        conn.growth.inserting(sql, len(rows))
        if not conn.batching and _values_parts(sql) is not None:
            self._waiting = None
            conn.flight(self._raw)
            conn.sent(lambda: self._raw.executemany(_pyformat(sql), rows))  # INSERTs of many rows each
            return self
        texts = self._texts(sql, rows)
        if conn.batching:
            self._waiting = conn.wait(self._raw, texts)
        else:  # UPDATEs and DELETEs: every row's statement in one flight
            self._waiting = conn.wait(self._raw, texts)
            conn.flight(self._raw)
        return self

    def _texts(self, sql: str, rows: List[Tuple[Any, ...]]) -> List[driver.Text]:
        """The statements of an executemany, as sent: an INSERT's rows in statements of about MAX_FLIGHT_BYTES,
        any other statement once per row."""
        raw, mogrify = self._raw, driver.mogrify
        parts = _values_parts(sql)
        if parts is None:
            one = _pyformat(sql)
            return [mogrify(raw, one, row) for row in rows]
        head, values, tail = mogrify(raw, parts[0], ()), parts[1], mogrify(raw, parts[2], ())
        texts: List[driver.Text] = []
        chunk: List[driver.Text] = []
        size = 0
        for row in rows:
            value = mogrify(raw, values, row)
            if chunk and size + len(value) > MAX_FLIGHT_BYTES:
                texts.append(driver.join("", [head, driver.join(",", chunk), tail]))
                chunk, size = [], 0
            chunk.append(value)
            size += len(value) + 1
        texts.append(driver.join("", [head, driver.join(",", chunk), tail]))
        return texts

    def fetchone(self) -> Any:
        return self._raw.fetchone()

    def fetchall(self) -> List[Any]:
        return list(self._raw.fetchall())

    def fetchmany(self, size: int = 1) -> List[Any]:
        return list(self._raw.fetchmany(size))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._raw.fetchall())

    @property
    def rowcount(self) -> int:
        if self._waiting is None:
            return int(self._raw.rowcount)
        return sum(count for count, _ in self._conn.results_of(self._raw, self._waiting))

    @property
    def lastrowid(self) -> Optional[int]:
        if self._waiting is None:
            return self._raw.lastrowid
        return self._conn.results_of(self._raw, self._waiting)[-1][1]


class MySQLConnection:
    """One connection of the driver, with the few methods db.Database calls on sqlite3's, and the statements that
    wait to go to the server in one flight (the module's docstring says why). A connection that was lost (a server
    restart, a killed session: told by the error numbers, the same for both drivers) is opened again by the next
    call's first cursor."""

    def __init__(self, raw: Any, backend: "MySQLBackend", reopen: Callable[[], Any]) -> None:
        self.raw = raw
        self.backend = backend
        self._reopen = reopen  # a new session with the same settings, for after this one is lost
        self.batching = False  # whether the running attempt's statements wait for a flight
        self._eager_next = False  # whether the next attempt sends each statement on its own
        self._waiting: List[driver.Text] = []
        self._waiting_bytes = 0
        self._flight = 0  # the number of the flight the waiting statements go in
        self._results: List[Tuple[int, Optional[int]]] = []  # (row count, new id) of each statement of the last
        self._results_flight = -1  # flight sent, and its number
        self.time_limit: Optional[float] = None  # what the statement time limit should be for the next call
        self._session_limit: Optional[float] = None  # what it is
        self.open_transaction = False  # from START TRANSACTION until its COMMIT or ROLLBACK went
        self._lost = False  # whether an error ended the session (`_session_lost`)
        self.growth = TableGrowth()  # what to ANALYZE after a commit (`committed`)

    @property
    def open(self) -> bool:
        return not self._lost and bool(self.raw.open)

    def cursor(self) -> MySQLCursor:
        if not self.open:
            # The call that lost it raised UnavailableError; this one connects again (and raises
            # UnavailableError itself while the server is away). The new session has no time limit yet.
            self.close()
            try:
                self.raw = self._reopen()
            except driver.Error as exc:
                raise errors.UnavailableError(f"cannot reconnect to the MySQL server ({exc})") from exc
            self._waiting, self._waiting_bytes, self._session_limit = [], 0, None
            self._lost = self.open_transaction = False
        return MySQLCursor(driver.cursor(self.raw), self, self.backend)

    def begin(self) -> None:
        """A new attempt: its statements wait for flights, unless it follows one whose flight failed."""
        self.batching, self._eager_next = not self._eager_next, False
        self._waiting, self._waiting_bytes = [], 0
        self.open_transaction = True
        self.growth.begin()

    def committed(self, raw_cursor: Any) -> None:
        """After a commit: ANALYZE TABLE for each table this connection has doubled since its last statistics
        (table_growth.py says why; the rows a table held then are information_schema's TABLE_ROWS, InnoDB's
        estimate). InnoDB recalculates them by itself, but later, in the background: a store just filled had
        its uri prefixes read by walking the primary key."""
        def table_rows() -> Dict[str, float]:
            raw_cursor.execute("SELECT table_name, table_rows FROM information_schema.tables "
                               "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'")
            return {str(name): float(rows or 0) for name, rows in raw_cursor.fetchall()}

        try:
            due = self.growth.committed(table_rows)
            if due:
                raw_cursor.execute(f"ANALYZE TABLE {', '.join(due)}")
                raw_cursor.fetchall()
                self.growth.analyzed(due)
        except driver.Error as exc:  # the write is committed; a refused ANALYZE changes nothing
            if _session_lost(exc):
                self._lost = True  # the next call's first cursor connects again

    def wait(self, raw_cursor: Any, texts: List[driver.Text]) -> Tuple[int, int, int]:
        """Adds statements to the next flight; returns where their results will be (`results_of`). Statements
        too large for one flight go now, in flights of their own, their results gathered as one flight's."""
        size = sum(map(len, texts))
        if self._waiting and self._waiting_bytes + size > MAX_FLIGHT_BYTES:
            self.flight(raw_cursor)
        if size > MAX_FLIGHT_BYTES:
            results: List[Tuple[int, Optional[int]]] = []
            group: List[driver.Text] = []
            for text in texts:
                group.append(text)
                if sum(map(len, group)) > MAX_FLIGHT_BYTES or text is texts[-1]:
                    self.flight(raw_cursor, group)
                    results += self._results
                    group = []
            self._results = results
            return self._results_flight, 0, len(results)
        first = len(self._waiting)
        self._waiting += texts
        self._waiting_bytes += size
        return self._flight, first, len(self._waiting)

    def results_of(self, raw_cursor: Any, where: Tuple[int, int, int]) -> List[Tuple[int, Optional[int]]]:
        """The (row count, new id) of each statement at `where`, sending their flight if it waits still."""
        flight, first, end = where
        if flight == self._flight:
            self.flight(raw_cursor)
        assert flight == self._results_flight, "a statement's results were asked after a later flight"
        return self._results[first:end]

    def flight(self, raw_cursor: Any, last: Sequence[driver.Text] = ()) -> None:
        """Sends the waiting statements and `last` in one packet through `raw_cursor`, and reads every result: the
        raw cursor then holds the last statement's."""
        texts = self._waiting + list(last)
        self._waiting, self._waiting_bytes = [], 0
        limit_set = 0  # results the flight's own statements do not have: the time limit's SET, when it goes
        if self.time_limit != self._session_limit:
            texts.insert(0, driver.mogrify(raw_cursor, self.backend.time_limit_statement(self.time_limit), ()))
            self._session_limit = self.time_limit
            limit_set = 1
        if not texts:
            return
        results: List[Tuple[int, Optional[int]]] = []

        def send() -> None:
            raw_cursor.execute(driver.join(";\n", texts) if len(texts) > 1 else texts[0])
            results.append((raw_cursor.rowcount, raw_cursor.lastrowid))
            for _ in texts[1:]:  # one result each; asking past the last would drop its rows (mysqlclient)
                raw_cursor.nextset()
                results.append((raw_cursor.rowcount, raw_cursor.lastrowid))

        try:
            self.sent(send)
        finally:
            self._results, self._results_flight = results[limit_set:], self._flight
            self._flight += 1

    def sent(self, send: Any) -> None:
        """Runs `send()`; a server error of a batching attempt becomes RunAgain (the module's docstring says why)."""
        try:
            send()
        except driver.Error as exc:
            if _session_lost(exc):
                self._lost = True  # the next call's first cursor connects again
            if not self.batching or _same_wherever_seen(exc):
                raise
            self._eager_next = True
            raise RunAgain(f"a statement sent in one flight with others failed; running the attempt again with "
                           f"each statement on its own ({exc})") from exc

    @property
    def in_transaction(self) -> bool:
        # A lost session has no transaction left to roll back. Tracked here, not read from the server's status,
        # which mysqlclient does not show: after an error that ended the transaction, its ROLLBACK is a no-op.
        return self.open and (bool(self._waiting) or self.open_transaction)

    def rollback(self) -> None:
        self._waiting, self._waiting_bytes = [], 0
        self.batching = False
        if self.open and self.open_transaction:
            self.open_transaction = False
            try:
                self.raw.rollback()
            except driver.Error as exc:
                if not _session_lost(exc):
                    raise
                self._lost = True

    def close(self) -> None:
        if self.raw.open:
            try:
                self.raw.close()
            except driver.Error:
                pass  # a lost session: nothing of it is left to close


class MySQLBackend(LockedRowBackend):
    """MySQL 5.7+/8 and MariaDB 10.x (mysqlclient or PyMySQL)."""

    name = "mysql"
    Error = driver.Error
    IntegrityError = driver.IntegrityError
    OperationalError = driver.OperationalError
    driver = driver.NAME  # the client library the process speaks through, "mysqlclient" or "pymysql" (last: it
    # shadows the module in this class body)
    begin_write = "START TRANSACTION"
    begin_read = "START TRANSACTION"
    commit = "COMMIT"
    # Locks the row until the call commits or rolls back, and counts the write (data_version reads the count).
    write_lock = f"UPDATE {mysql_schema.WRITE_LOCK_TABLE} SET writes = writes + 1 WHERE id = 1"
    write_lock_table = mysql_schema.WRITE_LOCK_TABLE
    schema_tables = mysql_schema.TABLES

    def __init__(self, mariadb: bool, collation: str) -> None:
        self.mariadb = mariadb
        self.collation = collation
        self.words = MySQLWords()
        self._migrations = tuple(
            Migration(m.version, m.description, mysql_schema.with_collation(m.upgrade, collation),
                      mysql_schema.with_collation(m.downgrade, collation), m.builds_word_index)
            for m in mysql_schema.MIGRATIONS)

    # Connections ---------------------------------------------------------------------------------------------
    def classify(self, exc: BaseException) -> errors.StatusError:
        code, text = _errno(exc), str(exc)
        if code in (ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR):
            return errors.DataLossError(
                f"the store's tables are not those of fastmlmd schema version {SCHEMA_VERSION} ({text}); the "
                "database was changed by another program")
        if code in (ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT):
            return errors.AbortedError(f"the call lost a lock to another connection ({text})")
        if code in CONNECTION_LOST or isinstance(
                exc, driver.InterfaceError):  # the driver's own: its connection was closed
            return errors.UnavailableError(f"the connection to the server was lost ({text})")
        return errors.InternalError(f"Error when executing query: {text}")

    def is_busy(self, exc: BaseException) -> bool:
        # The server rolled the attempt back (or an attempt's flight failed): run it again, within the call's
        # deadline.
        return isinstance(exc, RunAgain) or _errno(exc) in (ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT)

    def watch_time_limit(self, conn: Any, past_limit: Any) -> None:
        pass  # the server stops statements itself (set_time_limit)

    def set_time_limit(self, conn: Any, seconds: Optional[float]) -> None:
        conn.time_limit = seconds  # set in the connection's next flight, where it changes

    def time_limit_statement(self, seconds: Optional[float]) -> str:
        """The SET of the session's statement time limit (None: no limit)."""
        if seconds is not None:
            seconds = min(seconds, MAX_STATEMENT_SECONDS)
        if self.mariadb:
            return f"SET SESSION max_statement_time = {0 if seconds is None else max(seconds, 0.001):.3f}"
        return f"SET SESSION max_execution_time = {0 if seconds is None else max(int(seconds * 1000), 1)}"

    def interrupted(self, exc: BaseException) -> bool:
        return _errno(exc) in (ER_STATEMENT_TIMEOUT, ER_QUERY_TIMEOUT)

    def joins_blobs(self, cur: Cursor) -> bool:
        return False  # GROUP_CONCAT stops at group_concat_max_len

    # Schema --------------------------------------------------------------------------------------------------
    def table_names(self, cur: Cursor) -> List[str]:
        # The write lock's table is the backend's own, not the store's (mysql_schema.py).
        return [row[0] for row in cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name != ?",
            (mysql_schema.WRITE_LOCK_TABLE,))]

    # Statements ----------------------------------------------------------------------------------------------
    def insert_id(self, cur: Cursor, sql: str, params: Sequence[object]) -> int:
        return int(cur.execute(sql, params).lastrowid)

    @functools.lru_cache(maxsize=256)  # noqa: B019
    def insert_or_ignore(self, table: str, columns: Sequence[str]) -> str:
        # Not INSERT IGNORE: it would turn every other error into a warning too.
        return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                f"ON DUPLICATE KEY UPDATE {columns[0]} = {columns[0]}")

    @functools.lru_cache(maxsize=256)  # noqa: B019
    def upsert(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        rest = [column for column in columns if column not in key]
        return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                f"ON DUPLICATE KEY UPDATE {', '.join(f'{c} = VALUES({c})' for c in rest)}")

    def frontier_in(self) -> str:
        return f"IN (SELECT value FROM {self.frontier('f')})"

    def frontier(self, alias: str) -> str:
        return f"JSON_TABLE(?, '$[*]' COLUMNS (value BIGINT PATH '$')) AS {alias}"

    def frontier_value(self, ids: Iterable[int]) -> object:
        return json.dumps(sorted(int(i) for i in ids))

    @functools.lru_cache(maxsize=256)  # noqa: B019
    def events_sql(self, column: str, count: int, join_in_sql: bool) -> str:
        assert column in ("artifact_id", "execution_id") and not join_in_sql
        order = "e.artifact_id, e.execution_id, e.type" if column == "artifact_id" else "e.execution_id, e.id"
        return (f"SELECT e.body, e.id FROM event AS e WHERE e.{column} IN ({', '.join('?' * count)}) "
                f"ORDER BY {order}")

    # Filters -------------------------------------------------------------------------------------------------
    def probe(self, select_rest: str) -> str:
        # MySQL 8 merges an EXISTS into the statement's join as a semi-join; with a probe per group of a filter
        # the join then grows past what its optimizer can order in time (40 tables: minutes) and past its 61
        # tables. The hint keeps each probe a subquery (MySQL 8, MariaDB 12); MariaDB 10 and 11 read no hints
        # and are told by the session instead (exists_to_in=off, `connect`).
        return f"EXISTS (SELECT /*+ NO_SEMIJOIN() */ 1 {select_rest})"

    def like(self, operand: str, pattern: str, negated: bool) -> str:
        return mysql_like.like(operand, pattern, negated)

    def search_like(self, column: str, pattern: str, negated: bool) -> Tuple[str, int]:
        # The column's lowered twin (mysql_schema.FOLDED, version 14): a prefix pattern seeks its index.
        return mysql_like.search_like(column, pattern, negated), 2

    def union_all(self, selects: Sequence[str]) -> str:
        # A UNION straight in `n.id IN (...)` is run again for every node of a scan (MariaDB cannot make a
        # semi-join of it); a derived table of it is made once and joined by the primary key.
        return f"SELECT id FROM ({' UNION ALL '.join(selects)}) AS u"

    # Planner hints -------------------------------------------------------------------------------------------
    # A type test (`n.type_id IN (SELECT ... FROM type ...)`) is otherwise made a semi-join that reads the type
    # first, and then every node of that type, to sort them: a walk of half the table for one page.
    walk_select = "SELECT STRAIGHT_JOIN"
    # A sort of rows that hold a BLOB goes through an on-disk temporary table: sorting the ids of a type's 320
    # artifacts and then reading 100 bodies by id costs half the time of sorting the rows (1.0-1.3 ms to 0.55).
    sorts_ids_apart = True
    # The union's derived table (union_all) is built whole before a dive's LIMIT: 40 ms for 64 rows of a union
    # whose SELECTs each stop at 64 rows in under a millisecond.
    dives_union_by_branch = True

    def walk_in_order(self, table: str, alias: str, order_column: str) -> str:
        index = "PRIMARY" if order_column == "id" else f"{table}_{order_column}"
        return f"{table} {alias} FORCE INDEX ({index})"

    # Reading plans -------------------------------------------------------------------------------------------
    def plan_details(self, cur: Cursor, sql: str, params: Sequence[object]) -> Tuple[str, ...]:
        # (id, select_type, table, type, possible_keys, key, key_len, ref, rows, Extra)
        return tuple(f"{row[2]} {row[3]} key={row[5]} {row[9] or ''}".strip()
                     for row in cur.execute("EXPLAIN " + sql, params))

    def plan_seeks(self, details: Sequence[str]) -> bool:
        # "index" reads a whole index in its order: a scan too (a LIKE on every node's uri, in id order).
        return not any(d.split()[1:2] in (["ALL"], ["index"]) and not d.startswith("<") for d in details)

    def plan_depends_on_values(self, sql: str) -> bool:
        # A LIKE on a lowered twin seeks its index for a prefix pattern and scans for any other.
        return f"{mysql_schema.FOLDED} LIKE " in sql

    def plan_sorts(self, details: Sequence[str]) -> bool:
        return any("filesort" in d or "temporary" in d for d in details)

    def plan_carries_rows(self, details: Sequence[str]) -> bool:
        # "Using temporary": the rows (a BLOB among them) go through a temporary table, which MariaDB keeps on
        # disk; a duplicate weedout's "Start temporary" holds row ids only.
        return any("Using temporary" in d for d in details)


_BACKENDS: dict = {}


def backend_for(mariadb: bool, collation: str) -> MySQLBackend:
    """The backend of one server kind (one object per kind: plan caches are keyed by it)."""
    key = (mariadb, collation)
    found = _BACKENDS.get(key)
    if found is None:
        found = _BACKENDS[key] = MySQLBackend(mariadb, collation)
    return found


def connect(config: Any, on_open: Optional[Callable[[MySQLConnection], None]] = None
            ) -> Tuple[MySQLConnection, MySQLBackend]:
    """A connection to the store MLMD's `MySQLDatabaseConfig` names, the database created unless
    `skip_db_creation`; failures raise RuntimeError, as MLMD's constructor does. `on_open` sees the connection
    before anything of ours is written to the database (mysql_mlmd.py's check for a store MLMD made)."""
    connection, backend = session(config, create_database=not config.skip_db_creation)
    try:
        if on_open is not None:
            on_open(connection)
        cur = connection.raw.cursor()
        for statement in mysql_schema.WRITE_LOCK_STATEMENTS:
            cur.execute(statement)
    except driver.Error as exc:
        connection.close()
        raise _connect_failed(config, exc) from exc
    except BaseException:
        connection.close()
        raise
    return connection, backend


def session(config: Any, create_database: bool, database: Optional[str] = None, text_as_mlmd: bool = False
            ) -> Tuple[MySQLConnection, MySQLBackend]:
    """A session on `database` (the config's by default), set up as the engine's statements expect, with nothing
    written to the database; failures raise RuntimeError. With `text_as_mlmd`, text comes as MLMD's own client
    gets it: the bytes of a latin1 session, undecoded (mysql_mlmd.py says why)."""
    database = database or config.database
    if not database:
        raise RuntimeError("MySQLDatabaseConfig.database is required: the name of the store's database")
    ssl = None
    if config.HasField("ssl_options"):
        options = config.ssl_options
        ssl = {key: getattr(options, key) for key in ("key", "cert", "ca", "capath", "cipher")
               if options.HasField(key)}
        ssl["verify_server_cert"] = bool(options.verify_server_cert)
    settings = dict(host=config.host or "localhost", port=int(config.port or 3306), user=config.user or None,
                    password=config.password or "", unix_socket=config.socket or None, ssl=ssl,
                    charset="latin1" if text_as_mlmd else "utf8mb4", use_unicode=not text_as_mlmd)
    try:
        raw, mariadb = _open(settings, database, create_database, text_as_mlmd)
    except driver.Error as exc:
        raise _connect_failed(config, exc, database) from exc
    backend = backend_for(mariadb, _collation(mariadb))
    return MySQLConnection(raw, backend, lambda: _open(settings, database, False, text_as_mlmd)[0]), backend


def _open(settings: Dict[str, Any], database: str, create: bool, text_as_mlmd: bool) -> Tuple[Any, bool]:
    """A session on `database` (made first with `create`), set up as the engine's statements expect, and whether
    the server is MariaDB; also what a connection that was lost opens again."""
    raw = driver.connect(**settings)
    cur = raw.cursor()
    if create:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{identifier(database)}`")
    cur.execute(f"USE `{identifier(database)}`")
    cur.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'")
    cur.execute("SELECT VERSION()")
    mariadb = "mariadb" in str((cur.fetchone() or ("",))[0]).lower()
    if not text_as_mlmd:  # a session reading MLMD's latin1 text keeps its own character set
        # Literals compare as the columns do, byte for byte (the server's default collation ignores case).
        cur.execute(f"SET NAMES utf8mb4 COLLATE {_collation(mariadb)}")
        if mariadb:  # a filter's EXISTS probes stay subqueries (MySQLBackend.probe says why)
            cur.execute("SET SESSION optimizer_switch = 'exists_to_in=off'")
    return raw, mariadb


def _collation(mariadb: bool) -> str:
    """The server's no-pad binary collation of utf8mb4: the text columns' and the session literals'."""
    return "utf8mb4_nopad_bin" if mariadb else "utf8mb4_0900_bin"


def _connect_failed(config: Any, exc: BaseException, database: str = "") -> RuntimeError:
    # MLMD's words first.
    return RuntimeError(f"mysql_real_connect failed: errno: {_errno(exc)}, error: {exc} (the MySQL server at "
                        f"{config.host or 'localhost'}:{config.port or 3306}, database "
                        f"{database or config.database!r})")


def identifier(name: str) -> str:
    """`name` for between backquotes; refuses one that cannot be."""
    if "`" in name or "\x00" in name:
        raise RuntimeError(f"the database name {name!r} holds a backquote or NUL")
    return name

"""MySQL and MariaDB through PyMySQL (`pip install fastmlmd[mysql]`): every fact of them the engine needs.

The engine's statements use `?` placeholders; PyMySQL takes `%s` (and reads `%` as its own), so each
statement text is turned into PyMySQL's form once (`_pyformat`, cached). The engine calls the cursor as it
calls sqlite3's (`execute` returns the cursor): `MySQLCursor` wraps PyMySQL's to that shape.

Transactions: the connection runs in autocommit, each call in START TRANSACTION ... COMMIT; a write first
locks the one row of `fastmlmd_write_lock`, so writers take turns as they do on SQLite (ids are allocated
as max(id) + 1 within the call). Errors are classified by the server's error number, never its message. The
query time limit is MariaDB's `max_statement_time` (seconds) or MySQL's `max_execution_time` (milliseconds,
SELECTs only), set for a limited call and reset after it.

Not yet here (issue 12): MLMD's ASCII-case-insensitive LIKE (the binary collation makes LIKE
case-sensitive), reconnecting after a dropped connection, retries of deadlocks within the deadline beyond
the lock waits, index hints beyond walking an order, and mysqlclient.
"""
from __future__ import annotations

import functools
import json
from typing import Any, Iterable, Iterator, List, Optional, Sequence, Tuple

from .. import errors
from ..schema import SCHEMA_VERSION, Migration
from . import mysql_schema
from .base import Cursor
from .locked_row import LockedRowBackend

try:
    import pymysql
    from pymysql.constants import SERVER_STATUS
except ImportError as exc:  # pragma: no cover - the message is what matters
    raise RuntimeError("The mysql backend needs PyMySQL: pip install 'fastmlmd[mysql]'") from exc

# Server error numbers that `classify` tells apart (mysqld_error.h, errmsg.h).
ER_DUP_ENTRY = 1062
ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK = 1205, 1213
ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR = 1146, 1054
ER_STATEMENT_TIMEOUT, ER_QUERY_TIMEOUT = 1969, 3024  # MariaDB's and MySQL's
ER_DATA_TOO_LONG, ER_TRUNCATED_WRONG_VALUE = 1406, 1366
CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST = 2003, 2006, 2013
ER_ACCESS_DENIED, ER_BAD_DB_ERROR = 1045, 1049
# The largest statement time limit MariaDB accepts (a year); a longer limit is none in practice.
MAX_STATEMENT_SECONDS = 31536000.0


def _errno(exc: BaseException) -> int:
    args = getattr(exc, "args", ())
    return int(args[0]) if args and isinstance(args[0], int) else 0


@functools.lru_cache(maxsize=4096)
def _pyformat(sql: str) -> str:
    """`sql` with each `?` outside a quoted literal as `%s`, and each `%` as `%%` (PyMySQL formats with `%`)."""
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
    """PyMySQL's cursor in the shape the engine calls (sqlite3's): `execute` returns the cursor."""

    __slots__ = ("_raw", "backend")

    def __init__(self, raw: Any, backend: "MySQLBackend") -> None:
        self._raw = raw
        self.backend = backend  # backends.of reads it

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> "MySQLCursor":
        self._raw.execute(_pyformat(sql), tuple(parameters))
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]]) -> "MySQLCursor":
        rows = [tuple(row) for row in seq_of_parameters]
        if rows:  # PyMySQL turns an INSERT ... VALUES of many rows into one statement
            self._raw.executemany(_pyformat(sql), rows)
        return self

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
        return int(self._raw.rowcount)

    @property
    def lastrowid(self) -> Optional[int]:
        return self._raw.lastrowid


class MySQLConnection:
    """One PyMySQL connection, with the few methods db.Database calls on sqlite3's."""

    def __init__(self, raw: Any, backend: "MySQLBackend") -> None:
        self.raw = raw
        self.backend = backend

    def cursor(self) -> MySQLCursor:
        return MySQLCursor(self.raw.cursor(), self.backend)

    @property
    def in_transaction(self) -> bool:
        return bool(self.raw.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS)

    def rollback(self) -> None:
        self.raw.rollback()

    def close(self) -> None:
        self.raw.close()


class MySQLBackend(LockedRowBackend):
    """MySQL 5.7+/8 and MariaDB 10.x (PyMySQL)."""

    name = "mysql"
    Error = pymysql.Error
    IntegrityError = pymysql.IntegrityError
    OperationalError = pymysql.OperationalError
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
        if code in (CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST):
            return errors.UnavailableError(f"the connection to the server was lost ({text})")
        return errors.InternalError(f"Error when executing query: {text}")

    def is_busy(self, exc: BaseException) -> bool:
        # The server rolled the attempt back: run it again, within the call's deadline.
        return _errno(exc) in (ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT)

    def watch_time_limit(self, conn: Any, past_limit: Any) -> None:
        pass  # the server stops statements itself (set_time_limit)

    def set_time_limit(self, conn: Any, seconds: Optional[float]) -> None:
        cur = conn.raw.cursor()
        if seconds is not None:
            seconds = min(seconds, MAX_STATEMENT_SECONDS)
        if self.mariadb:
            cur.execute(f"SET SESSION max_statement_time = {0 if seconds is None else max(seconds, 0.001):.3f}")
        else:
            cur.execute(f"SET SESSION max_execution_time = {0 if seconds is None else max(int(seconds * 1000), 1)}")

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

    # Planner hints -------------------------------------------------------------------------------------------
    def walk_in_order(self, table: str, alias: str, order_column: str) -> str:
        index = "PRIMARY" if order_column == "id" else f"{table}_{order_column}"
        return f"{table} {alias} FORCE INDEX ({index})"

    # Reading plans -------------------------------------------------------------------------------------------
    def plan_details(self, cur: Cursor, sql: str, params: Sequence[object]) -> Tuple[str, ...]:
        # (id, select_type, table, type, possible_keys, key, key_len, ref, rows, Extra)
        return tuple(f"{row[2]} {row[3]} key={row[5]} {row[9] or ''}".strip()
                     for row in cur.execute("EXPLAIN " + sql, params))

    def plan_seeks(self, details: Sequence[str]) -> bool:
        return not any(d.split()[1:2] == ["ALL"] and not d.startswith("<") for d in details)

    def plan_sorts(self, details: Sequence[str]) -> bool:
        return any("filesort" in d or "temporary" in d for d in details)


_BACKENDS: dict = {}


def backend_for(mariadb: bool, collation: str) -> MySQLBackend:
    """The backend of one server kind (one object per kind: plan caches are keyed by it)."""
    key = (mariadb, collation)
    found = _BACKENDS.get(key)
    if found is None:
        found = _BACKENDS[key] = MySQLBackend(mariadb, collation)
    return found


def connect(config: Any) -> Tuple[MySQLConnection, MySQLBackend]:
    """A connection to the store MLMD's `MySQLDatabaseConfig` names, the database created unless
    `skip_db_creation`; failures raise RuntimeError, as MLMD's constructor does."""
    database = config.database
    if not database:
        raise RuntimeError("MySQLDatabaseConfig.database is required: the name of the store's database")
    ssl = None
    if config.HasField("ssl_options"):
        options = config.ssl_options
        ssl = {key: getattr(options, key) for key in ("key", "cert", "ca", "capath", "cipher")
               if options.HasField(key)}
        ssl["check_hostname"] = bool(options.verify_server_cert)
    try:
        raw = pymysql.connect(
            host=config.host or "localhost", port=int(config.port or 3306), user=config.user or None,
            password=config.password or "", unix_socket=config.socket or None, ssl=ssl, autocommit=True,
            charset="utf8mb4", binary_prefix=True)
        cur = raw.cursor()
        if not config.skip_db_creation:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{_identifier(database)}`")
        cur.execute(f"USE `{_identifier(database)}`")
        cur.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'")
        for statement in mysql_schema.WRITE_LOCK_STATEMENTS:
            cur.execute(statement)
        cur.execute("SELECT VERSION()")
        mariadb = "mariadb" in str((cur.fetchone() or ("",))[0]).lower()
    except pymysql.Error as exc:
        # MLMD's words first.
        raise RuntimeError(f"mysql_real_connect failed: errno: {_errno(exc)}, error: {exc} (the MySQL server at "
                           f"{config.host or 'localhost'}:{config.port or 3306}, database {database!r})") from exc
    backend = backend_for(mariadb, "utf8mb4_nopad_bin" if mariadb else "utf8mb4_0900_bin")
    return MySQLConnection(raw, backend), backend


def _identifier(name: str) -> str:
    if "`" in name or "\x00" in name:
        raise RuntimeError(f"the database name {name!r} holds a backquote or NUL")
    return name

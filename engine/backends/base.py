"""The backend seam: what the engine asks of a database, and how it finds the backend of a cursor.

Everything the engine writes is SQL that SQLite, MySQL/MariaDB and PostgreSQL all read the same way, with
`?` placeholders; a backend whose driver takes another paramstyle turns each statement text into its own
once (cached). What differs between databases is asked of the `Backend`, one module per database
(backends/sqlite.py, ...): connecting and transactions, error classification by the driver's codes, the
query time limit, the schema and its migrations, id allocation, upserts, the lineage frontier parameter,
planner hints and reading plans, and how another connection's commit is noticed.

A backend object is a stateless singleton per database kind (the state of one connection lives in
db.Database), so it can key caches: a filter's plan (planner._PLANS) and a statement's plan reading
(access.PLANS) are kept per backend. Engine functions receive a cursor; `of(cur)` finds its backend by the
cursor's class in one dictionary lookup, so the SQLite fast path keeps its driver's own cursor.
"""
from __future__ import annotations

from typing import (TYPE_CHECKING, Any, Callable, Dict, Hashable, Iterable, Iterator, List, Optional, Protocol,
                    Sequence, Tuple, Type)

from .. import errors
from ..catalog import PropertyType

if TYPE_CHECKING:
    from ..catalog import NodeLayout
    from ..schema import Migration


class Cursor(Protocol):
    """The DB-API cursor the engine uses (sqlite3's shape: `execute` returns the cursor)."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, __sql: str, __parameters: Any = ...) -> Any: ...

    def executemany(self, __sql: str, __seq_of_parameters: Any) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> List[Any]: ...

    def fetchmany(self, size: int = ...) -> List[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Backend:
    """One database kind: every fact of it the engine needs, as statements to run or decisions to make.

    Subclasses fill in each attribute and method; the defaults here are the standard-SQL ones.
    """

    name = "abstract"
    # The driver's exception classes, for `except` clauses (evaluated only when an exception is raised).
    Error: Type[BaseException] = Exception
    IntegrityError: Type[BaseException] = Exception
    OperationalError: Type[BaseException] = Exception
    # Transaction statements: a write takes the write lock up front, so it never fails half-way for lack of it.
    begin_write = "BEGIN"
    begin_read = "BEGIN"
    commit = "COMMIT"
    # Run after `begin_write` where the database has no write lock of its own to take at BEGIN: it makes
    # writers take turns, as SQLite's single writer does (ids are allocated as max(id) + 1).
    write_lock: Optional[str] = None
    # Called with a call's time limit (seconds) before a limited call and None after it, where the database
    # stops statements by a setting rather than by `watch_time_limit`'s callback; None where it does not.
    set_time_limit: Optional[Callable[[Any, Optional[float]], None]] = None

    # Connections ---------------------------------------------------------------------------------------------
    def classify(self, exc: BaseException) -> errors.StatusError:
        """The engine error for a driver error, decided by the driver's error code, never its message."""
        raise NotImplementedError

    def is_busy(self, exc: BaseException) -> bool:
        """Whether `exc` says another connection holds a lock this call waits for (retried within the call)."""
        raise NotImplementedError

    def watch_time_limit(self, conn: Any, past_limit: Callable[[], int]) -> None:
        """Arranges, once per connection, that a running statement stops when `past_limit()` says so."""
        raise NotImplementedError

    def interrupted(self, exc: BaseException) -> bool:
        """Whether `exc` is a statement stopped by the time limit."""
        raise NotImplementedError

    def data_version(self, cur: Cursor) -> Hashable:
        """A value that changes when another connection commits: caches of stored data compare it."""
        raise NotImplementedError

    # A SELECT of the one value `data_version` returns, where that is a plain query (the servers): a read that is
    # a round trip anyway carries it as a scalar subquery (engine/lineage.py). None where it is not.
    data_version_select: Optional[str] = None

    def joins_blobs(self, cur: Cursor) -> bool:
        """Whether the database can join encoded bodies into one value in SQL (`events_sql` with join_in_sql)."""
        return False

    # Schema --------------------------------------------------------------------------------------------------
    def migrations(self) -> "Tuple[Migration, ...]":
        """This database's statements for every schema version, in order (schema.SCHEMA_VERSION is the last)."""
        raise NotImplementedError

    def table_names(self, cur: Cursor) -> List[str]:
        """The tables of the database the cursor reads."""
        raise NotImplementedError

    def check_schema(self, cur: Cursor) -> None:
        """Raises DataLossError when a table or index of the current schema is missing or was altered."""
        raise NotImplementedError

    # Statements ----------------------------------------------------------------------------------------------
    def next_id(self, table: str) -> str:
        """A scalar subquery: the first id the call's new rows of `table` take (ids are allocated by the engine,
        in order, before the rows are written: each row's encoded body holds its id). For a node table
        (schema.HIGH_WATER_NODE_TABLES) it is past every id ever deleted from it too: max(max(id),
        deleted_to) + 1, with `deleted_to` read from schema.HIGH_WATER_TABLE."""
        raise NotImplementedError

    def insert_id(self, cur: Cursor, sql: str, params: Sequence[object]) -> int:
        """Runs an INSERT of one row whose id the database allocates; returns that id."""
        raise NotImplementedError

    def next_ids(self, layout: "NodeLayout") -> str:
        """Two result columns, read in the statement that allocates the ids: the first id the call's new nodes
        of `layout` take (as `next_id`), and the id from which the word index takes in new nodes (NULL without
        one): a call whose last new id reaches it runs `words.index_pending`."""
        raise NotImplementedError

    def insert_or_ignore(self, table: str, columns: Sequence[str]) -> str:
        """An INSERT of one row (`?` per column; `columns` a tuple) that leaves an existing row with the same key
        as it is."""
        raise NotImplementedError

    def insert_where_stored(self, table: str, columns: Sequence[str], parents: Sequence[Tuple[int, str]],
                            or_ignore: bool) -> Optional[str]:
        """An INSERT of one row (`?` per column, as `insert_or_ignore`) that is left out unless each (column index,
        table) of `parents` names a stored row of that table: the existence checks of a link run in
        the statement that writes it, instead of a read before. With `or_ignore`, an existing row with the same
        key is left as it is. The engine counts the rows written and looks up why only when some are missing.
        None where a statement per row costs a round trip: the engine then reads the ids first and writes every
        row in one statement."""
        return None

    def upsert(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """An INSERT of one row that replaces the row with the same `key` when there is one."""
        raise NotImplementedError

    def insert_properties(self, cur: Cursor, table: str, rows: Sequence[tuple], replace: bool) -> None:
        """Writes property rows as rowcore.property_rows makes them, (node_id, is_custom, name, kind, value): each
        value in its kind's column (int_value, double_value, string_value, bool_value). With `replace`, a row
        with the same (node_id, is_custom, name) is replaced.

        Here each value is spread over the four columns in Python, and the drivers that send an INSERT of plain
        VALUES for many rows as one statement (PyMySQL, our psycopg cursor) keep it one round trip."""
        columns = PROPERTY_COLUMNS
        sql = (self.upsert(table, columns, columns[:3]) if replace
               else f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})")
        cur.executemany(sql, [property_columns(row) for row in rows])

    # Whether a lineage walk reads many hops in one statement, and its whole result in one more (engine/lineage.py):
    # where each statement costs a round trip to a server. SQLite reads a hop a statement, from its own indexes.
    walks_in_sql = False
    # Whether a recursive query may name itself only once (PostgreSQL): the walk's steps then go in a LATERAL
    # subquery; elsewhere each step is a SELECT of its own.
    one_recursive_reference = False

    def frontier_in(self) -> str:
        """`IN (...)` of the node ids of one bound parameter (`frontier_value`): a lineage hop's whole frontier."""
        raise NotImplementedError

    def in_select(self, select: str) -> str:
        """`IN (select)` of node ids a subquery of the statement selects (a lineage walk's nodes), in the form the
        database seeks an index with for each id, whatever it estimates the subquery returns."""
        return f"IN ({select})"

    def frontier(self, alias: str) -> str:
        """A FROM item `alias` with one column `value`: the node ids of one bound parameter (`frontier_value`)."""
        raise NotImplementedError

    def frontier_value(self, ids: Iterable[int]) -> object:
        """The parameter `frontier` reads: a set of node ids as one value."""
        raise NotImplementedError

    def events_sql(self, column: str, count: int, join_in_sql: bool) -> str:
        """The events of `count` node ids of `column` (links.events_by_node): one row (count, joined bodies,
        ids as text) with `join_in_sql`, else a row (body, id) per event."""
        raise NotImplementedError

    # Filters ---------------------------------------------------------------------------------------------------
    def probe(self, select_rest: str) -> str:
        """`EXISTS (SELECT 1 <select_rest>)`, a test of one node that the database runs as its own subquery, a few
        index seeks from that node (the access planner's probe), never merged into the statement's join."""
        return f"EXISTS (SELECT 1 {select_rest})"

    def like(self, operand: str, pattern: str, negated: bool) -> str:
        """MLMD's LIKE (SQLite's: ASCII letters match either case, no escape character) of two SQL expressions."""
        return f"{operand} {'NOT LIKE' if negated else 'LIKE'} {pattern}"

    def search_like(self, column: str, pattern: str, negated: bool) -> Tuple[str, int]:
        """`like` of a node's uri or name (`column`, `alias.uri`), which a backend may answer from an index of its
        own: the condition, and how many times it reads `pattern` (the planner binds its parameters that often)."""
        return self.like(column, pattern, negated), 1

    def union_all(self, selects: Sequence[str]) -> str:
        """The SELECTs of ids (each `SELECT ... AS id`) as one SELECT of them all, to stand in `n.id IN (...)`."""
        return " UNION ALL ".join(selects)

    def truth(self, column: str) -> str:
        """A stored bool (an integer column, 0 or 1) as a condition."""
        return column

    def bool_literal(self, value: bool) -> str:
        """TRUE or FALSE as a condition that compares with `truth`'s."""
        return "1" if value else "0"

    # Planner hints: the access planner decides in neutral terms, the backend says it in its dialect ------------
    def no_index(self, expression: str) -> str:
        """`expression` compared as it is, but never through an index."""
        return expression

    # The SELECT of a listing that walks its order (walk_in_order): the walked table stays the first one read.
    walk_select = "SELECT"
    # Whether a listing that sorts its matches picks its page's ids first and reads their bodies after, by id
    # (reads._listing_text): a database that would sort the bodies along with the ids says so.
    sorts_ids_apart = False
    # Whether the access planner counts a union's rows a SELECT at a time (access._dive_candidate): a database
    # that builds a union whole before the LIMIT of a count stops it says so.
    dives_union_by_branch = False

    def walk_in_order(self, table: str, alias: str, order_column: str) -> str:
        """The FROM item that walks `table` in `order_column`'s order, whatever index the WHERE clause offers."""
        return f"{table} {alias}"

    # Reading plans -------------------------------------------------------------------------------------------
    def plan_details(self, cur: Cursor, sql: str, params: Sequence[object]) -> Tuple[str, ...]:
        """The database's plan of a statement, a line per step."""
        raise NotImplementedError

    def plan_seeks(self, details: Sequence[str]) -> bool:
        """Whether a plan (`plan_details`) reads every row through an index: no table is scanned."""
        raise NotImplementedError

    def plan_sorts(self, details: Sequence[str]) -> bool:
        """Whether a plan collects its rows to sort them (it cannot stop at its LIMIT)."""
        raise NotImplementedError

    def plan_carries_rows(self, details: Sequence[str]) -> bool:
        """Whether a plan copies its result rows, bodies included, through a temporary table (where
        `sorts_ids_apart` says that costs more than reading the bodies by id after)."""
        return False

    def plan_depends_on_values(self, sql: str) -> bool:
        """Whether the plan of `sql` may change with its parameters' values (then it is not kept by text)."""
        return False

    # The word index (contains- and suffix-LIKE): None where the backend keeps none -----------------------------
    words: Any = None  # sqlite_words.py, or an object with its functions (mysql_words.MySQLWords)

    def __repr__(self) -> str:
        return f"<{self.name} backend>"


_BY_CURSOR: Dict[type, Backend] = {}


def register_cursor(cursor_class: type, backend: Backend) -> None:
    """Makes `of` answer `backend` for cursors of `cursor_class` (each backend registers its own)."""
    _BY_CURSOR[cursor_class] = backend


def of(cur: Cursor) -> Backend:
    """The backend whose database the cursor reads: by its registered class, else its `backend` attribute (a
    cursor that wraps another, as a tracer's does, names the backend it wraps)."""
    found = _BY_CURSOR.get(type(cur))
    return found if found is not None else cur.backend  # type: ignore[attr-defined]


PROPERTY_COLUMNS = ("node_id", "is_custom", "name", "kind", "int_value", "double_value", "string_value", "bool_value")
# The column of a value among the four value columns, by its kind; a struct's or a proto's value is in none.
_VALUE_COLUMN = {PropertyType.INT: 0, PropertyType.DOUBLE: 1, PropertyType.STRING: 2, PropertyType.BOOLEAN: 3}


def property_columns(row: tuple) -> tuple:
    """A property row of rowcore.property_rows, (node_id, is_custom, name, kind, value), as PROPERTY_COLUMNS."""
    node_id, is_custom, name, kind, value = row
    values: List[Any] = [None, None, None, None]
    column = _VALUE_COLUMN.get(kind)
    if column is not None:
        values[column] = value
    return (node_id, is_custom, name, kind, *values)

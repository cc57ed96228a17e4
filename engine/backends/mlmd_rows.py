"""Copies an MLMD store into our schema row by row, from any backend's cursor to any backend's cursor.

The MySQL and PostgreSQL conversions (mysql_mlmd.py, postgresql_mlmd.py) read MLMD's tables here and write ours
through the engine's cursors (`?` placeholders on every backend), in batches of ids: memory holds one batch
however large the store. SQLite to SQLite keeps its own faster path (sqlite_mlmd_convert.py), which moves most
rows inside SQLite; what the two share (type rows, the node and type INSERTs, the word index) lives there.

`ServerTables` says where MLMD's tables are and what differs between the databases MLMD writes: how a table is
named, how a proto value is kept (base64 text as on SQLite, or the raw bytes PostgreSQL keeps in bytea), and
how an event's path steps come back in the order MLMD wrote them.
"""
from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, Iterable, Iterator, List, Optional, Tuple

from .. import errors, rowcore
from ..catalog import ARTIFACT, CONTEXT, EXECUTION, NodeLayout
from ..nodes import wire_fields
from ..schema import VERSION_TABLE
from .base import Cursor, of
from .sqlite_mlmd_convert import (BUILTIN_TYPE_IDS, INSERT_TYPES, Counts, Progress, StructTypeCodec,
                                  insert_nodes_sql, type_rows)
from .sqlite_mlmd_source import (ARTIFACTS, CONTEXTS, EXECUTIONS, LIBRARY_VERSION, OLDEST_READ,
                                 STRUCT_PREFIX, MlmdType, NodeSource, check_version)

BATCH = 2000
_INT, _DOUBLE, _STRING, _STRUCT, _PROTO, _BOOLEAN = 1, 2, 3, 4, 5, 6
_NODE_SOURCES: Tuple[Tuple[NodeLayout, NodeSource], ...] = (
    (ARTIFACT, ARTIFACTS), (EXECUTION, EXECUTIONS), (CONTEXT, CONTEXTS))


@dataclass(frozen=True)
class ServerTables:
    """Where one MLMD store's tables are, and how its database keeps what differs between MLMD's backends."""

    name: Callable[[str], str]  # MLMD's table name (as MLMD_TABLES spells it) -> the name to write in SQL
    columns: Dict[str, FrozenSet[str]]  # the columns of each table present
    version: int
    proto_is_base64: bool  # base64 text (SQLite, MySQL), or the raw bytes (PostgreSQL's bytea)
    path_order: str  # ORDER BY of EventPath rows: event_id and how the database keeps their written order
    sort_paths: bool = False  # the database cannot say that order in SQL: read in storage order, sorted stably
    text: Optional[Callable[[bytes], str]] = None  # the text MLMD reads, from the bytes the reading session gets

    def has(self, table: str, column: Optional[str] = None) -> bool:
        found = self.columns.get(table)
        return found is not None and (column is None or column in found)

    def column(self, table: str, column: str, default: str = "NULL") -> str:
        """`column` where the table has it, else `default` (what MLMD's upgrade would have filled it with)."""
        return column if self.has(table, column) else default


def read_columns(cur: Cursor, schema: str, table_names: Dict[str, str]) -> Dict[str, FrozenSet[str]]:
    """MLMD's table (MLMD_TABLES' spelling) -> its columns, from information_schema (MySQL and PostgreSQL);
    `table_names` maps MLMD's spelling to the database's."""
    found: Dict[str, set] = {}
    by_stored = {stored: table for table, stored in table_names.items()}
    for table_name, column in cur.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ?", (schema,)):
        table = by_stored.get(str(table_name))
        if table is not None:
            found.setdefault(table, set()).add(str(column).lower())
    return {table: frozenset(columns) for table, columns in found.items()}


def is_mlmd_store(tables: Iterable[str]) -> bool:
    """Whether these table names (any case) are MLMD's: MLMDEnv, or Type with Artifact and none of ours (on
    PostgreSQL, MLMD's names are lower case, as some of ours are)."""
    lower = {t.lower() for t in tables}
    return "mlmdenv" in lower or ({"type", "artifact"} <= lower and VERSION_TABLE not in lower)


# Reading -------------------------------------------------------------------------------------------------------

def _pages(cur: Cursor, select: str, key: str, batch: int) -> Iterator[List[tuple]]:
    """The rows of `select ... WHERE key > ? ORDER BY key LIMIT batch`, page by page (`key` is the first column)."""
    after = -(2 ** 63)
    while True:
        rows = [tuple(row) for row in cur.execute(f"{select} WHERE {key} > ? ORDER BY {key} LIMIT {batch}", (after,))]
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def read_types(cur: Cursor, src: ServerTables) -> List[MlmdType]:
    parents: Dict[int, int] = {}
    if src.has("ParentType"):
        for type_id, parent_id in cur.execute(
                f"SELECT type_id, parent_type_id FROM {src.name('ParentType')} ORDER BY type_id, parent_type_id"):
            parents.setdefault(int(type_id), int(parent_id))  # MLMD keeps one base type per type
    t = "Type"
    rows = cur.execute(
        f"SELECT id, name, {src.column(t, 'version')}, type_kind, {src.column(t, 'description')}, "
        f"{src.column(t, 'input_type')}, {src.column(t, 'output_type')}, {src.column(t, 'external_id')} "
        f"FROM {src.name(t)} ORDER BY id").fetchall()
    text = _text(src)
    return [MlmdType(id=int(row[0]), name=text(row[1]), version=text(row[2]), kind=int(row[3]),
                     description=text(row[4]), input_type=text(row[5]), output_type=text(row[6]),
                     external_id=text(row[7]), parent_type_id=parents.get(int(row[0]))) for row in rows]


def _text(src: ServerTables) -> Callable[[Any], Any]:
    """src.text for a value that may be NULL (or not text)."""
    fix = src.text
    if fix is None:
        return lambda value: value
    return lambda value: fix(bytes(value)) if isinstance(value, (bytes, bytearray)) else value


def _node_pages(cur: Cursor, src: ServerTables, kind: NodeSource, batch: int) -> Iterator[List[tuple]]:
    t = kind.table
    select = (f"SELECT id, type_id, {src.column(t, 'uri') if kind.uri else 'NULL'}, "
              f"{src.column(t, kind.state_column) if kind.state_column else 'NULL'}, {src.column(t, 'name')}, "
              f"{src.column(t, 'external_id')}, {src.column(t, 'create_time_since_epoch', '0')}, "
              f"{src.column(t, 'last_update_time_since_epoch', '0')} FROM {src.name(t)}")
    if src.text is None:
        return _pages(cur, select, "id", batch)
    text = _text(src)
    return ([(row[0], row[1], text(row[2]), row[3], text(row[4]), text(row[5]), row[6], row[7]) for row in rows]
            for rows in _pages(cur, select, "id", batch))


def _properties(cur: Cursor, src: ServerTables, kind: NodeSource, first: int, last: int) -> List[tuple]:
    """(node_id, is_custom, name, kind, value) of the nodes `first` to `last`, ascending node id: the value as
    rowcore.encode_nodes takes it (a struct's or proto's serialized bytes), the kind 0 for a row with none."""
    p = kind.property_table
    rows = cur.execute(
        f"SELECT {kind.id_column}, is_custom_property, name, int_value, double_value, string_value, "
        f"{src.column(p, 'proto_value')}, {src.column(p, 'bool_value')} FROM {src.name(p)} "
        f"WHERE {kind.id_column} BETWEEN ? AND ? ORDER BY {kind.id_column}", (first, last)).fetchall()
    out = []
    text = _text(src)
    for node_id, is_custom, name, int_value, double_value, string_value, proto_value, bool_value in rows:
        name, string_value = text(name), text(string_value)
        where = (kind.table, node_id, name)
        value_kind: int
        value: object
        # MLMD reads the first column that is set, in this order.
        if int_value is not None:
            value_kind, value = _INT, int(int_value)
        elif double_value is not None:
            value_kind, value = _DOUBLE, float(double_value)
        elif string_value is not None:
            string = str(string_value)
            if string.startswith(STRUCT_PREFIX):
                value_kind, value = _STRUCT, _base64(where, string[len(STRUCT_PREFIX):])
            else:
                value_kind, value = _STRING, string
        elif proto_value is not None:
            raw = proto_value if isinstance(proto_value, str) else bytes(proto_value)  # TEXT on SQLite
            value_kind, value = _PROTO, _base64(where, raw) if src.proto_is_base64 else raw
        elif bool_value is not None:
            value_kind, value = _BOOLEAN, 1 if bool_value else 0
        else:
            value_kind, value = 0, None
        out.append((int(node_id), 1 if is_custom else 0, name, value_kind, value))
    return out


def _base64(where: Tuple[object, ...], text: object) -> bytes:
    try:
        return base64.b64decode(text if isinstance(text, (bytes, str)) else str(text), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.DataLossError(f"{where[0]} {where[1]} has a property {where[2]!r} whose value is not the "
                                   f"base64 MLMD writes: {exc}") from exc


def _no_value(row: tuple) -> tuple:
    """encode_nodes' `decode`: values come decoded already, so only a row with none reaches it."""
    if row[3] in (_STRUCT, _PROTO):
        return row
    raise errors.DataLossError(f"node {row[0]} has a property {row[2]!r} with no value; MLMD itself cannot read "
                               "this store")


def _steps(cur: Cursor, src: ServerTables, first: int, last: int) -> List[tuple]:
    text = _text(src)
    rows = [(int(e), 1 if is_index else 0, None if index is None else int(index), text(key))
            for e, is_index, index, key in cur.execute(
                f"SELECT event_id, is_index_step, step_index, step_key FROM {src.name('EventPath')} "
                f"WHERE event_id BETWEEN ? AND ? {src.path_order}", (first, last))]
    if src.sort_paths:
        rows.sort(key=lambda row: row[0])  # stable: within an event, the order they were read in
    return rows


# Writing -------------------------------------------------------------------------------------------------------

def copy_rows(read: Cursor, write: Cursor, src: ServerTables, struct_type: StructTypeCodec,
              progress: Optional[Progress] = None, batch: int = BATCH) -> Counts:
    """Copies every row of the MLMD store `src` into our new, empty schema (db.migrate_to made it) through
    `write`, reading through `read` (which may be the same cursor). Runs inside the callers' transactions.

    Raises:
      errors.FailedPreconditionError: the store holds something our schema cannot (see sqlite_mlmd_convert).
      errors.DataLossError: a row MLMD itself could not read back.
    """
    backend = of(write)
    try:
        return _copy(read, write, src, struct_type, progress or (lambda stage, done, total: None), batch)
    except backend.IntegrityError as exc:
        raise errors.FailedPreconditionError(
            f"The MLMD store holds rows that break a rule MLMD's own writes keep and fastmlmd's schema enforces "
            f"({exc}); it cannot be converted as it is") from exc


def _count(cur: Cursor, src: ServerTables, table: str) -> int:
    return int(cur.execute(f"SELECT count(*) FROM {src.name(table)}").fetchone()[0]) if src.has(table) else 0


def _copy(read: Cursor, write: Cursor, src: ServerTables, struct_type: StructTypeCodec, report: Progress,
          batch: int) -> Counts:
    started = time.monotonic()
    backend = of(write)
    counts = Counts()
    total = sum(_count(read, src, source.table) for _, source in _NODE_SOURCES) + _count(read, src, "Event")
    done = 0
    report("types", done, total)
    found = read_types(read, src)
    rows = type_rows(found, struct_type)
    write.executemany(INSERT_TYPES, rows)
    counts.rows["type"] = len(rows)
    if src.has("TypeProperty"):
        text = _text(src)
        props = [(int(t), text(n), int(d or 0)) for t, n, d in read.execute(
            f"SELECT type_id, name, data_type FROM {src.name('TypeProperty')} ORDER BY type_id")
            if int(t) not in BUILTIN_TYPE_IDS]
        write.executemany("INSERT INTO type_property (type_id, name, data_type) VALUES (?, ?, ?)", props)
        counts.rows["type_property"] = len(props)
    type_names = {t.id: t.name for t in found}
    for layout, source in _NODE_SOURCES:
        insert, fields = insert_nodes_sql(layout), wire_fields(layout)
        counts.rows[layout.table] = counts.rows[layout.property_table] = 0
        for nodes in _node_pages(read, src, source, batch):
            properties = _properties(read, src, source, nodes[0][0], nodes[-1][0])
            ids = {node[0] for node in nodes}
            properties = [row for row in properties if row[0] in ids]  # rows of nodes MLMD no longer has: not read
            write.executemany(insert, rowcore.encode_nodes(fields, nodes, properties, type_names, _no_value))
            ours = [(node_id, is_custom, name, kind, None if kind in (_STRUCT, _PROTO) else value)
                    for node_id, is_custom, name, kind, value in properties]
            backend.insert_properties(write, layout.property_table, ours, False)
            counts.rows[layout.table] += len(nodes)
            counts.rows[layout.property_table] += len(ours)
            done += len(nodes)
            report(layout.table + "s", done, total)
    counts.rows["event"] = 0
    for events in _pages(read, f"SELECT id, artifact_id, execution_id, type, milliseconds_since_epoch FROM "
                               f"{src.name('Event')}", "id", batch):
        steps = _steps(read, src, events[0][0], events[-1][0]) if src.has("EventPath") else []
        write.executemany("INSERT INTO event (id, artifact_id, execution_id, type, milliseconds_since_epoch, body) "
                          "VALUES (?, ?, ?, ?, ?, ?)", rowcore.encode_events(events, steps))
        counts.rows["event"] += len(events)
        done += len(events)
        report("events", done, total)
    for table, columns, mlmd_table, mlmd_columns in (
            ("attribution", "context_id, artifact_id", "Attribution", "context_id, artifact_id"),
            ("association", "context_id, execution_id", "Association", "context_id, execution_id"),
            ("parent_context", "child_id, parent_id", "ParentContext", "context_id, parent_context_id")):
        counts.rows[table] = 0
        if not src.has(mlmd_table):
            continue
        for pairs in _pages(read, f"SELECT {mlmd_columns} FROM {src.name(mlmd_table)}",
                            mlmd_columns.split(",")[0], batch):
            # Paged by the first column: a page ends where that column's value does, so none is split.
            pairs = _whole_keys(read, src, mlmd_table, mlmd_columns, pairs)
            write.executemany(f"INSERT INTO {table} ({columns}) VALUES (?, ?)", pairs)
            counts.rows[table] += len(pairs)
    if backend.words is not None and backend.words.available():
        report("indexes", done, total)
        backend.words.index_all(write)
    counts.seconds = time.monotonic() - started
    report("done", done, total)
    return counts


def _whole_keys(cur: Cursor, src: ServerTables, source: str, columns: str, pairs: List[tuple]) -> List[tuple]:
    """A page of link rows with every row of its last first-column value (a LIMIT may cut that value's rows)."""
    first = columns.split(",")[0]
    last = pairs[-1][0]
    rest = [tuple(row) for row in cur.execute(
        f"SELECT {columns} FROM {src.name(source)} WHERE {first} = ?", (last,))]
    return [row for row in pairs if row[0] != last] + rest

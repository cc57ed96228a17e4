"""Reads a store in MLMD's own SQLite schema (ml-metadata 1.17.1 writes version 10), row by row, in id order.

Only reading is done here; sqlite_mlmd_convert.py writes what it reads into our schema. The tables may sit in
the main database under a prefix (an in-place conversion first moves them aside) or in an attached one (a copy):
`MlmdTables` names them either way.

Versions 5 to 10 are read: every one of them has node names, timestamps and type versions. A column a version
lacks (external_id before 9, proto_value and bool_value before 10) reads as NULL, which is what MLMD's own
upgrade fills it with. Older versions (MLMD before 0.21) are refused: MLMD's own upgrade invents values for
them that this reader would have to reproduce.

How MLMD 1.17.1 lays out values (docs/mlmd-interface.md §4.1): a property row holds its value in one column;
a struct is the string `mlmd-struct::` + base64 of the serialized google.protobuf.Struct; a proto value is
base64 text of the serialized google.protobuf.Any; an execution type's input and output types are JSON.
"""
from __future__ import annotations

import base64
import binascii
import sqlite3
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple

from .. import errors
from .base import Cursor

# Every table MLMD 1.17.1 keeps; a database holding MLMDEnv, or Type and Artifact, is one of its stores.
MLMD_TABLES = ("Type", "TypeProperty", "ParentType", "Artifact", "ArtifactProperty", "Execution",
               "ExecutionProperty", "Context", "ContextProperty", "ParentContext", "Event", "EventPath",
               "Association", "Attribution", "MLMDEnv")
LIBRARY_VERSION = 10  # the schema ml-metadata 1.17.1 writes
OLDEST_READ = 5
STRUCT_PREFIX = "mlmd-struct::"

# PropertyType numbers (engine/catalog.py's PropertyType), for the values read here.
_INT, _DOUBLE, _STRING, _STRUCT, _PROTO, _BOOLEAN = 1, 2, 3, 4, 5, 6


@dataclass(frozen=True)
class MlmdTables:
    """Where MLMD's tables are: `schema."<prefix><Table>"`, with the columns each one has."""

    schema: str
    prefix: str
    version: int
    columns: Dict[str, FrozenSet[str]]

    def name(self, table: str) -> str:
        return f'{self.schema}."{self.prefix}{table}"'

    def has(self, table: str, column: Optional[str] = None) -> bool:
        found = self.columns.get(table)
        return found is not None and (column is None or column in found)

    def column(self, table: str, column: str, default: str = "NULL") -> str:
        """`column` where the table has it, else `default` (what MLMD's upgrade would have filled it with)."""
        return f'"{column}"' if self.has(table, column) else default


def tables_found(cur: sqlite3.Cursor, schema: str = "main") -> FrozenSet[str]:
    return frozenset(row[0] for row in cur.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'"))


def is_mlmd_store(tables: FrozenSet[str]) -> bool:
    """Whether these table names are MLMD's: MLMDEnv (version 1 on), or Type with Artifact (version 0)."""
    return "MLMDEnv" in tables or {"Type", "Artifact"} <= tables


def read_tables(cur: sqlite3.Cursor, schema: str = "main", prefix: str = "") -> MlmdTables:
    """MLMD's tables in `schema` (named `<prefix><Table>`), their columns and the schema version MLMDEnv holds.

    Raises:
      errors.FailedPreconditionError: the version is one this reader does not read (see the module docstring).
    """
    present = tables_found(cur, schema)
    columns: Dict[str, FrozenSet[str]] = {}
    for table in MLMD_TABLES:
        if prefix + table in present:
            columns[table] = frozenset(
                row[1] for row in cur.execute(f'PRAGMA {schema}.table_info("{prefix}{table}")'))
    version = check_version(cur, lambda table: f'{schema}."{prefix}{table}"', columns)
    return MlmdTables(schema, prefix, version, columns)


def check_version(cur: Cursor, name: Callable[[str], str], columns: Dict[str, FrozenSet[str]]) -> int:
    """The schema version MLMDEnv holds (0 without one).

    Raises:
      errors.FailedPreconditionError: a version this reader does not read (sqlite_mlmd_source.py says which).
    """
    version = 0
    if "MLMDEnv" in columns:
        row = cur.execute(f"SELECT max(schema_version) FROM {name('MLMDEnv')}").fetchone()
        version = int(row[0]) if row and row[0] is not None else 0
    if not OLDEST_READ <= version <= LIBRARY_VERSION:
        raise errors.FailedPreconditionError(
            f"This database was made by ml-metadata (MLMD schema version {version}), and fastmlmd converts MLMD "
            f"schema versions {OLDEST_READ} to {LIBRARY_VERSION} only. Upgrade it first with ml-metadata 1.17.1 "
            "(MetadataStore(config, enable_upgrade_migration=True) there), then convert it.")
    return version


@dataclass
class MlmdType:
    """A row of MLMD's Type table, with its properties and base type (from ParentType)."""

    id: int
    name: str
    version: Optional[str]
    kind: int  # type_kind: 0 execution, 1 artifact, 2 context (our TypeKind numbers)
    description: Optional[str]
    input_type: Optional[str]  # ArtifactStructType as JSON
    output_type: Optional[str]
    external_id: Optional[str]
    parent_type_id: Optional[int]


def read_types(cur: sqlite3.Cursor, src: MlmdTables) -> List[MlmdType]:
    """Every type, by id (the nine built-in ones included)."""
    parents: Dict[int, int] = {}
    if src.has("ParentType"):
        for type_id, parent_id in cur.execute(
                f"SELECT type_id, parent_type_id FROM {src.name('ParentType')} ORDER BY type_id, parent_type_id"):
            parents.setdefault(type_id, parent_id)  # MLMD keeps one base type per type
    t = "Type"
    rows = cur.execute(
        f"SELECT id, name, {src.column(t, 'version')}, type_kind, {src.column(t, 'description')}, "
        f"{src.column(t, 'input_type')}, {src.column(t, 'output_type')}, {src.column(t, 'external_id')} "
        f"FROM {src.name(t)} ORDER BY id").fetchall()
    return [MlmdType(id=row[0], name=row[1], version=row[2], kind=row[3], description=row[4], input_type=row[5],
                     output_type=row[6], external_id=row[7], parent_type_id=parents.get(row[0])) for row in rows]


@dataclass(frozen=True)
class NodeSource:
    """One node kind in MLMD's tables: the node table, its property table and the property table's id column."""

    table: str
    property_table: str
    id_column: str
    uri: bool
    state_column: Optional[str]


ARTIFACTS = NodeSource("Artifact", "ArtifactProperty", "artifact_id", True, "state")
EXECUTIONS = NodeSource("Execution", "ExecutionProperty", "execution_id", False, "last_known_state")
CONTEXTS = NodeSource("Context", "ContextProperty", "context_id", False, None)

# (id, type_id, uri, state, name, external_id, create_time, update_time)
NodeRow = Tuple[int, int, Optional[str], Optional[int], Optional[str], Optional[str], int, int]
# (node_id, is_custom, name, kind, value): a property as rowcore.encode_nodes takes it
PropertyRow = Tuple[int, int, str, int, object]


def count(cur: sqlite3.Cursor, src: MlmdTables, table: str) -> int:
    return int(cur.execute(f"SELECT count(*) FROM {src.name(table)}").fetchone()[0]) if src.has(table) else 0


def read_nodes(cur: sqlite3.Cursor, src: MlmdTables, kind: NodeSource, batch: int = 2000) -> Iterator[List[NodeRow]]:
    """The nodes of one kind, ascending id, `batch` at a time (memory holds one batch however large the store)."""
    t = kind.table
    nodes = cur.execute(
        f"SELECT id, type_id, {src.column(t, 'uri') if kind.uri else 'NULL'}, "
        f"{src.column(t, kind.state_column) if kind.state_column else 'NULL'}, {src.column(t, 'name')}, "
        f"{src.column(t, 'external_id')}, {src.column(t, 'create_time_since_epoch', '0')}, "
        f"{src.column(t, 'last_update_time_since_epoch', '0')} FROM {src.name(t)} ORDER BY id")
    while True:
        rows = nodes.fetchmany(batch)
        if not rows:
            return
        yield rows


def _properties_sql(src: MlmdTables, kind: NodeSource) -> str:
    """A SELECT of one kind's property rows: node_id, is_custom, name, value_kind (the PropertyType MLMD reads the
    row as, from the first column set, in its order; 0 for none) and value (that column's)."""
    p = kind.property_table
    proto, boolean = src.column(p, "proto_value"), src.column(p, "bool_value")
    return (f"SELECT {kind.id_column} AS node_id, is_custom_property AS is_custom, name, "
            f"CASE WHEN int_value IS NOT NULL THEN {_INT} WHEN double_value IS NOT NULL THEN {_DOUBLE} "
            f"WHEN string_value IS NOT NULL THEN CASE WHEN substr(string_value, 1, {len(STRUCT_PREFIX)}) = "
            f"'{STRUCT_PREFIX}' THEN {_STRUCT} ELSE {_STRING} END WHEN {proto} IS NOT NULL THEN {_PROTO} "
            f"WHEN {boolean} IS NOT NULL THEN {_BOOLEAN} ELSE 0 END AS value_kind, "
            f"coalesce(int_value, double_value, string_value, {proto}, {boolean}) AS value FROM {src.name(p)}")


def property_rows_sql(src: MlmdTables, kind: NodeSource) -> str:
    """A SELECT of our property rows for one kind (node_id, is_custom, name, kind, int_value, double_value,
    string_value, bool_value), as rowcore.property_rows makes them from MLMD's values: the value in its kind's
    column, none for a struct or a proto (read_struct_or_proto reads those). Only the rows of stored nodes."""
    return (f"SELECT node_id, is_custom, name, value_kind, CASE value_kind WHEN {_INT} THEN value END, "
            f"CASE value_kind WHEN {_DOUBLE} THEN value END, CASE value_kind WHEN {_STRING} THEN value END, "
            f"CASE value_kind WHEN {_BOOLEAN} THEN value != 0 END FROM ({_properties_sql(src, kind)}) "
            f"WHERE node_id IN (SELECT id FROM {src.name(kind.table)})")


def read_struct_or_proto(cur: sqlite3.Cursor, src: MlmdTables, kind: NodeSource, row: Sequence) -> PropertyRow:
    """The property row (node_id, is_custom, name, kind, value) with the struct or proto value MLMD holds for it,
    decoded: property_rows_sql leaves those values out (rowcore.encode_nodes' `decode`).

    Raises:
      errors.DataLossError: a row with no value, or a value that is not MLMD's base64: MLMD cannot read it either.
    """
    node_id, is_custom, name, value_kind = row[:4]
    found = cur.execute(f"SELECT value_kind, value FROM ({_properties_sql(src, kind)}) "
                        "WHERE node_id = ? AND name = ? AND is_custom = ?", (node_id, name, is_custom)).fetchone()
    value_kind, value = found if found else (0, None)
    if value_kind == _STRUCT:
        return node_id, is_custom, name, _STRUCT, _base64(kind.table, node_id, name,
                                                          str(value)[len(STRUCT_PREFIX):])
    if value_kind == _PROTO:
        return node_id, is_custom, name, _PROTO, _base64(kind.table, node_id, name, value)
    raise errors.DataLossError(
        f"{kind.table} {node_id} has a property {name!r} with no value; MLMD itself cannot read this store")


def _base64(table: str, node_id: int, name: str, text: object) -> bytes:
    try:
        return base64.b64decode(text if isinstance(text, (bytes, str)) else str(text), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.DataLossError(
            f"{table} {node_id} has a property {name!r} whose value is not the base64 MLMD writes: {exc}") from exc


# (id, artifact_id, execution_id, type, milliseconds_since_epoch)
EventRow = Tuple[int, int, int, int, Optional[int]]
# (event_id, is_index_step, step_index, step_key)
StepRow = Tuple[int, int, Optional[int], Optional[str]]


def read_events(cur: sqlite3.Cursor, paths_cur: sqlite3.Cursor, src: MlmdTables,
                batch: int = 5000) -> Iterator[Tuple[List[EventRow], List[StepRow]]]:
    """Events, ascending id, `batch` at a time, each batch with its path steps (one statement, by id range).

    The steps come ascending event id and, within an event, in the order MLMD reads them back: the order they
    were written in (rowid).
    """
    events = cur.execute(
        f"SELECT id, artifact_id, execution_id, type, milliseconds_since_epoch FROM {src.name('Event')} ORDER BY id")
    paths_sql = (f"SELECT event_id, is_index_step, step_index, step_key FROM {src.name('EventPath')} "
                 "WHERE event_id BETWEEN ? AND ? ORDER BY event_id, rowid")
    while True:
        rows = events.fetchmany(batch)
        if not rows:
            return
        yield rows, paths_cur.execute(paths_sql, (rows[0][0], rows[-1][0])).fetchall()

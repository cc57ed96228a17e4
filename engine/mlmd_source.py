"""Reads a store in MLMD's own SQLite schema (ml-metadata 1.17.1 writes version 10), row by row, in id order.

Only reading is done here; engine/mlmd_convert.py writes what it reads into our schema. The tables may sit in
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
from typing import Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple

from . import errors
from .records import Properties

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
    version = 0
    if "MLMDEnv" in columns:
        row = cur.execute(f'SELECT max(schema_version) FROM {schema}."{prefix}MLMDEnv"').fetchone()
        version = int(row[0]) if row and row[0] is not None else 0
    if not OLDEST_READ <= version <= LIBRARY_VERSION:
        raise errors.FailedPreconditionError(
            f"MLMD database version {version} cannot be converted: fastmlmd reads MLMD schema versions "
            f"{OLDEST_READ} to {LIBRARY_VERSION}. Upgrade it first with ml-metadata 1.17.1 "
            "(MetadataStore(config, enable_upgrade_migration=True)), then convert it.")
    return MlmdTables(schema, prefix, version, columns)


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
    return [MlmdType(*row, parents.get(row[0])) for row in rows]  # type: ignore[misc]


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

# (id, type_id, uri, state, name, external_id, create_time, update_time, properties, custom_properties)
NodeRow = Tuple[int, int, Optional[str], Optional[int], Optional[str], Optional[str], int, int, Properties,
                Properties]


def count(cur: sqlite3.Cursor, src: MlmdTables, table: str) -> int:
    return int(cur.execute(f"SELECT count(*) FROM {src.name(table)}").fetchone()[0]) if src.has(table) else 0


def read_nodes(cur: sqlite3.Cursor, props_cur: sqlite3.Cursor, src: MlmdTables, kind: NodeSource,
               batch: int = 2000) -> Iterator[List[NodeRow]]:
    """The nodes of one kind with their properties, ascending id, `batch` at a time.

    Two cursors walk the node table and the property table side by side, both in node id order, so memory
    holds one batch however large the store.

    Raises:
      errors.DataLossError: a property row MLMD itself could not read (no value, or a value it cannot decode).
    """
    t = kind.table
    nodes = cur.execute(
        f"SELECT id, type_id, {src.column(t, 'uri') if kind.uri else 'NULL'}, "
        f"{src.column(t, kind.state_column) if kind.state_column else 'NULL'}, {src.column(t, 'name')}, "
        f"{src.column(t, 'external_id')}, {src.column(t, 'create_time_since_epoch', '0')}, "
        f"{src.column(t, 'last_update_time_since_epoch', '0')} FROM {src.name(t)} ORDER BY id")
    p = kind.property_table
    props = props_cur.execute(
        f"SELECT {kind.id_column}, name, is_custom_property, int_value, double_value, string_value, "
        f"{src.column(p, 'proto_value')}, {src.column(p, 'bool_value')} FROM {src.name(p)} "
        f"ORDER BY {kind.id_column}, name, is_custom_property")
    pending = props.fetchone()
    while True:
        rows = nodes.fetchmany(batch)
        if not rows:
            return
        out: List[NodeRow] = []
        for node_id, type_id, uri, state, name, external_id, create_time, update_time in rows:
            declared: Properties = {}
            custom: Properties = {}
            while pending is not None and pending[0] <= node_id:
                if pending[0] == node_id:
                    (custom if pending[2] else declared)[pending[1]] = property_value(kind.table, pending)
                pending = props.fetchone()  # a row of a node that is gone is skipped, as MLMD never reads it
            out.append((node_id, type_id, uri, state, name, external_id, create_time, update_time, declared,
                        custom))
        yield out


def property_value(table: str, row: Sequence) -> Tuple[int, object]:
    """(PropertyType, value) of a property row, read as MLMD 1.17.1 reads it."""
    node_id, name, _, int_value, double_value, string_value, proto_value, bool_value = row
    if int_value is not None:
        return _INT, int(int_value)
    if double_value is not None:
        return _DOUBLE, float(double_value)
    if string_value is not None:
        text = str(string_value)
        if text.startswith(STRUCT_PREFIX):
            return _STRUCT, _base64(table, node_id, name, text[len(STRUCT_PREFIX):])
        return _STRING, text
    if proto_value is not None:
        return _PROTO, _base64(table, node_id, name, proto_value)
    if bool_value is not None:
        return _BOOLEAN, bool(bool_value)
    raise errors.DataLossError(
        f"{table} {node_id} has a property {name!r} with no value; MLMD itself cannot read this store")


def _base64(table: str, node_id: int, name: str, text: object) -> bytes:
    try:
        return base64.b64decode(text if isinstance(text, (bytes, str)) else str(text), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.DataLossError(
            f"{table} {node_id} has a property {name!r} whose value is not the base64 MLMD writes: {exc}") from exc


# (id, artifact_id, execution_id, type, milliseconds_since_epoch, serialized Event.Path or None)
EventRow = Tuple[int, int, int, int, Optional[int], Optional[bytes]]


def read_events(cur: sqlite3.Cursor, paths_cur: sqlite3.Cursor, src: MlmdTables,
                batch: int = 5000) -> Iterator[List[EventRow]]:
    """Events with their paths (encoded as Event.Path messages), ascending id, `batch` at a time.

    A path's steps are read in the order MLMD reads them back: the order they were written in (rowid).
    """
    events = cur.execute(
        f"SELECT id, artifact_id, execution_id, type, milliseconds_since_epoch FROM {src.name('Event')} ORDER BY id")
    steps = paths_cur.execute(
        f"SELECT event_id, is_index_step, step_index, step_key FROM {src.name('EventPath')} "
        "ORDER BY event_id, rowid")
    pending = steps.fetchone()
    while True:
        rows = events.fetchmany(batch)
        if not rows:
            return
        out: List[EventRow] = []
        for event_id, artifact_id, execution_id, event_type, milliseconds in rows:
            path: Optional[bytearray] = None
            while pending is not None and pending[0] <= event_id:
                if pending[0] == event_id:
                    path = _add_step(path if path is not None else bytearray(), pending[1], pending[2], pending[3])
                pending = steps.fetchone()
            out.append((event_id, artifact_id, execution_id, event_type, milliseconds,
                        bytes(path) if path is not None else None))
        yield out


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _add_step(path: bytearray, is_index: int, index: Optional[int], key: Optional[str]) -> bytearray:
    """Appends one Event.Path.Step (field 1 of Path; index is its field 1, key its field 2)."""
    if is_index:
        step = b"\x08" + _varint(int(index or 0))
    else:
        encoded = (key or "").encode("utf-8")
        step = b"\x12" + _varint(len(encoded)) + encoded
    path += b"\x0a" + _varint(len(step)) + step
    return path

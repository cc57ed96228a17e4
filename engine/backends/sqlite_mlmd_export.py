"""Exports one of our stores into an empty store made by ml-metadata: the way back to MLMD (SQLite).

ml-metadata itself creates the target (`MetadataStore(config)` on a new file), so its schema is exactly its
own; this module fills MLMD's tables in MLMD's layout (docs/mlmd-interface.md §4.1), in one transaction.
Columns that both schemas keep alike are copied by SQL; property values of kind struct or proto and event paths
are read from our encoded bodies.
"""
from __future__ import annotations

import base64
import sqlite3
from typing import Callable, Dict, List, Optional, Tuple

from .. import errors, rowcore
from ..catalog import ARTIFACT, BUILTIN_TYPES, CONTEXT, EXECUTION, NodeLayout
from .sqlite import MODE_READONLY, MODE_READWRITE, SQLITE, _sqlite_uri
from .sqlite_mlmd_source import ARTIFACTS, CONTEXTS, EXECUTIONS, STRUCT_PREFIX, NodeSource, is_mlmd_store, tables_found
from ..schema import SCHEMA_VERSION, VERSION_TABLE

# Serialized ArtifactStructType -> the JSON MLMD stores.
StructTypeJson = Callable[[bytes], str]
_PAIRS: Tuple[Tuple[NodeLayout, NodeSource], ...] = ((ARTIFACT, ARTIFACTS), (EXECUTION, EXECUTIONS),
                                                     (CONTEXT, CONTEXTS))
_STRUCT, _PROTO = 4, 5


def export_rows(cur: sqlite3.Cursor, ours: str, struct_type_json: StructTypeJson) -> Dict[str, int]:
    """Copies every row of our store (schema `ours`) into the empty MLMD store in the main database.

    Runs inside the caller's transaction; returns the rows written by MLMD table.

    Raises:
      errors.FailedPreconditionError: the main database is not an empty store made by ml-metadata.
    """
    _check_empty_mlmd(cur)
    written: Dict[str, int] = {}
    builtin = {type_id for type_id, _, _ in BUILTIN_TYPES}
    parent_of = _builtin_ids()
    types = cur.execute(f"SELECT id, name, version, kind, description, input_type, output_type, external_id, "
                        f"base_type FROM {ours}.type WHERE is_builtin = 0 ORDER BY id").fetchall()
    cur.executemany("INSERT INTO Type (id, name, version, type_kind, description, input_type, output_type, "
                    "external_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(*row[:5], _json(struct_type_json, row[5]), _json(struct_type_json, row[6]), row[7])
                     for row in types])
    cur.executemany("INSERT INTO ParentType (type_id, parent_type_id) VALUES (?, ?)",
                    [(row[0], parent_of[(row[3], row[8])]) for row in types if row[8]])
    written["Type"] = len(types)
    written["TypeProperty"] = cur.execute(
        f"INSERT INTO TypeProperty (type_id, name, data_type) SELECT type_id, name, data_type FROM "
        f"{ours}.type_property WHERE type_id NOT IN ({', '.join(map(str, sorted(builtin)))})").rowcount
    for layout, source in _PAIRS:
        written[source.table] = _export_nodes(cur, ours, layout, source)
    written["Event"] = cur.execute(
        f"INSERT INTO Event (id, artifact_id, execution_id, type, milliseconds_since_epoch) SELECT id, artifact_id, "
        f"execution_id, type, milliseconds_since_epoch FROM {ours}.event ORDER BY id").rowcount
    written["EventPath"] = _export_paths(cur, ours)
    for table, columns, link_table, link_columns in (
            ("Attribution", "context_id, artifact_id", "attribution", "context_id, artifact_id"),
            ("Association", "context_id, execution_id", "association", "context_id, execution_id"),
            ("ParentContext", "context_id, parent_context_id", "parent_context", "child_id, parent_id")):
        written[table] = cur.execute(f"INSERT INTO {table} ({columns}) SELECT {link_columns} FROM "
                                     f"{ours}.{link_table} ORDER BY {link_columns}").rowcount
    return written


def _check_empty_mlmd(cur: sqlite3.Cursor) -> None:
    if not is_mlmd_store(tables_found(cur)):
        raise errors.FailedPreconditionError(
            "The target is not a store made by ml-metadata: create it with ml-metadata first "
            "(MetadataStore(config) on a new file makes an empty one), then export into it")
    version = cur.execute("SELECT max(schema_version) FROM MLMDEnv").fetchone()[0]
    filled = [t for t in ("Artifact", "Execution", "Context", "Event")
              if cur.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()]
    if version != 10 or filled or cur.execute(f"SELECT 1 FROM Type WHERE id > {len(BUILTIN_TYPES)}").fetchone():
        raise errors.FailedPreconditionError(
            f"The target store made by ml-metadata is not empty or not at its schema version 10 (version {version}"
            f"{', holds ' + ', '.join(filled) if filled else ''}); export into a new one")


def _builtin_ids() -> Dict[Tuple[int, int], int]:
    """(kind, SystemDefinedBaseType number) -> the built-in type MLMD names as the parent (ParentType)."""
    out: Dict[Tuple[int, int], int] = {}
    per_kind: Dict[int, int] = {}
    for type_id, kind, _ in BUILTIN_TYPES:
        per_kind[int(kind)] = per_kind.get(int(kind), 0) + 1
        out[(int(kind), per_kind[int(kind)])] = type_id
    return out


def _json(struct_type_json: StructTypeJson, serialized: Optional[bytes]) -> Optional[str]:
    return None if serialized is None else struct_type_json(serialized)


def _export_nodes(cur: sqlite3.Cursor, ours: str, layout: NodeLayout, source: NodeSource) -> int:
    columns = ["id", "type_id"]
    theirs = ["id", "type_id"]
    if layout.f_uri:
        columns.append("uri")
        theirs.append("uri")
    if layout.state_column:
        columns.append(layout.state_column)
        theirs.append(source.state_column or "")
    columns += ["name", "external_id", "create_time", "update_time"]
    theirs += ["name", "external_id", "create_time_since_epoch", "last_update_time_since_epoch"]
    count = cur.execute(f"INSERT INTO {source.table} ({', '.join(theirs)}) SELECT {', '.join(columns)} FROM "
                        f"{ours}.{layout.table} ORDER BY id").rowcount
    # Values filters can compare are in our property rows as MLMD keeps them; a bool is 0 or 1 in both.
    prop = f"{ours}.{layout.property_table}"
    cur.execute(f"INSERT INTO {source.property_table} ({source.id_column}, name, is_custom_property, int_value, "
                f"double_value, string_value, bool_value) SELECT node_id, name, is_custom, int_value, double_value, "
                f"string_value, bool_value FROM {prop} WHERE kind NOT IN ({_STRUCT}, {_PROTO}) ORDER BY node_id")
    # Struct and proto values live in the bodies only.
    rows: List[tuple] = []
    fields = _wire_fields(layout)
    for node_id, body in cur.connection.execute(
            f"SELECT id, body FROM {ours}.{layout.table} WHERE id IN (SELECT node_id FROM {prop} WHERE kind IN "
            f"({_STRUCT}, {_PROTO})) ORDER BY id"):
        decoded = rowcore.decode_node(fields, body)
        for is_custom, values in ((0, decoded[7]), (1, decoded[8])):
            for name, (kind, value) in values.items():
                if kind in (_STRUCT, _PROTO):
                    text = base64.b64encode(value if isinstance(value, bytes) else b"").decode("ascii")
                    rows.append((node_id, name, is_custom, STRUCT_PREFIX + text, None) if kind == _STRUCT
                                else (node_id, name, is_custom, None, text))
    cur.executemany(f"INSERT INTO {source.property_table} ({source.id_column}, name, is_custom_property, string_value, "
                    "proto_value) VALUES (?, ?, ?, ?, ?)", rows)
    return count


def _wire_fields(layout: NodeLayout) -> Tuple[int, ...]:
    return (layout.f_id, layout.f_type_id, layout.f_uri, layout.f_properties, layout.f_custom_properties,
            layout.f_state, layout.f_name, layout.f_type, layout.f_create_time, layout.f_update_time,
            layout.f_external_id)


def _export_paths(cur: sqlite3.Cursor, ours: str) -> int:
    """Event.Path steps from the event bodies, as MLMD keeps them: a row per step, in order."""
    written = 0
    reader = cur.connection.execute(f"SELECT id, body FROM {ours}.event ORDER BY id")
    while True:
        batch = reader.fetchmany(5000)
        if not batch:
            return written
        steps: List[tuple] = []
        for event_id, body in batch:
            path = rowcore.decode_event(body)[2]
            if path:
                steps += [(event_id, *step) for step in decode_path(path)]
        cur.executemany("INSERT INTO EventPath (event_id, is_index_step, step_index, step_key) VALUES (?, ?, ?, ?)",
                        steps)
        written += len(steps)


def decode_path(path: bytes) -> List[Tuple[int, Optional[int], Optional[str]]]:
    """(is_index_step, step_index, step_key) of each step of a serialized Event.Path (the inverse of the path
    rowcore.encode_events writes); an index is int64, two's complement on the wire."""
    out: List[Tuple[int, Optional[int], Optional[str]]] = []
    pos = 0
    while pos < len(path):
        tag, pos = _varint(path, pos)
        length, pos = _varint(path, pos)
        step, pos = path[pos:pos + length], pos + length
        if tag != 0x0A:
            continue  # not a step
        entry: Tuple[int, Optional[int], Optional[str]] = (0, None, "")
        at = 0
        while at < len(step):
            field, at = _varint(step, at)
            if field == 0x08:
                value, at = _varint(step, at)
                entry = (1, value - (1 << 64) if value >= 1 << 63 else value, None)
            elif field == 0x12:
                size, at = _varint(step, at)
                entry = (0, None, step[at:at + size].decode("utf-8"))
                at += size
            else:
                raise errors.DataLossError(f"an event path holds a step field MLMD does not know (tag {field})")
        out.append(entry)
    return out


def _varint(data: bytes, pos: int) -> Tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def export_file(ours_path: str, mlmd_path: str, struct_type_json: StructTypeJson) -> Dict[str, int]:
    """Fills the empty store ml-metadata made at `mlmd_path` with our store at `ours_path` (only read), in one
    transaction: a failure leaves the target empty."""
    try:
        conn = sqlite3.connect(_sqlite_uri(mlmd_path, MODE_READWRITE), uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise errors.FailedPreconditionError(
            f"cannot open {mlmd_path} ({exc}): create it with ml-metadata first (MetadataStore(config) on a new file "
            "makes an empty store)") from exc
    try:
        conn.execute("ATTACH DATABASE ? AS ours", (_sqlite_uri(ours_path, MODE_READONLY),))
        found = conn.execute(f"SELECT version FROM ours.{VERSION_TABLE}").fetchone() \
            if VERSION_TABLE in tables_found(conn.cursor(), "ours") else None
        if found is None or found[0] != SCHEMA_VERSION:
            raise errors.FailedPreconditionError(
                f"{ours_path} holds no fastmlmd store of schema version {SCHEMA_VERSION} (open it once with "
                "MetadataStore(config, enable_upgrade_migration=True) to bring an older one up to date)")
        conn.execute("BEGIN IMMEDIATE")
        try:
            written = export_rows(conn.cursor(), "ours", struct_type_json)
            conn.execute("COMMIT")
        except BaseException:
            conn.rollback()
            raise
        return written
    except sqlite3.Error as exc:
        raise SQLITE.classify(exc) from exc
    finally:
        conn.close()

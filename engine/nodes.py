"""Node writes: insert and update artifacts, executions and contexts, one batch per call.

See docs/mlmd-interface.md §2.6.

Each row stores its message already encoded (`body`), written here together with the indexed columns
and the property rows that filters use; all three change in the same transaction.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

from . import errors, rowcore
from .catalog import NodeLayout, PropertyType, TypeKind
from .records import NodeRecord, Properties, TypeRecord
from .sqlutil import chunks, placeholders
from .types import TypeCache

@dataclass
class StoredNode:
    """A node as stored: columns plus decoded property maps."""

    id: int
    type_id: int
    uri: Optional[str]
    state: Optional[int]
    name: Optional[str]
    external_id: Optional[str]
    create_time: int
    update_time: int
    properties: Properties = field(default_factory=dict)
    custom_properties: Properties = field(default_factory=dict)


def wire_fields(layout: NodeLayout) -> Tuple[int, ...]:
    """The field numbers `rowcore.encode_node` takes, in its argument order."""
    return (layout.f_id, layout.f_type_id, layout.f_uri, layout.f_properties, layout.f_custom_properties,
            layout.f_state, layout.f_name, layout.f_type, layout.f_create_time, layout.f_update_time,
            layout.f_external_id)


def _columns(layout: NodeLayout) -> List[str]:
    cols = ["id", "type_id"]
    if layout.f_uri:
        cols.append("uri")
    if layout.state_column:
        cols.append(layout.state_column)
    return cols + ["name", "external_id", "create_time", "update_time"]


def load_stored(cur: sqlite3.Cursor, layout: NodeLayout, ids: Sequence[int]) -> Dict[int, StoredNode]:
    """The stored nodes with these ids, with their properties, keyed by id.

    Read from the encoded bodies, which hold every field and exact property values: one statement and one
    decode a node, instead of a row per property.
    """
    found: Dict[int, StoredNode] = {}
    fields = wire_fields(layout)
    for batch in chunks(sorted(set(ids))):
        for node_id, create_time, update_time, body in cur.execute(
            f"SELECT id, create_time, update_time, body FROM {layout.table} WHERE id IN ({placeholders(batch)})",
            batch,
        ):
            _, type_id, uri, state, name, external_id, _, props, custom, _ = rowcore.decode_node(fields, body)
            assert type_id is not None  # every stored node was written with its type
            found[node_id] = StoredNode(
                id=node_id, type_id=type_id, uri=(uri or "") if layout.f_uri else None, state=state, name=name,
                external_id=external_id, create_time=create_time, update_time=update_time,
                properties=props, custom_properties=custom,
            )
    return found


def _validate_properties(layout: NodeLayout, record: NodeRecord, node_type: TypeRecord) -> None:
    """Checks each property against the type; the first problem raises, in MLMD's words.

    Name order: MLMD reports whichever problem its hash map yields first, which changes between processes.
    """
    empty = set(record.empty_values)
    for name in sorted(record.properties.keys() | empty):
        declared = node_type.properties.get(name)
        if declared is None:
            raise errors.InvalidArgumentError(
                f"Found unknown property: {name}. The type {node_type.name!r} does not declare {name!r}; it declares "
                f"{sorted(node_type.properties)} (custom_properties take any name)")
        if name in empty:
            raise errors.InvalidArgumentError(
                f"Found unmatched property type: {name}. The value of property {name!r} has no value set (an empty "
                f"Value); the type {node_type.name!r} declares it as {PropertyType(declared).name}")
        given = record.properties[name][0]
        if declared != given:
            raise errors.InvalidArgumentError(
                f"Found unmatched property type: {name}. The type {node_type.name!r} declares {name!r} as "
                f"{PropertyType(declared).name}; the value given is {PropertyType(given).name}")
    if record.empty_custom_values:
        # MLMD aborts the whole process on this one (a failed CHECK); we refuse the call instead.
        raise errors.InvalidArgumentError(
            f"The value of custom property {record.empty_custom_values[0]!r} has no value set (an empty Value) on "
            f"{layout.noun} of type {node_type.name!r}")


def _resolve_type(layout: NodeLayout, type_id: Optional[int], types: Dict[int, TypeRecord]) -> TypeRecord:
    node_type = types.get(type_id) if type_id is not None else None
    if node_type is None or node_type.kind != layout.kind:
        raise errors.NotFoundError(f"No type found for query, type_id: {type_id} ({layout.noun} types)")
    return node_type


def _check_context_name(layout: NodeLayout, name: Optional[str]) -> None:
    if layout.kind == TypeKind.CONTEXT and not name:
        raise errors.InvalidArgumentError("Context name should not be empty")


def _types_for(cur: sqlite3.Cursor, type_cache: TypeCache, records: Sequence[NodeRecord],
               stored: Dict[int, StoredNode]) -> Dict[int, TypeRecord]:
    """The types the records need, from the cache; a type lacking a property a record sets is re-read once
    (another writer may have added the property since it was cached)."""
    wanted = {rec.type_id for rec in records if rec.type_id is not None} | {n.type_id for n in stored.values()}
    types = type_cache.get(cur, wanted)
    stale: Set[int] = set()
    for rec in records:
        # An update is checked against the stored node's type, an insert against the one it names.
        type_id = stored[rec.id].type_id if rec.id is not None else rec.type_id
        if type_id is None:
            continue
        known = types.get(type_id)
        if known is not None and not rec.properties.keys() <= known.properties.keys():
            stale.add(type_id)
    if stale:
        types.update(type_cache.get(cur, stale, reload=True))
    return types


def put_nodes(
    cur: sqlite3.Cursor,
    layout: NodeLayout,
    records: Sequence[NodeRecord],
    now: int,
    type_cache: TypeCache,
    mask_paths: Sequence[str] = (),
    force_update_time: bool = False,
) -> List[int]:
    """Inserts the records without id and updates those with one; returns the ids, index-aligned."""
    if not records:
        return []
    updates = [rec.id for rec in records if rec.id is not None]
    stored = load_stored(cur, layout, updates) if updates else {}
    for rec in records:
        if rec.id is not None and rec.id not in stored:
            raise errors.InvalidArgumentError(f"Cannot find the given id {rec.id}")
    types = _types_for(cur, type_cache, records, stored)
    next_id = 0
    if len(updates) < len(records):
        next_id = cur.execute(f"SELECT ifnull(max(id), 0) + 1 FROM {layout.table}").fetchone()[0]
    fields = wire_fields(layout)
    inserts: List[tuple] = []
    insert_properties: List[tuple] = []
    changed: List[Tuple[StoredNode, StoredNode]] = []
    ids: List[int] = []
    for rec in records:
        if rec.id is None:
            inserts.append(_insert_row(layout, fields, rec, types, next_id, now))
            insert_properties += rowcore.property_rows(next_id, 0, rec.properties)
            insert_properties += rowcore.property_rows(next_id, 1, rec.custom_properties)
            ids.append(next_id)
            next_id += 1
        else:
            old = stored[rec.id]
            node_type = types[old.type_id]
            node = _updated_node(layout, rec, old, node_type, mask_paths)
            if force_update_time or not _is_noop(layout, rec, old, node, node_type, mask_paths):
                node.update_time = max(now, old.update_time)
                changed.append((old, node))
                stored[rec.id] = node  # a later record of the batch updating the same node sees this one
            ids.append(node.id)
    try:
        _write_inserts(cur, layout, inserts, insert_properties)
    except sqlite3.IntegrityError as exc:
        constraint, clash = _clash(layout, exc)
        raise errors.AlreadyExistsError(f"Given node already exists: {clash} ({constraint})") from exc
    try:
        _write_updates(cur, layout, changed, types)
    except sqlite3.IntegrityError as exc:
        # MLMD surfaces a uniqueness clash of an update as the raw database error: INTERNAL.
        constraint, clash = _clash(layout, exc)
        raise errors.InternalError(f"Error when executing query: {constraint} (cannot update: {clash})") from exc
    return ids


def _clash(layout: NodeLayout, exc: sqlite3.IntegrityError) -> Tuple[str, str]:
    """The uniqueness rule a write broke, as MLMD's schema names it, and what that means."""
    # Ours: "UNIQUE constraint failed: artifact.type_id, artifact.name"; MLMD's tables are capitalised.
    constraint = str(exc).replace(f"{layout.table}.", f"{layout.table.capitalize()}.")
    if "external_id" in constraint:
        return constraint, f"another {layout.noun} has this external_id"
    if "name" in constraint:
        return constraint, f"another {layout.noun} of this type has this name"
    return constraint, str(exc)


def _insert_row(layout: NodeLayout, fields: Tuple[int, ...], rec: NodeRecord, types: Dict[int, TypeRecord],
                node_id: int, now: int) -> tuple:
    """The node-table row of a new node: `_columns(layout)`, then its encoded body. Checks the record first."""
    if rec.type_id is None:
        raise errors.InvalidArgumentError("Type id is missing.")
    node_type = _resolve_type(layout, rec.type_id, types)
    _validate_properties(layout, rec, node_type)
    if layout.kind == TypeKind.CONTEXT and not rec.name:
        # MLMD's words, with the node it prints cut to its type_id.
        raise errors.InvalidArgumentError(f"Cannot create node for type_id: {rec.type_id}Context name should not "
                                          "be empty")
    uri = (rec.uri or "") if layout.f_uri else None
    body = rowcore.encode_node(fields, node_id, rec.type_id, uri, rec.state, rec.name,
                               node_type.name or "", now, now, rec.external_id, rec.properties, rec.custom_properties)
    return _row_values(layout, node_id, rec.type_id, uri, rec.state, rec.name, rec.external_id, now, now) + (body,)


def _updated_node(layout: NodeLayout, rec: NodeRecord, old: StoredNode, node_type: TypeRecord,
                  mask_paths: Sequence[str]) -> StoredNode:
    if rec.type_id is not None and rec.type_id != old.type_id:
        raise errors.InvalidArgumentError(
            f"Given type_id {rec.type_id} is different from the one known before: {old.type_id} "
            f"({layout.noun} {old.id})"
        )
    # Artifact and execution names are write-once; context names can change (docs/mlmd-interface.md §2.6).
    name_mutable = layout.kind == TypeKind.CONTEXT
    if not mask_paths:
        node = StoredNode(
            id=old.id, type_id=old.type_id, uri=(rec.uri or "") if layout.f_uri else None, state=rec.state,
            name=rec.name if name_mutable else old.name, external_id=rec.external_id,
            create_time=old.create_time, update_time=old.update_time,
            properties=dict(rec.properties), custom_properties=dict(rec.custom_properties),
        )
    else:
        node = _apply_mask(layout, rec, old, mask_paths, name_mutable)
    check = NodeRecord(properties=node.properties, empty_values=rec.empty_values,
                       empty_custom_values=rec.empty_custom_values)
    _validate_properties(layout, check, node_type)
    _check_context_name(layout, node.name)
    return node


def _apply_mask(layout: NodeLayout, rec: NodeRecord, old: StoredNode, mask_paths: Sequence[str],
                name_mutable: bool) -> StoredNode:
    node = StoredNode(**{**old.__dict__, "properties": dict(old.properties),
                         "custom_properties": dict(old.custom_properties)})
    for path in mask_paths:
        head, _, key = path.partition(".")
        if head in ("properties", "custom_properties"):
            target = node.properties if head == "properties" else node.custom_properties
            source = rec.properties if head == "properties" else rec.custom_properties
            if not key:
                target.clear()
                target.update(source)
            elif key in source:
                target[key] = source[key]
            else:
                target.pop(key, None)  # a masked key absent from the request is deleted
        elif head == "uri" and layout.f_uri and not key:
            node.uri = rec.uri or ""
        elif head == layout.state_column and not key:
            node.state = rec.state
        elif head == "external_id" and not key:
            node.external_id = rec.external_id
        elif head == "name" and name_mutable and not key:
            node.name = rec.name
        # id, type_id, type, timestamps and unknown paths are ignored, as MLMD does.
    return node


def _is_noop(layout: NodeLayout, rec: NodeRecord, old: StoredNode, new: StoredNode, node_type: TypeRecord,
             mask_paths: Sequence[str]) -> bool:
    """True when the update changes nothing a read would show (MLMD then keeps last_update_time)."""
    if mask_paths:
        same = (new.uri, new.state, new.name, new.external_id, new.properties, new.custom_properties) == (
            old.uri, old.state, old.name, old.external_id, old.properties, old.custom_properties)
        return same and rec.type_name == node_type.name
    # Without a mask MLMD compares the request itself with what a read returns, output-only `type` included.
    return (
        rec.type_id == old.type_id
        and rec.type_name == node_type.name
        and (not layout.f_uri or rec.uri == old.uri)
        and rec.state == old.state
        and rec.name == old.name
        and rec.external_id == old.external_id
        and rec.properties == old.properties
        and rec.custom_properties == old.custom_properties
    )


def _body(layout: NodeLayout, node: StoredNode, type_name: str) -> bytes:
    return rowcore.encode_node(
        wire_fields(layout), node.id, node.type_id, node.uri, node.state, node.name, type_name,
        node.create_time, node.update_time, node.external_id, node.properties, node.custom_properties,
    )


def _row_values(layout: NodeLayout, node_id: int, type_id: int, uri: Optional[str], state: Optional[int],
                name: Optional[str], external_id: Optional[str], create_time: int, update_time: int) -> tuple:
    """The values for `_columns(layout)`, in that order."""
    values: tuple = (node_id, type_id)
    if layout.f_uri:
        values += (uri,)
    if layout.state_column:
        values += (state,)
    return values + (name, external_id, create_time, update_time)


def _column_values(layout: NodeLayout, node: StoredNode) -> tuple:
    """The stored node's values for `_columns(layout)`, in that order."""
    return _row_values(layout, node.id, node.type_id, node.uri, node.state, node.name, node.external_id,
                       node.create_time, node.update_time)


_PROPERTY_INSERT = ("INSERT INTO {table} (node_id, is_custom, name, kind, int_value, double_value, string_value,"
                    " bool_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


def _write_inserts(cur: sqlite3.Cursor, layout: NodeLayout, rows: List[tuple], property_rows: List[tuple]) -> None:
    if not rows:
        return
    cols = _columns(layout) + ["body"]
    cur.executemany(f"INSERT INTO {layout.table} ({', '.join(cols)}) VALUES ({placeholders(cols)})", rows)
    cur.executemany(_PROPERTY_INSERT.format(table=layout.property_table), property_rows)


def _write_updates(cur: sqlite3.Cursor, layout: NodeLayout, pairs: List[Tuple[StoredNode, StoredNode]],
                   types: Dict[int, TypeRecord]) -> None:
    """Writes only what changed: SQLite then maintains only the indexes of the columns set."""
    if not pairs:
        return
    by_columns: Dict[Tuple[str, ...], List[tuple]] = {}
    removed: List[tuple] = []
    upserted: List[tuple] = []
    cols = _columns(layout)
    for old, new in pairs:
        values = dict(zip(cols, _column_values(layout, new)))
        before = dict(zip(cols, _column_values(layout, old)))
        changed_cols = tuple(c for c in cols if c not in ("id", "update_time") and values[c] != before[c])
        body = _body(layout, new, types[new.type_id].name or "")
        by_columns.setdefault(changed_cols, []).append(
            (*(values[c] for c in changed_cols), new.update_time, body, new.id))
        for is_custom, old_props, new_props in ((0, old.properties, new.properties),
                                                (1, old.custom_properties, new.custom_properties)):
            removed += [(new.id, is_custom, name) for name in old_props.keys() - new_props.keys()]
            upserted += rowcore.property_rows(new.id, is_custom,
                                    {k: v for k, v in new_props.items() if old_props.get(k) != v})
    for changed_cols, rows in by_columns.items():
        assignments = ", ".join(f"{col} = ?" for col in (*changed_cols, "update_time", "body"))
        cur.executemany(f"UPDATE {layout.table} SET {assignments} WHERE id = ?", rows)
    if removed:
        cur.executemany(f"DELETE FROM {layout.property_table} WHERE node_id = ? AND is_custom = ? AND name = ?",
                        removed)
    if upserted:
        cur.executemany(_PROPERTY_INSERT.replace("INSERT", "INSERT OR REPLACE", 1).format(
            table=layout.property_table), upserted)

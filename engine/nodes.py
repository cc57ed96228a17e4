"""Node writes: insert and update artifacts, executions and contexts, one batch per call.

See docs/mlmd-interface.md §2.6.

Each row stores its message already encoded (`body`), written here together with the indexed columns
and the property rows that filters use; all three change in the same transaction.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

from . import errors, rowcore
from .backends.base import Cursor, of
from .catalog import NodeLayout, PropertyType, TypeKind
from .node_keys import Key, KeyLedger, first_stored_clash, keys_of
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


@functools.lru_cache(maxsize=None)
def wire_fields(layout: NodeLayout) -> Tuple[int, ...]:
    """The field numbers `rowcore.encode_node` takes, in its argument order."""
    return (layout.f_id, layout.f_type_id, layout.f_uri, layout.f_properties, layout.f_custom_properties,
            layout.f_state, layout.f_name, layout.f_type, layout.f_create_time, layout.f_update_time,
            layout.f_external_id)


@functools.lru_cache(maxsize=None)
def node_columns(layout: NodeLayout) -> Tuple[str, ...]:
    """A node table's columns but the body, in the order rowcore.encode_nodes' rows hold them."""
    cols: Tuple[str, ...] = ("id", "type_id")
    if layout.f_uri:
        cols += ("uri",)
    if layout.state_column:
        cols += (layout.state_column,)
    return cols + ("name", "external_id", "create_time", "update_time")


def load_stored(cur: Cursor, layout: NodeLayout, ids: Sequence[int]) -> Dict[int, StoredNode]:
    """The stored nodes with these ids, with their properties, keyed by id.

    Read from the encoded bodies, which hold every field and exact property values: one statement and one
    decode a node, instead of a row per property.
    """
    found: Dict[int, StoredNode] = {}
    for batch in chunks(sorted(set(ids))):
        for row in cur.execute(f"SELECT {STORED_COLUMNS} FROM {layout.table} WHERE id IN ({placeholders(batch)})",
                               batch):
            found[row[0]] = stored_node(layout, *row)
    return found


# What a stored node is read from (`stored_node` takes them in this order).
STORED_COLUMNS = "id, create_time, update_time, body"


def stored_node(layout: NodeLayout, node_id: int, create_time: int, update_time: int, body: bytes) -> StoredNode:
    """The stored node of a row of STORED_COLUMNS."""
    _, type_id, uri, state, name, external_id, _, props, custom, _ = rowcore.decode_node(wire_fields(layout), body)
    assert type_id is not None  # every stored node was written with its type
    # Positional: every update reads its node through here (keywords cost a third more).
    return StoredNode(node_id, type_id, (uri or "") if layout.f_uri else None, state, name, external_id, create_time,
                      update_time, props, custom)


def _validate_properties(layout: NodeLayout, record: NodeRecord, node_type: TypeRecord) -> None:
    """Checks each property of the record against the type; the first problem raises, in MLMD's words."""
    _check_properties(layout, record.properties, record.empty_values, record.empty_custom_values, node_type)


def _check_properties(layout: NodeLayout, properties: Properties, empty_values: Sequence[str],
                      empty_custom_values: Sequence[str], node_type: TypeRecord) -> None:
    """Checks each property against the type; the first problem raises, in MLMD's words.

    Name order: MLMD reports whichever problem its hash map yields first, which changes between processes.
    """
    if not empty_values and not empty_custom_values:
        declared_types = node_type.properties
        for name, value in properties.items():  # the common case, a node that fits its type: nothing sorted
            if declared_types.get(name) != value[0]:
                break
        else:
            return
    record = NodeRecord(properties=properties, empty_values=tuple(empty_values),
                        empty_custom_values=tuple(empty_custom_values))
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


def _types_for(cur: Cursor, type_cache: TypeCache, records: Sequence[NodeRecord],
               stored: Dict[int, StoredNode]) -> Dict[int, TypeRecord]:
    """The types the records need, from the cache; a type lacking a property a record sets is re-read once
    (another writer may have added the property since it was cached)."""
    wanted = {rec.type_id for rec in records if rec.type_id is not None}
    if stored:
        wanted |= {n.type_id for n in stored.values()}
    types = type_cache.get(cur, wanted)
    stale: Set[int] = set()
    for rec in records:
        # An update is checked against the stored node's type, an insert against the one it names.
        type_id = rec.type_id
        if stored and rec.id is not None:
            known_node = stored.get(rec.id)
            if known_node is not None:
                type_id = known_node.type_id
        if type_id is None:
            continue
        known = types.get(type_id)
        if known is not None and not rec.properties.keys() <= known.properties.keys():
            stale.add(type_id)
    if stale:
        types.update(type_cache.get(cur, stale, reload=True))
    return types


def check_types(cur: Cursor, layout: NodeLayout, records: Sequence[NodeRecord],
                type_cache: TypeCache) -> None:
    """Checks, before anything is written, that every record names a type of its kind and fits it.

    put_lineage_subgraph's order (MLMD's): every record names its type_id (updates too), then every type
    exists, then every record's properties fit its type.
    """
    if any(rec.type_id is None for rec in records):
        raise errors.InvalidArgumentError("Type id is missing.")
    types = _types_for(cur, type_cache, records, {})
    wanted = sorted({rec.type_id for rec in records if rec.type_id is not None})
    found = [i for i in wanted if i in types and types[i].kind == layout.kind]
    if len(found) < len(wanted):
        missing = [i for i in wanted if i not in found]
        raise errors.NotFoundError(  # MLMD's words: it looks up each kind's types in one query
            f"Results missing for ids: {{{','.join(map(str, missing))}}}. Found results for "
            f"{{{','.join(map(str, found))}}}: no {layout.noun} type has id {', '.join(map(str, missing))}")
    for rec in records:
        assert rec.type_id is not None
        _validate_properties(layout, rec, types[rec.type_id])


def _node_keys(node: StoredNode) -> Tuple[Key, ...]:
    return keys_of(node.type_id, node.name, node.external_id)


def put_nodes(
    cur: Cursor,
    layout: NodeLayout,
    records: Sequence[NodeRecord],
    now: int,
    type_cache: TypeCache,
    mask_paths: Sequence[str] = (),
    force_update_time: bool = False,
    reuse_by_external_id: bool = False,
    allocated: Optional[Tuple[int, Optional[int]]] = None,
    stored: Optional[Dict[int, StoredNode]] = None,
) -> List[int]:
    """Inserts the records without id and updates those with one; returns the ids, index-aligned.

    The records take effect as if written one at a time in list order, as MLMD writes them: each is checked
    against the state the earlier ones leave (a later record may take an external_id or name an earlier one
    let go of; a node given twice is updated twice), and the first failing record is the one reported. The
    writes are then batched: each node once, in the state the call leaves it.

    `reuse_by_external_id` (put_execution's flag): a record without id updates the node that holds its
    external_id at that point of the call, if one does.

    `allocated`: the first new id and the word index's fold mark (`Backend.next_ids`), when the caller
    read them already in this transaction (put_execution reads every table's at once).

    `stored`: the stored nodes the records name by id, when the caller read them already in this transaction
    (put_execution's first read); an id it lacks is not stored.
    """
    if not records:
        return []
    batch = _Batch(cur, layout, records, type_cache, now, allocated, stored)
    ids: List[int] = []
    for position, rec in enumerate(records):
        try:
            node_id = rec.id
            if node_id is None and reuse_by_external_id and rec.external_id:
                node_id = batch.holder_of_external_id(rec.external_id)
            if node_id is None:
                ids.append(batch.insert(position, rec))
            else:
                batch.update(position, node_id, rec, mask_paths, force_update_time)
                ids.append(node_id)
        except errors.StatusError:
            # A record before this one may take a key a stored node outside the call holds: MLMD, writing
            # in order, fails there first.
            clash = batch.stored_clash(before=position)
            if clash is not None:
                raise clash from None
            raise
    batch.write()
    return ids


class _Batch:
    """The nodes one put_nodes call writes, as its records so far leave them, and the writes that follow."""

    def __init__(self, cur: Cursor, layout: NodeLayout, records: Sequence[NodeRecord], type_cache: TypeCache,
                 now: int, allocated: Optional[Tuple[int, Optional[int]]],
                 stored: Optional[Dict[int, StoredNode]]) -> None:
        self.cur, self.layout, self.type_cache, self.now = cur, layout, type_cache, now
        updates = [rec.id for rec in records if rec.id is not None]
        if stored is not None:
            self.originals = {i: stored[i] for i in updates if i in stored}
        else:
            self.originals = load_stored(cur, layout, updates) if updates else {}
        self.types = _types_for(cur, type_cache, records, self.originals)
        self.next_id, self.fold_at = 0, None
        if len(updates) < len(records):
            self.next_id, self.fold_at = allocated or cur.execute(
                f"SELECT {of(cur).next_ids(layout)}").fetchone()
        self.first_new_id = self.next_id  # the call creates the nodes first_new_id .. next_id - 1
        self.current = dict(self.originals)  # every node of the call, as the records so far leave it
        self.changed: Dict[int, None] = {}  # the stored nodes it changes, in order (a dict as an ordered set)
        self.ledger = KeyLedger(layout)
        for node in self.originals.values():
            self.ledger.hold(node.id, _node_keys(node))

    def insert(self, position: int, rec: NodeRecord) -> int:
        node_id = self.next_id
        node = _new_node(self.layout, rec, self.types, node_id, self.now)
        if rec.name is not None or rec.external_id is not None:
            self.ledger.insert(position, node_id, keys_of(node.type_id, rec.name, rec.external_id))
        self.current[node_id] = node
        self.next_id += 1
        return node_id

    def update(self, position: int, node_id: int, rec: NodeRecord, mask_paths: Sequence[str],
               force_update_time: bool) -> None:
        old = self.current.get(node_id)
        if old is None:
            raise errors.InvalidArgumentError(f"Cannot find the given id {node_id}")
        node_type = self.types[old.type_id]
        node = _updated_node(self.layout, rec, old, node_type, mask_paths)
        if force_update_time or not _is_noop(self.layout, rec, old, node, node_type, mask_paths):
            node.update_time = max(self.now, old.update_time)
            if node.name != old.name or node.external_id != old.external_id:  # the keys it holds change
                self.ledger.update(position, node_id, _node_keys(old), _node_keys(node))
            self.current[node_id] = node
            if not self.first_new_id <= node_id < self.next_id:  # a node the call creates is inserted as it ends
                self.changed[node_id] = None

    def holder_of_external_id(self, external_id: str) -> Optional[int]:
        """The node holding `external_id` at this point of the call: one the call writes, else a stored one."""
        holder = self.ledger.holder(("external_id", external_id))
        if holder is not None:
            return holder
        row = self.cur.execute(f"SELECT id FROM {self.layout.table} WHERE external_id = ?", (external_id,)).fetchone()
        if row is None or row[0] in self.current:  # a node of the call held it and let it go
            return None
        found = load_stored(self.cur, self.layout, [row[0]])[row[0]]
        self.originals[found.id] = self.current[found.id] = found
        self.ledger.hold(found.id, _node_keys(found))
        if found.type_id not in self.types:
            self.types.update(self.type_cache.get(self.cur, {found.type_id}))
        return found.id

    def stored_clash(self, before: Optional[int] = None) -> Optional[errors.StatusError]:
        """The first clash (of the records before position `before`, or of all) with a stored node outside the
        call; looked up only when the order matters, as the UNIQUE indexes find the others when written."""
        takes = [t for t in self.ledger.takes if before is None or t[0] < before]
        return first_stored_clash(self.cur, self.layout, takes, set(self.current)) if takes else None

    def write(self) -> None:
        if self.ledger.held_for_a_while:  # the written rows will not show that clash: look for it now
            clash = self.stored_clash()
            if clash is not None:
                raise clash
        try:
            # Updates first: an insert may take a key an update lets go of.
            if self.changed:
                _write_updates(self.cur, self.layout, [(self.originals[i], self.current[i]) for i in self.changed],
                               self.types)
            if self.next_id > self.first_new_id:
                current = self.current
                write_inserts(self.cur, self.layout, [current[i] for i in range(self.first_new_id, self.next_id)],
                              self.types, self.fold_at)
        except of(self.cur).IntegrityError as exc:
            clash = self.stored_clash()
            if clash is None:  # the ledger saw every other holder: a broken invariant, reported as it is
                raise errors.InternalError(f"Error when executing query: {exc}") from exc
            raise clash from exc


def _new_node(layout: NodeLayout, rec: NodeRecord, types: Dict[int, TypeRecord], node_id: int,
              now: int) -> StoredNode:
    """The node an insert creates, once the record is checked."""
    if rec.type_id is None:
        raise errors.InvalidArgumentError("Type id is missing.")
    node_type = types.get(rec.type_id)
    if node_type is None or node_type.kind != layout.kind:
        node_type = _resolve_type(layout, rec.type_id, types)  # raises, in its words
    _check_properties(layout, rec.properties, rec.empty_values, rec.empty_custom_values, node_type)
    if not rec.name and layout.kind == TypeKind.CONTEXT:
        # MLMD's words, with the node it prints cut to its type_id.
        raise errors.InvalidArgumentError(f"Cannot create node for type_id: {rec.type_id}Context name should not "
                                          "be empty")
    # Positional, as stored_node; the record's maps become the node's: nothing changes them in place.
    return StoredNode(node_id, rec.type_id, (rec.uri or "") if layout.f_uri else None, rec.state, rec.name,
                      rec.external_id, now, now, rec.properties, rec.custom_properties)


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
        # The record's maps become the node's: nothing changes a map in place (a masked update copies).
        node = StoredNode(old.id, old.type_id, (rec.uri or "") if layout.f_uri else None, rec.state,
                          rec.name if name_mutable else old.name, rec.external_id, old.create_time,
                          old.update_time, rec.properties, rec.custom_properties)
        _check_properties(layout, node.properties, rec.empty_values, rec.empty_custom_values, node_type)
    else:
        node = _apply_mask(layout, rec, old, mask_paths, name_mutable)
        # As MLMD, a masked update reads only the masked fields: an empty Value elsewhere is never looked at.
        _check_properties(layout, node.properties,
                          [n for n in rec.empty_values if _masked(mask_paths, "properties", n)],
                          [n for n in rec.empty_custom_values if _masked(mask_paths, "custom_properties", n)],
                          node_type)
    if name_mutable and not node.name:  # an update may not clear a context's name
        raise errors.InvalidArgumentError("Context name should not be empty")
    return node


def _masked(mask_paths: Sequence[str], holder: str, name: str) -> bool:
    """Whether the mask covers property `name` of `holder` ("properties" or "custom_properties")."""
    return holder in mask_paths or f"{holder}.{name}" in mask_paths


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


def _row_values(layout: NodeLayout, node_id: int, type_id: int, uri: Optional[str], state: Optional[int],
                name: Optional[str], external_id: Optional[str], create_time: int, update_time: int) -> tuple:
    """The values for `node_columns(layout)`, in that order."""
    values: tuple = (node_id, type_id)
    if layout.f_uri:
        values += (uri,)
    if layout.state_column:
        values += (state,)
    return values + (name, external_id, create_time, update_time)


def _column_values(layout: NodeLayout, node: StoredNode) -> tuple:
    """The stored node's values for `node_columns(layout)`, in that order."""
    return _row_values(layout, node.id, node.type_id, node.uri, node.state, node.name, node.external_id,
                       node.create_time, node.update_time)


@functools.lru_cache(maxsize=None)
def _insert_sql(layout: NodeLayout) -> str:
    cols = (*node_columns(layout), "body")
    return f"INSERT INTO {layout.table} ({', '.join(cols)}) VALUES ({placeholders(cols)})"


def write_inserts(cur: Cursor, layout: NodeLayout, created: List[StoredNode],
                   types: Dict[int, TypeRecord], fold_at: Optional[int]) -> None:
    if not created:
        return
    fields, encode, property_rows = wire_fields(layout), rowcore.encode_node, rowcore.property_rows
    rows: List[tuple] = []
    properties: List[tuple] = []
    # A new node's row: its columns (`node_columns`, inlined per layout), then its body. One loop, no call but
    # the kernel's: this is every insert's path.
    if layout.f_uri:  # artifacts: uri and state
        for n in created:
            body = encode(fields, n.id, n.type_id, n.uri, n.state, n.name, types[n.type_id].name or "",
                          n.create_time, n.update_time, n.external_id, n.properties, n.custom_properties)
            rows.append((n.id, n.type_id, n.uri, n.state, n.name, n.external_id, n.create_time, n.update_time, body))
            if n.properties:
                properties += property_rows(n.id, 0, n.properties)
            if n.custom_properties:
                properties += property_rows(n.id, 1, n.custom_properties)
    else:  # executions (a state) and contexts (none)
        stateful = bool(layout.state_column)
        for n in created:
            body = encode(fields, n.id, n.type_id, n.uri, n.state, n.name, types[n.type_id].name or "",
                          n.create_time, n.update_time, n.external_id, n.properties, n.custom_properties)
            rows.append((n.id, n.type_id, n.state, n.name, n.external_id, n.create_time, n.update_time, body)
                        if stateful else
                        (n.id, n.type_id, n.name, n.external_id, n.create_time, n.update_time, body))
            if n.properties:
                properties += property_rows(n.id, 0, n.properties)
            if n.custom_properties:
                properties += property_rows(n.id, 1, n.custom_properties)
    cur.executemany(_insert_sql(layout), rows)
    # Run with no rows too: a property table dropped behind the store's back fails the write (DataLossError).
    of(cur).insert_properties(cur, layout.property_table, properties, replace=False)
    if fold_at is not None:  # the word index takes in new nodes as its backend does (Backend.next_ids)
        of(cur).words.take_in(cur, layout, created, fold_at)


def _write_updates(cur: Cursor, layout: NodeLayout, pairs: List[Tuple[StoredNode, StoredNode]],
                   types: Dict[int, TypeRecord]) -> None:
    """Writes each (node as stored before the call, node as the call leaves it) pair: only what changed, so
    the database maintains only the indexes of the columns set, and property rows always match the body."""
    if not pairs:
        return
    by_columns: Dict[Tuple[str, ...], List[tuple]] = {}
    unchanged_columns: List[tuple] = []  # (update_time, body, id) of the nodes whose columns are as they were
    removed: List[tuple] = []
    upserted: List[tuple] = []
    cols = node_columns(layout)
    fields, encode = wire_fields(layout), rowcore.encode_node
    for old, new in pairs:
        body = encode(fields, new.id, new.type_id, new.uri, new.state, new.name, types[new.type_id].name or "",
                      new.create_time, new.update_time, new.external_id, new.properties, new.custom_properties)
        # The common update (a state, a property) leaves every column but update_time as it was: compared
        # field by field, with no row tuples built (type_id and create_time never change).
        if (new.uri == old.uri and new.state == old.state and new.name == old.name
                and new.external_id == old.external_id):
            unchanged_columns.append((new.update_time, body, new.id))
        else:
            values, before = _column_values(layout, new), _column_values(layout, old)
            changed = [i for i, col in enumerate(cols)
                       if values[i] != before[i] and col not in ("id", "update_time")]
            by_columns.setdefault(tuple(cols[i] for i in changed), []).append(
                (*(values[i] for i in changed), new.update_time, body, new.id))
        # The common update (a status, a timestamp) leaves the property maps as they were: nothing to write.
        if new.properties != old.properties:
            _property_changes(new.id, 0, old.properties, new.properties, removed, upserted)
        if new.custom_properties != old.custom_properties:
            _property_changes(new.id, 1, old.custom_properties, new.custom_properties, removed, upserted)
    if not by_columns:
        cur.executemany(_update_time_and_body_sql(layout), unchanged_columns)
        _write_property_changes(cur, layout, removed, upserted)
        return  # no column with words or keys changed: nothing more to keep in step
    if unchanged_columns:
        by_columns.setdefault((), []).extend(unchanged_columns)
    words = of(cur).words
    reworded = [row[-1] for changed_cols, rows in by_columns.items()
                if not set(layout.word_columns).isdisjoint(changed_cols) for row in rows]
    if reworded and words is not None:
        reworded = words.forget(cur, layout, reworded)  # before any UPDATE: FTS5 removes the words rows hold
    releasing: Dict[Tuple[str, ...], List[tuple]] = {}
    for changed_cols, rows in by_columns.items():
        keys = tuple(col for col in changed_cols if col in ("name", "external_id"))
        if keys:
            releasing.setdefault(keys, []).extend((row[-1],) for row in rows)
    if sum(len(rows) for rows in releasing.values()) > 1:
        # One node may take a key another lets go of (the ledger checked the state the call leaves): clear
        # the keys that change first, so the order the rows are written in cannot trip a UNIQUE index.
        for keys, rows in releasing.items():
            cur.executemany(f"UPDATE {layout.table} SET {', '.join(f'{k} = NULL' for k in keys)} WHERE id = ?", rows)
    for changed_cols, rows in by_columns.items():
        assignments = ", ".join(f"{col} = ?" for col in (*changed_cols, "update_time", "body"))
        cur.executemany(f"UPDATE {layout.table} SET {assignments} WHERE id = ?", rows)
    if reworded and words is not None:
        words.index_again(cur, layout, reworded)
    _write_property_changes(cur, layout, removed, upserted)


def _property_changes(node_id: int, is_custom: int, old_props: Properties, new_props: Properties,
                      removed: List[tuple], upserted: List[tuple]) -> None:
    """Adds the property rows one map's change deletes to `removed`, and those it sets to `upserted`."""
    if not old_props.keys() <= new_props.keys():
        removed += [(node_id, is_custom, name) for name in old_props.keys() - new_props.keys()]
    upserted += rowcore.property_rows(node_id, is_custom, {k: v for k, v in new_props.items() if old_props.get(k) != v})


@functools.lru_cache(maxsize=None)
def _update_time_and_body_sql(layout: NodeLayout) -> str:
    return f"UPDATE {layout.table} SET update_time = ?, body = ? WHERE id = ?"


def _write_property_changes(cur: Cursor, layout: NodeLayout, removed: List[tuple],
                            upserted: List[tuple]) -> None:
    if removed:
        cur.executemany(f"DELETE FROM {layout.property_table} WHERE node_id = ? AND is_custom = ? AND name = ?",
                        removed)
    if upserted:
        of(cur).insert_properties(cur, layout.property_table, upserted, replace=True)

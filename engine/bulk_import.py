"""Writing records as given, ids and timestamps kept: the entry `fastmlmd import` and `copy` use.

The API allocates ids and stamps times itself; an exact copy of a store needs both kept. Every record is
checked as an insert is (its type exists and is of its kind, its properties fit, a context has a name), and
a record that takes an id, a name or an external_id already held is refused with AlreadyExistsError.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set, Tuple

from . import errors, nodes
from .backends.base import Cursor, of
from .catalog import CONTEXT, NodeLayout, PropertyType, TypeKind
from .links import existing_ids
from .records import NodeRecord, TypeRecord
from .sqlutil import chunks, placeholders
from .types import TypeCache


@dataclass
class ImportedNode:
    """A node to write with its own id and timestamps."""

    record: NodeRecord  # its id set
    create_time: int
    update_time: int


def _refused(what: str, exc: BaseException) -> errors.AlreadyExistsError:
    return errors.AlreadyExistsError(
        f"Cannot import {what}: its id, name or external_id is already held in this store ({exc}); import into an "
        "empty store, or let the store give new ids (fastmlmd import --remap-ids)")


def import_types(cur: Cursor, records: Sequence[TypeRecord]) -> None:
    """Inserts each type with its id; properties of an UNKNOWN kind are refused, as put_type refuses them."""
    for rec in records:
        if rec.id is None or rec.id <= 0 or not rec.name:
            raise errors.InvalidArgumentError(f"an imported type needs an id and a name, got id {rec.id} name "
                                              f"{rec.name!r}")
        unknown = [name for name, kind in rec.properties.items() if kind == PropertyType.UNKNOWN]
        if unknown:
            raise errors.InvalidArgumentError(f"Property {unknown[0]} is UNKNOWN (type {rec.name!r})")
        try:
            cur.execute("INSERT INTO type (id, kind, name, version, description, external_id, base_type, input_type, "
                        "output_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (rec.id, int(rec.kind), rec.name, rec.version or None, rec.description, rec.external_id,
                         rec.base_type or None, rec.input_type, rec.output_type))
        except of(cur).IntegrityError as exc:
            raise _refused(f"type {rec.name!r} (id {rec.id})", exc) from exc
        cur.executemany("INSERT INTO type_property (type_id, name, data_type) VALUES (?, ?, ?)",
                        [(rec.id, name, int(kind)) for name, kind in rec.properties.items()])


def import_nodes(cur: Cursor, layout: NodeLayout, imported: Sequence[ImportedNode]) -> None:
    """Inserts the nodes with their ids and timestamps, after the checks an insert makes."""
    if not imported:
        return
    records = [item.record for item in imported]
    if any(rec.id is None or rec.id <= 0 for rec in records):
        raise errors.InvalidArgumentError(f"every imported {layout.noun} needs an id above 0")
    if layout.kind == TypeKind.CONTEXT and not all(rec.name for rec in records):
        raise errors.InvalidArgumentError("Context name should not be empty")
    # A cache of this call alone: the types it reads may be ones this transaction imports, and the store's own
    # cache holds committed rows only.
    cache = TypeCache()
    nodes.check_types(cur, layout, records, cache)
    types: Dict[int, TypeRecord] = cache.get(cur, {rec.type_id for rec in records if rec.type_id is not None})
    stored: List[nodes.StoredNode] = []
    for item in sorted(imported, key=lambda i: i.record.id or 0):
        rec = item.record
        assert rec.id is not None and rec.type_id is not None
        stored.append(nodes.StoredNode(
            id=rec.id, type_id=rec.type_id, uri=(rec.uri or "") if layout.f_uri else None, state=rec.state,
            name=rec.name, external_id=rec.external_id, create_time=item.create_time, update_time=item.update_time,
            properties=rec.properties, custom_properties=rec.custom_properties))
    backend = of(cur)
    words = backend.words if backend.words is not None and backend.words.available() else None
    mark = words.read_mark(cur, layout) if words is not None else None
    try:
        nodes.write_inserts(cur, layout, stored, types, None)  # the word index is brought up to date below
    except backend.IntegrityError as exc:
        raise _refused(f"{layout.noun}s {stored[0].id}..{stored[-1].id}", exc) from exc
    if words is not None and mark is not None:
        # Nodes below the index's mark are not pending: they get their words now. Those above are, as any insert.
        below = [node.id for node in stored if node.id <= mark]
        if below:
            words.index_again(cur, layout, below)
        if stored[-1].id - mark >= words.FOLD_AT:  # as an insert does (Backend.next_ids)
            words.index_pending(cur, layout)


def import_parent_contexts(cur: Cursor, edges: Sequence[Tuple[Optional[int], Optional[int]]]) -> None:
    """Inserts (child, parent) edges as one batch: a copy's thousands of edges take a few statements, where
    put_parent_contexts checks and writes each edge in a statement of its own.

    The same rules hold: both contexts stored (or imported by this call), no self edge, no edge held already,
    and the hierarchy acyclic. A cycle needs a new edge, so one walk up from the new edges' children, after
    the insert, finds any.
    """
    if not edges:
        return
    complete: List[Tuple[int, int]] = []
    for child, parent in edges:
        if child is None or parent is None or child == parent:
            raise errors.InvalidArgumentError(
                f"an imported parent_context needs two different contexts, got child_id {child}, parent_id {parent}")
        complete.append((child, parent))
    named = {context for edge in complete for context in edge}
    missing = named - existing_ids(cur, CONTEXT, sorted(named))
    if missing:
        raise errors.InvalidArgumentError(
            f"Given parent / child id in the parent_context cannot be found (context {min(missing)})")
    if len(set(complete)) < len(complete):
        raise errors.AlreadyExistsError("an imported parent_context is given twice")
    try:
        cur.executemany("INSERT INTO parent_context (child_id, parent_id) VALUES (?, ?)", complete)
    except of(cur).IntegrityError as exc:
        raise _refused(f"{len(complete)} parent_contexts", exc) from exc
    children: Set[int] = {child for child, _ in complete}
    for batch in chunks(sorted(children)):
        found = cur.execute(_CYCLE.format(placeholders(batch)), batch).fetchone()
        if found is not None:
            raise errors.InvalidArgumentError(
                f"There is a cycle detected of the given relationship: context {found[0]} would be its own ancestor")


# A child of the batch that reaches itself walking up: (child, ancestor) pairs, kept distinct so a cycle ends.
_CYCLE = """WITH RECURSIVE up(child_id, id) AS (
    SELECT child_id, parent_id FROM parent_context WHERE child_id IN ({})
    UNION SELECT up.child_id, p.parent_id FROM parent_context AS p JOIN up ON p.child_id = up.id)
    SELECT child_id FROM up WHERE id = child_id ORDER BY child_id LIMIT 1"""

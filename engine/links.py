"""Edges: events, attributions, associations and parent contexts (docs/mlmd-interface.md §2.4 "Edges" and §2.7)."""
from __future__ import annotations

from typing import AbstractSet, Dict, List, Optional, Sequence, Set, Tuple

from . import errors, rowcore
from .catalog import ARTIFACT, CONTEXT, EVENT_UNKNOWN, EXECUTION, NodeLayout
from .backends.base import Cursor, of
from .reads import bodies_where
from .records import EventRecord
from .sqlutil import CHUNK, chunks, placeholders

# (artifact_id, execution_id, type): what makes an event unique.
EventKey = Tuple[int, int, int]


def existing_ids(cur: Cursor, layout: NodeLayout, ids: Sequence[int]) -> Set[int]:
    """Which of these node ids are stored."""
    found: Set[int] = set()
    for batch in chunks(sorted(set(ids))):
        found.update(row[0] for row in cur.execute(
            f"SELECT id FROM {layout.table} WHERE id IN ({placeholders(batch)})", batch))
    return found


def _stored_and_next_id(cur: Cursor, lookups: Sequence[Tuple[NodeLayout, Sequence[int]]],
                        next_id_of: Optional[str] = None) -> Tuple[List[Set[int]], Optional[int]]:
    """Which of each list's ids its table holds, and the next id of table `next_id_of` (when named).

    One statement while the ids are few (a UNION ALL of one index seek per id), instead of one per table.
    """
    wanted = [sorted(set(ids)) for _, ids in lookups]
    if sum(len(ids) for ids in wanted) > CHUNK:
        next_id = None
        if next_id_of is not None:
            next_id = cur.execute(f"SELECT {of(cur).next_id(next_id_of)}").fetchone()[0]
        return [existing_ids(cur, layout, ids) for (layout, _), ids in zip(lookups, wanted)], next_id
    parts: List[str] = []
    params: List[int] = []
    for which, ((layout, _), ids) in enumerate(zip(lookups, wanted)):
        if ids:
            # Padded (the last id repeated) to a power of two: a few statement texts, each prepared once.
            count = 1 << (len(ids) - 1).bit_length()
            parts.append(f"SELECT {which}, id FROM {layout.table} WHERE id IN ({', '.join('?' * count)})")
            params += ids + ids[-1:] * (count - len(ids))
    if next_id_of is not None:
        parts.append(f"SELECT -1, {of(cur).next_id(next_id_of)}")
    found: List[Set[int]] = [set() for _ in lookups]
    next_id = None
    if parts:
        for which, value in cur.execute(" UNION ALL ".join(parts), params):
            if which < 0:
                next_id = value
            else:
                found[which].add(value)
    return found, next_id


def put_events(cur: Cursor, events: Sequence[EventRecord], now: int,
               known_artifacts: AbstractSet[int] = frozenset(),
               known_executions: AbstractSet[int] = frozenset(), next_id: Optional[int] = None) -> None:
    """Inserts events; each must name a stored artifact and execution and a known type, and be new.

    Checked one by one in list order, as MLMD writes them, so the first failing event is the one reported;
    then written in one batch. `known_*` are ids the caller has just written in this transaction, which need
    no look-up; `next_id`, the first new event id when the caller read it already in this transaction.
    """
    if not events:
        return
    unknown_artifacts = [e.artifact_id for e in events
                         if e.artifact_id is not None and e.artifact_id not in known_artifacts]
    unknown_executions = [e.execution_id for e in events
                          if e.execution_id is not None and e.execution_id not in known_executions]
    artifacts: AbstractSet[int]
    executions: AbstractSet[int]
    if next_id is None or unknown_artifacts or unknown_executions:
        (stored_artifacts, stored_executions), found_next_id = _stored_and_next_id(
            cur, ((ARTIFACT, unknown_artifacts), (EXECUTION, unknown_executions)),
            "event" if next_id is None else None)
        next_id = next_id if next_id is not None else found_next_id
        artifacts, executions = stored_artifacts | known_artifacts, stored_executions | known_executions
    else:  # put_execution: every id was just written and the next event id read with the rest
        artifacts, executions = known_artifacts, known_executions
    assert next_id is not None
    positions: Dict[EventKey, int] = {}  # the call's events so far, by key
    rows = []
    encode = rowcore.encode_event
    for position, e in enumerate(events):
        artifact_id, execution_id, event_type = e.artifact_id, e.execution_id, e.type
        # The common event, checked inline; any other goes through _checked_key, which says what is wrong.
        if not (artifact_id is not None and execution_id is not None and event_type and event_type != EVENT_UNKNOWN
                and artifact_id in artifacts and execution_id in executions
                and (key := (artifact_id, execution_id, event_type)) not in positions):
            try:
                key = _checked_key(e, artifacts, executions)
                if key in positions:
                    raise _exists_error(key, position)
            except errors.StatusError:
                stored = _first_stored(cur, list(positions), next_id)  # an earlier event may be stored: MLMD fails there
                if stored is not None:
                    raise _exists_error(stored, positions[stored]) from None
                raise
        positions[key] = position
        milliseconds = now if e.milliseconds_since_epoch is None else e.milliseconds_since_epoch
        # Events never change: the row keeps the encoded message (path included) for reads to parse.
        rows.append((next_id + position, *key, milliseconds, encode(key[0], key[1], e.path, key[2], milliseconds)))
    try:
        cur.executemany("INSERT INTO event (id, artifact_id, execution_id, type, milliseconds_since_epoch, body)"
                        " VALUES (?, ?, ?, ?, ?, ?)", rows)
    except of(cur).IntegrityError as exc:
        stored = _first_stored(cur, list(positions), next_id)
        if stored is None:  # the call's own repeats were refused above: a broken invariant, reported as it is
            raise errors.InternalError(f"Error when executing query: {exc}") from exc
        raise _exists_error(stored, positions[stored]) from exc


def _checked_key(event: EventRecord, artifacts: AbstractSet[int], executions: AbstractSet[int]) -> EventKey:
    """The event's key, once it names a type and an artifact and an execution that are stored (in MLMD's order)."""
    if event.artifact_id is None:
        raise errors.InvalidArgumentError("No artifact id is specified.")
    if event.execution_id is None:
        raise errors.InvalidArgumentError("No execution id is specified.")
    if not event.type or event.type == EVENT_UNKNOWN:
        raise errors.InvalidArgumentError("No event type is specified.")
    if event.artifact_id not in artifacts:
        raise errors.InvalidArgumentError(f"No artifact with the given id {event.artifact_id}")
    if event.execution_id not in executions:
        raise errors.InvalidArgumentError(f"No execution with the given id {event.execution_id}")
    return event.artifact_id, event.execution_id, event.type


def _first_stored(cur: Cursor, keys: Sequence[EventKey], before_id: int) -> Optional[EventKey]:
    """The first of `keys` an event stored before this call (id below `before_id`) already has."""
    stored: Set[EventKey] = set()
    for batch in chunks(sorted({artifact_id for artifact_id, _, _ in keys})):
        stored.update(cur.execute(
            f"SELECT artifact_id, execution_id, type FROM event WHERE artifact_id IN ({placeholders(batch)}) "
            "AND id < ?", [*batch, before_id]))
    return next((key for key in keys if key in stored), None)


def _exists_error(key: EventKey, position: int) -> errors.AlreadyExistsError:
    return errors.AlreadyExistsError(
        f"Given event already exists: artifact_id {key[0]}, execution_id {key[1]}, type {key[2]} (event {position} "
        "of the call); an event is unique per artifact, execution and type")


def events_by_node(cur: Cursor, column: str, ids: Sequence[int], join_in_sql: bool = True) -> bytes:
    """Events touching these artifacts (`column`="artifact_id") or executions, framed as a repeated field 1.

    In MLMD's order: by artifact, execution and type for artifacts; by execution, then insertion, for
    executions (the orders of the indexes its queries use). Repeated and unknown ids add nothing. With
    `join_in_sql` (only where the database can, Backend.joins_blobs), the database joins the bodies into one
    row; otherwise each event is a row, joined here.

    Raises:
      errors.DataLossError: a stored event body is not one `rowcore.encode_event` wrote.
    """
    unique = sorted(set(ids))
    if not unique:
        return b""
    by_execution = column == "execution_id"
    events_sql = of(cur).events_sql
    framed = b""
    for batch in chunks(unique) if len(unique) > CHUNK else (unique,):  # no list copied in the common case
        if join_in_sql:
            count, joined, event_ids = cur.execute(events_sql(column, len(batch), True), batch).fetchone()
        else:
            rows = cur.execute(events_sql(column, len(batch), False), batch).fetchall()
            count, joined = len(rows), b"".join(row[0] for row in rows)
            event_ids = ",".join(str(row[1]) for row in rows)
        if not count:
            continue
        try:
            framed += rowcore.frame_events(joined, count, event_ids if by_execution else None)
        except ValueError as exc:
            raise errors.DataLossError(f"the store's events are corrupt: {exc}") from exc
    return framed


def put_attributions_and_associations(
    cur: Cursor,
    attributions: Sequence[Tuple[Optional[int], Optional[int]]],
    associations: Sequence[Tuple[Optional[int], Optional[int]]],
    known_contexts: AbstractSet[int] = frozenset(),
    known_nodes: AbstractSet[int] = frozenset(),
) -> None:
    """Links artifacts (attributions) and executions (associations) to contexts; existing links are kept.

    `known_*` are ids the caller has just written in this transaction, which need no look-up. Where the backend
    checks the ids in the statement that writes the links (Backend.insert_where_stored), each list is one
    statement, and the ids are looked up only when fewer links than given were written (some were stored
    already, or an id is missing: the look-up says which).
    """
    backend = of(cur)
    lists = ((attributions, ARTIFACT, "attribution", "artifact_id"),
             (associations, EXECUTION, "association", "execution_id"))
    everything = (*attributions, *associations) if known_contexts and known_nodes else ()
    if everything and {c for c, _ in everything} <= known_contexts and {n for _, n in everything} <= known_nodes:
        insert_links(cur, attributions, associations)
        return
    # Measured on SQLite: this beats a read before the INSERT (4.43M instructions per 200 links against 4.99M).
    attribution_sql, association_sql = (
        backend.insert_where_stored(table, ("context_id", column), ((0, CONTEXT.table), (1, layout.table)), True)
        for _, layout, table, column in lists)
    if attribution_sql is not None and association_sql is not None:
        short = False
        for links, sql in ((attributions, attribution_sql), (associations, association_sql)):
            if links:
                short = cur.executemany(sql, links).rowcount < len(links) or short
        if short:
            _check_links(cur, attributions, associations, known_contexts, known_nodes)
        return
    _check_links(cur, attributions, associations, known_contexts, known_nodes)
    insert_links(cur, attributions, associations)


def insert_links(cur: Cursor, attributions: Sequence[Tuple[Optional[int], Optional[int]]],
                 associations: Sequence[Tuple[Optional[int], Optional[int]]]) -> None:
    """Writes links whose ids are known to be stored (checked, or written by the same call); existing links
    are kept."""
    backend = of(cur)
    if attributions:
        cur.executemany(backend.insert_or_ignore("attribution", ("context_id", "artifact_id")), attributions)
    if associations:
        cur.executemany(backend.insert_or_ignore("association", ("context_id", "execution_id")), associations)


def _check_links(cur: Cursor, attributions: Sequence[Tuple[Optional[int], Optional[int]]],
                 associations: Sequence[Tuple[Optional[int], Optional[int]]], known_contexts: AbstractSet[int],
                 known_nodes: AbstractSet[int]) -> None:
    """Raises for the first link naming a context or node that is not stored: list by list, as MLMD checks."""
    everything = (*attributions, *associations)
    # Every id both lists name, looked up at once.
    (stored_contexts, stored_artifacts, stored_executions), _ = _stored_and_next_id(cur, (
        (CONTEXT, [c for c, _ in everything if c is not None and c not in known_contexts]),
        (ARTIFACT, [n for _, n in attributions if n is not None and n not in known_nodes]),
        (EXECUTION, [n for _, n in associations if n is not None and n not in known_nodes])))
    contexts = stored_contexts | known_contexts
    for links, layout, nodes in ((attributions, ARTIFACT, stored_artifacts | known_nodes),
                                 (associations, EXECUTION, stored_executions | known_nodes)):
        for context_id, node_id in links:
            if context_id is None or context_id not in contexts:
                raise errors.InvalidArgumentError(f"Context id not found. (context_id {context_id})")
            if node_id is None or node_id not in nodes:
                raise errors.InvalidArgumentError(
                    f"{layout.noun.capitalize()} id not found. ({layout.noun}_id {node_id})")


def put_parent_contexts(cur: Cursor, edges: Sequence[Tuple[Optional[int], Optional[int]]]) -> None:
    """Adds (child, parent) edges; the hierarchy must stay acyclic, with no self edges and no duplicates."""
    complete: List[Tuple[int, int]] = []
    for child, parent in edges:
        if child is None or parent is None:
            raise errors.InvalidArgumentError(
                f"Missing parent / child id in the parent_context (child_id {child}, parent_id {parent})")
        complete.append((child, parent))
    for child_id, parent_id in complete:
        # Checked and written in one statement: the edge goes in when both contexts are stored and the child
        # is not an ancestor of the parent (nor the parent itself); otherwise the look-ups below say why.
        try:
            written = cur.execute(_EDGE_INSERT, (child_id, parent_id, child_id, parent_id, child_id, parent_id,
                                                 parent_id, child_id)).rowcount
        except of(cur).IntegrityError as exc:
            raise errors.AlreadyExistsError(
                f"Given parent_context already exists: child_id {child_id}, parent_id {parent_id}") from exc
        if written:
            continue
        if child_id == parent_id or len(existing_ids(cur, CONTEXT, [child_id, parent_id])) < 2:
            # MLMD reports a self edge like a missing context.
            raise errors.InvalidArgumentError(
                f"Given parent / child id in the parent_context cannot be found (child_id {child_id}, parent_id "
                f"{parent_id}{'; a context cannot be its own parent' if child_id == parent_id else ''})")
        raise errors.InvalidArgumentError(
            f"There is a cycle detected of the given relationship. Context {child_id} is already an ancestor "
            f"of context {parent_id}, so it cannot be its child")


# (child, parent) when both contexts are stored and the child is not the parent or one of its ancestors; the
# parameters are (child, parent, child, parent, child, parent, parent, child), in the order they appear.
_EDGE_INSERT = """INSERT INTO parent_context (child_id, parent_id)
    SELECT ?, ? WHERE ? != ? AND EXISTS (SELECT 1 FROM context WHERE id = ?)
        AND EXISTS (SELECT 1 FROM context WHERE id = ?)
        AND NOT EXISTS (WITH RECURSIVE up(id) AS (
            SELECT ? UNION SELECT p.parent_id FROM parent_context AS p JOIN up ON p.child_id = up.id)
            SELECT 1 FROM up WHERE id = ?)"""


def contexts_of_node(cur: Cursor, layout: NodeLayout, node_id: int) -> List[bytes]:
    """Encoded contexts linked to an artifact or execution; NotFoundError when there are none (as MLMD)."""
    table, column = ("attribution", "artifact_id") if layout is ARTIFACT else ("association", "execution_id")
    bodies = bodies_where(cur, CONTEXT, f"id IN (SELECT context_id FROM {table} WHERE {column} = ?)", (node_id,))
    if not bodies:
        raise errors.NotFoundError(f"No contexts found for {layout.noun}_id: {node_id}")
    return bodies


def related_contexts(cur: Cursor, context_id: int, parents: bool) -> List[bytes]:
    """Encoded parents (or children) of a context, ascending id; [] for an unknown context."""
    want, have = ("parent_id", "child_id") if parents else ("child_id", "parent_id")
    return bodies_where(cur, CONTEXT, f"id IN (SELECT {want} FROM parent_context WHERE {have} = ?)", (context_id,))

"""Edges: events, attributions, associations and parent contexts (docs/mlmd-interface.md §2.4 "Edges" and §2.7)."""
from __future__ import annotations

import functools
import sqlite3
from typing import AbstractSet, Dict, List, Optional, Sequence, Set, Tuple

from . import errors, rowcore
from .catalog import ARTIFACT, CONTEXT, EVENT_UNKNOWN, EXECUTION, NodeLayout
from .reads import bodies_where
from .records import EventRecord
from .sqlutil import CHUNK, chunks, placeholders

# (artifact_id, execution_id, type): what makes an event unique.
EventKey = Tuple[int, int, int]


def existing_ids(cur: sqlite3.Cursor, layout: NodeLayout, ids: Sequence[int]) -> Set[int]:
    """Which of these node ids are stored."""
    found: Set[int] = set()
    for batch in chunks(sorted(set(ids))):
        found.update(row[0] for row in cur.execute(
            f"SELECT id FROM {layout.table} WHERE id IN ({placeholders(batch)})", batch))
    return found


def put_events(cur: sqlite3.Cursor, events: Sequence[EventRecord], now: int,
               known_artifacts: AbstractSet[int] = frozenset(),
               known_executions: AbstractSet[int] = frozenset()) -> None:
    """Inserts events; each must name a stored artifact and execution and a known type, and be new.

    Checked one by one in list order, as MLMD writes them, so the first failing event is the one reported;
    then written in one batch. `known_*` are ids the caller has just written in this transaction, which need
    no look-up.
    """
    if not events:
        return
    artifacts = set(known_artifacts) | existing_ids(cur, ARTIFACT, [
        e.artifact_id for e in events if e.artifact_id is not None and e.artifact_id not in known_artifacts])
    executions = set(known_executions) | existing_ids(cur, EXECUTION, [
        e.execution_id for e in events if e.execution_id is not None and e.execution_id not in known_executions])
    next_id = cur.execute("SELECT ifnull(max(id), 0) + 1 FROM event").fetchone()[0]
    positions: Dict[EventKey, int] = {}  # the call's events so far, by key
    rows = []
    for position, e in enumerate(events):
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
        body = rowcore.encode_event(key[0], key[1], e.path, key[2], milliseconds)
        rows.append((next_id + position, *key, milliseconds, body))
    try:
        cur.executemany("INSERT INTO event (id, artifact_id, execution_id, type, milliseconds_since_epoch, body)"
                        " VALUES (?, ?, ?, ?, ?, ?)", rows)
    except sqlite3.IntegrityError as exc:
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


def _first_stored(cur: sqlite3.Cursor, keys: Sequence[EventKey], before_id: int) -> Optional[EventKey]:
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


def events_by_node(cur: sqlite3.Cursor, column: str, ids: Sequence[int], join_in_sql: bool = True) -> bytes:
    """Events touching these artifacts (`column`="artifact_id") or executions, framed as a repeated field 1.

    In MLMD's order: by artifact, execution and type for artifacts; by execution, then insertion, for
    executions (the orders of the indexes its queries use). Repeated and unknown ids add nothing. With
    `join_in_sql` (only where the database's text encoding is UTF-8), SQLite joins the bodies into one row;
    otherwise each event is a row, joined here.

    Raises:
      errors.DataLossError: a stored event body is not one `rowcore.encode_event` wrote.
    """
    unique = sorted(set(ids))
    if not unique:
        return b""
    by_execution = column == "execution_id"
    framed = b""
    for batch in chunks(unique) if len(unique) > CHUNK else (unique,):  # no list copied in the common case
        if join_in_sql:
            count, joined, event_ids = cur.execute(_events_sql(column, len(batch), True), batch).fetchone()
        else:
            rows = cur.execute(_events_sql(column, len(batch), False), batch).fetchall()
            count, joined = len(rows), b"".join(row[0] for row in rows)
            event_ids = ",".join(str(row[1]) for row in rows)
        if not count:
            continue
        try:
            framed += rowcore.frame_events(joined, count, event_ids if by_execution else None)
        except ValueError as exc:
            raise errors.DataLossError(f"the store's events are corrupt: {exc}") from exc
    return framed


@functools.lru_cache(maxsize=256)
def _events_sql(column: str, count: int, join_in_sql: bool) -> str:
    """The statement that fetches the events of `count` node ids: one row (count, joined bodies, ids), or
    with `join_in_sql` False a row (body, id) per event.

    One seek per id into the node column's index, one rowid seek per event, and SQLite joins the bodies
    into one value (one row for the driver to fetch instead of one per event); rowcore.frame_events then
    splits and orders them. The ids are a VALUES list that CROSS JOIN keeps as the outer loop: cheaper than
    `IN (...)`, which SQLite first copies into a temporary index. The event ids (for the order by execution)
    come as text, which the driver decodes whatever the database's encoding.
    """
    assert column in ("artifact_id", "execution_id")
    values = ", ".join(["(?)"] * count)
    if not join_in_sql:
        result = "e.body, e.id"
    elif column == "execution_id":
        result = "count(*), CAST(group_concat(e.body, '') AS BLOB), group_concat(e.id)"
    else:
        result = "count(*), CAST(group_concat(e.body, '') AS BLOB), NULL"
    return f"SELECT {result} FROM (VALUES {values}) AS v CROSS JOIN event AS e ON e.{column} = v.column1"


def put_attributions_and_associations(
    cur: sqlite3.Cursor,
    attributions: Sequence[Tuple[Optional[int], Optional[int]]],
    associations: Sequence[Tuple[Optional[int], Optional[int]]],
    known_contexts: AbstractSet[int] = frozenset(),
    known_nodes: AbstractSet[int] = frozenset(),
) -> None:
    """Links artifacts (attributions) and executions (associations) to contexts; existing links are kept.

    `known_*` are ids the caller has just written in this transaction, which need no look-up.
    """
    for links, layout, table, column in ((attributions, ARTIFACT, "attribution", "artifact_id"),
                                         (associations, EXECUTION, "association", "execution_id")):
        if not links:
            continue
        if {c for c, _ in links} <= known_contexts and {n for _, n in links} <= known_nodes:
            cur.executemany(f"INSERT OR IGNORE INTO {table} (context_id, {column}) VALUES (?, ?)", links)
            continue
        contexts = existing_ids(cur, CONTEXT, [c for c, _ in links if c is not None])
        nodes = existing_ids(cur, layout, [n for _, n in links if n is not None])
        for context_id, node_id in links:
            if context_id is None or context_id not in contexts:
                raise errors.InvalidArgumentError(f"Context id not found. (context_id {context_id})")
            if node_id is None or node_id not in nodes:
                raise errors.InvalidArgumentError(
                    f"{layout.noun.capitalize()} id not found. ({layout.noun}_id {node_id})")
        cur.executemany(f"INSERT OR IGNORE INTO {table} (context_id, {column}) VALUES (?, ?)", links)


def put_parent_contexts(cur: sqlite3.Cursor, edges: Sequence[Tuple[Optional[int], Optional[int]]]) -> None:
    """Adds (child, parent) edges; the hierarchy must stay acyclic, with no self edges and no duplicates."""
    complete: List[Tuple[int, int]] = []
    for child, parent in edges:
        if child is None or parent is None:
            raise errors.InvalidArgumentError(
                f"Missing parent / child id in the parent_context (child_id {child}, parent_id {parent})")
        complete.append((child, parent))
    stored = existing_ids(cur, CONTEXT, [c for c, _ in complete] + [p for _, p in complete])
    for child_id, parent_id in complete:
        if child_id not in stored or parent_id not in stored or child_id == parent_id:
            # MLMD reports a self edge like a missing context.
            raise errors.InvalidArgumentError(
                f"Given parent / child id in the parent_context cannot be found (child_id {child_id}, parent_id "
                f"{parent_id}{'; a context cannot be its own parent' if child_id == parent_id else ''})")
        if _is_ancestor(cur, ancestor=child_id, of=parent_id):
            raise errors.InvalidArgumentError(
                f"There is a cycle detected of the given relationship. Context {child_id} is already an ancestor "
                f"of context {parent_id}, so it cannot be its child")
        try:
            cur.execute("INSERT INTO parent_context (child_id, parent_id) VALUES (?, ?)", (child_id, parent_id))
        except sqlite3.IntegrityError as exc:
            raise errors.AlreadyExistsError(
                f"Given parent_context already exists: child_id {child_id}, parent_id {parent_id}") from exc


def _is_ancestor(cur: sqlite3.Cursor, ancestor: int, of: int) -> bool:
    row = cur.execute(
        """WITH RECURSIVE up(id) AS (
               SELECT ? UNION SELECT p.parent_id FROM parent_context p JOIN up ON p.child_id = up.id)
           SELECT 1 FROM up WHERE id = ? LIMIT 1""",
        (of, ancestor),
    ).fetchone()
    return row is not None


def contexts_of_node(cur: sqlite3.Cursor, layout: NodeLayout, node_id: int) -> List[bytes]:
    """Encoded contexts linked to an artifact or execution; NotFoundError when there are none (as MLMD)."""
    table, column = ("attribution", "artifact_id") if layout is ARTIFACT else ("association", "execution_id")
    bodies = bodies_where(cur, CONTEXT, f"id IN (SELECT context_id FROM {table} WHERE {column} = ?)", (node_id,))
    if not bodies:
        raise errors.NotFoundError(f"No contexts found for {layout.noun}_id: {node_id}")
    return bodies


def related_contexts(cur: sqlite3.Cursor, context_id: int, parents: bool) -> List[bytes]:
    """Encoded parents (or children) of a context, ascending id; [] for an unknown context."""
    want, have = ("parent_id", "child_id") if parents else ("child_id", "parent_id")
    return bodies_where(cur, CONTEXT, f"id IN (SELECT {want} FROM parent_context WHERE {have} = ?)", (context_id,))

"""Atomic compound writes: `put_execution` and `put_lineage_subgraph` (docs/mlmd-interface.md §2.8)."""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import errors
from .backends.base import Backend, Cursor, of
from .catalog import ARTIFACT, CONTEXT, EXECUTION, NodeLayout
from .links import existing_ids, insert_links, put_events
from .nodes import STORED_COLUMNS, StoredNode, check_types, put_nodes, stored_node
from .records import EventRecord, NodeRecord
from .sqlutil import CHUNK, chunks, placeholders
from .types import TypeCache


@dataclass(frozen=True)
class ReuseOptions:
    """The reuse flags of put_execution / put_lineage_subgraph."""

    reuse_context_if_already_exist: bool = False
    reuse_artifact_if_already_exist_by_external_id: bool = False
    force_reuse_context: bool = False
    force_update_time: bool = False


def _reuse_artifacts_by_external_id(cur: Cursor, artifacts: Sequence[NodeRecord]) -> None:
    for artifact in artifacts:
        if artifact.id is None and artifact.external_id:
            row = cur.execute("SELECT id FROM artifact WHERE external_id = ?", (artifact.external_id,)).fetchone()
            if row is not None:
                artifact.id = row[0]


def _put_contexts(cur: Cursor, contexts: Sequence[NodeRecord], options: ReuseOptions,
                  now: int, type_cache: TypeCache, stored: Optional[Dict[int, StoredNode]] = None,
                  named: Optional[Dict[Tuple[int, str], int]] = None,
                  allocated: Optional[Tuple[int, Optional[int]]] = None) -> List[int]:
    """Upserts the contexts (or reuses stored ones, as the options say) in list order; returns their ids.

    Written in one batch (put_nodes takes effect in list order too) with the reusable contexts looked up in
    one statement. The batch stops before the first context that fails a check of this function, whose error
    follows the batch's own. Contexts that may reuse one another (the same type and name twice, or a name an
    update of the call takes or lets go of) and force_reuse_context go one by one, as MLMD writes them.
    `stored`: the stored contexts the records name by id, when the caller read them already (put_nodes).
    `named`: the ids of the stored contexts by (type_id, name), of every name the records give, when the caller
    read them already; `allocated`: the first new context id and word mark, when the caller read them already.
    """
    if options.force_reuse_context:
        return _put_contexts_one_by_one(cur, contexts, options, now, type_cache)
    keys = [(c.type_id, c.name) for c in contexts if c.id is None and c.name and c.type_id is not None]
    if options.reuse_context_if_already_exist and len(set(keys)) < len(keys):
        return _put_contexts_one_by_one(cur, contexts, options, now, type_cache)
    reusable: dict = {}
    if options.reuse_context_if_already_exist and keys:
        reusable = ({key: named[key] for key in keys if key in named} if named is not None
                    else _stored_contexts(cur, keys))
    if reusable or (options.reuse_context_if_already_exist and keys):
        updated = {c.id for c in contexts if c.id is not None}
        if (set(reusable.values()) & updated
                or {name for _, name in keys} & {c.name for c in contexts if c.id is not None}):
            # An update of the call may take or let go of a name a later context would reuse by: in order.
            return _put_contexts_one_by_one(cur, contexts, options, now, type_cache)
    ids: List[Optional[int]] = []
    written: List[NodeRecord] = []
    refused: Optional[errors.StatusError] = None
    for context in contexts:
        if context.id is not None and context.type_id is None:
            refused = _missing_type_id(context.id)
            break
        if context.id is None and not context.name:
            refused = errors.InvalidArgumentError("Context is missing a name")
            break
        reused = reusable.get((context.type_id, context.name)) if context.id is None else None
        ids.append(reused)
        if reused is None:
            written.append(context)
    new_ids = iter(put_nodes(cur, CONTEXT, written, now, type_cache, stored=stored, allocated=allocated))
    if refused is not None:
        raise refused
    return [node_id if node_id is not None else next(new_ids) for node_id in ids]


def _stored_contexts(cur: Cursor, keys: Sequence[Tuple[Optional[int], Optional[str]]]) -> dict:
    """The ids of the stored contexts with these (type_id, name) keys, by key."""
    wanted = set(keys)
    found: dict = {}
    for batch in chunks(sorted({name for _, name in wanted if name is not None})):
        for node_id, type_id, name in cur.execute(
                f"SELECT id, type_id, name FROM context WHERE name IN ({placeholders(batch)})", batch):
            if (type_id, name) in wanted:
                found[(type_id, name)] = node_id
    return found


def _missing_type_id(context_id: int) -> errors.StatusError:
    return errors.InvalidArgumentError(
        f"Context is missing a type_id (context id {context_id}); set it, or pass force_reuse_context=True "
        "to use the stored context as it is")


def _put_contexts_one_by_one(cur: Cursor, contexts: Sequence[NodeRecord], options: ReuseOptions,
                             now: int, type_cache: TypeCache) -> List[int]:
    ids: List[int] = []
    for context in contexts:
        if context.id is not None and options.force_reuse_context:
            if not existing_ids(cur, CONTEXT, [context.id]):
                # MLMD's words: it looks each context up on its own, so it never finds "results for" others.
                raise errors.NotFoundError(f"Results missing for ids: {{{context.id}}}. Found results for {{}}: "
                                           f"there is no context {context.id} to reuse (force_reuse_context)")
            ids.append(context.id)
            continue
        if context.id is not None and context.type_id is None:
            raise _missing_type_id(context.id)
        if context.id is None:
            if not context.name:
                raise errors.InvalidArgumentError("Context is missing a name")
            if options.reuse_context_if_already_exist and context.type_id is not None:
                row = cur.execute("SELECT id FROM context WHERE type_id = ? AND name = ?",
                                  (context.type_id, context.name)).fetchone()
                if row is not None:
                    ids.append(row[0])
                    continue
        ids.extend(put_nodes(cur, CONTEXT, [context], now, type_cache))
    return ids


def _link_all(cur: Cursor, context_ids: Sequence[int], execution_ids: Sequence[int],
              artifact_ids: Sequence[int]) -> None:
    # Every id here was just written by this call: nothing to look up before linking.
    insert_links(cur, [(c, a) for c in context_ids for a in artifact_ids],
                 [(c, e) for c in context_ids for e in execution_ids])


def put_execution(
    cur: Cursor,
    execution: NodeRecord,
    artifact_events: Sequence[Tuple[NodeRecord, Optional[EventRecord]]],
    contexts: Sequence[NodeRecord],
    options: ReuseOptions,
    now: int,
    type_cache: TypeCache,
) -> Tuple[int, List[int], List[int]]:
    """Upserts an execution, its artifacts with their events, and its contexts with their links.

    In MLMD's order, which decides the fault reported when several records have one: the artifacts (in list
    order), the execution, the events, the contexts.
    """
    artifacts = [artifact for artifact, _ in artifact_events]
    # The names of the contexts the call may reuse (read with the rest, in case it does).
    names = sorted({c.name for c in contexts if c.id is None and c.name}) if (
        options.reuse_context_if_already_exist and not options.force_reuse_context) else []
    (next_artifact, artifact_mark, next_execution, execution_mark, next_event, next_context,
     context_mark), stored = _first_read(cur, ((ARTIFACT, artifacts), (EXECUTION, [execution]), (CONTEXT, contexts)),
                                         names)
    # Each artifact looks for the holder of its external_id as the artifacts before it leave the store.
    artifact_ids = put_nodes(cur, ARTIFACT, artifacts, now, type_cache,
                             reuse_by_external_id=options.reuse_artifact_if_already_exist_by_external_id,
                             allocated=(next_artifact, artifact_mark), stored=stored[0])
    [execution_id] = put_nodes(cur, EXECUTION, [execution], now, type_cache,
                                force_update_time=options.force_update_time,
                                allocated=(next_execution, execution_mark), stored=stored[1])
    events: List[EventRecord] = []
    for artifact_id, (_, event) in zip(artifact_ids, artifact_events):
        if event is None:
            continue
        if event.artifact_id is not None and event.artifact_id != artifact_id:
            raise errors.InvalidArgumentError(
                f"Given event.artifact_id is not aligned with the artifact: the event names {event.artifact_id}, "
                f"the artifact is {artifact_id}")
        if event.execution_id is not None and event.execution_id != execution_id:
            raise errors.InvalidArgumentError(
                f"Request's event.execution_id does not match with the given execution: the event names "
                f"{event.execution_id}, the execution is {execution_id}")
        # A copy: an attempt run again (a lost lock, a failed pipeline) starts from the records as given. Built
        # directly: dataclasses.replace reads the fields' list on every call.
        events.append(EventRecord(artifact_id, execution_id, event.type, event.milliseconds_since_epoch, event.path))
    put_events(cur, events, now, known_artifacts=set(artifact_ids), known_executions={execution_id},
               next_id=next_event)
    named = None if stored[2] is None else {
        (node.type_id, node.name): node.id for node in stored[2].values() if node.name in names}
    context_ids = _put_contexts(cur, contexts, options, now, type_cache, stored[2], named,
                                (next_context, context_mark))
    _link_all(cur, context_ids, [execution_id], artifact_ids)
    return execution_id, artifact_ids, context_ids


_Stored = Dict[int, StoredNode]


def _first_read(cur: Cursor, named: Sequence[Tuple[NodeLayout, Sequence[NodeRecord]]], context_names: Sequence[str]
                ) -> Tuple[Tuple[Any, ...], List[Optional[_Stored]]]:
    """Everything put_execution must know before it writes, in one statement: the first new artifact, execution,
    event and context ids with the word marks (inserting into one of these tables leaves the others' as they
    are), and the stored nodes the records name by id, one dict per (layout, records) of `named` (None when there
    are too many ids for one statement: put_nodes then reads them); the last (contexts) also holds the stored
    contexts named one of `context_names` (those the call may reuse)."""
    # Every put_execution runs this: plain loops, no generator frames.
    lists: List[Sequence[Any]] = []
    layouts: Tuple[NodeLayout, ...] = ()
    total = len(context_names)
    for layout, records in named:
        ids = sorted({rec.id for rec in records if rec.id is not None})
        total += len(ids)
        lists.append(ids)
        layouts += (layout,)
    if total > CHUNK:
        lists = [[] for _ in named]
        context_names = []
        found: List[Optional[_Stored]] = [None for _ in named]
    else:
        found = [{} for _ in named]
    lists.append(context_names)
    # Each list padded (its last value repeated) to a power of two: a few statement texts, each prepared once.
    counts: Tuple[int, ...] = ()
    params: List[Any] = []
    for values in lists:
        count = 1 << (len(values) - 1).bit_length() if values else 0
        counts += (count,)
        params += values
        if count > len(values):
            params += [values[-1]] * (count - len(values))
    next_ids: Dict[int, Tuple[Any, ...]] = {}
    for row in cur.execute(_first_read_sql(of(cur), layouts, counts), params):
        which = row[0]
        if which < 0:
            next_ids[which] = row[1:]
        else:
            found[which][row[1]] = stored_node(layouts[which], row[1], row[2], row[3], row[4])
    return (*next_ids[-1][:2], *next_ids[-2][:2], next_ids[-3][0], *next_ids[-4][:2]), found


@functools.lru_cache(maxsize=256)
def _first_read_sql(backend: Backend, layouts: Tuple[NodeLayout, ...], counts: Tuple[int, ...]) -> str:
    """The rows of `_first_read`: (-1, next artifact id, its word mark, NULL, NULL), (-2, the same of executions),
    (-3, next event id, NULL, NULL, NULL), (-4, the same as -1 of contexts), then (index into `layouts`,
    STORED_COLUMNS) of each node it names; the last count is of context names, their rows those of the last
    layout (contexts)."""
    # The node rows come first: PostgreSQL types a UNION's columns pair by pair from the left, and two branches
    # of bare NULLs would make a column text before a typed row could say otherwise.
    parts = [f"SELECT {which}, {STORED_COLUMNS} FROM {layout.table} WHERE id IN ({', '.join('?' * count)})"
             for which, (layout, count) in enumerate(zip(layouts, counts)) if count]
    if counts[-1]:
        parts.append(f"SELECT {len(layouts) - 1}, {STORED_COLUMNS} FROM {layouts[-1].table} "
                     f"WHERE name IN ({', '.join('?' * counts[-1])})")
    parts += [f"SELECT -1, {backend.next_ids(ARTIFACT)}, NULL, NULL",
              f"SELECT -2, {backend.next_ids(EXECUTION)}, NULL, NULL",
              f"SELECT -3, {backend.next_id('event')}, NULL, NULL, NULL",
              f"SELECT -4, {backend.next_ids(CONTEXT)}, NULL, NULL"]
    return " UNION ALL ".join(parts)


def _check_edge_end(index: Optional[int], requested: Sequence[NodeRecord], given: Optional[int], noun: str) -> None:
    """Checks one end of an event edge against the request, before anything is written (as MLMD does)."""
    if index is None:
        if given is None:
            raise errors.InvalidArgumentError(
                f"Event_edge is missing an {noun}. Could not find either an {noun}_index or an event.{noun}_id: set "
                "one of them")
        return
    if not 0 <= index < len(requested):
        raise errors.OutOfRangeError(
            f"The event_edge has an {noun}_index {index} that is outside the bounds of the request's {noun}s "
            f"list, [0, {len(requested)}).")
    named = requested[index].id
    if given is not None and named is None:
        # As MLMD: an event id can only be checked against a node the request names by id (an artifact
        # reused by external_id has none yet when the edges are checked).
        raise errors.InvalidArgumentError(
            f"Missing {noun} ID. The referenced {noun} at {noun}_index {index} does not have an ID even though "
            f"the event_edge specifies an event.{noun}_id of {given}. A new {noun} has no id to name yet: "
            f"leave event.{noun}_id unset.")
    if given is not None and given != named:
        raise errors.InvalidArgumentError(
            f"{noun.capitalize()} ID mismatch. The referenced {noun} at {noun}_index {index} has an ID of "
            f"{named} that does not match the event_edge's event.{noun}_id of {given}.")


def put_lineage_subgraph(
    cur: Cursor,
    executions: Sequence[NodeRecord],
    artifacts: Sequence[NodeRecord],
    contexts: Sequence[NodeRecord],
    event_edges: Sequence[Tuple[Optional[int], Optional[int], Optional[EventRecord]]],
    options: ReuseOptions,
    now: int,
    type_cache: TypeCache,
) -> Tuple[List[int], List[int], List[int]]:
    """Upserts a whole subgraph in one transaction and links every node of it to every context of it.

    In MLMD's order, which decides the fault reported when several parts have one: the event edges; the
    types and properties of the artifacts, then the executions, then the contexts (every node names its
    type_id, updates too); then the writes: contexts, artifacts, executions, events.
    """
    for execution_index, artifact_index, event in event_edges:
        if event is None:
            raise errors.InvalidArgumentError(
                f"No event found for event_edge (execution_index {execution_index}, artifact_index {artifact_index})")
        _check_edge_end(execution_index, executions, event.execution_id, "execution")
        _check_edge_end(artifact_index, artifacts, event.artifact_id, "artifact")
    for layout, records in ((ARTIFACT, artifacts), (EXECUTION, executions), (CONTEXT, contexts)):
        check_types(cur, layout, records, type_cache)
    context_ids = _put_contexts(cur, contexts, options, now, type_cache)
    if options.reuse_artifact_if_already_exist_by_external_id:
        _reuse_artifacts_by_external_id(cur, artifacts)  # as MLMD here: all looked up before any is written
    artifact_ids = put_nodes(cur, ARTIFACT, artifacts, now, type_cache)
    execution_ids = put_nodes(cur, EXECUTION, executions, now, type_cache)
    events: List[EventRecord] = []
    for execution_index, artifact_index, event in event_edges:
        assert event is not None  # checked above
        event = dataclasses.replace(event)  # a copy: an attempt run again starts from the records as given
        if execution_index is not None:
            event.execution_id = execution_ids[execution_index]
        if artifact_index is not None:
            event.artifact_id = artifact_ids[artifact_index]
        events.append(event)
    put_events(cur, events, now, known_artifacts=set(artifact_ids), known_executions=set(execution_ids))
    _link_all(cur, context_ids, execution_ids, artifact_ids)
    return execution_ids, artifact_ids, context_ids

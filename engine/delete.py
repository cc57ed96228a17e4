"""Deleting nodes with their edges, and collecting old ones: fastmlmd's addition to MLMD, which has no delete.

A delete is planned (`plan`: which nodes and which edges go), then carried out (`carry_out`) in the same
transaction; a dry run stops after the plan, so it reads exactly what the delete would remove.

* Edges are events, attributions, associations and parent-context links. An edge cannot outlive either of
  its ends, so a node that has edges is deleted only with `cascade`, which deletes them with it; without
  it the call fails and deletes nothing.
* An orphan is a node that had an edge to a deleted node and has none left once the delete's edges go (an
  input dataset whose only consumer is deleted, a parent context whose only child is). With `orphans` they
  are deleted too. Their edges are all among the deleted ones, so one round finds every orphan.
* Ids are never given again: the highest deleted id of each node table is kept (schema.HIGH_WATER_TABLE),
  and new nodes are numbered past it (Backend.next_id).

`collect` selects what `fastmlmd gc` deletes: nodes last updated before a time, of some types, outside the
lineage of nodes to keep (see its docstring).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from . import errors
from .backends.base import Cursor, of
from .catalog import INPUT_EVENT_TYPES, LAYOUTS, OUTPUT_EVENT_TYPES, TypeKind
from .links import existing_ids
from .schema import HIGH_WATER_TABLE
from .sqlutil import chunks, placeholders

Node = Tuple[TypeKind, int]


@dataclass(frozen=True)
class EdgeTable:
    """A table of edges: its columns as stored, and the node kind each end column holds."""

    table: str
    columns: Tuple[str, ...]  # the edge as a row (DeleteResult lists these tuples)
    ends: Tuple[Tuple[str, TypeKind], ...]


EDGE_TABLES = (
    EdgeTable("event", ("artifact_id", "execution_id", "type"),
              (("artifact_id", TypeKind.ARTIFACT), ("execution_id", TypeKind.EXECUTION))),
    EdgeTable("attribution", ("context_id", "artifact_id"),
              (("context_id", TypeKind.CONTEXT), ("artifact_id", TypeKind.ARTIFACT))),
    EdgeTable("association", ("context_id", "execution_id"),
              (("context_id", TypeKind.CONTEXT), ("execution_id", TypeKind.EXECUTION))),
    EdgeTable("parent_context", ("child_id", "parent_id"),
              (("child_id", TypeKind.CONTEXT), ("parent_id", TypeKind.CONTEXT))),
)
_EDGE_NOUNS = {"event": "event", "attribution": "attribution", "association": "association",
               "parent_context": "parent or child context link"}


@dataclass
class Deletion:
    """What a delete removes: node ids by kind, ascending, and edges by table, each as its row (EDGE_TABLES)."""

    nodes: Dict[TypeKind, List[int]]
    edges: Dict[str, List[tuple]]
    orphans: Dict[TypeKind, List[int]] = field(default_factory=dict)  # the nodes among `nodes` deleted as orphans


def _rows(cur: Cursor, sql: str, ids: Iterable[int]) -> Iterable[tuple]:
    """The rows of `sql` (which ends in `IN (`) for every id, a bounded list of parameters at a time."""
    for batch in chunks(sorted(ids)):
        yield from (tuple(row) for row in cur.execute(f"{sql}{placeholders(batch)})", batch))


def _edges_touching(cur: Cursor, nodes: Mapping[TypeKind, Set[int]]) -> Dict[str, Set[tuple]]:
    """Every edge with an end among `nodes`, by table."""
    found: Dict[str, Set[tuple]] = {}
    for edges in EDGE_TABLES:
        rows: Set[tuple] = set()
        for column, kind in edges.ends:
            ids = nodes.get(kind)
            if ids:
                rows.update(_rows(cur, f"SELECT {', '.join(edges.columns)} FROM {edges.table} WHERE {column} IN (",
                                  ids))
        found[edges.table] = rows
    return found


def _ends(edges: EdgeTable, row: tuple) -> List[Node]:
    return [(kind, row[edges.columns.index(column)]) for column, kind in edges.ends]


def _refusal(nodes: Mapping[TypeKind, Set[int]], touching: Mapping[str, Set[tuple]]) -> errors.FailedPreconditionError:
    """The error of a delete without cascade of nodes that have edges: the first such node and what it has."""
    counts: Dict[Node, Dict[str, int]] = {}
    for edges in EDGE_TABLES:
        for row in touching[edges.table]:
            for node in _ends(edges, row):
                if node[1] in nodes.get(node[0], ()):
                    per_table = counts.setdefault(node, {})
                    per_table[edges.table] = per_table.get(edges.table, 0) + 1
    kind, node_id = min(counts)
    has = ", ".join(f"{n} {_EDGE_NOUNS[t]}{'s' if n > 1 else ''}" for t, n in counts[(kind, node_id)].items())
    more = len(counts) - 1
    return errors.FailedPreconditionError(
        f"Cannot delete {LAYOUTS[kind].noun} {node_id}: it has {has}"
        + (f" (and {more} more of the nodes to delete have edges)" if more else "")
        + "; delete with cascade=True (fastmlmd delete --cascade) to delete the edges with the nodes")


def plan(cur: Cursor, requested: Mapping[TypeKind, Sequence[int]], cascade: bool, orphans: bool) -> Deletion:
    """What deleting these nodes removes (see the module docstring); nothing is written.

    Raises:
      NotFoundError: an id names no stored node (none is deleted).
      FailedPreconditionError: without `cascade`, a node has edges.
    """
    doomed: Dict[TypeKind, Set[int]] = {kind: set(ids) for kind, ids in requested.items() if ids}
    for kind, ids in doomed.items():
        missing = sorted(ids - existing_ids(cur, LAYOUTS[kind], sorted(ids)))
        if missing:
            shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
            raise errors.NotFoundError(f"No {LAYOUTS[kind].noun} with the given id{'s' if len(missing) > 1 else ''} "
                                       f"{shown}: nothing was deleted")
    touching = _edges_touching(cur, doomed)
    if not cascade and any(touching.values()):
        raise _refusal(doomed, touching)
    found_orphans: Dict[TypeKind, List[int]] = {}
    if orphans:
        found_orphans = _orphans(cur, doomed, touching)
        for kind, orphan_ids in found_orphans.items():
            doomed.setdefault(kind, set()).update(orphan_ids)
    return Deletion(nodes={kind: sorted(doomed.get(kind, ())) for kind in LAYOUTS},
                    edges={edges.table: sorted(touching[edges.table]) for edges in EDGE_TABLES},
                    orphans=found_orphans)


def _orphans(cur: Cursor, doomed: Mapping[TypeKind, Set[int]], touching: Mapping[str, Set[tuple]]
             ) -> Dict[TypeKind, List[int]]:
    """The nodes outside `doomed` that the deleted edges reach and that have no other edge."""
    neighbours: Dict[TypeKind, Set[int]] = {}
    for edges in EDGE_TABLES:
        for row in touching[edges.table]:
            for kind, node_id in _ends(edges, row):
                if node_id not in doomed.get(kind, ()):
                    neighbours.setdefault(kind, set()).add(node_id)
    still_linked: Set[Node] = set()
    for table, rows in _edges_touching(cur, neighbours).items():
        edges = next(e for e in EDGE_TABLES if e.table == table)
        for row in rows - touching[table]:
            still_linked.update(_ends(edges, row))
    return {kind: sorted(i for i in ids if (kind, i) not in still_linked)
            for kind, ids in neighbours.items() if any((kind, i) not in still_linked for i in ids)}


def carry_out(cur: Cursor, deletion: Deletion) -> None:
    """Deletes what `plan` found, in the caller's transaction: edges, then properties, word index and nodes."""
    backend = of(cur)
    words = backend.words if backend.words is not None and backend.words.available() else None
    nodes = deletion.nodes
    for edges in EDGE_TABLES:
        if not deletion.edges[edges.table]:
            continue
        for column, kind in edges.ends:  # every edge of a deleted node goes: deleting by its end finds them all
            for batch in chunks(nodes[kind]):
                cur.execute(f"DELETE FROM {edges.table} WHERE {column} IN ({placeholders(batch)})", batch)
    for kind, ids in nodes.items():
        if not ids:
            continue
        layout = LAYOUTS[kind]
        if words is not None:
            words.forget(cur, layout, ids)  # reads the rows' words, so before they go
        for batch in chunks(ids):
            cur.execute(f"DELETE FROM {layout.property_table} WHERE node_id IN ({placeholders(batch)})", batch)
            cur.execute(f"DELETE FROM {layout.table} WHERE id IN ({placeholders(batch)})", batch)
        cur.execute(f"UPDATE {HIGH_WATER_TABLE} SET deleted_to = ? WHERE node_table = ? AND deleted_to < ?",
                    (ids[-1], layout.table, ids[-1]))


# Collecting ----------------------------------------------------------------------------------------------------
def _step(cur: Cursor, from_column: str, to_column: str, event_types: Tuple[int, ...], ids: Set[int]) -> Set[int]:
    sql = (f"SELECT {to_column} FROM event WHERE type IN ({placeholders(event_types)}) AND {from_column} IN (")
    reached: Set[int] = set()
    for batch in chunks(sorted(ids)):
        reached.update(row[0] for row in cur.execute(f"{sql}{placeholders(batch)})", (*event_types, *batch)))
    return reached


def _walk(cur: Cursor, artifacts: Set[int], executions: Set[int], upstream: bool) -> Tuple[Set[int], Set[int]]:
    """Every artifact and execution upstream (what they came from) or downstream (what came of them) of these."""
    # Upstream, an artifact leads to the execution that output it and an execution to its inputs.
    artifact_events, execution_events = ((OUTPUT_EVENT_TYPES, INPUT_EVENT_TYPES) if upstream
                                         else (INPUT_EVENT_TYPES, OUTPUT_EVENT_TYPES))
    seen_a, seen_e = set(artifacts), set(executions)
    new_a, new_e = set(artifacts), set(executions)
    while new_a or new_e:
        reached_e = _step(cur, "artifact_id", "execution_id", artifact_events, new_a) - seen_e if new_a else set()
        reached_a = _step(cur, "execution_id", "artifact_id", execution_events, new_e) - seen_a if new_e else set()
        seen_a |= reached_a
        seen_e |= reached_e
        new_a, new_e = reached_a, reached_e
    return seen_a, seen_e


def kept_lineage(cur: Cursor, keep: Sequence[Node]) -> Dict[TypeKind, Set[int]]:
    """The nodes `collect` keeps for `keep`: each node, every artifact and execution upstream and downstream
    of it (of a context: of its artifacts and executions), the contexts these belong to, and their ancestors.

    Raises:
      NotFoundError: a node to keep is not stored.
    """
    wanted: Dict[TypeKind, Set[int]] = {kind: set() for kind in LAYOUTS}
    for kind, node_id in keep:
        wanted[kind].add(node_id)
    for kind, ids in wanted.items():
        missing = sorted(ids - existing_ids(cur, LAYOUTS[kind], sorted(ids)))
        if missing:
            raise errors.NotFoundError(f"No {LAYOUTS[kind].noun} with the given id {missing[0]} to keep the lineage of")
    artifacts, executions = set(wanted[TypeKind.ARTIFACT]), set(wanted[TypeKind.EXECUTION])
    if wanted[TypeKind.CONTEXT]:
        members = "SELECT {0} FROM {1} WHERE context_id IN ("
        contexts_kept = wanted[TypeKind.CONTEXT]
        artifacts.update(row[0] for row in _rows(cur, members.format("artifact_id", "attribution"), contexts_kept))
        executions.update(row[0] for row in _rows(cur, members.format("execution_id", "association"), contexts_kept))
    up_a, up_e = _walk(cur, artifacts, executions, upstream=True)
    down_a, down_e = _walk(cur, artifacts, executions, upstream=False)
    kept_a, kept_e = up_a | down_a, up_e | down_e
    contexts = set(wanted[TypeKind.CONTEXT])
    contexts.update(row[0] for row in _rows(cur, "SELECT context_id FROM attribution WHERE artifact_id IN (", kept_a))
    contexts.update(row[0] for row in _rows(cur, "SELECT context_id FROM association WHERE execution_id IN (", kept_e))
    new = set(contexts)
    while new:
        new = {row[0] for row in _rows(cur, "SELECT parent_id FROM parent_context WHERE child_id IN (", new)} - contexts
        contexts |= new
    return {TypeKind.ARTIFACT: kept_a, TypeKind.EXECUTION: kept_e, TypeKind.CONTEXT: contexts}


def collect(cur: Cursor, updated_before: Optional[int], type_names: Sequence[str],
            keep: Sequence[Node]) -> Dict[TypeKind, List[int]]:
    """What `fastmlmd gc` deletes: every artifact, execution and context last updated before `updated_before`
    (milliseconds since the epoch; None: any time), of a type named in `type_names` (empty: any type),
    that is not in the kept lineage of `keep` (kept_lineage).
    """
    kept = kept_lineage(cur, keep) if keep else {kind: set() for kind in LAYOUTS}
    selected: Dict[TypeKind, List[int]] = {}
    for kind, layout in LAYOUTS.items():
        sql = f"SELECT id FROM {layout.table} WHERE 1 = 1"
        params: List[object] = []
        if updated_before is not None:
            sql += " AND update_time < ?"
            params.append(updated_before)
        if type_names:
            sql += f" AND type_id IN (SELECT id FROM type WHERE kind = ? AND name IN ({placeholders(type_names)}))"
            params += [int(kind), *type_names]
        selected[kind] = sorted(row[0] for row in cur.execute(sql, params) if row[0] not in kept[kind])
    return selected


__all__ = ["Deletion", "EDGE_TABLES", "plan", "carry_out", "collect", "kept_lineage"]

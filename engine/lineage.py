"""Lineage: MLMD's GetLineageSubgraph and GetLineageGraph walks, run set-wise in the database.

Both walks are breadth-first over the bipartite event graph, one hop at a time: a hop from artifacts
reaches executions, a hop from executions reaches artifacts. Each hop is one indexed query for the events
of the whole frontier (plus, when ending or boundary nodes are asked for, one query that filters the newly
reached nodes), so the cost of a walk grows with the nodes and events it returns, never with the store.
Node ids travel to the database as one parameter (the backend's frontier: a JSON array read by `json_each`
on SQLite), so a frontier of any width is still one statement. Python only keeps the visited and ending id sets, which are part of the answer anyway.

The rules are those of MLMD 1.17.1's `RDBMSMetadataAccessObject::QueryLineageSubgraph` and
`QueryLineageGraph`, which decide which events a walk returns (docs/mlmd-interface.md §2.10):

* an event from a frontier node to a node not seen before is kept, and that node joins the next frontier;
* an event to an ending node is kept only with `include_ending_nodes`; ending nodes are never expanded;
* an event to a node visited in an earlier hop is kept only by a one-way (UPSTREAM / DOWNSTREAM) walk.

So an event between two returned nodes can be missing (between two ending nodes, say), exactly as in MLMD.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import AbstractSet, Dict, List, Literal, Optional, Sequence, Set, Tuple

from . import access, errors
from .backends.base import Cursor, of
from .catalog import (ARTIFACT, CONTEXT, EXECUTION, INPUT_EVENT_TYPES, OUTPUT_EVENT_TYPES, NodeLayout,
                                     TypeKind)
from .planner import PREFIX, compile_filter
from .reads import ORDER_COLUMNS, PageAfter, listing_sql

# MLMD's kQueryLineageSubgraphMaxNumHops: an unset or larger max_num_hops means this.
SUBGRAPH_MAX_HOPS = 100
# MLMD asks for at most 100 starting nodes but lists them with its "one more row" query, so 101 come back
# (docs/mlmd-interface.md §2.9, the +1 defect; checked against ml-metadata 1.17.1).
SUBGRAPH_SEED_LIMIT = 101
# GetLineageGraph's default max_num_hops (MLMD's kMaxDistance), used when unset or negative.
GRAPH_DEFAULT_HOPS = 20

# The LineageGraph fields a subgraph walk can fill (LineageGraph's field names; parent_contexts never is).
NODE_FIELDS = ("artifacts", "executions", "contexts")
EDGE_FIELDS = ("events", "attributions", "associations")
TYPE_FIELDS = ("artifact_types", "execution_types", "context_types")
ALL_FIELDS = frozenset(NODE_FIELDS + EDGE_FIELDS + TYPE_FIELDS)


class Direction(enum.IntEnum):
    """`LineageSubgraphQueryOptions.Direction`."""

    DIRECTION_UNSPECIFIED = 0
    UPSTREAM = 1
    DOWNSTREAM = 2
    BIDIRECTIONAL = 3


# Which event types a hop may follow, by (direction, hop starts from artifacts); None = every event.
# Upstream from an artifact goes to the execution that output it; from an execution, to the artifacts it
# took as input. Downstream is the reverse. UNKNOWN events (never stored: writes reject them) are neither.
_FOLLOWED: Dict[Tuple[int, bool], Optional[Tuple[int, ...]]] = {
    (Direction.UPSTREAM, True): OUTPUT_EVENT_TYPES,
    (Direction.UPSTREAM, False): INPUT_EVENT_TYPES,
    (Direction.DOWNSTREAM, True): INPUT_EVENT_TYPES,
    (Direction.DOWNSTREAM, False): OUTPUT_EVENT_TYPES,
}


@dataclass(frozen=True)
class EndingNodes:
    """`LineageSubgraphQueryOptions.EndingNodes`: nodes at which the walk stops."""

    filter_query: Optional[str] = None  # None: unset, nothing ends; "" (set but empty): every node ends
    include_ending_nodes: bool = False


@dataclass(frozen=True)
class SubgraphQuery:
    """`LineageSubgraphQueryOptions`, decoded."""

    seed_kind: Optional[TypeKind]  # ARTIFACT / EXECUTION, or None when no starting nodes are given
    seed_filter: str = ""
    max_num_hops: Optional[int] = None  # None: unset
    direction: int = Direction.DIRECTION_UNSPECIFIED
    ending_artifacts: EndingNodes = EndingNodes()
    ending_executions: EndingNodes = EndingNodes()


@dataclass(frozen=True)
class SeedPage:
    """The page of artifacts a GetLineageGraph walk starts from (its `artifacts_options`, decoded)."""

    page_size: int = 20
    order_field: int = 3  # ListOperationOptions.OrderByField.Field: 1 CREATE_TIME, 2 LAST_UPDATE_TIME, 3 ID
    is_asc: bool = True
    after: Optional[PageAfter] = None  # from the next_page_token
    filter_query: str = ""


@dataclass(frozen=True)
class GraphQuery:
    """`LineageGraphQueryOptions`, decoded."""

    seeds: Optional[SeedPage]  # None when `artifacts_options` is unset
    max_num_hops: Optional[int] = None  # None: unset
    max_node_size: int = 20  # <= 0: no limit
    boundary_artifacts: Optional[str] = None
    boundary_executions: Optional[str] = None


@dataclass
class LineageResult:
    """What a walk returns, in the order the LineageGraph lists it: encoded nodes and events, link pairs,
    type records. Fields that were not asked for stay empty."""

    artifacts: List[bytes] = field(default_factory=list)
    executions: List[bytes] = field(default_factory=list)
    contexts: List[bytes] = field(default_factory=list)
    events: List[bytes] = field(default_factory=list)
    attributions: List[Tuple[int, int]] = field(default_factory=list)  # (context_id, artifact_id)
    associations: List[Tuple[int, int]] = field(default_factory=list)  # (context_id, execution_id)
    # Types by id, in the order the graph lists them; the bindings take them from their type views.
    artifact_types: List[int] = field(default_factory=list)
    execution_types: List[int] = field(default_factory=list)
    context_types: List[int] = field(default_factory=list)
    every_user_type: bool = False  # GetLineageGraph: the *_types are every user type, not the nodes' types


# An event row: (artifact_id, execution_id, encoded Event, type, milliseconds_since_epoch, id).
EventRow = Tuple[int, int, bytes, int, Optional[int], int]




def _execute_filtered(cur: Cursor, sql: str, params: Sequence[object]) -> List[tuple]:
    try:
        return cur.execute(sql, params).fetchall()
    except of(cur).OperationalError as exc:
        if of(cur).interrupted(exc):
            raise  # the time limit's (Database.run), reported as such by the engine
        # The database's own limits (SQLite's expression depth, parser stack) on a legal but enormous filter query.
        raise errors.InvalidArgumentError(f"{PREFIX}the query is too large to run: {exc}") from exc


def _matching(cur: Cursor, layout: NodeLayout, ids: AbstractSet[int], filter_query: str) -> Set[int]:
    """The nodes among `ids` that `filter_query` selects ("" selects them all, as in MLMD)."""
    if not ids:
        return set()
    if filter_query == "":
        return set(ids)
    backend = of(cur)
    condition, params = access.probing(*compile_filter(layout, filter_query, backend))
    # CROSS JOIN keeps the candidates as the outer loop: each is one primary-key seek, whatever the filter.
    rows = _execute_filtered(
        cur, f"SELECT n.id FROM {backend.frontier('candidate')} CROSS JOIN {layout.table} n"
        f" WHERE n.id = candidate.value AND ({condition})",
        [backend.frontier_value(ids), *params])
    return {row[0] for row in rows}


def _events_of(cur: Cursor, from_layout: NodeLayout, ids: Sequence[int],
               event_types: Optional[Tuple[int, ...]]) -> List[EventRow]:
    """The events touching these artifacts or executions, of these types (None: all), in MLMD's order.

    MLMD reads them through its indexes: by (artifact, execution, type) from artifacts, by (execution,
    insertion) from executions; the walk returns them hop by hop in that order.
    """
    if from_layout is ARTIFACT:
        column, order = "artifact_id", "artifact_id, execution_id, type"
    else:
        column, order = "execution_id", "execution_id, id"
    backend = of(cur)
    where_type = ""
    if event_types is not None:
        # Not through an index: without statistics SQLite would pick event_type(type, ...) and scan every event
        # of a type (a cost that grows with the store); the node-column index keeps each hop proportional to its
        # edges.
        where_type = f" AND {backend.no_index('type')} IN ({', '.join(str(int(t)) for t in event_types)})"
    return cur.execute(
        "SELECT artifact_id, execution_id, body, type, milliseconds_since_epoch, id FROM event"
        f" WHERE {column} {backend.frontier_in()}{where_type} ORDER BY {order}",
        (backend.frontier_value(ids),)).fetchall()


def _other(layout: NodeLayout) -> NodeLayout:
    return EXECUTION if layout is ARTIFACT else ARTIFACT


def _far_end(layout: NodeLayout) -> Literal[0, 1]:
    """The position, in an EventRow, of the node a hop from `layout` reaches."""
    return 1 if layout is ARTIFACT else 0


# -- GetLineageSubgraph ----------------------------------------------------------------------------------


def _subgraph_hops(query: SubgraphQuery) -> Tuple[NodeLayout, int]:
    """Checks the query as MLMD does, in MLMD's order; returns the seed kind's layout and the hop limit."""
    if query.seed_kind not in (TypeKind.ARTIFACT, TypeKind.EXECUTION):
        raise errors.InvalidArgumentError("Missing arguments for listing starting nodes.")
    if not query.seed_filter:
        raise errors.InvalidArgumentError(
            "Cannot list starting nodes if `filter_query` is unspecified. (set "
            "starting_artifacts.filter_query or starting_executions.filter_query, e.g. \"name = 'model'\")")
    hops = SUBGRAPH_MAX_HOPS
    if query.max_num_hops is not None:
        if query.max_num_hops < 0:
            raise errors.InvalidArgumentError(
                f"max_num_hops cannot be negative: max_num_hops = {query.max_num_hops} (use 0 for just the "
                f"starting nodes, or leave it unset for {SUBGRAPH_MAX_HOPS})")
        hops = min(query.max_num_hops, SUBGRAPH_MAX_HOPS)
    return (ARTIFACT if query.seed_kind == TypeKind.ARTIFACT else EXECUTION), hops


def _subgraph_seeds(cur: Cursor, layout: NodeLayout, filter_query: str) -> List[int]:
    backend = of(cur)
    found = access.plan_access(cur, *compile_filter(layout, filter_query, backend), SUBGRAPH_SEED_LIMIT)
    rows = _execute_filtered(
        cur, f"SELECT n.id FROM {found.from_item(backend, layout.table, 'id')} WHERE {found.condition} ORDER BY n.id LIMIT {SUBGRAPH_SEED_LIMIT}",
        found.params)
    if not rows:
        raise errors.NotFoundError(
            f"Cannot find qualified nodes to start the traversal. (no {layout.noun} matches {filter_query!r})")
    return [row[0] for row in rows]


def subgraph(cur: Cursor, query: SubgraphQuery, fields: AbstractSet[str] = ALL_FIELDS) -> LineageResult:
    """GetLineageSubgraph: the walk from the nodes `query` selects, returning the LineageGraph `fields`.

    `*_types` in `fields` means the types of the returned nodes of that kind: artifact types in the order
    their first artifact comes, execution and context types by id (as MLMD's Python wrapper fetches them).

    Raises:
        InvalidArgumentError: no starting nodes, an empty starting filter, a negative max_num_hops, or a
            malformed filter (the starting one, or an ending one once it has nodes to judge).
        NotFoundError: no node matches the starting filter.
    """
    seed_layout, hops = _subgraph_hops(query)
    seeds = _subgraph_seeds(cur, seed_layout, query.seed_filter)
    ends = {ARTIFACT.kind: query.ending_artifacts, EXECUTION.kind: query.ending_executions}
    visited: Dict[TypeKind, Set[int]] = {ARTIFACT.kind: set(), EXECUTION.kind: set()}
    ending: Dict[TypeKind, Set[int]] = {ARTIFACT.kind: set(), EXECUTION.kind: set()}
    seed_ends = ends[seed_layout.kind]
    if seed_ends.filter_query is not None:
        ending[seed_layout.kind] = _matching(cur, seed_layout, set(seeds), seed_ends.filter_query)
    frontier = [i for i in seeds if i not in ending[seed_layout.kind]]
    visited[seed_layout.kind].update(frontier)
    one_way = query.direction in (Direction.UPSTREAM, Direction.DOWNSTREAM)
    event_rows: List[EventRow] = []
    layout = seed_layout
    for _ in range(hops):
        if not frontier:
            break
        target = _other(layout)
        rows = _events_of(cur, layout, frontier, _FOLLOWED.get((query.direction, layout is ARTIFACT)))
        end = _far_end(layout)
        seen, stops, spec = visited[target.kind], ending[target.kind], ends[target.kind]
        new = {row[end] for row in rows if row[end] not in seen and row[end] not in stops}
        if spec.filter_query is not None and new:
            stopped = _matching(cur, target, new, spec.filter_query)
            stops.update(stopped)
            new -= stopped
        for row in rows:
            node = row[end]
            if node in new or (node in stops and spec.include_ending_nodes) or (node in seen and one_way):
                event_rows.append(row)
        seen.update(new)
        frontier = sorted(new)
        layout = target
    artifact_ids, execution_ids = set(visited[ARTIFACT.kind]), set(visited[EXECUTION.kind])
    if query.ending_artifacts.include_ending_nodes:
        artifact_ids |= ending[ARTIFACT.kind]
    if query.ending_executions.include_ending_nodes:
        execution_ids |= ending[EXECUTION.kind]
    return _subgraph_result(cur, artifact_ids, execution_ids, event_rows, fields)


def _nodes(cur: Cursor, layout: NodeLayout, ids: AbstractSet[int], bodies: bool,
           type_ids: bool) -> Tuple[List[bytes], List[int]]:
    """The encoded nodes with these ids (if `bodies`) and their distinct type ids in the order of each type's
    first node by id (if `type_ids`), from one statement."""
    if not ids or not (bodies or type_ids):
        return [], []
    backend = of(cur)
    rows = cur.execute(f"SELECT type_id{', body' if bodies else ''} FROM {layout.table} WHERE id "
                       f"{backend.frontier_in()} ORDER BY id", (backend.frontier_value(ids),)).fetchall()
    return ([row[1] for row in rows] if bodies else [],
            list(dict.fromkeys(row[0] for row in rows)) if type_ids else [])


def _context_ids(cur: Cursor, artifact_ids: AbstractSet[int], execution_ids: AbstractSet[int]) -> Set[int]:
    backend = of(cur)
    return {row[0] for row in cur.execute(
        f"SELECT context_id FROM attribution WHERE artifact_id {backend.frontier_in()}"
        f" UNION SELECT context_id FROM association WHERE execution_id {backend.frontier_in()}",
        (backend.frontier_value(artifact_ids), backend.frontier_value(execution_ids)))}


def _links(cur: Cursor, table: str, column: str, ids: AbstractSet[int]) -> List[Tuple[int, int]]:
    # MLMD lists links in insertion order, which our link tables do not keep; (context, node) order is what
    # put_execution and put_lineage_subgraph insert them in.
    if not ids:
        return []
    backend = of(cur)
    return [(row[0], row[1]) for row in cur.execute(
        f"SELECT context_id, {column} FROM {table} WHERE {column} {backend.frontier_in()} ORDER BY context_id, "
        f"{column}", (backend.frontier_value(ids),))]


def _subgraph_result(cur: Cursor, artifact_ids: Set[int], execution_ids: Set[int],
                     event_rows: Sequence[EventRow], fields: AbstractSet[str]) -> LineageResult:
    out = LineageResult()
    out.artifacts, out.artifact_types = _nodes(cur, ARTIFACT, artifact_ids, "artifacts" in fields,
                                               "artifact_types" in fields)  # types in first-artifact order
    out.executions, execution_types = _nodes(cur, EXECUTION, execution_ids, "executions" in fields,
                                             "execution_types" in fields)
    out.execution_types = sorted(execution_types)
    if "contexts" in fields or "context_types" in fields:
        context_ids = _context_ids(cur, artifact_ids, execution_ids)
        out.contexts, context_types = _nodes(cur, CONTEXT, context_ids, "contexts" in fields,
                                             "context_types" in fields)
        out.context_types = sorted(context_types)
    if "events" in fields:
        out.events = [row[2] for row in event_rows]
    if "attributions" in fields:
        out.attributions = _links(cur, "attribution", "artifact_id", artifact_ids)
    if "associations" in fields:
        out.associations = _links(cur, "association", "execution_id", execution_ids)
    return out


# -- GetLineageGraph -------------------------------------------------------------------------------------


def _graph_seeds(cur: Cursor, page: SeedPage) -> List[Tuple[int, bytes]]:
    """The seed artifacts: one page of the listing `page` describes, as (id, body) in listing order."""
    if page.page_size <= 0:
        raise errors.InvalidArgumentError(
            f"max_result_size field value is required to be greater than 0 and less than or equal to 100, "
            f"got {page.page_size} (artifacts_options.max_result_size)")
    if page.order_field not in ORDER_COLUMNS:
        raise errors.InvalidArgumentError(f"Unsupported order_by_field: {page.order_field}")
    backend = of(cur)
    found = (access.plan_access(cur, *compile_filter(ARTIFACT, page.filter_query, backend), page.page_size)
             if page.filter_query else None)
    sql, params = listing_sql(backend, ARTIFACT, page.page_size, page.order_field, page.is_asc, page.after, None, found)
    rows = _execute_filtered(cur, sql, params)[:page.page_size]
    if not rows:
        raise errors.NotFoundError("The query_nodes condition does not match any nodes to do traversal. "
                                   "(artifacts_options selects no artifact)")
    return [(row[1], row[0]) for row in rows]


def graph(cur: Cursor, query: GraphQuery) -> LineageResult:
    """GetLineageGraph (MLMD's deprecated walk): the graph around one page of artifacts.

    Every hop follows every event; nodes failing a boundary filter are dropped and not expanded; at most
    `max_node_size` artifacts and executions are returned (the seeds always are). Where MLMD drops an
    arbitrary subset of a hop's nodes to fit that cap, we keep the lowest ids. Nodes come seeds first, then
    hop by hop in id order; every user type of the store is returned; contexts and links never are.

    Raises:
        InvalidArgumentError: `artifacts_options` unset, a bad page size or order, a malformed filter.
        NotFoundError: the seed listing is empty.
    """
    if query.seeds is None:
        raise errors.InvalidArgumentError("Missing query_nodes conditions (set artifacts_options)")
    hops = GRAPH_DEFAULT_HOPS
    if query.max_num_hops is not None and query.max_num_hops >= 0:
        hops = query.max_num_hops
    seeds = _graph_seeds(cur, query.seeds)
    quota: Optional[int] = query.max_node_size - len(seeds) if query.max_node_size > 0 else None
    boundaries = {ARTIFACT.kind: query.boundary_artifacts, EXECUTION.kind: query.boundary_executions}
    visited: Dict[TypeKind, Set[int]] = {ARTIFACT.kind: {i for i, _ in seeds}, EXECUTION.kind: set()}
    found: Dict[TypeKind, List[int]] = {ARTIFACT.kind: [], EXECUTION.kind: []}
    event_rows: List[EventRow] = []
    frontier = sorted(visited[ARTIFACT.kind])
    layout = ARTIFACT
    for _ in range(hops):
        if not frontier or (quota is not None and quota <= 0):
            break
        target = _other(layout)
        rows = _events_of(cur, layout, frontier, None)
        end = _far_end(layout)
        seen = visited[target.kind]
        new = {row[end] for row in rows if row[end] not in seen}
        boundary = boundaries[target.kind]
        if boundary:
            new = _matching(cur, target, new, boundary)
        kept = sorted(new)[:quota] if quota is not None else sorted(new)
        keep = set(kept)
        event_rows.extend(row for row in rows if row[end] in keep)
        seen.update(keep)
        found[target.kind].extend(kept)
        if quota is not None:
            quota -= len(kept)
        frontier = kept
        layout = target
    return LineageResult(
        artifacts=[body for _, body in seeds] + _bodies_in_order(cur, ARTIFACT, found[ARTIFACT.kind]),
        executions=_bodies_in_order(cur, EXECUTION, found[EXECUTION.kind]),
        events=[row[2] for row in event_rows],
        every_user_type=True,
    )


def _bodies_in_order(cur: Cursor, layout: NodeLayout, ids: Sequence[int]) -> List[bytes]:
    if not ids:
        return []
    backend = of(cur)
    by_id = dict(cur.execute(f"SELECT id, body FROM {layout.table} WHERE id {backend.frontier_in()}",
                             (backend.frontier_value(ids),)))
    return [by_id[i] for i in ids]

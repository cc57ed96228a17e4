"""Lineage: MLMD's GetLineageSubgraph and GetLineageGraph walks, run set-wise in the database.

Both walks are breadth-first over the bipartite event graph, one hop at a time: a hop from artifacts
reaches executions, a hop from executions reaches artifacts. Each hop is one indexed query for the events
of the whole frontier (plus, when ending or boundary nodes are asked for, one query that filters the newly
reached nodes), so the cost of a walk grows with the nodes and events it returns, never with the store.
Node ids travel to the database as one parameter (the backend's frontier: a JSON array read by `json_each`
on SQLite), so a frontier of any width is still one statement. Python only keeps the visited and ending id sets, which are part of the answer anyway.
On a server, where each statement is a round trip (Backend.walks_in_sql), a walk of up to 10 hops (25 one-way)
with no ending nodes is one statement: its seeds, a recursive query for the events of every hop, and the nodes,
contexts and links of the answer (`_AtOnce`). A longer walk reads many hops a statement (`_SqlWalk`), and its
answer in one more.

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
from typing import AbstractSet, Dict, Hashable, Iterable, List, Literal, Optional, Sequence, Set, Tuple

from . import access, errors
from .backends.base import Backend, Cursor, of
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
    # The store's data version (Backend.data_version) as the walk read it, where it came at no cost (the servers):
    # the type views it matches hold the types of the walk's snapshot (Engine.types_view). None: not read.
    data_version: Optional[Hashable] = None


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


# Hops a server walks in one statement (`_SqlWalk`, `_AtOnce`). A walk in both directions comes back to the nodes it came
# from, so its statement reaches a node again at each later depth of the same parity: its work grows with the
# hops it walks at once (a one-way walk returns only around a cycle). More hops a statement save round trips,
# fewer keep that extra work small on a large graph.
SQL_WALK_HOPS = {True: 25, False: 10}  # by whether the walk is one-way
# Once a walk has reached this many nodes it goes on a hop a statement: the round trips saved are then a small
# part of its time, and the extra work of a many-hop statement a large one.
SQL_WALK_NODES = 2000


class _SqlWalk:
    """The events of many hops of a walk from one statement, for databases where each statement costs a round
    trip (Backend.walks_in_sql): a recursive query finds each node's depth from the frontier (its hop), and the
    statement returns the events of the nodes at each depth, the rows `_events_of` returns for that hop's
    frontier. The walk's own rules (which events it keeps, which nodes it visits) stay in `subgraph`'s loop:
    the statement only reads ahead. Ending nodes are not walked here (`subgraph` reads hop by hop then).

    Without ending nodes, the nodes at depth d of a walk from frontier F are exactly the frontier of the loop's
    d-th hop from F: breadth first, a node joins the frontier of the hop after its shortest distance from F over
    unvisited nodes. The recursive query reaches a node on every walk of at most the chunk's hops (a node is
    kept once per depth), and each node's least depth is its distance. A depth's parity is its nodes' kind (an
    artifact and an execution may share an id).
    """

    def __init__(self, cur: Cursor, direction: int, hops: int, one_way: bool, visited: Dict[TypeKind, Set[int]],
                 by_hop: Optional[List[List[EventRow]]] = None) -> None:
        self.cur = cur
        self.direction = direction
        self.hops = hops
        self.chunk = SQL_WALK_HOPS[one_way]
        self.visited = visited  # the loop's, as it grows
        self.start = 0  # the hop the read-ahead rows start at
        self.by_hop: List[List[EventRow]] = by_hop or []  # given: read with the seeds (`_AtOnce`)

    def rows(self, hop: int, layout: NodeLayout, frontier: Sequence[int]) -> List[EventRow]:
        """The events of this hop's frontier (`_events_of`'s rows), read ahead when the last read ended."""
        if hop - self.start < len(self.by_hop):
            return self.by_hop[hop - self.start]
        visited = self.visited
        followed = _FOLLOWED.get((self.direction, layout is ARTIFACT))
        reached = sum(len(ids) for ids in visited.values())
        if reached >= SQL_WALK_NODES:
            self.start, self.by_hop = hop, []
            return _events_of(self.cur, layout, frontier, followed)
        # The first read starts from the seeds, which are all the nodes visited yet: nothing else to leave out.
        seen = visited if hop else None
        self.start, self.by_hop = hop, _walk_events(self.cur, layout, frontier, min(self.chunk, self.hops - hop),
                                                    self.direction, seen)
        return self.by_hop[0]


def _walk_events(cur: Cursor, layout: NodeLayout, frontier: Sequence[int], hops: int, direction: int,
                 seen: Optional[Dict[TypeKind, Set[int]]]) -> List[List[EventRow]]:
    """The events of the nodes at each depth 0 .. hops - 1 of the walk from `frontier` (of `layout`) that steps
    on no node of `seen`, each depth's in `_events_of`'s order."""
    backend = of(cur)
    params: List[object] = [backend.frontier_value(frontier)]
    walk = _walk_sql(backend, layout, hops, direction, seen, f"SELECT f.value, 0 FROM {backend.frontier('f')}", params)
    return _by_hop(layout, hops, map(_event_row, cur.execute(
        f"WITH RECURSIVE {walk} {_walk_events_sql(layout, hops, direction)}", params).fetchall()))


def _walk_sql(backend: Backend, layout: NodeLayout, hops: int, direction: int,
              seen: Optional[Dict[TypeKind, Set[int]]], base: str, params: List[object]) -> str:
    """The common table expressions `walk` (node, depth), every walk of at most `hops` steps from the rows of
    `base` (node ids of `layout`, depth 0) that steps on no node of `seen`, and `reached`, each node's least
    depth; `seen`'s parameters are appended to `params`."""
    # One step per kind of node the walk stands on: (its layout, the parity of its depths).
    branches = []
    for near, parity in ((layout, 0), (_other(layout), 1)):
        near_column, far_column = ("artifact_id", "execution_id") if near is ARTIFACT else ("execution_id", "artifact_id")
        condition = f"w.depth % 2 = {parity} AND e.{near_column} = w.node{_types(direction, near)}"
        if seen is not None and seen[_other(near).kind]:
            condition += f" AND e.{far_column} NOT IN (SELECT value FROM {backend.frontier('s')})"
            params.append(backend.frontier_value(seen[_other(near).kind]))
        branches.append((far_column, condition))
    if backend.one_recursive_reference:
        # One reference to the walk: its steps are the branches of one LATERAL subquery.
        lateral = " UNION ALL ".join(f"SELECT e.{far} AS far FROM event e WHERE {condition}"
                                     for far, condition in branches)
        recursive = (f"SELECT x.far, w.depth + 1 FROM walk w CROSS JOIN LATERAL ({lateral}) x "
                     f"WHERE w.depth < {hops}")
    else:
        recursive = " UNION ".join(f"SELECT e.{far}, w.depth + 1 FROM walk w JOIN event e ON {condition} "
                                   f"WHERE w.depth < {hops}" for far, condition in branches)
    return (f"walk (node, depth) AS ({base} UNION {recursive}), "
            "reached (node, depth) AS (SELECT node, MIN(depth) FROM walk GROUP BY node, depth % 2)")


def _walk_events_sql(layout: NodeLayout, hops: int, direction: int) -> str:
    """The SELECTs, after `_walk_sql`'s expressions, of the events of the nodes at each depth below `hops`, as rows
    of a walk's answer (`_EVENTS`, depth, artifact_id, execution_id, type, milliseconds_since_epoch, id, body)."""
    return " UNION ALL ".join(
        f"SELECT {_EVENTS}, r.depth, e.artifact_id, e.execution_id, e.type, e.milliseconds_since_epoch, e.id, e.body "
        f"FROM reached r JOIN event e ON e.{'artifact_id' if near is ARTIFACT else 'execution_id'} = r.node "
        f"WHERE r.depth % 2 = {parity} AND r.depth < {hops}{_types(direction, near)}"
        for near, parity in ((layout, 0), (_other(layout), 1)))


def _event_row(row: tuple) -> Tuple[int, EventRow]:
    """(depth, event row) of an `_EVENTS` row."""
    return row[1], (row[2], row[3], row[7], row[4], row[5], row[6])


def _by_hop(layout: NodeLayout, hops: int, rows: Iterable[Tuple[int, EventRow]]) -> List[List[EventRow]]:
    """(depth, event row) pairs of a walk from `layout`, as each hop's rows in `_events_of`'s order."""
    by_hop: List[List[EventRow]] = [[] for _ in range(hops)]
    for depth, row in rows:
        by_hop[depth].append(row)
    for depth, found in enumerate(by_hop):
        # From artifacts by (artifact, execution, type), from executions by (execution, id).
        found.sort(key=_ARTIFACT_ORDER if (layout is ARTIFACT) == (depth % 2 == 0) else _EXECUTION_ORDER)
    return by_hop


def _types(direction: int, near: NodeLayout) -> str:
    """The condition on `e.type` of the events a step from `near` follows ("" for every event)."""
    followed = _FOLLOWED.get((direction, near is ARTIFACT))
    # `e.type + 0`, the same value through no index: PostgreSQL would seek event_type(type, artifact_id,
    # execution_id) for each type and read every event of that type to find one execution's.
    return "" if followed is None else f" AND e.type + 0 IN ({', '.join(str(int(t)) for t in followed)})"


def _ARTIFACT_ORDER(row: tuple) -> tuple:
    return row[0], row[1], row[3]


def _EXECUTION_ORDER(row: tuple) -> tuple:
    return row[1], row[5]


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
        raise _no_seeds(layout, filter_query)
    return [row[0] for row in rows]


def _no_seeds(layout: NodeLayout, filter_query: str) -> errors.NotFoundError:
    return errors.NotFoundError(
        f"Cannot find qualified nodes to start the traversal. (no {layout.noun} matches {filter_query!r})")


def subgraph_in_one_statement(backend: Backend, query: SubgraphQuery) -> bool:
    """Whether `subgraph` reads the walk of `query` in one statement (`_AtOnce`: a server, no ending nodes, at
    most a read's hops), which needs no transaction around it (Database.run's one_statement)."""
    if not backend.walks_in_sql or query.ending_artifacts.filter_query is not None \
            or query.ending_executions.filter_query is not None:
        return False
    hops = SUBGRAPH_MAX_HOPS if query.max_num_hops is None else min(query.max_num_hops, SUBGRAPH_MAX_HOPS)
    return hops <= SQL_WALK_HOPS[query.direction in (Direction.UPSTREAM, Direction.DOWNSTREAM)]


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
    one_way = query.direction in (Direction.UPSTREAM, Direction.DOWNSTREAM)
    in_sql = of(cur).walks_in_sql and query.ending_artifacts.filter_query is None \
        and query.ending_executions.filter_query is None
    # A walk a server reads in one statement comes with its seeds and its answer's rows (`_AtOnce`).
    at_once = _AtOnce(cur, query, seed_layout, hops, fields) if subgraph_in_one_statement(of(cur), query) else None
    seeds = at_once.seeds if at_once is not None else _subgraph_seeds(cur, seed_layout, query.seed_filter)
    ends = {ARTIFACT.kind: query.ending_artifacts, EXECUTION.kind: query.ending_executions}
    visited: Dict[TypeKind, Set[int]] = {ARTIFACT.kind: set(), EXECUTION.kind: set()}
    ending: Dict[TypeKind, Set[int]] = {ARTIFACT.kind: set(), EXECUTION.kind: set()}
    seed_ends = ends[seed_layout.kind]
    if seed_ends.filter_query is not None:
        ending[seed_layout.kind] = _matching(cur, seed_layout, set(seeds), seed_ends.filter_query)
    frontier = [i for i in seeds if i not in ending[seed_layout.kind]]
    visited[seed_layout.kind].update(frontier)
    event_rows: List[EventRow] = []
    layout = seed_layout
    walk = None
    if in_sql:
        walk = _SqlWalk(cur, query.direction, hops, one_way, visited, at_once.by_hop if at_once is not None else None)
    for hop in range(hops):
        if not frontier:
            break
        target = _other(layout)
        if walk is not None:
            rows = walk.rows(hop, layout, frontier)
        else:
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
    if at_once is not None:  # its statement read the nodes the loop visited: every node within `hops`
        return _answer(at_once.parts, event_rows, fields)
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
    if of(cur).walks_in_sql:
        return _subgraph_result_at_once(cur, artifact_ids, execution_ids, event_rows, fields)
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


# The parts of the statements that read a walk's answer, by the number their rows start with. Each row is
# (part, k1 .. k6, body): a node (id, type_id, ..., body or NULL), a link (context_id, node id), the data version,
# a seed id, an event (depth, artifact_id, execution_id, type, milliseconds_since_epoch, id, body).
_ARTIFACTS, _EXECUTIONS, _CONTEXTS, _ATTRIBUTIONS, _ASSOCIATIONS, _DATA_VERSION, _SEEDS, _EVENTS = range(8)
_NO_KEYS = "NULL, NULL, NULL, NULL"  # k3 .. k6


def _answer_selects(backend: Backend, fields: AbstractSet[str], artifacts_in: str, executions_in: str,
                    artifact_ids: Optional[AbstractSet[int]], execution_ids: Optional[AbstractSet[int]],
                    params: List[object]) -> List[str]:
    """The SELECTs of a walk's answer: its nodes, their contexts, its links (those of `fields`) and the data
    version. `artifacts_in` and `executions_in` follow a node id column to say which nodes: with a parameter
    each, the node ids (appended to `params`), or None when they come from the statement itself. Those with
    bodies come first: PostgreSQL types a column of a UNION by its first branches."""
    with_body: List[str] = []
    without: List[str] = []
    ids_of = {ARTIFACT: (artifacts_in, artifact_ids), EXECUTION: (executions_in, execution_ids)}

    def part(number: int, select: str, layout: NodeLayout, body: bool) -> None:
        (with_body if body else without).append(f"SELECT {number}, {select}")
        ids = ids_of[layout][1]
        if ids is not None:
            params.append(backend.frontier_value(ids))

    def some(layout: NodeLayout) -> bool:
        ids = ids_of[layout][1]
        return ids is None or bool(ids)

    for number, layout in ((_ARTIFACTS, ARTIFACT), (_EXECUTIONS, EXECUTION)):
        bodies = f"{layout.noun}s" in fields
        if some(layout) and (bodies or f"{layout.noun}_types" in fields):
            part(number, f"id, type_id, {_NO_KEYS}, {'body' if bodies else 'NULL'} FROM {layout.table} "
                 f"WHERE id {ids_of[layout][0]}", layout, bodies)
    if "contexts" in fields or "context_types" in fields:
        # The contexts of the artifacts, then those of the executions (a context may come twice): MariaDB reads
        # each from its links, where with the UNION of both links in one `id IN (...)` it would test every context.
        bodies = "contexts" in fields
        for layout, table in ((ARTIFACT, "attribution"), (EXECUTION, "association")):
            if some(layout):
                part(_CONTEXTS, f"id, type_id, {_NO_KEYS}, {'body' if bodies else 'NULL'} FROM context WHERE id IN "
                     f"(SELECT context_id FROM {table} WHERE {layout.noun}_id {ids_of[layout][0]})", layout, bodies)
    for number, layout, table in ((_ATTRIBUTIONS, ARTIFACT, "attribution"), (_ASSOCIATIONS, EXECUTION, "association")):
        if f"{table}s" in fields and some(layout):
            part(number, f"context_id, {layout.noun}_id, {_NO_KEYS}, NULL FROM {table} "
                 f"WHERE {layout.noun}_id {ids_of[layout][0]}", layout, False)
    if backend.data_version_select is not None:
        without.append(f"SELECT {_DATA_VERSION}, ({backend.data_version_select}), NULL, {_NO_KEYS}, NULL")
    return with_body + without


def _answer(parts: Dict[int, List[tuple]], event_rows: Sequence[EventRow], fields: AbstractSet[str]) -> LineageResult:
    """The LineageResult of a walk from its answer's rows by part (`_answer_selects`, ordered by part, k1, k2)."""
    out = LineageResult()

    def nodes(number: int, bodies: bool) -> Tuple[List[bytes], List[int]]:
        found = list({row[1]: row for row in parts.get(number, [])}.values())  # each node once, in id order
        return [row[7] for row in found] if bodies else [], list(dict.fromkeys(row[2] for row in found))

    out.artifacts, artifact_types = nodes(_ARTIFACTS, "artifacts" in fields)
    if "artifact_types" in fields:
        out.artifact_types = artifact_types  # in first-artifact order
    out.executions, execution_types = nodes(_EXECUTIONS, "executions" in fields)
    if "execution_types" in fields:
        out.execution_types = sorted(execution_types)
    out.contexts, context_types = nodes(_CONTEXTS, "contexts" in fields)
    if "context_types" in fields:
        out.context_types = sorted(context_types)
    if "events" in fields:
        out.events = [row[2] for row in event_rows]
    out.attributions = [(row[1], row[2]) for row in parts.get(_ATTRIBUTIONS, [])]
    out.associations = [(row[1], row[2]) for row in parts.get(_ASSOCIATIONS, [])]
    if _DATA_VERSION in parts:
        out.data_version = parts[_DATA_VERSION][0][1]
    return out


def _by_part(rows: Iterable[tuple]) -> Dict[int, List[tuple]]:
    parts: Dict[int, List[tuple]] = {}
    for row in rows:
        parts.setdefault(row[0], []).append(row)
    return parts


def _subgraph_result_at_once(cur: Cursor, artifact_ids: Set[int], execution_ids: Set[int],
                             event_rows: Sequence[EventRow], fields: AbstractSet[str]) -> LineageResult:
    """`_subgraph_result` from one statement (Backend.walks_in_sql), with the data version for the type views of
    the answer."""
    backend = of(cur)
    params: List[object] = []
    selects = _answer_selects(backend, fields, backend.frontier_in(), backend.frontier_in(), artifact_ids,
                              execution_ids, params)
    return _answer(_by_part(cur.execute(" UNION ALL ".join(selects) + " ORDER BY 1, 2, 3", params).fetchall()),
                   event_rows, fields)


class _AtOnce:
    """A whole walk on a server in one statement (Backend.walks_in_sql; no ending nodes, at most a read's hops):
    its seeds, the events of every hop (as `_SqlWalk` reads them) and every part of its answer. The nodes of the
    answer are those the recursive query reached, which are exactly those `subgraph`'s loop visits (the nodes
    within `hops` of a seed)."""

    def __init__(self, cur: Cursor, query: SubgraphQuery, layout: NodeLayout, hops: int,
                 fields: AbstractSet[str]) -> None:
        backend = of(cur)
        found = access.plan_access(cur, *compile_filter(layout, query.seed_filter, backend), SUBGRAPH_SEED_LIMIT)
        params: List[object] = list(found.params)
        seeds = (f"seeds (id) AS (SELECT n.id FROM {found.from_item(backend, layout.table, 'id')} "
                 f"WHERE {found.condition} ORDER BY n.id LIMIT {SUBGRAPH_SEED_LIMIT})")
        walk = _walk_sql(backend, layout, hops, query.direction, None, "SELECT id, 0 FROM seeds", params)
        reached = {parity: backend.in_select(f"SELECT node FROM walk WHERE depth % 2 = {parity}") for parity in (0, 1)}
        artifacts_in, executions_in = (reached[0], reached[1]) if layout is ARTIFACT else (reached[1], reached[0])
        selects = [_walk_events_sql(layout, hops, query.direction),
                   *_answer_selects(backend, fields, artifacts_in, executions_in, None, None, params),
                   f"SELECT {_SEEDS}, id, NULL, {_NO_KEYS}, NULL FROM seeds"]
        self.parts = _by_part(_execute_filtered(
            cur, f"WITH RECURSIVE {seeds}, {walk} {' UNION ALL '.join(selects)} ORDER BY 1, 2, 3", params))
        self.seeds = [row[1] for row in self.parts.get(_SEEDS, [])]
        if not self.seeds:
            raise _no_seeds(layout, query.seed_filter)
        self.by_hop = _by_hop(layout, hops, map(_event_row, self.parts.get(_EVENTS, [])))


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

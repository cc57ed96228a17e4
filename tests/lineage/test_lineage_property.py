"""Property tests: lineage walks on random graphs (cycles included) against plain in-Python walks.

Two references, written with dicts and sets only:

* `bfs_distances`: textbook BFS. With no ending nodes and every event followed, the walk must return exactly
  the nodes within `max_num_hops` of a seed and every event between them.
* `mlmd_walk` / `mlmd_graph_walk`: MLMD's hop-by-hop rules (docs/mlmd-interface.md §2.10 and engine/lineage.py's docstring)
  one node set at a time, for every option: directions, ending nodes, boundaries, node caps, event order.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Set, Tuple
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

INPUT_LIKE = {2, 3, 5}
OUTPUT_LIKE = {1, 4, 6, 7}
MAX_SEEDS = 101
A, E = "artifact", "execution"


@dataclass
class Graph:
    n_art: int
    n_exe: int
    events: List[Tuple[int, int, int]]  # (artifact, execution, type), in insertion order = event id order
    attributions: Set[Tuple[int, int]] = field(default_factory=set)  # (context, artifact)
    associations: Set[Tuple[int, int]] = field(default_factory=set)  # (context, execution)
    n_ctx: int = 0


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    n_art = draw(st.integers(1, 8))
    n_exe = draw(st.integers(1, 6))
    events = draw(st.lists(st.tuples(st.integers(1, n_art), st.integers(1, n_exe), st.integers(1, 7)),
                           unique=True, max_size=24))
    n_ctx = draw(st.integers(0, 3))
    graph = Graph(n_art, n_exe, events, n_ctx=n_ctx)
    if n_ctx:
        graph.attributions = draw(st.sets(st.tuples(st.integers(1, n_ctx), st.integers(1, n_art)), max_size=6))
        graph.associations = draw(st.sets(st.tuples(st.integers(1, n_ctx), st.integers(1, n_exe)), max_size=6))
    return graph


def store_of(graph: Graph, config: Optional[pb.ConnectionConfig] = None) -> metadata_store.MetadataStore:
    """A store holding `graph`: in memory, or in the (empty) store of `config`."""
    if config is None:
        config = pb.ConnectionConfig()
        config.fake_database.SetInParent()
    s = metadata_store.MetadataStore(config)
    at = s.put_artifact_type(pb.ArtifactType(name="A"))
    et = s.put_execution_type(pb.ExecutionType(name="E"))
    ct = s.put_context_type(pb.ContextType(name="C"))
    s.put_artifacts([pb.Artifact(type_id=at) for _ in range(graph.n_art)])
    s.put_executions([pb.Execution(type_id=et) for _ in range(graph.n_exe)])
    if graph.events:
        s.put_events([pb.Event(artifact_id=a, execution_id=e, type=t) for a, e, t in graph.events])
    if graph.n_ctx:
        s.put_contexts([pb.Context(type_id=ct, name=f"c{i}") for i in range(1, graph.n_ctx + 1)])
        s.put_attributions_and_associations(
            [pb.Attribution(context_id=c, artifact_id=a) for c, a in sorted(graph.attributions)],
            [pb.Association(context_id=c, execution_id=e) for c, e in sorted(graph.associations)])
    return s


def id_filter(ids: Set[int]) -> str:
    return f"id IN ({', '.join(map(str, sorted(ids)))})" if ids else "id = -1"


# -- references ---------------------------------------------------------------------------------------


def bfs_distances(graph: Graph, kind: str, seeds: List[int], hops: int) -> Dict[Tuple[str, int], int]:
    """Textbook BFS over the undirected event graph: node -> distance, for distances <= hops."""
    neighbours: Dict[Tuple[str, int], Set[Tuple[str, int]]] = {}
    for a, e, _ in graph.events:
        neighbours.setdefault((A, a), set()).add((E, e))
        neighbours.setdefault((E, e), set()).add((A, a))
    dist = {(kind, s): 0 for s in seeds}
    queue = deque(dist)
    while queue:
        node = queue.popleft()
        if dist[node] == hops:
            continue
        for nxt in neighbours.get(node, ()):
            if nxt not in dist:
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    return dist


@dataclass
class Walk:
    kind: str
    seeds: Set[int]
    hops: Optional[int]
    direction: int
    end_art: Optional[Set[int]]
    end_exe: Optional[Set[int]]
    include_art: bool
    include_exe: bool


def _follows(direction: int, from_artifact: bool, event_type: int) -> bool:
    if direction == 1:  # UPSTREAM
        return event_type in (OUTPUT_LIKE if from_artifact else INPUT_LIKE)
    if direction == 2:  # DOWNSTREAM
        return event_type in (INPUT_LIKE if from_artifact else OUTPUT_LIKE)
    return True


def _frontier_events(graph: Graph, kind: str, frontier: Set[int], keep) -> List[Tuple[int, int, int]]:  # noqa: ANN001
    """Events of the frontier, in MLMD's order: (artifact, execution, type) / (execution, event id)."""
    numbered = [(i, ev) for i, ev in enumerate(graph.events)]
    if kind == A:
        found = [ev for _, ev in numbered if ev[0] in frontier and keep(ev)]
        return sorted(found)
    found = [(ev[1], i, ev) for i, ev in numbered if ev[1] in frontier and keep(ev)]
    return [ev for _, _, ev in sorted(found)]


def mlmd_walk(graph: Graph, w: Walk) -> dict:
    """GetLineageSubgraph by MLMD's rules, with sets: nodes, events (in order), contexts, links."""
    seeds = sorted(w.seeds)[:MAX_SEEDS]
    hops = 100 if w.hops is None else min(w.hops, 100)
    end_sets = {A: w.end_art, E: w.end_exe}
    include = {A: w.include_art, E: w.include_exe}
    visited: Dict[str, Set[int]] = {A: set(), E: set()}
    ending: Dict[str, Set[int]] = {A: set(), E: set()}
    if end_sets[w.kind] is not None:
        ending[w.kind] = set(seeds) & end_sets[w.kind]
    frontier = {s for s in seeds if s not in ending[w.kind]}
    visited[w.kind] |= frontier
    kind, events = w.kind, []
    for _ in range(hops):
        if not frontier:
            break
        target = E if kind == A else A
        far = 1 if kind == A else 0
        evs = _frontier_events(graph, kind, frontier, lambda ev: _follows(w.direction, kind == A, ev[2]))
        new = {ev[far] for ev in evs} - visited[target] - ending[target]
        if end_sets[target] is not None:
            ending[target] |= new & end_sets[target]
            new -= end_sets[target]
        for ev in evs:
            node = ev[far]
            if node in new or (node in ending[target] and include[target]) or (
                    node in visited[target] and w.direction in (1, 2)):
                events.append(ev)
        visited[target] |= new
        frontier, kind = new, target
    arts = visited[A] | (ending[A] if include[A] else set())
    exes = visited[E] | (ending[E] if include[E] else set())
    attributions = sorted((c, a) for c, a in graph.attributions if a in arts)
    associations = sorted((c, e) for c, e in graph.associations if e in exes)
    return {"artifacts": sorted(arts), "executions": sorted(exes), "events": events,
            "contexts": sorted({c for c, _ in attributions} | {c for c, _ in associations}),
            "attributions": attributions, "associations": associations}


def mlmd_graph_walk(graph: Graph, seeds: List[int], hops: int, max_nodes: int,
                    boundary_art: Optional[Set[int]], boundary_exe: Optional[Set[int]]) -> dict:
    """GetLineageGraph by MLMD's rules: every event, boundary filters, a node quota (lowest ids kept)."""
    quota = max_nodes - len(seeds) if max_nodes > 0 else None
    visited: Dict[str, Set[int]] = {A: set(seeds), E: set()}
    order = {A: list(seeds), E: []}
    boundary = {A: boundary_art, E: boundary_exe}
    frontier, kind, events = set(seeds), A, []
    for _ in range(hops):
        if not frontier or (quota is not None and quota <= 0):
            break
        target = E if kind == A else A
        far = 1 if kind == A else 0
        evs = _frontier_events(graph, kind, frontier, lambda ev: True)
        new = {ev[far] for ev in evs} - visited[target]
        if boundary[target] is not None:
            new &= boundary[target]
        kept = sorted(new)[:quota] if quota is not None else sorted(new)
        events += [ev for ev in evs if ev[far] in set(kept)]
        visited[target] |= set(kept)
        order[target] += kept
        if quota is not None:
            quota -= len(kept)
        frontier, kind = set(kept), target
    return {"artifacts": order[A], "executions": order[E], "events": events}


# -- what our store returns -----------------------------------------------------------------------------


def triple(e: pb.Event) -> Tuple[int, int, int]:
    return (e.artifact_id, e.execution_id, e.type)


def observed(g: pb.LineageGraph) -> dict:
    return {"artifacts": [a.id for a in g.artifacts], "executions": [e.id for e in g.executions],
            "events": [triple(e) for e in g.events], "contexts": [c.id for c in g.contexts],
            "attributions": [(x.context_id, x.artifact_id) for x in g.attributions],
            "associations": [(x.context_id, x.execution_id) for x in g.associations]}


def node_sets(graph: Graph) -> st.SearchStrategy:
    return st.none() | st.sets(st.integers(1, max(graph.n_art, graph.n_exe)))


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=st.data())
def test_plain_walk_is_textbook_bfs(data: st.DataObject) -> None:
    graph = data.draw(graphs())
    kind = data.draw(st.sampled_from([A, E]))
    seeds = data.draw(st.sets(st.integers(1, graph.n_art if kind == A else graph.n_exe), min_size=1))
    hops = data.draw(st.integers(0, 8))
    direction = data.draw(st.sampled_from([0, 3]))
    opts = pb.LineageSubgraphQueryOptions(max_num_hops=hops, direction=direction)
    (opts.starting_artifacts if kind == A else opts.starting_executions).filter_query = id_filter(seeds)
    got = observed(store_of(graph).get_lineage_subgraph(opts))
    dist = bfs_distances(graph, kind, sorted(seeds), hops)
    assert got["artifacts"] == sorted(i for k, i in dist if k == A)
    assert got["executions"] == sorted(i for k, i in dist if k == E)
    between = [ev for ev in graph.events if (A, ev[0]) in dist and (E, ev[1]) in dist]
    assert sorted(got["events"]) == sorted(between)
    assert len(got["events"]) == len(set(got["events"]))


@SETTINGS
@given(data=st.data())
def test_subgraph_matches_mlmd_rules(data: st.DataObject) -> None:
    check_subgraph(data, data.draw(graphs()), None, node_sets)


@st.composite
def chains(draw: st.DrawFn) -> Graph:
    """Longer graphs than `graphs`: a chain a1 > e1 > a2 > ... with random events added (cycles, shortcuts)."""
    length = draw(st.integers(2, 14))
    events = [(i, i, 3) for i in range(1, length + 1)] + [(i + 1, i, 4) for i in range(1, length + 1)]
    extra = draw(st.lists(st.tuples(st.integers(1, length + 1), st.integers(1, length), st.integers(1, 7)),
                          max_size=8))
    events = list(dict.fromkeys(events + extra))  # each (artifact, execution, type) once, in order
    graph = Graph(length + 1, length, events, n_ctx=2)
    graph.attributions = draw(st.sets(st.tuples(st.integers(1, 2), st.integers(1, length + 1)), max_size=4))
    graph.associations = draw(st.sets(st.tuples(st.integers(1, 2), st.integers(1, length)), max_size=4))
    return graph


@pytest.mark.server
@pytest.mark.parametrize("backend", ["mysql", "postgresql"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_server_subgraph_matches_mlmd_rules(backend: str, data: st.DataObject) -> None:
    """On a server a walk reads many hops a statement (engine/lineage.py's _SqlWalk); here a statement reads 1 to 3
    hops and a walk past a few nodes may go on a hop a statement, so random walks cross both limits."""
    import server_stores  # tests/api, on sys.path (conftest.py)

    from fastmlmd.engine import lineage

    graph = data.draw(st.one_of(graphs(), chains()))
    hops = data.draw(st.integers(1, 3))
    with mock.patch.object(lineage, "SQL_WALK_HOPS", {True: hops, False: hops}), \
            mock.patch.object(lineage, "SQL_WALK_NODES", data.draw(st.sampled_from([8, 10**6]))):
        # Mostly without ending nodes: those walks read many hops a statement.
        check_subgraph(data, graph, server_stores.stores(backend).config(),
                       lambda g: st.one_of(st.none(), st.none(), st.none(), node_sets(g)))


def check_subgraph(data: st.DataObject, graph: Graph, config: Optional[pb.ConnectionConfig],
                   ending_sets: Callable[[Graph], st.SearchStrategy]) -> None:
    """A random walk on `graph` (in the store of `config`, or in memory; its ending nodes drawn from
    `ending_sets(graph)`) returns what MLMD's rules say."""
    kind = data.draw(st.sampled_from([A, E]))
    w = Walk(kind=kind,
             seeds=data.draw(st.sets(st.integers(1, graph.n_art if kind == A else graph.n_exe))),
             hops=data.draw(st.none() | st.integers(0, 7) | st.just(150)),
             direction=data.draw(st.integers(0, 3)),
             end_art=data.draw(ending_sets(graph)), end_exe=data.draw(ending_sets(graph)),
             include_art=data.draw(st.booleans()), include_exe=data.draw(st.booleans()))
    opts = pb.LineageSubgraphQueryOptions(direction=w.direction)
    (opts.starting_artifacts if kind == A else opts.starting_executions).filter_query = id_filter(w.seeds)
    if w.hops is not None:
        opts.max_num_hops = w.hops
    if w.end_art is not None:
        opts.ending_artifacts.filter_query = id_filter(w.end_art)
    if w.end_exe is not None:
        opts.ending_executions.filter_query = id_filter(w.end_exe)
    opts.ending_artifacts.include_ending_nodes = w.include_art
    opts.ending_executions.include_ending_nodes = w.include_exe
    s = store_of(graph, config)
    if not w.seeds:
        with pytest.raises(errors.NotFoundError):
            s.get_lineage_subgraph(opts)
        return
    graph_msg = s.get_lineage_subgraph(opts)
    assert observed(graph_msg) == mlmd_walk(graph, w)
    assert [t.name for t in graph_msg.artifact_types] == (["A"] if graph_msg.artifacts else [])
    assert [t.name for t in graph_msg.context_types] == (["C"] if graph_msg.contexts else [])


@SETTINGS
@given(data=st.data())
def test_graph_matches_mlmd_rules(data: st.DataObject) -> None:
    graph = data.draw(graphs())
    seeds = data.draw(st.sets(st.integers(1, graph.n_art), min_size=1))
    page_size = data.draw(st.integers(1, 4))
    hops = data.draw(st.none() | st.integers(-1, 6))
    max_nodes = data.draw(st.integers(-1, 12))
    boundary_art, boundary_exe = data.draw(node_sets(graph)), data.draw(node_sets(graph))
    opts = pb.LineageGraphQueryOptions(max_node_size=max_nodes)
    opts.artifacts_options.max_result_size = page_size
    opts.artifacts_options.filter_query = id_filter(seeds)
    if hops is not None:
        opts.stop_conditions.max_num_hops = hops
    if boundary_art is not None:
        opts.stop_conditions.boundary_artifacts = id_filter(boundary_art)
    if boundary_exe is not None:
        opts.stop_conditions.boundary_executions = id_filter(boundary_exe)
    got = observed(store_of(graph).get_lineage_graph(opts))
    expected = mlmd_graph_walk(graph, sorted(seeds)[:page_size], 20 if hops is None or hops < 0 else hops,
                               max_nodes, boundary_art, boundary_exe)
    assert {k: got[k] for k in expected} == expected
    assert got["contexts"] == got["attributions"] == got["associations"] == []


@pytest.mark.server
@pytest.mark.parametrize("backend", ["mysql", "postgresql"])
@pytest.mark.parametrize("hops_a_statement", [1, 2, 25])
def test_server_walk_back_into_visited_nodes(backend: str, hops_a_statement: int) -> None:
    """An upstream walk from a3 through cycles (e2 reads a3 and a2, and writes both): a statement after the first
    steps on no node visited before, or it would hand the loop e2's events again as a later hop's."""
    import server_stores

    from fastmlmd.engine import lineage

    # (artifact, execution, type): e1 > a2, a2 > e2, e2 > a3, a3 > e2, e2 > a2, a1 > e1.
    graph = Graph(3, 2, [(2, 1, 4), (2, 2, 3), (3, 2, 4), (3, 2, 3), (2, 2, 4), (1, 1, 3)])
    w = Walk(kind=A, seeds={3}, hops=None, direction=1, end_art=None, end_exe=None, include_art=False,
             include_exe=False)
    opts = pb.LineageSubgraphQueryOptions(direction=w.direction)
    opts.starting_artifacts.filter_query = id_filter(w.seeds)
    with mock.patch.object(lineage, "SQL_WALK_HOPS", {True: hops_a_statement, False: hops_a_statement}):
        got = observed(store_of(graph, server_stores.stores(backend).config()).get_lineage_subgraph(opts))
    assert got == mlmd_walk(graph, w)
    assert got["artifacts"] == [1, 2, 3] and got["executions"] == [1, 2]

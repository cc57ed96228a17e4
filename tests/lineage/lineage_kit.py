"""Lineage graphs written as text, and a compact view of the LineageGraph a walk returns.

Imports only `ml_metadata` (through scenario_kit), so the scenario table runs unchanged on our package and
on ml-metadata 1.17.1 (oracle_runner.py loads the table; the table puts this folder on sys.path).

A graph is a string of edges: `a1>e1` is an artifact going into an execution (an INPUT event), `e1>a2` an
execution producing an artifact (OUTPUT); `a1>e1:DECLARED_INPUT` names another event type. Artifact `aN`
gets id N and execution `eN` id N (every id up to the largest one named is created), all of type `A` /
`E`; contexts `cN` (type `C`) get id N too.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence

from scenario_kit import Json, artifact, context, event, execution, new_store, pb

# Event types that point from the artifact to the execution (docs/mlmd-interface.md §1.3); the rest point the other way.
INPUT_LIKE = frozenset({"DECLARED_INPUT", "INPUT", "INTERNAL_INPUT"})
PLAIN = {"INPUT", "OUTPUT"}


def parse_edges(edges: str) -> List[tuple]:
    """`"a1>e1 e1>a2:PENDING_OUTPUT"` -> [(artifact, execution, type name)] = [(1, 1, "INPUT"), (2, 1, ...)]."""
    out = []
    for token in edges.split():
        pair, _, kind = token.partition(":")
        left, right = pair.split(">")
        if left[0] == "a":
            out.append((int(left[1:]), int(right[1:]), kind or "INPUT"))
        else:
            out.append((int(right[1:]), int(left[1:]), kind or "OUTPUT"))
    return out


def build(edges: str = "", *, artifacts: int = 0, executions: int = 0,
          contexts: Optional[Dict[str, Sequence[str]]] = None, store: Any = None) -> Any:
    """A store holding this graph (and at least `artifacts` / `executions` nodes).

    `contexts` maps a context name `cN` to the nodes it holds (`["a1", "e2"]`); links are written in
    (context, node) order, the order our store returns them in (MLMD returns insertion order).
    """
    s = store if store is not None else new_store()
    triples = parse_edges(edges)
    n_art = max([artifacts] + [a for a, _, _ in triples])
    n_exe = max([executions] + [e for _, e, _ in triples])
    at = s.put_artifact_type(pb.ArtifactType(name="A"))
    et = s.put_execution_type(pb.ExecutionType(name="E"))
    ct = s.put_context_type(pb.ContextType(name="C"))
    if n_art:
        s.put_artifacts([artifact(at, name=f"a{i}") for i in range(1, n_art + 1)])
    if n_exe:
        s.put_executions([execution(et, name=f"e{i}") for i in range(1, n_exe + 1)])
    if triples:
        s.put_events([event(a, e, kind) for a, e, kind in triples])
    if contexts:
        numbers = sorted(int(name[1:]) for name in contexts)
        s.put_contexts([context(ct, name=f"c{i}") for i in range(1, max(numbers) + 1)])
        attributions, associations = [], []
        for number in numbers:
            for node in sorted(contexts[f"c{number}"], key=lambda n: (n[0], int(n[1:]))):
                if node[0] == "a":
                    attributions.append(pb.Attribution(context_id=number, artifact_id=int(node[1:])))
                else:
                    associations.append(pb.Association(context_id=number, execution_id=int(node[1:])))
        s.put_attributions_and_associations(attributions, associations)
    return s


def ending(filter_query: Optional[str] = None, include: Optional[bool] = None) -> Any:
    """`EndingNodes`; a None argument stays unset."""
    msg = pb.LineageSubgraphQueryOptions.EndingNodes()
    if filter_query is not None:
        msg.filter_query = filter_query
    if include is not None:
        msg.include_ending_nodes = include
    return msg


def options(seed: Optional[str] = None, *, executions: bool = False, hops: Optional[int] = None,
            direction: Optional[str] = None, end_artifacts: Any = None, end_executions: Any = None) -> Any:
    """`LineageSubgraphQueryOptions`; `seed` is a filter query, or a node name like `a4` (`name = 'a4'`)."""
    msg = pb.LineageSubgraphQueryOptions()
    if seed is not None:
        query = f"name = '{seed}'" if seed[:1] in ("a", "e") and seed[1:].isdigit() else seed
        start = msg.starting_executions if executions else msg.starting_artifacts
        start.filter_query = query
    if hops is not None:
        msg.max_num_hops = hops
    if direction is not None:
        msg.direction = pb.LineageSubgraphQueryOptions.Direction.Value(direction)
    if end_artifacts is not None:
        msg.ending_artifacts.CopyFrom(end_artifacts)
    if end_executions is not None:
        msg.ending_executions.CopyFrom(end_executions)
    return msg


def event_token(e: Any) -> str:
    """An Event as graph text: `a1>e1`, `e1>a2`, `e1>a3:PENDING_OUTPUT`."""
    kind = pb.Event.Type.Name(e.type)
    token = (f"a{e.artifact_id}>e{e.execution_id}" if kind in INPUT_LIKE
             else f"e{e.execution_id}>a{e.artifact_id}")
    return token if kind in PLAIN else f"{token}:{kind}"


def view(graph: Any) -> Json:
    """The non-empty fields of a LineageGraph, compactly: node and type names, edges as graph text."""
    out = {
        "artifacts": [a.name for a in graph.artifacts],
        "executions": [e.name for e in graph.executions],
        "contexts": [c.name for c in graph.contexts],
        "events": [event_token(e) for e in graph.events],
        "attributions": [f"c{x.context_id}-a{x.artifact_id}" for x in graph.attributions],
        "associations": [f"c{x.context_id}-e{x.execution_id}" for x in graph.associations],
        "artifact_types": [t.name for t in graph.artifact_types],
        "execution_types": [t.name for t in graph.execution_types],
        "context_types": [t.name for t in graph.context_types],
        "parent_contexts": len(graph.parent_contexts),
    }
    return {k: v for k, v in out.items() if v}


def unordered(view_or_error: Json) -> Json:
    """A `walk` with each list sorted: for rows about what a walk holds, since ml-metadata on MySQL and PostgreSQL
    lists a graph's items in whatever order the server's plan reads them."""
    if not isinstance(view_or_error, dict):
        return view_or_error
    return {key: sorted(value) if isinstance(value, list) else value for key, value in view_or_error.items()}


def walk(s: Any, opts: Any, mask: Optional[Iterable[str]] = None) -> Json:
    """`view(s.get_lineage_subgraph(opts, mask))`, or `["error", class, message]` if it raised."""
    try:
        return view(s.get_lineage_subgraph(opts, None if mask is None else list(mask)))
    except Exception as exc:  # the error class and message are part of the behaviour
        return ["error", type(exc).__name__, str(getattr(exc, "message", exc))]


# The example of docs/mlmd-interface.md §2.10: a0->e0; a1,a3->e1; a3->e3->a4,a5; a2,a4->e2 (numbered from 1 here: aN+1, eN+1).
SPEC_EXAMPLE = "a1>e1 a2>e2 a4>e2 a4>e4 e4>a5 e4>a6 a3>e3 a5>e3"

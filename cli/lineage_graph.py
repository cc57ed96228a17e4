"""The lineage around a node, read with the public lineage API and held as a plain graph for drawing."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

from fastmlmd.cli.reading import as_json
from fastmlmd.cli.stores import EVENT_TYPE_NAMES, one_node
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

DIRECTIONS = {"up": pb.LineageSubgraphQueryOptions.UPSTREAM, "down": pb.LineageSubgraphQueryOptions.DOWNSTREAM,
              "both": pb.LineageSubgraphQueryOptions.BIDIRECTIONAL}
# Events whose artifact an execution produced (the edge points execution -> artifact); the others it read.
_OUTPUTS = {pb.Event.DECLARED_OUTPUT, pb.Event.OUTPUT, pb.Event.INTERNAL_OUTPUT, pb.Event.PENDING_OUTPUT}


@dataclass
class Node:
    key: str  # "a3" / "e7": unique across kinds, safe in every output format
    kind: str  # "artifact" or "execution"
    id: int
    type: str
    label: str
    start: bool  # one of the nodes the walk started from
    details: Dict[str, Any]


@dataclass
class Graph:
    """Artifacts and executions, and the events between them as edges from producer to consumer."""

    nodes: List[Node] = field(default_factory=list)
    edges: List[Tuple[str, str, str]] = field(default_factory=list)  # (from key, to key, event type)
    title: str = ""

    def types(self) -> List[str]:
        """The node types, sorted: a type's colour is its position here."""
        return sorted({node.type for node in self.nodes})


def read_lineage(store: metadata_store.MetadataStore, kind: str, node_id: int, hops: int,
                 direction: str) -> Graph:
    """The lineage within `hops` of a node (for a context: of its artifacts and executions)."""
    one_node(store, kind, node_id)  # an unknown id says so plainly
    starts = ([("artifact", f"id = {node_id}")] if kind == "artifact" else
              [("execution", f"id = {node_id}")] if kind == "execution" else
              [("artifact", f"contexts_a.id = {node_id}"), ("execution", f"contexts_a.id = {node_id}")])
    merged = pb.LineageGraph()
    for start_kind, query in starts:
        options = pb.LineageSubgraphQueryOptions(max_num_hops=hops, direction=DIRECTIONS[direction])
        (options.starting_artifacts if start_kind == "artifact" else options.starting_executions).filter_query = query
        if kind == "context" and not _any(store, start_kind, query):
            continue  # the API refuses a start that selects nothing; a context may hold only one kind
        merged.MergeFrom(store.get_lineage_subgraph(options))
    if kind == "context":
        start_keys = {f"a{n.id}" for n in store.get_artifacts_by_context(node_id)}
        start_keys |= {f"e{n.id}" for n in store.get_executions_by_context(node_id)}
    else:
        start_keys = {f"{kind[0]}{node_id}"}
    graph = _graph(merged, start_keys)
    graph.title = f"lineage of {kind} {node_id} ({direction}, {hops} hops)"
    return graph


def _any(store: metadata_store.MetadataStore, kind: str, query: str) -> bool:
    getter = store.get_artifacts if kind == "artifact" else store.get_executions
    return bool(getter(list_options=metadata_store.ListOptions(limit=1, filter_query=query)))


def _label(node: Any, kind: str) -> str:
    if node.name:
        return str(node.name)
    if kind == "artifact" and node.uri:
        return str(node.uri.rstrip("/").rsplit("/", 1)[-1] or node.uri)
    return f"{kind} {node.id}"


def _graph(lineage: pb.LineageGraph, start_keys: set) -> Graph:
    graph = Graph()
    seen = set()
    walked: List[Tuple[str, str, List[Any]]] = [("artifact", "a", list(lineage.artifacts)),
                                                 ("execution", "e", list(lineage.executions))]
    for kind, prefix, found in walked:
        for node in sorted(found, key=lambda n: n.id):
            key = f"{prefix}{node.id}"
            if key in seen:
                continue  # a context's two walks may both reach a node
            seen.add(key)
            graph.nodes.append(Node(key=key, kind=kind, id=node.id, type=node.type or f"{kind} type {node.type_id}",
                                    label=_label(node, kind), start=key in start_keys, details=as_json(node)))
    edges = set()
    for event in lineage.events:
        artifact, execution = f"a{event.artifact_id}", f"e{event.execution_id}"
        if artifact not in seen or execution not in seen:
            continue
        name = EVENT_TYPE_NAMES.get(event.type, str(event.type))
        edges.add((execution, artifact, name) if event.type in _OUTPUTS else (artifact, execution, name))
    graph.edges = sorted(edges, key=lambda e: (int(e[0][1:]), e[0][0], int(e[1][1:]), e[1][0], e[2]))
    return graph

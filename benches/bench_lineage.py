"""Lineage walks: a fixed 4-hop walk over 22 nodes must cost the same in a 10k, 100k and 1M-node store.

The store is made of identical 46-node components (one pipeline run each, in one context), built through
the public API:

    root -> 3 executions -> 6 artifacts -> 6 executions -> 6 artifacts -> 6 tails (exec > art > exec > art)

A 4-hop walk from one root reaches 22 nodes and 21 events, whatever the number of components; a walk
whose cost grows with the store shows up as a slower mean at 100k and 1M. The 1M store (about two minutes to
build) only runs with FASTMLMD_BENCH_LARGE=1:

    .venv/bin/python -m pytest benches/bench_lineage.py --benchmark-only --benchmark-group-by=group
"""
from __future__ import annotations

import os
from typing import Dict, List, Tuple

import pytest

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

COMPONENT_NODES = 46
BATCH = 400  # components written per API call
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
LARGE = os.environ.get("FASTMLMD_BENCH_LARGE") == "1"
WALK_NODES = 22  # 1 + 3 + 6 + 6 + 6
I, O = pb.Event.INPUT, pb.Event.OUTPUT


def _component_edges(a: List[int], x: List[int]) -> List[Tuple[int, int, int]]:
    """Events of one component, given its 25 artifact ids `a` and 21 execution ids `x`.

    Artifacts: a[0] root, a[1:7] hop 2, a[7:13] hop 4, a[13:25] tails. Executions: x[0:3] hop 1,
    x[3:9] hop 3, x[9:21] tails.
    """
    edges = [(a[0], x[i], I) for i in range(3)]
    for i in range(6):
        edges += [(a[1 + i], x[i // 2], O), (a[1 + i], x[3 + i], I), (a[7 + i], x[3 + i], O),
                  (a[7 + i], x[9 + 2 * i], I), (a[13 + 2 * i], x[9 + 2 * i], O),
                  (a[13 + 2 * i], x[10 + 2 * i], I), (a[14 + 2 * i], x[10 + 2 * i], O)]
    return edges


def build_store(nodes: int) -> Tuple[metadata_store.MetadataStore, int]:
    """A store of `nodes // 46` components; returns it and the number of components."""
    config = pb.ConnectionConfig()
    config.fake_database.SetInParent()
    store = metadata_store.MetadataStore(config)
    at = store.put_artifact_type(pb.ArtifactType(name="Data"))
    et = store.put_execution_type(pb.ExecutionType(name="Step"))
    ct = store.put_context_type(pb.ContextType(name="Run"))
    components = nodes // COMPONENT_NODES
    for start in range(0, components, BATCH):
        batch = range(start, min(start + BATCH, components))
        artifacts = [pb.Artifact(type_id=at, name=f"root-{k}" if i == 0 else f"art-{k}-{i}", uri=f"/runs/{k}/{i}")
                     for k in batch for i in range(25)]
        executions = [pb.Execution(type_id=et, name=f"step-{k}-{i}") for k in batch for i in range(21)]
        art_ids = store.put_artifacts(artifacts)
        exe_ids = store.put_executions(executions)
        ctx_ids = store.put_contexts([pb.Context(type_id=ct, name=f"run-{k}") for k in batch])
        events, attributions, associations = [], [], []
        for n, _ in enumerate(batch):
            a, x = art_ids[25 * n:25 * n + 25], exe_ids[21 * n:21 * n + 21]
            events += [pb.Event(artifact_id=ai, execution_id=xi, type=t) for ai, xi, t in _component_edges(a, x)]
            attributions += [pb.Attribution(context_id=ctx_ids[n], artifact_id=ai) for ai in a]
            associations += [pb.Association(context_id=ctx_ids[n], execution_id=xi) for xi in x]
        store.put_events(events)
        store.put_attributions_and_associations(attributions, associations)
    return store, components


_STORES: Dict[str, Tuple[metadata_store.MetadataStore, int]] = {}


def store_of(size: str) -> Tuple[metadata_store.MetadataStore, int]:
    if size not in _STORES:
        _STORES[size] = build_store(SIZES[size])
    return _STORES[size]


def walk_options(component: int, direction: str = "DIRECTION_UNSPECIFIED") -> pb.LineageSubgraphQueryOptions:
    opts = pb.LineageSubgraphQueryOptions(max_num_hops=4)
    opts.starting_artifacts.filter_query = f"name = 'root-{component}'"
    opts.direction = pb.LineageSubgraphQueryOptions.Direction.Value(direction)
    return opts


SIZE_PARAMS = [pytest.param("10k"), pytest.param("100k"),
               pytest.param("1M", marks=pytest.mark.skipif(not LARGE, reason="set FASTMLMD_BENCH_LARGE=1"))]


@pytest.mark.parametrize("size", SIZE_PARAMS)
@pytest.mark.parametrize("direction", ["DIRECTION_UNSPECIFIED", "DOWNSTREAM"])
def test_walk_4_hops(benchmark, size: str, direction: str) -> None:
    benchmark.group = f"lineage-4-hops-{direction.lower()}"
    store, components = store_of(size)
    opts = walk_options(components // 2, direction)
    graph = store.get_lineage_subgraph(opts)
    assert (len(graph.artifacts) + len(graph.executions), len(graph.events), len(graph.contexts)) == (
        WALK_NODES, WALK_NODES - 1, 1)
    benchmark(store.get_lineage_subgraph, opts)


@pytest.mark.parametrize("size", SIZE_PARAMS)
def test_walk_4_hops_edges_only(benchmark, size: str) -> None:
    """The traversal alone: no node bodies, contexts or types to read."""
    benchmark.group = "lineage-4-hops-events-only"
    store, components = store_of(size)
    opts = walk_options(components // 2)
    assert len(store.get_lineage_subgraph(opts, ["events"]).events) == WALK_NODES - 1
    benchmark(store.get_lineage_subgraph, opts, ["events"])

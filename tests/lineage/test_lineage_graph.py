"""get_lineage_graph: our addition with the semantics of MLMD's deprecated GetLineageGraph RPC.

ml-metadata 1.17.1 exposes no Python call for it (and its server answers UNIMPLEMENTED), so these answers
come from MLMD's `QueryLineageGraph` source rather than from the oracle.
"""
from __future__ import annotations

import base64
from typing import Any, Optional

import pytest
from lineage_kit import SPEC_EXAMPLE, build, event_token
from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2 as pb

CHAIN_30 = " ".join(f"a{i}>e{i} e{i}>a{i + 1}" for i in range(1, 31))  # a1 > e1 > a2 > ... > a31
FAN = "a1>e1 " + " ".join(f"e1>a{i}" for i in range(2, 8)) + " a3>e2 e2>a8"


def graph_options(seed: Optional[str] = "id = 5", *, page_size: Optional[int] = None, hops: Optional[int] = None,
                  max_nodes: Optional[int] = None, boundary_artifacts: Optional[str] = None,
                  boundary_executions: Optional[str] = None, descending: bool = False) -> Any:
    msg = pb.LineageGraphQueryOptions()
    if seed is not None:
        msg.artifacts_options.filter_query = seed
    if page_size is not None:
        msg.artifacts_options.max_result_size = page_size
    if descending:
        msg.artifacts_options.order_by_field.is_asc = False
    if hops is not None:
        msg.stop_conditions.max_num_hops = hops
    if boundary_artifacts is not None:
        msg.stop_conditions.boundary_artifacts = boundary_artifacts
    if boundary_executions is not None:
        msg.stop_conditions.boundary_executions = boundary_executions
    if max_nodes is not None:
        msg.max_node_size = max_nodes
    return msg


def graph_view(graph: pb.LineageGraph) -> dict:
    out = {"artifacts": [a.name for a in graph.artifacts], "executions": [e.name for e in graph.executions],
           "events": [event_token(e) for e in graph.events]}
    return {k: v for k, v in out.items() if v}


@pytest.mark.parametrize(
    ("edges", "opts", "expected"),
    [
        pytest.param(SPEC_EXAMPLE, graph_options(hops=0), {"artifacts": ["a5"]}, id="zero-hops"),
        pytest.param(SPEC_EXAMPLE, graph_options(hops=2), {
            "artifacts": ["a5", "a3", "a4", "a6"], "executions": ["e3", "e4"],
            "events": ["a5>e3", "e4>a5", "a3>e3", "a4>e4", "e4>a6"]}, id="two-hops-seeds-first"),
        pytest.param(SPEC_EXAMPLE, graph_options(), {
            "artifacts": ["a5", "a3", "a4", "a6", "a2"], "executions": ["e3", "e4", "e2"],
            "events": ["a5>e3", "e4>a5", "a3>e3", "a4>e4", "e4>a6", "a4>e2", "a2>e2"]}, id="defaults"),
        pytest.param(CHAIN_30, graph_options("id = 1", max_nodes=0), {
            "artifacts": [f"a{i}" for i in range(1, 12)], "executions": [f"e{i}" for i in range(1, 11)],
            "events": [t for i in range(1, 11) for t in (f"a{i}>e{i}", f"e{i}>a{i + 1}")]},
            id="unset-hops-mean-20"),
        pytest.param(CHAIN_30, graph_options("id = 1", hops=-4, max_nodes=0),
                     {"artifacts": [f"a{i}" for i in range(1, 12)], "executions": [f"e{i}" for i in range(1, 11)],
                      "events": [t for i in range(1, 11) for t in (f"a{i}>e{i}", f"e{i}>a{i + 1}")]},
                     id="negative-hops-mean-20"),
        pytest.param(CHAIN_30, graph_options("id = 1", hops=100), {
            "artifacts": [f"a{i}" for i in range(1, 11)], "executions": [f"e{i}" for i in range(1, 11)],
            "events": [t for i in range(1, 10) for t in (f"a{i}>e{i}", f"e{i}>a{i + 1}")] + ["a10>e10"]},
            id="default-max-node-size-20"),
        pytest.param(FAN, graph_options("id = 1", max_nodes=5), {
            "artifacts": ["a1", "a2", "a3", "a4"], "executions": ["e1"],
            "events": ["a1>e1", "e1>a2", "e1>a3", "e1>a4"]}, id="cap-keeps-lowest-ids-and-their-events"),
        pytest.param(FAN, graph_options("id > 0", max_nodes=3, page_size=5), {
            "artifacts": ["a1", "a2", "a3", "a4", "a5"]}, id="seeds-beyond-the-cap-are-all-returned"),
        pytest.param(FAN, graph_options("id = 1", max_nodes=-1), {
            "artifacts": ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"], "executions": ["e1", "e2"],
            "events": ["a1>e1", "e1>a2", "e1>a3", "e1>a4", "e1>a5", "e1>a6", "e1>a7", "a3>e2", "e2>a8"]},
            id="non-positive-cap-is-unlimited"),
        pytest.param(FAN, graph_options("id = 1", boundary_artifacts="name != 'a3'"), {
            "artifacts": ["a1", "a2", "a4", "a5", "a6", "a7"], "executions": ["e1"],
            "events": ["a1>e1", "e1>a2", "e1>a4", "e1>a5", "e1>a6", "e1>a7"]}, id="boundary-artifacts"),
        pytest.param(SPEC_EXAMPLE, graph_options(boundary_executions="name = 'e4'"), {
            "artifacts": ["a5", "a4", "a6"], "executions": ["e4"], "events": ["e4>a5", "a4>e4", "e4>a6"]},
            id="boundary-executions"),
        pytest.param(SPEC_EXAMPLE, graph_options(boundary_executions=""), {
            "artifacts": ["a5", "a3", "a4", "a6", "a2"], "executions": ["e3", "e4", "e2"],
            "events": ["a5>e3", "e4>a5", "a3>e3", "a4>e4", "e4>a6", "a4>e2", "a2>e2"]},
            id="empty-boundary-keeps-everything"),
        pytest.param("a1>e1 e1>a2 a2>e2 e2>a1", graph_options("id = 1"), {
            "artifacts": ["a1", "a2"], "executions": ["e1", "e2"], "events": ["a1>e1", "e2>a1", "e1>a2", "a2>e2"]},
            id="cycle-terminates"),
        pytest.param(SPEC_EXAMPLE, graph_options("id > 2", page_size=2, hops=0), {"artifacts": ["a3", "a4"]},
                     id="seed-page-size"),
        pytest.param(SPEC_EXAMPLE, graph_options("id > 2", page_size=2, hops=0, descending=True),
                     {"artifacts": ["a6", "a5"]}, id="seed-page-order"),
        pytest.param(SPEC_EXAMPLE, graph_options(None, page_size=100, hops=0),
                     {"artifacts": ["a1", "a2", "a3", "a4", "a5", "a6"]}, id="seeds-without-filter"),
    ],
)
def test_lineage_graph(edges: str, opts: Any, expected: dict) -> None:
    s = build(edges)
    if not opts.HasField("artifacts_options"):
        opts.artifacts_options.SetInParent()
    assert graph_view(s.get_lineage_graph(opts)) == expected


def test_seed_page_token() -> None:
    s = build(SPEC_EXAMPLE)
    opts = graph_options("id > 0", page_size=2, hops=0)
    token = pb.ListOperationNextPageToken(id_offset=2, field_offset=2)
    token.set_options.CopyFrom(opts.artifacts_options)
    opts.artifacts_options.next_page_token = base64.urlsafe_b64encode(token.SerializeToString()).decode().rstrip("=")
    assert graph_view(s.get_lineage_graph(opts)) == {"artifacts": ["a3", "a4"]}
    opts.artifacts_options.order_by_field.is_asc = False
    with pytest.raises(errors.InvalidArgumentError, match="mismatch"):
        s.get_lineage_graph(opts)


def test_types_are_every_user_type_and_no_contexts() -> None:
    s = build(SPEC_EXAMPLE, contexts={"c1": ["a5", "e4"]})
    s.put_artifact_type(pb.ArtifactType(name="Unused", external_id="x"))
    graph = s.get_lineage_graph(graph_options(hops=1))
    assert [t.name for t in graph.artifact_types] == ["A", "Unused"]
    assert [t.name for t in graph.execution_types] == ["E"]
    assert [t.name for t in graph.context_types] == ["C"]
    assert not graph.artifact_types[1].HasField("external_id")  # as the type listings return them
    assert (len(graph.contexts), len(graph.attributions), len(graph.associations), len(graph.parent_contexts)) == (
        0, 0, 0, 0)


def test_full_nodes_and_events() -> None:
    s = build("a1>e1")
    graph = s.get_lineage_graph(graph_options("id = 1"))
    assert graph.artifacts[0] == s.get_artifacts_by_id([1])[0]
    assert graph.executions[0] == s.get_executions_by_id([1])[0]
    assert list(graph.events) == s.get_events_by_artifact_ids([1])


@pytest.mark.parametrize(
    ("opts", "error", "message"),
    [
        pytest.param(pb.LineageGraphQueryOptions(), errors.InvalidArgumentError, "Missing query_nodes conditions",
                     id="no-artifacts-options"),
        pytest.param(graph_options(page_size=0), errors.InvalidArgumentError, "max_result_size", id="page-size-0"),
        pytest.param(graph_options("name = 'zz'"), errors.NotFoundError,
                     "The query_nodes condition does not match any nodes to do traversal.", id="no-seed"),
        pytest.param(graph_options("name = "), errors.InvalidArgumentError, "Invalid `filter_query`: ",
                     id="seed-filter-syntax"),
        pytest.param(graph_options(boundary_artifacts="foo = 1"), errors.InvalidArgumentError,
                     "Invalid `filter_query`: ", id="boundary-filter-unknown-field"),
    ],
)
def test_lineage_graph_errors(opts: Any, error: type, message: str) -> None:
    with pytest.raises(error) as raised:
        build(SPEC_EXAMPLE).get_lineage_graph(opts)
    assert raised.value.message.startswith(message)


def test_boundary_filter_never_judged_is_never_checked() -> None:
    graph = build(SPEC_EXAMPLE).get_lineage_graph(graph_options(hops=1, boundary_artifacts="name = "))
    assert graph_view(graph)["executions"] == ["e3", "e4"]

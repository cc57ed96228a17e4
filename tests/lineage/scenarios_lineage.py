"""get_lineage_subgraph on hand-built graphs with known answers (docs/mlmd-interface.md §2.10, §5.14).

Every row runs on our package (test_lineage.py) and on ml-metadata 1.17.1 (test_lineage_oracle.py); the
expected values were confirmed against the real library. Graphs are written as edge text (lineage_kit.py):
`a1>e1` is an INPUT event, `e1>a2` an OUTPUT event, node `aN` has id N.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # lineage_kit, also under oracle_runner.py

from lineage_kit import SPEC_EXAMPLE, build, ending, options, unordered, view, walk  # noqa: E402
from scenario_kit import Case, Json, artifact, artifact_type, catch_msg, event, execution, new_store, pb  # noqa: E402
from scenario_kit import show  # noqa: E402

FILTER_ERROR = "Invalid `filter_query`: "

# The example of docs/mlmd-interface.md §2.10, numbered from 1 (its a0..a5, e0..e3 are a1..a6, e1..e4 here),
# seeded at its a4 = a5:
#   a1>e1;  a2,a4>e2;  a4>e4>a5,a6;  a3,a5>e3
SPEC_CONTEXTS = {"c1": ["a5", "e4"], "c2": ["a1"], "c3": ["e3", "a6"]}


def spec(**kw: object) -> Json:
    mask = kw.pop("mask", None)
    return walk(build(SPEC_EXAMPLE, contexts=SPEC_CONTEXTS), options("a5", **kw), mask)


# A diamond: a1 feeds e1 and e2, which both produce a2; a2 feeds e3, which produces a3.
DIAMOND = "a1>e1 a1>e2 e1>a2 e2>a2 a2>e3 e3>a3"
# A cycle through two executions (a2 is both produced by e1 and, through e2, an ancestor of a1).
CYCLE = "a1>e1 e1>a2 a2>e2 e2>a1"
# Two separate chains.
TWO_CHAINS = "a1>e1 e1>a2 a3>e2 e2>a4 a4>e3 e3>a5"
# a1 feeds e1 (which makes a2) and e2; a2 also feeds e2.
SHORTCUT = "a1>e1 e1>a2 a1>e2 a2>e2"
# One execution with an event of every type (e1 to a1..a7: DECLARED_OUTPUT, DECLARED_INPUT, INPUT, OUTPUT,
# INTERNAL_INPUT, INTERNAL_OUTPUT, PENDING_OUTPUT).
ALL_TYPES = ("e1>a1:DECLARED_OUTPUT a2>e1:DECLARED_INPUT a3>e1 e1>a4 a5>e1:INTERNAL_INPUT "
             "e1>a6:INTERNAL_OUTPUT e1>a7:PENDING_OUTPUT")


def seed_cap() -> Json:
    s = build(artifacts=150)
    graph = s.get_lineage_subgraph(options("id > 0", hops=0))
    exactly_100 = s.get_lineage_subgraph(options("id <= 100", hops=0))
    return [len(graph.artifacts), graph.artifacts[0].id, graph.artifacts[-1].id, len(exactly_100.artifacts)]


def seed_cap_keeps_walking() -> Json:
    # 120 seeds each feeding their own execution: only the first 101 seeds are walked from.
    s = build(" ".join(f"a{i}>e{i}" for i in range(1, 121)))
    graph = s.get_lineage_subgraph(options("id > 0", hops=1))
    return [len(graph.artifacts), len(graph.executions), graph.executions[-1].name]


def full_message() -> Json:
    """Every field of the messages, as MLMD fills them (timestamps left out)."""
    s = new_store()
    at = s.put_artifact_type(artifact_type("Data", props={"span": "INT"}, description="d"))
    et = s.put_execution_type(pb.ExecutionType(name="Run", version="v1"))
    ct = s.put_context_type(pb.ContextType(name="Ctx", external_id="ctx-type"))
    s.put_artifacts([artifact(at, uri="/in", properties={"span": 3}, custom_properties={"k": "v"},
                              state=pb.Artifact.LIVE, external_id="x-in"),
                     artifact(at, uri="/out", name="out")])
    s.put_executions([execution(et, name="run", last_known_state=pb.Execution.COMPLETE)])
    s.put_events([event(1, 1, "INPUT", path=["in", 0]), event(2, 1, "OUTPUT", milliseconds_since_epoch=7)])
    s.put_contexts([pb.Context(type_id=ct, name="ctx", custom_properties={"n": pb.Value(int_value=1)})])
    s.put_attributions_and_associations([pb.Attribution(context_id=1, artifact_id=2)],
                                        [pb.Association(context_id=1, execution_id=1)])
    return show(s.get_lineage_subgraph(options("uri = '/in'")))


def builtin_and_ordered_types() -> Json:
    """Artifact types come in the order of their first artifact; execution and context types by id."""
    s = new_store()
    z = s.put_artifact_type(pb.ArtifactType(name="Z"))
    b = s.put_artifact_type(pb.ArtifactType(name="B"))
    ez = s.put_execution_type(pb.ExecutionType(name="EZ"))
    eb = s.put_execution_type(pb.ExecutionType(name="EB"))
    cz = s.put_context_type(pb.ContextType(name="CZ"))
    cb = s.put_context_type(pb.ContextType(name="CB"))
    s.put_artifacts([artifact(b), artifact(z), artifact(1), artifact(b)])  # 1 = mlmd.Dataset
    s.put_executions([execution(eb), execution(ez), execution(5)])  # 5 = mlmd.Train
    s.put_contexts([pb.Context(type_id=cb, name="x"), pb.Context(type_id=cz, name="y")])
    s.put_events([event(1, 1), event(2, 2), event(3, 3), event(4, 3)])
    s.put_attributions_and_associations([pb.Attribution(context_id=1, artifact_id=1),
                                         pb.Attribution(context_id=2, artifact_id=2)], [])
    graph = s.get_lineage_subgraph(options("id > 0"))
    return [[t.name for t in graph.artifact_types], [t.name for t in graph.execution_types],
            [t.name for t in graph.context_types]]


def error(prefix: str, opts: object) -> Json:
    s = build(SPEC_EXAMPLE)
    return catch_msg(prefix, s.get_lineage_subgraph, opts)


def with_filter_query(opts: object) -> Json:
    """`opts` after `starting_artifacts` was set with an empty filter (the oneof is set, the query empty)."""
    opts.starting_artifacts.SetInParent()  # type: ignore[attr-defined]
    return catch_msg("Cannot list starting nodes if `filter_query` is unspecified.",
                     build(SPEC_EXAMPLE).get_lineage_subgraph, opts)


CASES = [
    # -- the example of docs/mlmd-interface.md §2.10 -------------------------------------------------------------------
    Case("spec-0-hops", lambda: spec(hops=0), {
        "artifacts": ["a5"], "contexts": ["c1"], "attributions": ["c1-a5"], "artifact_types": ["A"],
        "context_types": ["C"]}),
    Case("spec-1-hop", lambda: spec(hops=1), {
        "artifacts": ["a5"], "executions": ["e3", "e4"], "contexts": ["c1", "c3"],
        "events": ["a5>e3", "e4>a5"], "attributions": ["c1-a5"], "associations": ["c1-e4", "c3-e3"],
        "artifact_types": ["A"], "execution_types": ["E"], "context_types": ["C"]}),
    Case("spec-2-hops", lambda: spec(hops=2), {
        "artifacts": ["a3", "a4", "a5", "a6"], "executions": ["e3", "e4"], "contexts": ["c1", "c3"],
        "events": ["a5>e3", "e4>a5", "a3>e3", "a4>e4", "e4>a6"],
        "attributions": ["c1-a5", "c3-a6"], "associations": ["c1-e4", "c3-e3"],
        "artifact_types": ["A"], "execution_types": ["E"], "context_types": ["C"]}),
    Case("spec-3-hops", lambda: spec(hops=3), {
        "artifacts": ["a3", "a4", "a5", "a6"], "executions": ["e2", "e3", "e4"], "contexts": ["c1", "c3"],
        "events": ["a5>e3", "e4>a5", "a3>e3", "a4>e4", "e4>a6", "a4>e2"],
        "attributions": ["c1-a5", "c3-a6"], "associations": ["c1-e4", "c3-e3"],
        "artifact_types": ["A"], "execution_types": ["E"], "context_types": ["C"]}),
    Case("spec-4-hops", lambda: spec(hops=4)["events"],
         ["a5>e3", "e4>a5", "a3>e3", "a4>e4", "e4>a6", "a4>e2", "a2>e2"]),
    Case("spec-unset-hops-means-100", lambda: spec()["artifacts"], ["a2", "a3", "a4", "a5", "a6"]),
    Case("spec-1000-hops-means-100", lambda: spec(hops=1000)["executions"], ["e2", "e3", "e4"]),
    Case("spec-upstream", lambda: spec(hops=3, direction="UPSTREAM"), {
        "artifacts": ["a4", "a5"], "executions": ["e4"], "contexts": ["c1"], "events": ["e4>a5", "a4>e4"],
        "attributions": ["c1-a5"], "associations": ["c1-e4"], "artifact_types": ["A"],
        "execution_types": ["E"], "context_types": ["C"]}),
    Case("spec-downstream", lambda: spec(hops=3, direction="DOWNSTREAM"), {
        "artifacts": ["a5"], "executions": ["e3"], "contexts": ["c1", "c3"], "events": ["a5>e3"],
        "attributions": ["c1-a5"], "associations": ["c3-e3"], "artifact_types": ["A"],
        "execution_types": ["E"], "context_types": ["C"]}),
    Case("spec-bidirectional-is-unspecified",
         lambda: spec(hops=3, direction="BIDIRECTIONAL") == spec(hops=3), True),
    Case("spec-ending-a4-excluded", lambda: spec(hops=3, end_artifacts=ending("name = 'a4'")), {
        "artifacts": ["a3", "a5", "a6"], "executions": ["e3", "e4"], "contexts": ["c1", "c3"],
        "events": ["a5>e3", "e4>a5", "a3>e3", "e4>a6"], "attributions": ["c1-a5", "c3-a6"],
        "associations": ["c1-e4", "c3-e3"], "artifact_types": ["A"], "execution_types": ["E"],
        "context_types": ["C"]}),
    Case("spec-ending-a4-included",
         lambda: spec(hops=3, end_artifacts=ending("name = 'a4'", True))["events"],
         ["a5>e3", "e4>a5", "a3>e3", "a4>e4", "e4>a6"]),
    Case("spec-ending-e4-excluded", lambda: spec(hops=3, end_executions=ending("name = 'e4'")), {
        "artifacts": ["a3", "a5"], "executions": ["e3"], "contexts": ["c1", "c3"],
        "events": ["a5>e3", "a3>e3"], "attributions": ["c1-a5"], "associations": ["c3-e3"],
        "artifact_types": ["A"], "execution_types": ["E"], "context_types": ["C"]}),
    Case("spec-ending-e4-included",
         lambda: [spec(hops=3, end_executions=ending("name = 'e4'", True))[k] for k in ("executions", "events")],
         [["e3", "e4"], ["a5>e3", "e4>a5", "a3>e3"]]),
    Case("spec-ending-both-sides",
         lambda: spec(hops=10, end_artifacts=ending("name = 'a4'", True), end_executions=ending("name = 'e3'")),
         {"artifacts": ["a4", "a5", "a6"], "executions": ["e4"], "contexts": ["c1", "c3"],
          "events": ["e4>a5", "a4>e4", "e4>a6"], "attributions": ["c1-a5", "c3-a6"], "associations": ["c1-e4"],
          "artifact_types": ["A"], "execution_types": ["E"], "context_types": ["C"]}),
    Case("spec-ending-seed-excluded-empties-the-graph",
         lambda: spec(hops=3, end_artifacts=ending("name = 'a5'")), {}),
    Case("spec-ending-seed-included-is-not-expanded",
         lambda: spec(hops=3, end_artifacts=ending("name = 'a5'", True)),
         {"artifacts": ["a5"], "contexts": ["c1"], "attributions": ["c1-a5"], "artifact_types": ["A"],
          "context_types": ["C"]}),
    Case("spec-ending-empty-filter-ends-everything",
         lambda: [spec(hops=3, end_artifacts=ending("")), spec(hops=3, end_artifacts=ending("", True))["artifacts"]],
         [{}, ["a5"]]),
    Case("spec-ending-include-without-filter-ends-nothing",
         lambda: spec(hops=3, end_artifacts=ending(include=True)) == spec(hops=3), True),
    Case("spec-ending-by-context",
         lambda: spec(hops=10, end_executions=ending("contexts_c.name = 'c3'"))["executions"], ["e2", "e4"]),
    Case("spec-seed-execution", lambda: walk(build(SPEC_EXAMPLE), options("e4", executions=True, hops=2)), {
        "artifacts": ["a4", "a5", "a6"], "executions": ["e2", "e3", "e4"],
        "events": ["a4>e4", "e4>a5", "e4>a6", "a4>e2", "a5>e3"], "artifact_types": ["A"],
        "execution_types": ["E"]}),
    Case("spec-seed-execution-upstream",
         lambda: walk(build(SPEC_EXAMPLE), options("e3", executions=True, direction="UPSTREAM"))["artifacts"],
         ["a3", "a4", "a5"]),
    # -- shapes ---------------------------------------------------------------------------------------
    Case("diamond-from-top", lambda: walk(build(DIAMOND), options("a1", hops=2))["events"],
         ["a1>e1", "a1>e2", "e1>a2", "e2>a2"]),
    Case("diamond-downstream", lambda: walk(build(DIAMOND), options("a1", direction="DOWNSTREAM")), {
        "artifacts": ["a1", "a2", "a3"], "executions": ["e1", "e2", "e3"],
        "events": ["a1>e1", "a1>e2", "e1>a2", "e2>a2", "a2>e3", "e3>a3"], "artifact_types": ["A"],
        "execution_types": ["E"]}),
    Case("diamond-upstream-from-bottom", lambda: walk(build(DIAMOND), options("a3", direction="UPSTREAM")), {
        "artifacts": ["a1", "a2", "a3"], "executions": ["e1", "e2", "e3"],
        "events": ["e3>a3", "a2>e3", "e1>a2", "e2>a2", "a1>e1", "a1>e2"], "artifact_types": ["A"],
        "execution_types": ["E"]}),
    Case("diamond-downstream-from-bottom-stays", lambda: walk(build(DIAMOND), options("a3", direction="DOWNSTREAM")),
         {"artifacts": ["a3"], "artifact_types": ["A"]}),
    Case("cycle-terminates", lambda: walk(build(CYCLE), options("a1")), {
        "artifacts": ["a1", "a2"], "executions": ["e1", "e2"], "events": ["a1>e1", "e2>a1", "e1>a2", "a2>e2"],
        "artifact_types": ["A"], "execution_types": ["E"]}),
    Case("cycle-downstream-keeps-the-closing-edge",
         lambda: walk(build(CYCLE), options("a1", direction="DOWNSTREAM"))["events"],
         ["a1>e1", "e1>a2", "a2>e2", "e2>a1"]),
    Case("cycle-upstream", lambda: walk(build(CYCLE), options("a1", direction="UPSTREAM", hops=100))["events"],
         ["e2>a1", "a2>e2", "e1>a2", "a1>e1"]),
    Case("same-pair-both-ways", lambda: walk(build("a1>e1 e1>a1"), options("a1", direction="UPSTREAM"))["events"],
         ["e1>a1", "a1>e1"]),
    Case("disconnected-seeds", lambda: walk(build(TWO_CHAINS), options("name IN ('a1', 'a5')", hops=2)), {
        "artifacts": ["a1", "a2", "a4", "a5"], "executions": ["e1", "e3"],
        "events": ["a1>e1", "e3>a5", "e1>a2", "a4>e3"], "artifact_types": ["A"], "execution_types": ["E"]}),
    Case("unconnected-seed", lambda: walk(build("a1>e1", artifacts=2), options("a2")),
         {"artifacts": ["a2"], "artifact_types": ["A"]}),
    Case("shortcut-bidirectional", lambda: walk(build(SHORTCUT), options("a1"))["events"],
         ["a1>e1", "a1>e2", "e1>a2", "a2>e2"]),
    Case("shortcut-downstream-edge-to-visited-node",
         lambda: [walk(build(SHORTCUT), options("a1", direction="DOWNSTREAM", hops=h))["events"] for h in (2, 3)],
         [["a1>e1", "a1>e2", "e1>a2"], ["a1>e1", "a1>e2", "e1>a2", "a2>e2"]]),
    Case("shortcut-edge-between-ending-nodes-is-missing",
         lambda: walk(build(SHORTCUT), options("a1", end_artifacts=ending("name = 'a2'", True),
                                               end_executions=ending("name = 'e2'", True))),
         {"artifacts": ["a1", "a2"], "executions": ["e1", "e2"], "events": ["a1>e1", "a1>e2", "e1>a2"],
          "artifact_types": ["A"], "execution_types": ["E"]}),
    Case("long-chain-stops-at-100-hops",
         lambda: [len(g.get("artifacts", [])) + len(g.get("executions", [])) for g in (
             walk(build(" ".join(f"a{i}>e{i} e{i}>a{i + 1}" for i in range(1, 61))), options("a1")),)],
         [101]),
    Case("fan-out", lambda: [len(walk(build(" ".join(f"e1>a{i}" for i in range(2, 502)) + " a1>e1"),
                                      options("a1", hops=2))[k]) for k in ("artifacts", "events")], [501, 501]),
    # -- event types and direction ------------------------------------------------------------------
    Case("types-from-execution-upstream",
         lambda: walk(build(ALL_TYPES), options("e1", executions=True, direction="UPSTREAM"))["events"],
         ["a2>e1:DECLARED_INPUT", "a3>e1", "a5>e1:INTERNAL_INPUT"]),
    Case("types-from-execution-downstream",
         lambda: walk(build(ALL_TYPES), options("e1", executions=True, direction="DOWNSTREAM"))["events"],
         ["e1>a1:DECLARED_OUTPUT", "e1>a4", "e1>a6:INTERNAL_OUTPUT", "e1>a7:PENDING_OUTPUT"]),
    Case("types-from-artifacts-upstream",
         lambda: walk(build(ALL_TYPES), options("id > 0", direction="UPSTREAM", hops=1))["events"],
         ["e1>a1:DECLARED_OUTPUT", "e1>a4", "e1>a6:INTERNAL_OUTPUT", "e1>a7:PENDING_OUTPUT"]),
    Case("types-from-artifacts-downstream",
         lambda: walk(build(ALL_TYPES), options("id > 0", direction="DOWNSTREAM", hops=1))["events"],
         ["a2>e1:DECLARED_INPUT", "a3>e1", "a5>e1:INTERNAL_INPUT"]),
    Case("types-bidirectional-follows-all",
         lambda: len(walk(build(ALL_TYPES), options("e1", executions=True))["events"]), 7),
    # -- contexts and links ---------------------------------------------------------------------------
    Case("contexts-of-returned-nodes-only",
         lambda: walk(build("a1>e1 e1>a2 a3>e2", contexts={"c1": ["a1", "a3"], "c2": ["e2"], "c3": ["e1", "a2"]}),
                      options("a1", hops=1)),
         {"artifacts": ["a1"], "executions": ["e1"], "contexts": ["c1", "c3"], "events": ["a1>e1"],
          "attributions": ["c1-a1"], "associations": ["c3-e1"], "artifact_types": ["A"],
          "execution_types": ["E"], "context_types": ["C"]}),
    Case("builtin-and-ordered-types", builtin_and_ordered_types,
         [["B", "Z", "mlmd.Dataset"], ["mlmd.Train", "EZ", "EB"], ["CZ", "CB"]]),
    Case("full-message", full_message, {
        "artifact_types": [{"id": 10, "name": "Data", "properties": {"span": "INT"}, "description": "d"}],
        "execution_types": [{"id": 11, "name": "Run", "version": "v1"}],
        "context_types": [{"id": 12, "name": "Ctx", "external_id": "ctx-type"}],
        "artifacts": [
            {"id": 1, "type_id": 10, "uri": "/in", "properties": {"span": {"int_value": 3}},
             "custom_properties": {"k": {"string_value": "v"}}, "state": "LIVE", "type": "Data",
             "external_id": "x-in"},
            {"id": 2, "type_id": 10, "uri": "/out", "name": "out", "type": "Data"}],
        "executions": [{"id": 1, "type_id": 11, "last_known_state": "COMPLETE", "name": "run", "type": "Run"}],
        "contexts": [{"id": 1, "type_id": 12, "name": "ctx", "custom_properties": {"n": {"int_value": 1}},
                      "type": "Ctx"}],
        "events": [{"artifact_id": 1, "execution_id": 1, "path": {"steps": [{"key": "in"}, {"index": 0}]},
                    "type": "INPUT"},
                   {"artifact_id": 2, "execution_id": 1, "type": "OUTPUT"}],
        "attributions": [{"artifact_id": 2, "context_id": 1}],
        "associations": [{"execution_id": 1, "context_id": 1}]}),
    # -- field masks ----------------------------------------------------------------------------------
    Case("mask-none-and-empty-are-everything",
         lambda: unordered(spec(hops=3, mask=[])) == unordered(spec(hops=3)) == unordered(spec(hops=3, mask=None)),
         True),
    Case("mask-nodes", lambda: spec(hops=3, mask=["artifacts", "executions", "contexts"]), {
        "artifacts": ["a3", "a4", "a5", "a6"], "executions": ["e2", "e3", "e4"], "contexts": ["c1", "c3"]}),
    Case("mask-edges", lambda: spec(hops=1, mask=["events", "attributions", "associations"]), {
        "events": ["a5>e3", "e4>a5"], "attributions": ["c1-a5"], "associations": ["c1-e4", "c3-e3"]}),
    Case("mask-types-only", lambda: spec(hops=1, mask=["artifact_types", "execution_types", "context_types"]),
         {"artifact_types": ["A"], "execution_types": ["E"], "context_types": ["C"]}),
    Case("mask-one-type-only", lambda: spec(hops=1, mask=["execution_types"]), {"execution_types": ["E"]}),
    Case("mask-types-next-to-edges-come-back-empty", lambda: spec(hops=1, mask=["artifact_types", "events"]),
         {"events": ["a5>e3", "e4>a5"]}),
    Case("mask-types-with-their-nodes", lambda: spec(hops=1, mask=["context_types", "contexts"]),
         {"contexts": ["c1", "c3"], "context_types": ["C"]}),
    Case("mask-unknown-path-selects-nothing",
         lambda: [spec(hops=1, mask=["foo"]), spec(hops=1, mask=["foo", "artifact_types"]),
                  spec(hops=1, mask=["parent_contexts"])], [{}, {}, {}]),
    Case("mask-does-not-hide-errors", lambda: walk(build(SPEC_EXAMPLE), options("name = 'zz'"), ["foo"])[:2],
         ["error", "NotFoundError"]),
    # -- starting nodes ------------------------------------------------------------------------------
    Case("seed-cap-is-101", seed_cap, [101, 1, 101, 100]),
    Case("seed-cap-limits-the-walk", seed_cap_keeps_walking, [101, 101, "e101"]),
    # -- errors ---------------------------------------------------------------------------------------
    Case("error-no-starting-nodes",
         lambda: error("Missing arguments for listing starting nodes.", pb.LineageSubgraphQueryOptions()),
         ["error", "InvalidArgumentError", "Missing arguments for listing starting nodes."]),
    Case("error-no-starting-nodes-beats-negative-hops",
         lambda: error("Missing", pb.LineageSubgraphQueryOptions(max_num_hops=-1)),
         ["error", "InvalidArgumentError", "Missing"]),
    Case("error-empty-starting-filter", lambda: with_filter_query(pb.LineageSubgraphQueryOptions()),
         ["error", "InvalidArgumentError", "Cannot list starting nodes if `filter_query` is unspecified."]),
    Case("error-empty-starting-executions-filter",
         lambda: error("Cannot list starting nodes if `filter_query` is unspecified.",
                       pb.LineageSubgraphQueryOptions(
                           starting_executions=pb.LineageSubgraphQueryOptions.StartingNodes(filter_query=""))),
         ["error", "InvalidArgumentError", "Cannot list starting nodes if `filter_query` is unspecified."]),
    Case("error-negative-hops", lambda: error("max_num_hops cannot be negative: max_num_hops = -1",
                                              options("a5", hops=-1)),
         ["error", "InvalidArgumentError", "max_num_hops cannot be negative: max_num_hops = -1"]),
    Case("error-negative-hops-beats-bad-filter", lambda: error("max_num_hops", options("name = ", hops=-3)),
         ["error", "InvalidArgumentError", "max_num_hops"]),
    Case("error-starting-filter-syntax", lambda: error(FILTER_ERROR, options("name = ")),
         ["error", "InvalidArgumentError", FILTER_ERROR]),
    Case("error-starting-filter-unknown-field", lambda: error(FILTER_ERROR, options("foo = 1")),
         ["error", "InvalidArgumentError", FILTER_ERROR]),
    Case("error-starting-filter-field-of-other-kind",
         lambda: error(FILTER_ERROR, options("uri = 'x'", executions=True)),
         ["error", "InvalidArgumentError", FILTER_ERROR]),
    Case("error-no-starting-node-matches",
         lambda: error("Cannot find qualified nodes to start the traversal.", options("name = 'zz'")),
         ["error", "NotFoundError", "Cannot find qualified nodes to start the traversal."]),
    Case("error-no-starting-execution-matches",
         lambda: error("Cannot find qualified nodes to start the traversal.", options("id > 99", executions=True)),
         ["error", "NotFoundError", "Cannot find qualified nodes to start the traversal."]),
    Case("error-ending-filter-syntax", lambda: error(FILTER_ERROR, options("a5", end_artifacts=ending("name = "))),
         ["error", "InvalidArgumentError", FILTER_ERROR]),
    Case("error-ending-filter-on-seeds-even-at-0-hops",
         lambda: error(FILTER_ERROR, options("a5", hops=0, end_artifacts=ending("name = "))),
         ["error", "InvalidArgumentError", FILTER_ERROR]),
    Case("error-ending-filter-unknown-field",
         lambda: error(FILTER_ERROR, options("a5", hops=1, end_executions=ending("uri = 'x'"))),
         ["error", "InvalidArgumentError", FILTER_ERROR]),
    Case("ending-filter-never-judged-is-never-checked",
         lambda: [view(build(SPEC_EXAMPLE).get_lineage_subgraph(
             options("a5", hops=0, end_executions=ending("name = ")))),
             view(build(SPEC_EXAMPLE).get_lineage_subgraph(
                 options("e3", executions=True, direction="DOWNSTREAM", end_artifacts=ending("name = "))))],
         [{"artifacts": ["a5"], "artifact_types": ["A"]}, {"executions": ["e3"], "execution_types": ["E"]}]),
]

"""Compound writes: put_execution and put_lineage_subgraph, their flags, errors and rollback (2.8)."""
from __future__ import annotations

from typing import Any

from scenario_kit import (
    Case,
    Json,
    artifact,
    catch,
    catch_msg,
    compare,
    context,
    event,
    execution,
    ids,
    show,
    store_with_types,
    tick,
)


def _edges(s: Any, execution_ids: list) -> list:
    """[artifact_id, execution_id, type] of the events of those executions."""
    return [[e.artifact_id, e.execution_id, show(e)["type"]]
            for e in s.get_events_by_execution_ids(execution_ids)]


def _counts(s: Any) -> list:
    """How many artifacts, executions, contexts and events the store holds."""
    return [len(s.get_artifacts()), len(s.get_executions()), len(s.get_contexts()),
            len(s.get_events_by_execution_ids(ids(s.get_executions())))]


# -- put_execution ------------------------------------------------------------------------------


def put_execution_inserts_everything() -> Json:
    s, a, e, c = store_with_types()
    result = s.put_execution(
        execution(e, name="run"),
        [(artifact(a, uri="in"), event(type="INPUT")),
         (artifact(a, uri="out"), event(type="OUTPUT", path=["o", 0]))],
        [context(c, name="ctx")])
    return [list(result), show(s.get_events_by_execution_ids([1])),
            ids(s.get_artifacts_by_context(1)), ids(s.get_executions_by_context(1))]


def put_execution_artifacts_without_events() -> Json:
    s, a, e, _ = store_with_types()
    result = s.put_execution(execution(e), [(artifact(a), None), (artifact(a),)], None)
    return [list(result), _edges(s, [1])]


def put_execution_skips_falsy_pairs() -> Json:
    s, a, e, _ = store_with_types()
    result = s.put_execution(execution(e), [(), (artifact(a), event()), None], [])
    return [list(result), _edges(s, [1])]


def put_execution_nothing_but_execution() -> Json:
    s, _, e, _ = store_with_types()
    return list(s.put_execution(execution(e), [], None))


def put_execution_updates_existing_nodes() -> Json:
    s, a, e, c = store_with_types()
    s.put_execution(execution(e), [(artifact(a, uri="v1"), None)], [context(c, name="x")])
    result = s.put_execution(
        execution(e, id=1, last_known_state="COMPLETE"),
        [(artifact(a, id=1, uri="v2"), event(type="OUTPUT"))],
        [context(c, id=1, name="renamed")])
    return [list(result), show(s.get_executions()), show(s.get_artifacts()),
            show(s.get_contexts()), _edges(s, [1])]


def put_execution_event_artifact_id_mismatch() -> Json:
    s, a, e, _ = store_with_types()
    outcome = catch_msg("Given event.artifact_id is not aligned with the artifact",
                        s.put_execution, execution(e),
                        [(artifact(a), event(artifact_id=7))], None)
    return [outcome, _counts(s)]


def put_execution_event_execution_id_mismatch() -> Json:
    s, a, e, _ = store_with_types()
    outcome = catch_msg("Request's event.execution_id does not match with the given execution",
                        s.put_execution, execution(e),
                        [(artifact(a), event(execution_id=7))], None)
    return [outcome, _counts(s)]


def put_execution_event_with_matching_ids() -> Json:
    s, a, e, _ = store_with_types()
    s.put_executions([execution(e)])
    s.put_artifacts([artifact(a)])
    result = s.put_execution(execution(e, id=1), [(artifact(a, id=1),
                                                   event(1, 1, "OUTPUT"))], None)
    return [list(result), _edges(s, [1])]


def put_execution_event_without_type() -> Json:
    s, a, e, _ = store_with_types()
    outcome = catch_msg("No event type is specified.", s.put_execution, execution(e),
                        [(artifact(a), event(type=None))], None)
    return [outcome, _counts(s)]


def put_execution_repeated_event() -> Json:
    s, a, e, _ = store_with_types()
    s.put_execution(execution(e), [(artifact(a), event())], None)
    return catch(s.put_execution, execution(e, id=1), [(artifact(a, id=1), event())], None)


def put_execution_context_without_name() -> Json:
    s, _, e, c = store_with_types()
    outcome = catch_msg("Context is missing a name", s.put_execution, execution(e), [],
                        [context(c)])
    return [outcome, _counts(s)]


def put_execution_existing_context_name() -> Json:
    s, a, e, c = store_with_types()
    s.put_contexts([context(c, name="x")])
    outcome = catch_msg("Given node already exists", s.put_execution, execution(e),
                        [(artifact(a), event())], [context(c, name="x")])
    return [outcome, _counts(s)]


def put_execution_reuse_context() -> Json:
    s, a, e, c = store_with_types()
    s.put_contexts([context(c, name="y"), context(c, name="x", properties={"p": 1})])
    result = s.put_execution(execution(e), [(artifact(a), event())],
                             [context(c, name="x", properties={"p": 2})],
                             reuse_context_if_already_exist=True)
    return [list(result), show(s.get_contexts_by_id([2])), ids(s.get_artifacts_by_context(2))]


def put_execution_context_id_needs_type_id() -> Json:
    s, _, e, c = store_with_types()
    s.put_contexts([context(c, name="x")])
    return catch_msg("Context is missing a type_id", s.put_execution, execution(e), [],
                     [context(id=1)])


def put_execution_force_reuse_context() -> Json:
    s, _, e, c = store_with_types()
    s.put_contexts([context(c, name="x", custom_properties={"k": 1})])
    result = s.put_execution(execution(e), [], [context(id=1, name="ignored")],
                             force_reuse_context=True)
    return [list(result), show(s.get_contexts()), ids(s.get_executions_by_context(1))]


def put_execution_force_reuse_unknown_context() -> Json:
    s, _, e, _ = store_with_types()
    outcome = catch(s.put_execution, execution(e), [], [context(id=5)],
                    force_reuse_context=True)
    return [outcome, _counts(s)]


def put_execution_artifact_external_id_taken() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a, uri="old", external_id="x")])
    outcome = catch(s.put_execution, execution(e), [(artifact(a, uri="new", external_id="x"),
                                                     event())], None)
    return [outcome, _counts(s)]


def put_execution_reuse_artifact_by_external_id() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a, uri="old", external_id="x", custom_properties={"k": 1})])
    result = s.put_execution(execution(e), [(artifact(a, uri="new", external_id="x"), event())],
                             None, reuse_artifact_if_already_exist_by_external_id=True)
    return [list(result), show(s.get_artifacts())]


def put_execution_reuse_flag_without_external_id_inserts() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a)])
    result = s.put_execution(execution(e), [(artifact(a), event())], None,
                             reuse_artifact_if_already_exist_by_external_id=True)
    return list(result)


def _execution_times(force: bool) -> str:
    s, _, e, _ = store_with_types()
    s.put_executions([execution(e, name="n")])
    before = s.get_executions()[0]
    tick()
    s.put_execution(before, [], None, force_update_time=force)
    after = s.get_executions()[0]
    return compare(before.last_update_time_since_epoch, after.last_update_time_since_epoch)


def put_execution_unchanged_keeps_update_time() -> Json:
    return _execution_times(False)


def put_execution_force_update_time() -> Json:
    return _execution_times(True)


def put_execution_links_existing_artifacts_to_contexts() -> Json:
    s, a, e, c = store_with_types()
    s.put_artifacts([artifact(a), artifact(a)])
    s.put_contexts([context(c, name="x")])
    s.put_execution(execution(e), [(artifact(a, id=2), event()), (artifact(a), None)],
                    [context(c, id=1, name="x"), context(c, name="y")])
    return [ids(s.get_artifacts_by_context(1)), ids(s.get_artifacts_by_context(2)),
            ids(s.get_contexts_by_execution(1))]


def put_execution_unknown_execution_type() -> Json:
    s, a, _, _ = store_with_types()
    outcome = catch(s.put_execution, execution(99), [(artifact(a), event())], None)
    return [outcome, _counts(s)]


def put_execution_late_failure_rolls_back() -> Json:
    s, a, e, c = store_with_types()
    outcome = catch(s.put_execution, execution(e),
                    [(artifact(a), event()), (artifact(a, properties={"zz": 1}), None)],
                    [context(c, name="x")])
    return [outcome, _counts(s)]


# -- put_lineage_subgraph -----------------------------------------------------------------------


def subgraph_inserts_and_links_everything() -> Json:
    s, a, e, c = store_with_types()
    result = s.put_lineage_subgraph(
        [execution(e), execution(e)], [artifact(a), artifact(a), artifact(a)],
        [context(c, name="x"), context(c, name="y")],
        [(0, 0, event(type="INPUT")), (0, 1, event(type="OUTPUT")),
         (1, 1, event(type="INPUT")), (1, 2, event(type="OUTPUT"))])
    return [list(result), _edges(s, [1, 2]), ids(s.get_artifacts_by_context(2)),
            ids(s.get_contexts_by_execution(2))]


def subgraph_all_empty() -> Json:
    s, _, _, _ = store_with_types()
    return [list(s.put_lineage_subgraph([], [], [], [])), _counts(s)]


def subgraph_edges_by_event_ids_only() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a)])
    s.put_executions([execution(e)])
    result = s.put_lineage_subgraph([], [], [], [(None, None, event(1, 1, "OUTPUT"))])
    return [list(result), _edges(s, [1])]


def subgraph_mixed_index_and_event_id() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a)])
    result = s.put_lineage_subgraph([execution(e)], [], [], [(0, None, event(artifact_id=1))])
    return [list(result), _edges(s, [1])]


def subgraph_index_and_matching_event_id() -> Json:
    s, a, e, _ = store_with_types()
    s.put_executions([execution(e)])
    result = s.put_lineage_subgraph([execution(e, id=1)], [artifact(a)], [],
                                    [(0, 0, event(execution_id=1))])
    return [list(result), _edges(s, [1])]


def subgraph_missing_execution() -> Json:
    s, a, _, _ = store_with_types()
    return catch_msg("Event_edge is missing an execution", s.put_lineage_subgraph,
                     [], [artifact(a)], [], [(None, 0, event())])


def subgraph_missing_artifact() -> Json:
    s, _, e, _ = store_with_types()
    return catch_msg("Event_edge is missing an artifact", s.put_lineage_subgraph,
                     [execution(e)], [], [], [(0, None, event())])


def subgraph_execution_index_out_of_range() -> Json:
    s, a, e, _ = store_with_types()
    outcome = catch_msg("The event_edge has an execution_index 1 that is outside the bounds",
                        s.put_lineage_subgraph, [execution(e)], [artifact(a)], [],
                        [(1, 0, event())])
    return [outcome, _counts(s)]


def subgraph_artifact_index_out_of_range() -> Json:
    s, a, e, _ = store_with_types()
    return catch(s.put_lineage_subgraph, [execution(e)], [artifact(a)], [], [(0, -1, event())])


def subgraph_index_to_new_node_with_event_id() -> Json:
    s, a, e, _ = store_with_types()
    s.put_executions([execution(e)])
    return catch_msg("Missing execution ID.", s.put_lineage_subgraph,
                     [execution(e)], [artifact(a)], [], [(0, 0, event(execution_id=1))])


def subgraph_execution_id_mismatch() -> Json:
    s, a, e, _ = store_with_types()
    s.put_executions([execution(e), execution(e)])
    outcome = catch_msg("Execution ID mismatch", s.put_lineage_subgraph,
                        [execution(e, id=1)], [artifact(a)], [],
                        [(0, 0, event(execution_id=2))])
    return [outcome, _counts(s)]


def subgraph_artifact_id_mismatch() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a), artifact(a)])
    return catch_msg("Artifact ID mismatch", s.put_lineage_subgraph,
                     [execution(e)], [artifact(a, id=2)], [], [(0, 0, event(artifact_id=1))])


def subgraph_event_without_type() -> Json:
    s, a, e, _ = store_with_types()
    outcome = catch(s.put_lineage_subgraph, [execution(e)], [artifact(a)], [],
                    [(0, 0, event(type=None))])
    return [outcome, _counts(s)]


def subgraph_duplicate_edge() -> Json:
    s, a, e, _ = store_with_types()
    outcome = catch(s.put_lineage_subgraph, [execution(e)], [artifact(a)], [],
                    [(0, 0, event()), (0, 0, event())])
    return [outcome, _counts(s)]


def subgraph_duplicate_context() -> Json:
    s, a, e, c = store_with_types()
    s.put_contexts([context(c, name="x")])
    outcome = catch(s.put_lineage_subgraph, [execution(e)], [artifact(a)],
                    [context(c, name="x")], [])
    return [outcome, _counts(s)]


def subgraph_reuse_context() -> Json:
    s, a, e, c = store_with_types()
    s.put_contexts([context(c, name="w"), context(c, name="x")])
    result = s.put_lineage_subgraph([execution(e)], [artifact(a)], [context(c, name="x")], [],
                                    reuse_context_if_already_exist=True)
    return [list(result), ids(s.get_artifacts_by_context(2))]


def subgraph_reuse_artifact_by_external_id() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a, uri="old", external_id="x")])
    result = s.put_lineage_subgraph([execution(e)], [artifact(a, uri="new", external_id="x")],
                                    [], [(0, 0, event())],
                                    reuse_artifact_if_already_exist_by_external_id=True)
    return [list(result), show(s.get_artifacts())]


def subgraph_updates_by_id() -> Json:
    s, a, e, c = store_with_types()
    s.put_lineage_subgraph([execution(e)], [artifact(a, uri="v1")], [context(c, name="x")], [])
    result = s.put_lineage_subgraph([execution(e, id=1, last_known_state="FAILED")],
                                    [artifact(a, id=1, uri="v2")], [context(c, id=1, name="x")],
                                    [])
    return [list(result), show(s.get_artifacts()), show(s.get_executions())]


def subgraph_late_failure_rolls_back() -> Json:
    s, a, e, c = store_with_types()
    outcome = catch(s.put_lineage_subgraph, [execution(e)], [artifact(a)],
                    [context(c, name="x")], [(0, 0, event()), (0, 0, event(1, 99))])
    return [outcome, _counts(s)]


def subgraph_event_names_missing_node() -> Json:
    s, _, e, _ = store_with_types()
    outcome = catch(s.put_lineage_subgraph, [execution(e)], [], [], [(0, None, event(artifact_id=5))])
    return [outcome, _counts(s), [[ev.artifact_id, ev.execution_id] for ev in s.get_events_by_artifact_ids([5])]]


def reuse_context_external_id_taken() -> Json:
    # reuse_context_if_already_exist looks a context up by type and name; this one's name is new, but its
    # external_id is taken.
    s, _, e, c = store_with_types()
    s.put_contexts([context(c, name="c1", external_id="x1")])
    return [catch(s.put_execution, execution(e), [], [context(c, name="c2", external_id="x1")],
                  reuse_context_if_already_exist=True),
            catch(s.put_lineage_subgraph, [execution(e)], [], [context(c, name="c2", external_id="x1")], [],
                  reuse_context_if_already_exist=True),
            _counts(s)]


CASES = [
    Case("put-execution-inserts-everything", put_execution_inserts_everything, [
        [1, [1, 2], [1]],
        [{"artifact_id": 1, "execution_id": 1, "type": "INPUT"},
         {"artifact_id": 2, "execution_id": 1, "type": "OUTPUT",
          "path": {"steps": [{"key": "o"}, {"index": 0}]}}],
        [1, 2], [1]]),
    Case("put-execution-artifacts-without-events", put_execution_artifacts_without_events,
         [[1, [1, 2], []], []]),
    Case("put-execution-skips-falsy-pairs", put_execution_skips_falsy_pairs,
         [[1, [1], []], [[1, 1, "INPUT"]]]),
    Case("put-execution-nothing-but-execution", put_execution_nothing_but_execution,
         [1, [], []]),
    Case("put-execution-updates-existing-nodes", put_execution_updates_existing_nodes, [
        [1, [1], [1]], [{"id": 1, "type_id": 11, "last_known_state": "COMPLETE", "type": "E"}],
        [{"id": 1, "type_id": 10, "uri": "v2", "type": "A"}],
        [{"id": 1, "type_id": 12, "name": "renamed", "type": "C"}], [[1, 1, "OUTPUT"]]]),
    Case("put-execution-event-artifact-id-mismatch", put_execution_event_artifact_id_mismatch, [
        ["error", "InvalidArgumentError",
         "Given event.artifact_id is not aligned with the artifact"], [0, 0, 0, 0]]),
    Case("put-execution-event-execution-id-mismatch", put_execution_event_execution_id_mismatch,
         [["error", "InvalidArgumentError",
           "Request's event.execution_id does not match with the given execution"],
          [0, 0, 0, 0]]),
    Case("put-execution-event-with-matching-ids", put_execution_event_with_matching_ids,
         [[1, [1], []], [[1, 1, "OUTPUT"]]]),
    Case("put-execution-event-without-type", put_execution_event_without_type,
         [["error", "InvalidArgumentError", "No event type is specified."], [0, 0, 0, 0]]),
    Case("put-execution-repeated-event", put_execution_repeated_event,
         ["error", "AlreadyExistsError"]),
    Case("put-execution-context-without-name", put_execution_context_without_name,
         [["error", "InvalidArgumentError", "Context is missing a name"], [0, 0, 0, 0]]),
    Case("put-execution-existing-context-name", put_execution_existing_context_name,
         [["error", "AlreadyExistsError", "Given node already exists"], [0, 0, 1, 0]]),
    Case("put-execution-reuse-context", put_execution_reuse_context, [
        [1, [1], [2]],
        [{"id": 2, "type_id": 12, "name": "x", "properties": {"p": {"int_value": 1}},
          "type": "C"}],
        [1]]),
    Case("put-execution-context-id-needs-type-id", put_execution_context_id_needs_type_id,
         ["error", "InvalidArgumentError", "Context is missing a type_id"]),
    Case("put-execution-force-reuse-context", put_execution_force_reuse_context, [
        [1, [], [1]],
        [{"id": 1, "type_id": 12, "name": "x", "custom_properties": {"k": {"int_value": 1}},
          "type": "C"}],
        [1]]),
    Case("put-execution-force-reuse-unknown-context", put_execution_force_reuse_unknown_context,
         [["error", "NotFoundError"], [0, 0, 0, 0]]),
    Case("put-execution-artifact-external-id-taken", put_execution_artifact_external_id_taken,
         [["error", "AlreadyExistsError"], [1, 0, 0, 0]]),
    Case("put-execution-reuse-artifact-by-external-id",
         put_execution_reuse_artifact_by_external_id, [
             [1, [1], []],
             [{"id": 1, "type_id": 10, "uri": "new", "type": "A", "external_id": "x"}]]),
    Case("put-execution-reuse-flag-without-external-id-inserts",
         put_execution_reuse_flag_without_external_id_inserts, [1, [2], []]),
    Case("put-execution-unchanged-keeps-update-time", put_execution_unchanged_keeps_update_time,
         "equal"),
    Case("put-execution-force-update-time", put_execution_force_update_time, "greater"),
    Case("put-execution-links-existing-artifacts-to-contexts",
         put_execution_links_existing_artifacts_to_contexts, [[2, 3], [2, 3], [1, 2]]),
    Case("put-execution-unknown-execution-type", put_execution_unknown_execution_type,
         [["error", "NotFoundError"], [0, 0, 0, 0]]),
    Case("put-execution-late-failure-rolls-back", put_execution_late_failure_rolls_back,
         [["error", "InvalidArgumentError"], [0, 0, 0, 0]]),
    Case("subgraph-inserts-and-links-everything", subgraph_inserts_and_links_everything, [
        [[1, 2], [1, 2, 3], [1, 2]],
        [[1, 1, "INPUT"], [2, 1, "OUTPUT"], [2, 2, "INPUT"], [3, 2, "OUTPUT"]],
        [1, 2, 3], [1, 2]]),
    Case("subgraph-all-empty", subgraph_all_empty, [[[], [], []], [0, 0, 0, 0]]),
    Case("subgraph-edges-by-event-ids-only", subgraph_edges_by_event_ids_only,
         [[[], [], []], [[1, 1, "OUTPUT"]]]),
    Case("subgraph-mixed-index-and-event-id", subgraph_mixed_index_and_event_id,
         [[[1], [], []], [[1, 1, "INPUT"]]]),
    Case("subgraph-index-and-matching-event-id", subgraph_index_and_matching_event_id,
         [[[1], [1], []], [[1, 1, "INPUT"]]]),
    Case("subgraph-missing-execution", subgraph_missing_execution,
         ["error", "InvalidArgumentError", "Event_edge is missing an execution"]),
    Case("subgraph-missing-artifact", subgraph_missing_artifact,
         ["error", "InvalidArgumentError", "Event_edge is missing an artifact"]),
    Case("subgraph-execution-index-out-of-range", subgraph_execution_index_out_of_range, [
        ["error", "OutOfRangeError",
         "The event_edge has an execution_index 1 that is outside the bounds"], [0, 0, 0, 0]]),
    Case("subgraph-negative-artifact-index", subgraph_artifact_index_out_of_range,
         ["error", "OutOfRangeError"]),
    Case("subgraph-index-to-new-node-with-event-id", subgraph_index_to_new_node_with_event_id,
         ["error", "InvalidArgumentError", "Missing execution ID."]),
    Case("subgraph-execution-id-mismatch", subgraph_execution_id_mismatch,
         [["error", "InvalidArgumentError", "Execution ID mismatch"], [0, 2, 0, 0]]),
    Case("subgraph-artifact-id-mismatch", subgraph_artifact_id_mismatch,
         ["error", "InvalidArgumentError", "Artifact ID mismatch"]),
    Case("subgraph-event-without-type", subgraph_event_without_type,
         [["error", "InvalidArgumentError"], [0, 0, 0, 0]]),
    Case("subgraph-duplicate-edge", subgraph_duplicate_edge,
         [["error", "AlreadyExistsError"], [0, 0, 0, 0]]),
    Case("subgraph-duplicate-context", subgraph_duplicate_context,
         [["error", "AlreadyExistsError"], [0, 0, 1, 0]]),
    Case("subgraph-reuse-context", subgraph_reuse_context, [[[1], [1], [2]], [1]]),
    Case("subgraph-reuse-artifact-by-external-id", subgraph_reuse_artifact_by_external_id, [
        [[1], [1], []], [{"id": 1, "type_id": 10, "uri": "new", "type": "A",
                          "external_id": "x"}]]),
    Case("subgraph-updates-by-id", subgraph_updates_by_id, [
        [[1], [1], [1]], [{"id": 1, "type_id": 10, "uri": "v2", "type": "A"}],
        [{"id": 1, "type_id": 11, "last_known_state": "FAILED", "type": "E"}]]),
    Case("subgraph-event-names-missing-node", subgraph_event_names_missing_node,
         [[[1], [], []], [0, 1, 0, 1], [[5, 1]]],
         ours=[["error", "InvalidArgumentError"], [0, 0, 0, 0], []],
         ours_why="ml-metadata 1.17.1's put_lineage_subgraph stores an event whose artifact_id or execution_id names "
                  "no node (a dangling edge no read can follow); we refuse it, as put_events does in both"),
    Case("reuse-context-external-id-taken", reuse_context_external_id_taken,
         [["error", "AlreadyExistsError"], ["error", "AlreadyExistsError"], [0, 0, 1, 0]], oracle=False,
         why="ml-metadata 1.17.1 takes the failed insert for a race with another writer: AbortedError ('Concurrent "
             "creation of the same context'), which its client retries for about 10 s; nothing will ever free the "
             "external_id, so we answer AlreadyExistsError at once (MLMD's answer is confirmed by the random run's "
             "KNOWN entry reuse-context-external-id-taken, whose repro runs on it)"),
    Case("subgraph-late-failure-rolls-back", subgraph_late_failure_rolls_back,
         [["error", "InvalidArgumentError"], [0, 0, 0, 0]]),
]

"""Contexts: attributions, associations, parent contexts and their getters (docs/mlmd-interface.md §2.4, §2.7)."""
from __future__ import annotations

from typing import Any

from scenario_kit import (
    Case,
    Json,
    artifact,
    catch,
    catch_msg,
    context,
    execution,
    ids,
    pb,
    store_with_types,
)


def _seeded(n_contexts: int = 3) -> Any:
    """Artifacts 1..3, executions 1..3, contexts 1..n named c1..cn."""
    s, a, e, c = store_with_types()
    s.put_artifacts([artifact(a) for _ in range(3)])
    s.put_executions([execution(e) for _ in range(3)])
    s.put_contexts([context(c, name=f"c{i}") for i in range(1, n_contexts + 1)])
    return s


def attr(artifact_id: int | None = None, context_id: int | None = None) -> Any:
    out = pb.Attribution()
    if artifact_id is not None:
        out.artifact_id = artifact_id
    if context_id is not None:
        out.context_id = context_id
    return out


def assoc(execution_id: int | None = None, context_id: int | None = None) -> Any:
    out = pb.Association()
    if execution_id is not None:
        out.execution_id = execution_id
    if context_id is not None:
        out.context_id = context_id
    return out


def parent(child_id: int | None = None, parent_id: int | None = None) -> Any:
    out = pb.ParentContext()
    if child_id is not None:
        out.child_id = child_id
    if parent_id is not None:
        out.parent_id = parent_id
    return out


# -- attributions and associations --------------------------------------------------------------


def links_both_directions() -> Json:
    s = _seeded()
    outcome = s.put_attributions_and_associations(
        [attr(3, 1), attr(1, 1), attr(1, 2)], [assoc(2, 1), assoc(2, 3)])
    return [outcome, ids(s.get_artifacts_by_context(1)), ids(s.get_contexts_by_artifact(1)),
            ids(s.get_executions_by_context(3)), ids(s.get_contexts_by_execution(2))]


def links_are_idempotent() -> Json:
    s = _seeded()
    s.put_attributions_and_associations([attr(1, 1)], [assoc(1, 1)])
    again = catch(s.put_attributions_and_associations, [attr(1, 1), attr(1, 1)],
                  [assoc(1, 1), assoc(1, 1)])
    return [again, ids(s.get_artifacts_by_context(1)), ids(s.get_executions_by_context(1))]


def links_empty_lists() -> Json:
    return _seeded().put_attributions_and_associations([], [])


def attribution_unknown_context() -> Json:
    return catch_msg("Context id not found.", _seeded().put_attributions_and_associations,
                     [attr(1, 9)], [])


def association_unknown_context() -> Json:
    return catch(_seeded().put_attributions_and_associations, [], [assoc(1, 9)])


def attribution_unknown_artifact() -> Json:
    return catch_msg("Artifact id not found.", _seeded().put_attributions_and_associations,
                     [attr(9, 1)], [])


def association_unknown_execution() -> Json:
    return catch_msg("Execution id not found.", _seeded().put_attributions_and_associations,
                     [], [assoc(9, 1)])


def attribution_without_ids() -> Json:
    return catch(_seeded().put_attributions_and_associations, [attr()], [])


def failing_links_store_nothing() -> Json:
    s = _seeded()
    outcome = catch(s.put_attributions_and_associations, [attr(1, 1)], [assoc(1, 1), assoc(9, 1)])
    return [outcome, ids(s.get_artifacts_by_context(1)), ids(s.get_executions_by_context(1))]


def contexts_by_artifact_none() -> Json:
    s = _seeded()
    return [catch_msg("No contexts found for artifact_id: 1", s.get_contexts_by_artifact, 1),
            catch(s.get_contexts_by_artifact, 99),
            catch(s.get_contexts_by_execution, 1), catch(s.get_contexts_by_execution, 99)]


def contexts_by_artifact_sorted() -> Json:
    s = _seeded()
    s.put_attributions_and_associations([attr(1, 3), attr(1, 1), attr(1, 2)],
                                        [assoc(1, 2), assoc(1, 1)])
    return [ids(s.get_contexts_by_artifact(1)), ids(s.get_contexts_by_execution(1))]


def nodes_by_unknown_context() -> Json:
    s = _seeded()
    return [catch(s.get_artifacts_by_context, 99), catch(s.get_executions_by_context, 99),
            catch(s.get_artifacts_by_context, 1)]


def artifacts_by_context_id_ascending() -> Json:
    s = _seeded()
    s.put_attributions_and_associations([attr(3, 1), attr(1, 1), attr(2, 1)], [])
    return ids(s.get_artifacts_by_context(1))


def contexts_by_artifact_full_message() -> Json:
    s = _seeded()
    s.put_attributions_and_associations([attr(2, 2)], [])
    return catch(s.get_contexts_by_artifact, 2)


# -- parent contexts ----------------------------------------------------------------------------


def parent_and_children_getters() -> Json:
    s = _seeded(4)
    outcome = s.put_parent_contexts([parent(2, 1), parent(3, 1), parent(3, 2)])
    return [outcome, ids(s.get_parent_contexts_by_context(3)),
            ids(s.get_children_contexts_by_context(1)), ids(s.get_parent_contexts_by_context(1)),
            ids(s.get_children_contexts_by_context(3))]


def parent_getters_sorted() -> Json:
    s = _seeded(4)
    s.put_parent_contexts([parent(1, 4), parent(1, 2), parent(1, 3)])
    s.put_parent_contexts([parent(4, 3), parent(2, 3)])
    return [ids(s.get_parent_contexts_by_context(1)), ids(s.get_children_contexts_by_context(3))]


def parent_getters_unknown_context() -> Json:
    s = _seeded()
    return [catch(s.get_parent_contexts_by_context, 99),
            catch(s.get_children_contexts_by_context, 99)]


def parent_self_edge() -> Json:
    return catch_msg("Given parent / child id in the parent_context cannot be found",
                     _seeded().put_parent_contexts, [parent(1, 1)])


def parent_missing_ids() -> Json:
    s = _seeded()
    return [catch_msg("Missing parent / child id in the parent_context", s.put_parent_contexts,
                      [parent(1, None)]),
            catch(s.put_parent_contexts, [parent(None, 1)])]


def parent_unknown_ids() -> Json:
    s = _seeded()
    return [catch(s.put_parent_contexts, [parent(1, 99)]),
            catch(s.put_parent_contexts, [parent(99, 1)])]


def parent_duplicate_edge() -> Json:
    s = _seeded()
    s.put_parent_contexts([parent(2, 1)])
    return catch(s.put_parent_contexts, [parent(2, 1)])


def parent_duplicate_within_batch() -> Json:
    s = _seeded()
    outcome = catch(s.put_parent_contexts, [parent(2, 1), parent(2, 1)])
    return [outcome, ids(s.get_parent_contexts_by_context(2))]


def parent_direct_cycle() -> Json:
    s = _seeded()
    s.put_parent_contexts([parent(2, 1)])
    return catch_msg("There is a cycle detected", s.put_parent_contexts, [parent(1, 2)])


def parent_long_cycle() -> Json:
    s = _seeded()
    s.put_parent_contexts([parent(2, 1), parent(3, 2)])
    return catch(s.put_parent_contexts, [parent(1, 3)])


def parent_cycle_within_batch() -> Json:
    s = _seeded()
    outcome = catch(s.put_parent_contexts, [parent(2, 1), parent(3, 2), parent(1, 3)])
    return [outcome, ids(s.get_parent_contexts_by_context(2)),
            ids(s.get_parent_contexts_by_context(3))]


def parent_diamond_is_not_a_cycle() -> Json:
    s = _seeded(4)
    outcome = catch(s.put_parent_contexts,
                    [parent(2, 1), parent(3, 1), parent(4, 2), parent(4, 3)])
    return [outcome, ids(s.get_parent_contexts_by_context(4))]


def parent_reverse_edge_after_failure() -> Json:
    s = _seeded()
    catch(s.put_parent_contexts, [parent(2, 1), parent(2, 99)])
    return [s.put_parent_contexts([parent(1, 2)]), ids(s.get_parent_contexts_by_context(1))]


CASES = [
    Case("links-both-directions", links_both_directions, [None, [1, 3], [1, 2], [2], [1, 3]]),
    Case("links-are-idempotent", links_are_idempotent, [None, [1], [1]]),
    Case("links-empty-lists", links_empty_lists, None),
    Case("attribution-unknown-context", attribution_unknown_context,
         ["error", "InvalidArgumentError", "Context id not found."]),
    Case("association-unknown-context", association_unknown_context,
         ["error", "InvalidArgumentError"]),
    Case("attribution-unknown-artifact", attribution_unknown_artifact,
         ["error", "InvalidArgumentError", "Artifact id not found."]),
    Case("association-unknown-execution", association_unknown_execution,
         ["error", "InvalidArgumentError", "Execution id not found."]),
    Case("attribution-without-ids", attribution_without_ids, ["error", "InvalidArgumentError"]),
    Case("failing-links-store-nothing", failing_links_store_nothing,
         [["error", "InvalidArgumentError"], [], []]),
    Case("contexts-by-node-none-is-not-found", contexts_by_artifact_none, [
        ["error", "NotFoundError", "No contexts found for artifact_id: 1"],
        ["error", "NotFoundError"], ["error", "NotFoundError"], ["error", "NotFoundError"]]),
    Case("contexts-by-node-sorted", contexts_by_artifact_sorted, [[1, 2, 3], [1, 2]]),
    Case("nodes-by-unknown-or-empty-context", nodes_by_unknown_context, [[], [], []]),
    Case("artifacts-by-context-id-ascending", artifacts_by_context_id_ascending, [1, 2, 3]),
    Case("contexts-by-artifact-full-message", contexts_by_artifact_full_message,
         [{"id": 2, "type_id": 12, "name": "c2", "type": "C"}]),
    Case("parent-and-children-getters", parent_and_children_getters,
         [None, [1, 2], [2, 3], [], []]),
    Case("parent-getters-sorted", parent_getters_sorted, [[2, 3, 4], [1, 2, 4]]),
    Case("parent-getters-unknown-context", parent_getters_unknown_context, [[], []]),
    Case("parent-self-edge", parent_self_edge, [
        "error", "InvalidArgumentError",
        "Given parent / child id in the parent_context cannot be found"]),
    Case("parent-missing-ids", parent_missing_ids, [
        ["error", "InvalidArgumentError", "Missing parent / child id in the parent_context"],
        ["error", "InvalidArgumentError"]]),
    Case("parent-unknown-ids", parent_unknown_ids,
         [["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"]]),
    Case("parent-duplicate-edge", parent_duplicate_edge, ["error", "AlreadyExistsError"]),
    Case("parent-duplicate-within-batch", parent_duplicate_within_batch,
         [["error", "AlreadyExistsError"], []]),
    Case("parent-direct-cycle", parent_direct_cycle,
         ["error", "InvalidArgumentError", "There is a cycle detected"]),
    Case("parent-long-cycle", parent_long_cycle, ["error", "InvalidArgumentError"]),
    Case("parent-cycle-within-batch", parent_cycle_within_batch,
         [["error", "InvalidArgumentError"], [], []]),
    Case("parent-diamond-is-not-a-cycle", parent_diamond_is_not_a_cycle, [None, [2, 3]]),
    Case("parent-failed-batch-leaves-no-edge", parent_reverse_edge_after_failure, [None, [2]]),
]

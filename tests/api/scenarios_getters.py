"""Node getters: by id, by type (+version), by type and name, by uri, by external ids (docs/mlmd-interface.md §2.4)."""
from __future__ import annotations

from typing import Any

from scenario_kit import (
    Case,
    Json,
    artifact,
    artifact_type,
    catch,
    context,
    context_type,
    event,
    execution,
    execution_type,
    ids,
    new_store,
    pb,
    show,
    store_with_types,
)


def _seeded() -> Any:
    """Types A(10), E(11), C(12); artifacts 1..3, executions 1..2, contexts 1..2."""
    s, a, e, c = store_with_types()
    s.put_artifacts([artifact(a, uri="u1", name="a1", external_id="xa1"),
                     artifact(a, uri="u2", name="a2"),
                     artifact(a, uri="u1", name="a3", external_id="xa3")])
    s.put_executions([execution(e, name="e1", external_id="xe1"), execution(e, name="e2")])
    s.put_contexts([context(c, name="c1", external_id="xc1"), context(c, name="c2")])
    return s


# -- by id --------------------------------------------------------------------------------------


def artifacts_by_id_sorted_dedup_missing_skipped() -> Json:
    return ids(_seeded().get_artifacts_by_id([3, 1, 99, 3, 2]))


def executions_by_id_sorted_dedup() -> Json:
    return ids(_seeded().get_executions_by_id([2, 2, 1]))


def contexts_by_id_sorted_missing_skipped() -> Json:
    return ids(_seeded().get_contexts_by_id([7, 2, 1]))


def by_id_empty_input() -> Json:
    s = _seeded()
    return [show(s.get_artifacts_by_id([])), show(s.get_executions_by_id([])),
            show(s.get_contexts_by_id([]))]


def by_id_accepts_any_iterable() -> Json:
    s = _seeded()
    return [ids(s.get_artifacts_by_id(range(2, 4))), ids(s.get_executions_by_id({1})),
            ids(s.get_contexts_by_id(i for i in [2]))]


def by_id_full_message() -> Json:
    return show(_seeded().get_executions_by_id([1]))


def get_all_on_empty_store() -> Json:
    s = new_store()
    return [show(s.get_artifacts()), show(s.get_executions()), show(s.get_contexts())]


def get_all_in_id_order() -> Json:
    s = _seeded()
    return [ids(s.get_artifacts()), ids(s.get_executions()), ids(s.get_contexts())]


def artifacts_and_types_by_artifact_ids() -> Json:
    s = _seeded()
    b = s.put_artifact_type(artifact_type("B"))
    s.put_artifacts([artifact(b, uri="b")])
    arts, types = s.get_artifacts_and_types_by_artifact_ids([4, 1, 2, 4])
    return [ids(arts), show(types)]


def artifacts_and_types_shape_and_order() -> Json:
    s = new_store()
    z = s.put_artifact_type(artifact_type("Z", base_type="MODEL", external_id="z"))
    m = s.put_artifact_type(artifact_type("M", version="v2", description="d", props={"p": "INT"}))
    a = s.put_artifact_type(artifact_type("A", base_type="DATASET"))
    s.put_artifacts([artifact(t) for t in (a, z, a, m)])
    arts, types = s.get_artifacts_and_types_by_artifact_ids([4, 3, 2, 1, 2, 99])
    return [[[x.id, x.type_id] for x in arts], show(types)]


def lineage_types_shape() -> Json:
    """A lineage subgraph's types: its artifact types lose base_type as above; execution types keep it."""
    s = new_store()
    a = s.put_artifact_type(artifact_type("D", base_type="DATASET", external_id="xa"))
    e = s.put_execution_type(execution_type("T", base_type="TRAIN", external_id="xe"))
    [artifact_id] = s.put_artifacts([artifact(a)])
    [execution_id] = s.put_executions([execution(e)])
    s.put_events([event(artifact_id, execution_id, "INPUT")])
    options = pb.LineageSubgraphQueryOptions(max_num_hops=1)
    options.starting_artifacts.filter_query = f"id = {artifact_id}"
    graph = s.get_lineage_subgraph(options)
    return [show(list(graph.artifact_types)), show(list(graph.execution_types))]


def artifacts_and_types_unknown_ids() -> Json:
    return show(_seeded().get_artifacts_and_types_by_artifact_ids([42]))


def artifacts_and_types_empty_input() -> Json:
    return show(_seeded().get_artifacts_and_types_by_artifact_ids([]))


# -- by type ------------------------------------------------------------------------------------


def artifacts_by_type() -> Json:
    return ids(_seeded().get_artifacts_by_type("A"))


def by_type_unknown_type_is_empty() -> Json:
    s = _seeded()
    return [show(s.get_artifacts_by_type("nope")), show(s.get_executions_by_type("A")),
            show(s.get_contexts_by_type("C", "v9"))]


def by_type_with_version() -> Json:
    s = _seeded()
    v1 = s.put_execution_type(execution_type("E", version="v1"))
    s.put_executions([execution(v1, name="ev")])
    return [ids(s.get_executions_by_type("E")), ids(s.get_executions_by_type("E", "v1")),
            [n.name for n in s.get_executions_by_type("E", "v1")]]


def by_type_empty_version_means_unversioned() -> Json:
    s = _seeded()
    return ids(s.get_contexts_by_type("C", ""))


def by_builtin_type_name() -> Json:
    s = new_store()
    s.put_artifacts([artifact(1, uri="d")])
    return show(s.get_artifacts_by_type("mlmd.Dataset"))


# -- by type and name ---------------------------------------------------------------------------


def by_type_and_name_found() -> Json:
    s = _seeded()
    return [show(s.get_artifact_by_type_and_name("A", "a2")),
            s.get_execution_by_type_and_name("E", "e2").id,
            s.get_context_by_type_and_name("C", "c1").id]


def by_type_and_name_missing() -> Json:
    s = _seeded()
    return [s.get_artifact_by_type_and_name("A", "zzz"),
            s.get_execution_by_type_and_name("nope", "e1"),
            s.get_context_by_type_and_name("C", "c1", "v1")]


def by_type_and_name_versioned() -> Json:
    s = _seeded()
    v1 = s.put_context_type(context_type("C", version="v1"))
    s.put_contexts([context(v1, name="c1")])
    return [s.get_context_by_type_and_name("C", "c1").id,
            s.get_context_by_type_and_name("C", "c1", "v1").id,
            s.get_context_by_type_and_name("C", "c1", type_version="v1").type_id]


def by_type_and_empty_name() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, name="")])
    return [show(s.get_artifact_by_type_and_name("A", "")), s.put_artifacts([artifact(a)])]


# -- by uri -------------------------------------------------------------------------------------


def artifacts_by_uri() -> Json:
    s = _seeded()
    return [ids(s.get_artifacts_by_uri("u1")), ids(s.get_artifacts_by_uri("u2")),
            ids(s.get_artifacts_by_uri("u")), ids(s.get_artifacts_by_uri(""))]


def artifacts_by_uri_unset_uri_matches_empty() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a), artifact(a, uri="x")])
    return ids(s.get_artifacts_by_uri(""))


# -- by external ids ----------------------------------------------------------------------------


def by_external_ids_found() -> Json:
    s = _seeded()
    return [ids(s.get_artifacts_by_external_ids(["xa3", "xa1"])),
            ids(s.get_executions_by_external_ids(["xe1"])),
            ids(s.get_contexts_by_external_ids(["xc1"]))]


def by_external_ids_empty_input() -> Json:
    s = _seeded()
    return [catch(s.get_artifacts_by_external_ids, []),
            catch(s.get_executions_by_external_ids, []),
            catch(s.get_contexts_by_external_ids, [])]


def by_external_ids_no_match() -> Json:
    s = _seeded()
    return [catch(s.get_artifacts_by_external_ids, ["xe1"]),
            catch(s.get_executions_by_external_ids, ["nope"]),
            catch(s.get_contexts_by_external_ids, ["xa1"])]


def by_external_ids_partial_and_duplicate() -> Json:
    s = _seeded()
    return ids(s.get_artifacts_by_external_ids(["nope", "xa3", "xa3"]))


def by_external_ids_full_message() -> Json:
    return show(_seeded().get_contexts_by_external_ids(["xc1"]))


CASES = [
    Case("artifacts-by-id-sorted-dedup-missing-skipped",
         artifacts_by_id_sorted_dedup_missing_skipped, [1, 2, 3]),
    Case("executions-by-id-sorted-dedup", executions_by_id_sorted_dedup, [1, 2]),
    Case("contexts-by-id-sorted-missing-skipped", contexts_by_id_sorted_missing_skipped, [1, 2]),
    Case("by-id-empty-input", by_id_empty_input, [[], [], []]),
    Case("by-id-accepts-any-iterable", by_id_accepts_any_iterable, [[2, 3], [1], [2]]),
    Case("by-id-full-message", by_id_full_message,
         [{"id": 1, "type_id": 11, "name": "e1", "type": "E", "external_id": "xe1"}]),
    Case("get-all-on-empty-store", get_all_on_empty_store, [[], [], []]),
    Case("get-all-in-id-order", get_all_in_id_order, [[1, 2, 3], [1, 2], [1, 2]]),
    Case("artifacts-and-types-by-artifact-ids", artifacts_and_types_by_artifact_ids, [
        [1, 2, 4], [{"id": 10, "name": "A", "properties": {"p": "INT", "s": "STRING"}},
                    {"id": 13, "name": "B"}]]),
    # Artifacts by id, once each; their types in the order those artifacts first use them, without base_type
    # (the types by id or by name have it).
    Case("artifacts-and-types-shape-and-order", artifacts_and_types_shape_and_order, [
        [[1, 12], [2, 10], [3, 12], [4, 11]],
        [{"id": 12, "name": "A"}, {"id": 10, "name": "Z", "external_id": "z"},
         {"id": 11, "name": "M", "version": "v2", "description": "d", "properties": {"p": "INT"}}]]),
    Case("lineage-types-shape", lineage_types_shape, [
        [{"id": 10, "name": "D", "external_id": "xa"}],
        [{"id": 11, "name": "T", "external_id": "xe", "base_type": "TRAIN"}]]),
    Case("artifacts-and-types-unknown-ids", artifacts_and_types_unknown_ids, [[], []]),
    Case("artifacts-and-types-empty-input", artifacts_and_types_empty_input, [[], []]),
    Case("artifacts-by-type", artifacts_by_type, [1, 2, 3]),
    Case("by-type-unknown-type-is-empty", by_type_unknown_type_is_empty, [[], [], []]),
    Case("by-type-with-version", by_type_with_version, [[1, 2], [3], ["ev"]]),
    Case("by-type-empty-version-means-unversioned", by_type_empty_version_means_unversioned,
         [1, 2]),
    Case("by-builtin-type-name", by_builtin_type_name,
         [{"id": 1, "type_id": 1, "uri": "d", "type": "mlmd.Dataset"}]),
    Case("by-type-and-name-found", by_type_and_name_found,
         [{"id": 2, "type_id": 10, "uri": "u2", "name": "a2", "type": "A"}, 2, 1]),
    Case("by-type-and-name-missing", by_type_and_name_missing, [None, None, None]),
    Case("by-type-and-name-versioned", by_type_and_name_versioned, [1, 3, 13]),
    Case("by-type-and-empty-name", by_type_and_empty_name,
         [{"id": 1, "type_id": 10, "uri": "", "name": "", "type": "A"}, [2]]),
    Case("artifacts-by-uri", artifacts_by_uri, [[1, 3], [2], [], []]),
    Case("artifacts-by-uri-unset-uri-matches-empty", artifacts_by_uri_unset_uri_matches_empty,
         [1]),
    Case("by-external-ids-found", by_external_ids_found, [[1, 3], [1], [1]]),
    Case("by-external-ids-empty-input", by_external_ids_empty_input, [[], [], []]),
    Case("by-external-ids-no-match", by_external_ids_no_match, [
        ["error", "NotFoundError"], ["error", "NotFoundError"], ["error", "NotFoundError"]]),
    Case("by-external-ids-partial-and-duplicate", by_external_ids_partial_and_duplicate, [3]),
    Case("by-external-ids-full-message", by_external_ids_full_message,
         [{"id": 1, "type_id": 12, "name": "c1", "type": "C", "external_id": "xc1"}]),
]

"""Deleting nodes (fastmlmd's addition: MLMD has no delete): cascade, orphans, dry runs, one transaction, ids
never given again, and gc's selection (collect_garbage). On SQLite, then on MySQL (tests/conftest.py).

No row runs against ml-metadata 1.17.1: it has no delete to compare with.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest
import scenario_kit
from scenario_kit import show

from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

pytestmark = pytest.mark.usefixtures("each_backend")

Store = metadata_store.MetadataStore


def _pipeline(store: Store) -> Dict[str, int]:
    """Two runs of train -> eval in contexts run-0 and run-1, which are children of context `project`.

    Run r: data-r --INPUT--> train-r --OUTPUT--> model-r --INPUT--> eval-r; `shared` (an artifact) is read by
    both trains. Returns the ids by name.
    """
    a_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    m_type = store.put_artifact_type(pb.ArtifactType(name="Model"))
    e_type = store.put_execution_type(pb.ExecutionType(name="Step"))
    c_type = store.put_context_type(pb.ContextType(name="Run"))
    ids: Dict[str, int] = {}
    [ids["project"]] = store.put_contexts([pb.Context(type_id=c_type, name="project")])
    [ids["shared"]] = store.put_artifacts([pb.Artifact(type_id=a_type, name="shared", uri="gs://shared")])
    for run in range(2):
        _, (ids[f"data-{run}"], ids[f"model-{run}"]), (ids[f"run-{run}"],) = store.put_execution(
            pb.Execution(type_id=e_type, name=f"train-{run}"),
            [(pb.Artifact(type_id=a_type, name=f"data-{run}", uri=f"gs://data/{run}"), pb.Event(type=pb.Event.INPUT)),
             (pb.Artifact(type_id=m_type, name=f"model-{run}", uri=f"gs://model/{run}"),
              pb.Event(type=pb.Event.OUTPUT))],
            [pb.Context(type_id=c_type, name=f"run-{run}")])
        ids[f"train-{run}"] = store.get_executions_by_context(ids[f"run-{run}"])[0].id
        store.put_events([pb.Event(artifact_id=ids["shared"], execution_id=ids[f"train-{run}"], type=pb.Event.INPUT)])
        model = store.get_artifacts_by_id([ids[f"model-{run}"]])[0]
        ids[f"eval-{run}"], _, _ = store.put_execution(
            pb.Execution(type_id=e_type, name=f"eval-{run}"), [(model, pb.Event(type=pb.Event.INPUT))],
            [store.get_contexts_by_id([ids[f"run-{run}"]])[0]])
        store.put_parent_contexts([pb.ParentContext(child_id=ids[f"run-{run}"], parent_id=ids["project"])])
    return ids


def snapshot(store: Store) -> Any:
    """Everything a reader sees: every node, event, link and parent link, with times."""
    artifacts, executions, contexts = store.get_artifacts(), store.get_executions(), store.get_contexts()
    return show({
        "artifacts": artifacts, "executions": executions, "contexts": contexts,
        "events": store.get_events_by_execution_ids([e.id for e in executions]),
        "artifact_events": store.get_events_by_artifact_ids([a.id for a in artifacts]),
        "attributions": {c.id: [a.id for a in store.get_artifacts_by_context(c.id)] for c in contexts},
        "associations": {c.id: [e.id for e in store.get_executions_by_context(c.id)] for c in contexts},
        "parents": {c.id: [p.id for p in store.get_parent_contexts_by_context(c.id)] for c in contexts},
        "children": {c.id: [p.id for p in store.get_children_contexts_by_context(c.id)] for c in contexts},
    }, keep_times=True)


def _no_dangling_edge(store: Store) -> None:
    """Every edge a reader can find names stored nodes at both ends."""
    state = snapshot(store)
    artifacts = {a["id"] for a in state["artifacts"]}
    executions = {e["id"] for e in state["executions"]}
    contexts = {c["id"] for c in state["contexts"]}
    for event in state["events"] + state["artifact_events"]:
        assert event["artifact_id"] in artifacts and event["execution_id"] in executions
    for links in ("parents", "children"):
        for context, related in state[links].items():
            assert set(related) <= contexts
    # Links of a deleted node cannot be asked for by it; ask every stored node for its contexts instead.
    for artifact in artifacts:
        assert {c.id for c in _contexts_of(store.get_contexts_by_artifact, artifact)} <= contexts
    for execution in executions:
        assert {c.id for c in _contexts_of(store.get_contexts_by_execution, execution)} <= contexts


def _contexts_of(getter: Any, node_id: int) -> Any:
    try:
        return getter(node_id)
    except errors.NotFoundError:
        return []


@pytest.fixture
def pipeline() -> Tuple[Store, Dict[str, int]]:
    store = scenario_kit.new_store()
    return store, _pipeline(store)


def test_a_node_with_edges_is_refused_without_cascade_and_nothing_goes(pipeline) -> None:
    store, ids = pipeline
    before = snapshot(store)
    orphan = store.put_artifacts([pb.Artifact(type_id=store.get_artifact_type("Data").id, name="lonely")])[0]
    with pytest.raises(errors.FailedPreconditionError,
                       match=f"^Cannot delete execution {ids['train-0']}: it has 3 events, 1 association;"):
        store.delete_executions([ids["train-0"]])
    with pytest.raises(errors.FailedPreconditionError, match="cascade=True"):
        store.delete_artifacts([orphan, ids["data-0"]])  # the lonely one alone could go: the call is all or nothing
    store.delete_artifacts([orphan])  # no edges: no cascade needed
    assert snapshot(store) == before


def test_cascade_deletes_an_execution_with_its_events_and_associations_only(pipeline) -> None:
    store, ids = pipeline
    result = store.delete_executions([ids["train-0"]], cascade=True)
    assert result == metadata_store.DeleteResult(
        execution_ids=[ids["train-0"]],
        events=sorted([(ids["data-0"], ids["train-0"], pb.Event.INPUT), (ids["model-0"], ids["train-0"], pb.Event.OUTPUT),
                       (ids["shared"], ids["train-0"], pb.Event.INPUT)]),
        associations=[(ids["run-0"], ids["train-0"])])
    assert store.get_executions_by_id([ids["train-0"]]) == []
    assert [a.name for a in store.get_artifacts()] == ["shared", "data-0", "model-0", "data-1", "model-1"]
    assert [e.execution_id for e in store.get_events_by_artifact_ids([ids["model-0"]])] == [ids["eval-0"]]
    assert [e.name for e in store.get_executions_by_context(ids["run-0"])] == ["eval-0"]
    _no_dangling_edge(store)


def test_cascade_deletes_a_context_with_its_links_and_keeps_its_members(pipeline) -> None:
    store, ids = pipeline
    result = store.delete_contexts([ids["project"], ids["run-0"]], cascade=True)
    assert result.context_ids == sorted([ids["project"], ids["run-0"]])
    assert result.attributions == sorted([(ids["run-0"], ids["data-0"]), (ids["run-0"], ids["model-0"])])
    assert result.associations == sorted([(ids["run-0"], ids["train-0"]), (ids["run-0"], ids["eval-0"])])
    assert result.parent_contexts == sorted([(ids["run-0"], ids["project"]), (ids["run-1"], ids["project"])])
    assert (result.artifact_ids, result.execution_ids, result.events) == ([], [], [])
    assert len(store.get_artifacts()) == 5 and len(store.get_executions()) == 4
    assert store.get_parent_contexts_by_context(ids["run-1"]) == []
    _no_dangling_edge(store)


def test_orphans_are_the_nodes_left_without_any_edge(pipeline) -> None:
    store, ids = pipeline
    # data-0 is read by train-0 alone, but it is in run-0 too: not an orphan until run-0 goes as well.
    first = store.delete_executions([ids["train-0"]], cascade=True, delete_orphans=True)
    assert (first.artifact_ids, first.orphan_artifact_ids) == ([], [])
    second = store.delete_contexts([ids["run-0"]], cascade=True, delete_orphans=True)
    # Without run-0, data-0 has no edge left; model-0 is still read by eval-0; project still has run-1.
    assert second.artifact_ids == second.orphan_artifact_ids == [ids["data-0"]]
    assert second.context_ids == [ids["run-0"]] and second.orphan_context_ids == []
    third = store.delete_contexts([ids["run-1"]], cascade=True, delete_orphans=True)
    assert third.orphan_context_ids == [ids["project"]]  # its last child went
    assert third.context_ids == sorted([ids["run-1"], ids["project"]])
    _no_dangling_edge(store)


def test_nodes_of_every_kind_go_in_one_call(pipeline) -> None:
    store, ids = pipeline
    result = store.delete_nodes(artifact_ids=[ids["data-1"], ids["model-1"]],
                                execution_ids=[ids["train-1"], ids["eval-1"]], context_ids=[ids["run-1"]], cascade=True)
    assert result.counts() == {"artifacts": 2, "executions": 2, "contexts": 1, "events": 4, "attributions": 2,
                               "associations": 2, "parent_contexts": 1}
    assert [c.name for c in store.get_contexts()] == ["project", "run-0"]
    _no_dangling_edge(store)


def test_a_dry_run_changes_nothing_and_says_what_the_delete_does(pipeline) -> None:
    store, ids = pipeline
    before = snapshot(store)
    planned = store.delete_nodes(execution_ids=[ids["train-0"]], context_ids=[ids["run-0"]], cascade=True,
                                 delete_orphans=True, dry_run=True)
    assert planned.dry_run and planned.artifact_ids == [ids["data-0"]]
    assert snapshot(store) == before
    done = store.delete_nodes(execution_ids=[ids["train-0"]], context_ids=[ids["run-0"]], cascade=True,
                              delete_orphans=True)
    assert attr_dict(done) == {**attr_dict(planned), "dry_run": False}
    assert snapshot(store) != before


def attr_dict(result: metadata_store.DeleteResult) -> Dict[str, Any]:
    return result.to_dict()


def test_an_unknown_id_deletes_nothing(pipeline) -> None:
    store, ids = pipeline
    before = snapshot(store)
    with pytest.raises(errors.NotFoundError, match="^No artifact with the given id 999: nothing was deleted$"):
        store.delete_artifacts([ids["shared"], 999], cascade=True)
    assert snapshot(store) == before


@pytest.mark.parametrize(("call", "error"), [
    pytest.param(lambda s: s.delete_artifacts(["1"]), TypeError, id="id-not-an-int"),
    pytest.param(lambda s: s.delete_artifacts([1], cascade="yes"), TypeError, id="flag-not-a-bool"),
    pytest.param(lambda s: s.collect_garbage(keep_lineage_of=[("type", 1)]), errors.InvalidArgumentError,
                 id="unknown-kind"),
    pytest.param(lambda s: s.collect_garbage(keep_lineage_of=[1]), TypeError, id="not-a-pair"),
    pytest.param(lambda s: s.collect_garbage(keep_lineage_of=[("artifact", 999)]), errors.NotFoundError,
                 id="keep-unknown-node"),
])
def test_bad_arguments(pipeline, call: Any, error: type) -> None:
    store, _ = pipeline
    with pytest.raises(error):
        call(store)


def test_an_error_mid_delete_leaves_the_store_as_it_was(pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastmlmd.engine import delete

    store, ids = pipeline
    before = snapshot(store)
    # The id high-water is written last, after every edge and node row is deleted: make that statement fail.
    monkeypatch.setattr(delete, "HIGH_WATER_TABLE", "no_such_table")
    with pytest.raises(errors.StatusError):
        store.delete_nodes(execution_ids=[ids["train-0"]], context_ids=[ids["run-0"]], cascade=True,
                           delete_orphans=True)
    assert snapshot(store) == before
    monkeypatch.undo()
    assert store.delete_executions([ids["train-0"]], cascade=True).execution_ids == [ids["train-0"]]


@pytest.fixture
def reopenable(each_backend: str, tmp_path: Path) -> Iterator[Any]:
    """A config that opens the same store again: an SQLite file, or the MySQL database of this test."""
    if each_backend == "sqlite":
        config = pb.ConnectionConfig()
        config.sqlite.filename_uri = str(tmp_path / "store.db")
        yield config
    else:
        yield scenario_kit.fake_config()


def test_ids_are_never_given_again_after_a_delete_and_a_reopen(reopenable: Any) -> None:
    store = Store(reopenable)
    a_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    e_type = store.put_execution_type(pb.ExecutionType(name="Step"))
    c_type = store.put_context_type(pb.ContextType(name="Run"))
    artifacts = store.put_artifacts([pb.Artifact(type_id=a_type, name=f"a{i}") for i in range(3)])
    [execution] = store.put_executions([pb.Execution(type_id=e_type)])
    [context] = store.put_contexts([pb.Context(type_id=c_type, name="c")])
    store.delete_nodes(artifact_ids=artifacts[1:], execution_ids=[execution], context_ids=[context])
    assert store.put_artifacts([pb.Artifact(type_id=a_type, name="a1")]) == [artifacts[-1] + 1]
    store.delete_artifacts([artifacts[-1] + 1])
    reopened = Store(reopenable)
    assert reopened.put_artifacts([pb.Artifact(type_id=a_type)]) == [artifacts[-1] + 2]
    assert reopened.put_executions([pb.Execution(type_id=e_type)]) == [execution + 1]
    _, new_artifacts, new_contexts = reopened.put_execution(
        pb.Execution(type_id=e_type), [(pb.Artifact(type_id=a_type), None)], [pb.Context(type_id=c_type, name="c")])
    assert (new_artifacts, new_contexts) == ([artifacts[-1] + 3], [context + 1])


def test_collect_garbage_keeps_the_lineage_of_kept_nodes(pipeline) -> None:
    store, ids = pipeline
    # model-0's lineage: train-0 and its inputs (data-0, shared) upstream, eval-0 downstream; their context
    # run-0 and its parent project. Everything of run-1 goes, except `shared`, which train-0 read too.
    planned = store.collect_garbage(keep_lineage_of=[("artifact", ids["model-0"])], dry_run=True)
    assert planned.artifact_ids == sorted([ids["data-1"], ids["model-1"]])
    assert planned.execution_ids == sorted([ids["train-1"], ids["eval-1"]])
    assert planned.context_ids == [ids["run-1"]]
    by_type = store.collect_garbage(type_names=["Model"], keep_lineage_of=[("context", ids["run-1"])], dry_run=True)
    assert (by_type.artifact_ids, by_type.execution_ids, by_type.context_ids) == ([ids["model-0"]], [], [])
    newest = max(n.last_update_time_since_epoch for n in store.get_artifacts() + store.get_executions()
                 + store.get_contexts())
    assert store.collect_garbage(updated_before=0, dry_run=True).counts()["artifacts"] == 0
    everything = store.collect_garbage(updated_before=newest + 1, dry_run=True)
    assert len(everything.artifact_ids) == 5 and len(everything.context_ids) == 3
    done = store.collect_garbage(keep_lineage_of=[("artifact", ids["model-0"])])
    assert done.to_dict() == {**planned.to_dict(), "dry_run": False}
    assert [a.name for a in store.get_artifacts()] == ["shared", "data-0", "model-0"]
    _no_dangling_edge(store)


def test_a_deleted_node_leaves_the_word_index(each_backend: str) -> None:
    store = scenario_kit.new_store()
    a_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    # More nodes than the word index leaves pending (sqlite_words.FOLD_AT), so the first ones are indexed.
    ids = store.put_artifacts([pb.Artifact(type_id=a_type, uri=f"gs://bucket/run-{i:04d}/x") for i in range(150)])
    store.delete_artifacts(ids[:10] + ids[-5:])
    query = metadata_store.ListOptions(filter_query="uri LIKE '%/run-000%'")
    assert [a.uri for a in store.get_artifacts(list_options=query)] == []
    store.put_artifacts([pb.Artifact(type_id=a_type, uri="gs://bucket/run-0003/x")])
    assert [a.uri for a in store.get_artifacts(list_options=query)] == ["gs://bucket/run-0003/x"]
    if each_backend == "sqlite":  # FTS5 checks its index against the node table
        store._engine.db.run(lambda cur: cur.execute(
            "INSERT INTO artifact_words(artifact_words) VALUES ('integrity-check')"), write=True)


def test_downgrade_to_12_and_upgrade_again(reopenable: Any) -> None:
    store = Store(reopenable)
    a_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    ids = store.put_artifacts([pb.Artifact(type_id=a_type, name=f"a{i}") for i in range(3)])
    store.delete_artifacts(ids[-1:])
    metadata_store.downgrade_schema(reopenable, 12)
    with pytest.raises(RuntimeError, match="^MLMD database version 12 is older than library version 14"):
        Store(reopenable)
    upgraded = Store(reopenable, enable_upgrade_migration=True)
    assert [a.id for a in upgraded.get_artifacts()] == ids[:2]
    # Version 12 has no place for the highest deleted id: a store that went down to it starts the marks afresh.
    assert upgraded.put_artifacts([pb.Artifact(type_id=a_type)]) == [ids[-1]]
    assert upgraded.delete_artifacts([ids[-1]]).artifact_ids == [ids[-1]]
    assert upgraded.put_artifacts([pb.Artifact(type_id=a_type)]) == [ids[-1] + 1]

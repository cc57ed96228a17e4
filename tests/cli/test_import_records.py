"""MetadataStore.import_records (our addition, behind `fastmlmd import` and `copy`): ids and times kept,
every insert check made, the word index kept whole, nothing half-written."""
from __future__ import annotations

import pytest

from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb


def _artifact(node_id: int, type_id: int, word: str) -> pb.Artifact:
    return pb.Artifact(id=node_id, type_id=type_id, uri=f"gs://bucket/{word}/part", create_time_since_epoch=node_id,
                       last_update_time_since_epoch=node_id + 1)


def _like(store: metadata_store.MetadataStore, pattern: str) -> list:
    query = f"uri LIKE '{pattern}'"
    return [a.id for a in store.get_artifacts(list_options=metadata_store.ListOptions(filter_query=query))]


@pytest.mark.parametrize("where", ["memory", "file"])
def test_imported_nodes_are_found_by_contains_filters(where, tmp_path) -> None:
    config = pb.ConnectionConfig()
    if where == "file":
        config.sqlite.filename_uri = str(tmp_path / "s.db")
    else:
        config.fake_database.SetInParent()
    store = metadata_store.MetadataStore(config)
    store.import_records(types=[pb.ArtifactType(id=20, name="T")])
    assert [t.id for t in store.get_artifact_types()] == [20]  # the store's view of its types is renewed
    store.import_records(artifacts=[_artifact(i, 20, f"w{i}") for i in range(1000, 1100)])  # above the mark
    assert store.put_artifacts([pb.Artifact(type_id=20, uri=f"gs://bucket/p{i}/part") for i in range(70)])[0] == 1100
    store.import_records(artifacts=[_artifact(i, 20, f"w{i}") for i in range(300, 310)])  # below the mark now
    for node_id in (1000, 1099, 300, 309):
        assert _like(store, f"%/w{node_id}/%") == [node_id]
    assert _like(store, "%/p5/%") == [1105]
    found = store.get_artifacts_by_id([300])[0]
    assert (found.create_time_since_epoch, found.last_update_time_since_epoch, found.type) == (300, 301, "T")


def test_a_failing_import_writes_nothing(store) -> None:
    store.import_records(types=[pb.ArtifactType(id=20, name="T", properties={"n": pb.INT})])
    store.import_records(artifacts=[_artifact(5, 20, "five")])
    before = (store.get_artifact_types(), store.get_artifacts())
    bad_property = _artifact(8, 20, "eight")
    bad_property.properties["n"].string_value = "not an int"
    cases = [
        ({"types": [pb.ArtifactType(id=21, name="U")], "artifacts": [_artifact(6, 20, "six"), _artifact(5, 20, "x")]},
         errors.AlreadyExistsError),
        ({"artifacts": [_artifact(7, 20, "seven"), bad_property]}, errors.InvalidArgumentError),
        ({"artifacts": [_artifact(9, 99, "nine")]}, errors.NotFoundError),
        ({"artifacts": [pb.Artifact(type_id=20)]}, errors.InvalidArgumentError),
        ({"types": [pb.ArtifactType(name="no id")]}, errors.InvalidArgumentError),
        ({"types": [pb.ContextType(id=20, name="taken id")]}, errors.AlreadyExistsError),
        ({"contexts": [pb.Context(id=1, type_id=20, name="c")]}, errors.NotFoundError),
        ({"artifacts": [_artifact(10, 20, "ten")],
          "events": [pb.Event(artifact_id=10, execution_id=1, type=pb.Event.INPUT)]}, errors.InvalidArgumentError),
    ]
    for arguments, error in cases:
        with pytest.raises(error):
            store.import_records(**arguments)
        assert (store.get_artifact_types(), store.get_artifacts()) == before, arguments


def test_links_and_events_keep_their_values(store) -> None:
    store.import_records(
        types=[pb.ArtifactType(id=20, name="A"), pb.ExecutionType(id=21, name="E"), pb.ContextType(id=22, name="C")],
        contexts=[pb.Context(id=3, type_id=22, name="parent"), pb.Context(id=4, type_id=22, name="child")],
        artifacts=[_artifact(7, 20, "a")], executions=[pb.Execution(id=9, type_id=21)],
        events=[pb.Event(artifact_id=7, execution_id=9, type=pb.Event.OUTPUT, milliseconds_since_epoch=42)],
        attributions=[pb.Attribution(context_id=4, artifact_id=7)],
        associations=[pb.Association(context_id=4, execution_id=9)],
        parent_contexts=[pb.ParentContext(child_id=4, parent_id=3)])
    assert [e.milliseconds_since_epoch for e in store.get_events_by_execution_ids([9])] == [42]
    assert [c.id for c in store.get_contexts_by_artifact(7)] == [4]
    assert [c.id for c in store.get_contexts_by_execution(9)] == [4]
    assert [c.id for c in store.get_parent_contexts_by_context(4)] == [3]


def test_parent_contexts_go_in_as_a_batch_under_put_parent_contexts_rules(store) -> None:
    store.import_records(types=[pb.ContextType(id=20, name="C")],
                         contexts=[pb.Context(id=i, type_id=20, name=f"c{i}") for i in range(1, 6)],
                         parent_contexts=[pb.ParentContext(child_id=2, parent_id=1),
                                          pb.ParentContext(child_id=3, parent_id=2)])
    refused = [
        ([(1, 3)], errors.InvalidArgumentError, "cycle"),  # 3 is below 1 already
        ([(4, 5), (5, 4)], errors.InvalidArgumentError, "cycle"),  # a cycle of the batch's own edges
        ([(4, 4)], errors.InvalidArgumentError, "two different contexts"),
        ([(4, 99)], errors.InvalidArgumentError, "cannot be found (context 99)"),
        ([(2, 1)], errors.AlreadyExistsError, "already held"),
        ([(4, 5), (4, 5)], errors.AlreadyExistsError, "given twice"),
    ]
    for edges, error, words in refused:
        with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
            store.import_records(parent_contexts=[pb.ParentContext(child_id=c, parent_id=p) for c, p in edges])
        assert [c.id for c in store.get_children_contexts_by_context(4)] == [], edges  # nothing half-written
    store.import_records(parent_contexts=[pb.ParentContext(child_id=4, parent_id=3),
                                          pb.ParentContext(child_id=5, parent_id=4)])
    assert [c.id for c in store.get_parent_contexts_by_context(5)] == [4]
    assert [c.id for c in store.get_children_contexts_by_context(3)] == [4]

"""Stores on the MySQL and PostgreSQL servers shared by connections: no call lost or half-written, types made
once and seen at once."""
from __future__ import annotations

import multiprocessing
from typing import Any, List, Tuple

import pytest
import server_stores
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

pytestmark = pytest.mark.server
SERVERS = pytest.mark.parametrize("backend", ["mysql", "postgresql"])

WRITERS, CALLS = 6, 25


def _write(args: Tuple[Any, int]) -> List[int]:
    serialized, writer = args
    store = metadata_store.MetadataStore(pb.ConnectionConfig.FromString(serialized))
    # Every writer makes the same types at once: each must get the one stored type's id.
    artifact_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    execution_type = store.put_execution_type(pb.ExecutionType(name="Trainer"))
    context_type = store.put_context_type(pb.ContextType(name="Run"))
    execution_ids = []
    for call in range(CALLS):
        execution_id, _, _ = store.put_execution(
            pb.Execution(type_id=execution_type, name=f"w{writer}-{call}"),
            [(pb.Artifact(type_id=artifact_type, uri=f"/out/{writer}/{call}"), pb.Event(type=pb.Event.OUTPUT))],
            [pb.Context(type_id=context_type, name="shared")], reuse_context_if_already_exist=True)
        execution_ids.append(execution_id)
    return [artifact_type, execution_type, context_type, *execution_ids]


@SERVERS
def test_concurrent_writers_lose_nothing(backend: str) -> None:
    config = server_stores.stores(backend).config()
    metadata_store.MetadataStore(config)  # the schema, made once before the writers start
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        results = pool.map(_write, [(config.SerializeToString(), writer) for writer in range(WRITERS)])
    assert len({tuple(result[:3]) for result in results}) == 1  # one id per type, whoever made it
    execution_ids = [i for result in results for i in result[3:]]
    assert len(set(execution_ids)) == WRITERS * CALLS
    store = metadata_store.MetadataStore(config)
    assert sorted(e.id for e in store.get_executions()) == sorted(execution_ids)
    assert len(store.get_artifacts()) == WRITERS * CALLS
    [shared] = store.get_contexts()
    assert len(store.get_executions_by_context(shared.id)) == WRITERS * CALLS
    events = store.get_events_by_execution_ids(execution_ids)
    assert sorted(e.execution_id for e in events) == sorted(execution_ids)


@SERVERS
def test_a_type_another_connection_writes_is_seen_at_once(backend: str) -> None:
    config = server_stores.stores(backend).config()
    reader, writer = metadata_store.MetadataStore(config), metadata_store.MetadataStore(config)
    writer.put_artifact_type(pb.ArtifactType(name="First"))
    assert [t.name for t in reader.get_artifact_types()] == ["First"]  # the reader's type view is built here
    assert [t.name for t in reader.get_artifact_types()] == ["First"]  # and kept while nothing is written
    evolved = pb.ArtifactType(name="First")
    evolved.properties["span"] = pb.INT
    writer.put_artifact_type(evolved, can_add_fields=True)
    writer.put_artifact_type(pb.ArtifactType(name="Second"))
    seen = reader.get_artifact_types()
    assert [t.name for t in seen] == ["First", "Second"]
    assert dict(seen[0].properties) == {"span": pb.INT}

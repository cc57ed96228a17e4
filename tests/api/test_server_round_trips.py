"""Round trips of the write calls on the servers: the statements whose results the engine does not read go with
the next one it reads, or with COMMIT (engine/backends/postgresql.py, mysql.py), so a call costs a few round
trips whatever its batch.

A round trip is counted where the driver asks for the server's answers: psycopg fetches or syncs its pipeline
(or runs a statement outside one), PyMySQL sends a command, mysqlclient a query (each command then reads its
results before the next is sent).
"""
from __future__ import annotations

from typing import Any, Callable, List, Tuple

import pytest
import server_stores
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

pytestmark = pytest.mark.server


def _count_round_trips(store: metadata_store.MetadataStore, backend: str) -> List[int]:
    """A counter (one-element list) of the round trips the store's connection makes from now on."""
    raw = store._engine.db._conn.raw
    counter = [0]
    if backend == "postgresql":
        wait = raw.wait

        def counting_wait(gen: Any, *args: Any, **kwargs: Any) -> Any:
            # By what the exchange is, not by whether the driver had to wait: on a loaded machine the answer can
            # be there before psycopg looks for it. In pipeline mode a fetch (flush, then read) and the sync that
            # ends the pipeline wait for answers; the statements it queues do not; outside it every exchange does.
            name = getattr(gen, "__qualname__", "")
            if name.endswith(("._fetch_gen", "._sync_gen", "._exit_gen")) or (
                    raw._pipeline is None and not name.endswith("._enter_gen")):
                counter[0] += 1
            return wait(gen, *args, **kwargs)

        raw.wait = counting_wait
    else:
        # PyMySQL sends every command through _execute_command; mysqlclient's statements go through `query` (the
        # later results of a multi-statement arrive with the first answer).
        name = "_execute_command" if store._engine.db.backend.driver == "pymysql" else "query"
        command = getattr(raw, name)

        def counting_command(*args: Any, **kwargs: Any) -> Any:
            counter[0] += 1
            return command(*args, **kwargs)

        setattr(raw, name, counting_command)
    return counter


def _round_trips(counter: List[int], call: Callable[[], Any]) -> Tuple[int, Any]:
    before = counter[0]
    result = call()
    return counter[0] - before, result


@pytest.fixture(params=["mysql", "postgresql"])
def served(request: pytest.FixtureRequest) -> Tuple[metadata_store.MetadataStore, List[int], tuple]:
    store = metadata_store.MetadataStore(server_stores.stores(request.param).config())
    model = pb.ArtifactType(name="Model")
    model.properties["span"] = pb.INT
    trainer = pb.ExecutionType(name="Trainer")
    trainer.properties["component_id"] = pb.STRING
    type_ids = (store.put_artifact_type(model), store.put_execution_type(trainer),
                store.put_context_type(pb.ContextType(name="pipeline")),
                store.put_context_type(pb.ContextType(name="pipeline_run")))
    counter = _count_round_trips(store, request.param)
    return store, counter, type_ids


def _artifact(type_id: int, name: str) -> pb.Artifact:
    artifact = pb.Artifact(type_id=type_id, name=name, uri=f"/models/{name}")
    artifact.properties["span"].int_value = 7
    artifact.custom_properties["tag"].string_value = "nightly"
    return artifact


def _event(event_type: int) -> pb.Event:
    event = pb.Event(type=event_type)
    event.path.steps.add().key = "examples"
    return event


def test_put_execution_is_two_round_trips(served: Any) -> None:
    """A pipeline runner's two calls per component: register (inputs as read back, a pipeline context by id, a
    new run context reused by name), then publish (two new outputs, the execution updated)."""
    store, counter, (model, trainer, pipeline_type, run_type) = served
    input_ids = store.put_artifacts([_artifact(model, "in-0"), _artifact(model, "in-1")])
    inputs = store.get_artifacts_by_id(input_ids)
    [pipeline_id] = store.put_contexts([pb.Context(type_id=pipeline_type, name="pipeline")])
    [pipeline] = store.get_contexts_by_id([pipeline_id])
    # The store has met the types: they are cached.
    store.put_executions([pb.Execution(type_id=trainer)])
    store.put_contexts([pb.Context(type_id=run_type, name="run-before")])
    for run in range(2):
        run_context = pb.Context(type_id=run_type, name=f"run-{run}")
        execution = pb.Execution(type_id=trainer, last_known_state=pb.Execution.RUNNING)
        execution.properties["component_id"].string_value = "Trainer"
        trips, (execution_id, _, context_ids) = _round_trips(counter, lambda: store.put_execution(
            execution, [(inputs[0], _event(pb.Event.INPUT)), (inputs[1], _event(pb.Event.INPUT))],
            [pipeline, run_context], reuse_context_if_already_exist=True))
        # Its first read (next ids, the stored nodes it names, the run context it may reuse), then every write
        # with COMMIT.
        assert trips == 2
        run_context.id = context_ids[1]
        execution.id, execution.last_known_state = execution_id, pb.Execution.COMPLETE
        trips, (_, output_ids, _) = _round_trips(counter, lambda: store.put_execution(
            execution, [(_artifact(model, f"out-{run}-0"), _event(pb.Event.OUTPUT)),
                        (_artifact(model, f"out-{run}-1"), _event(pb.Event.OUTPUT))], [pipeline, run_context]))
        assert trips == 2
    assert len(store.get_events_by_execution_ids([execution_id])) == 4
    assert {a.id for a in store.get_artifacts_by_context(context_ids[1])} == {*input_ids, *output_ids}


def test_fills_and_updates_do_not_grow_with_the_batch(served: Any) -> None:
    store, counter, (model, trainer, pipeline_type, _) = served
    store.put_artifacts([_artifact(model, "first")])  # the store meets the type
    trips, artifact_ids = _round_trips(counter, lambda: store.put_artifacts(
        [_artifact(model, f"a{i}") for i in range(100)]))
    assert trips == 2  # the next id, then the nodes and their properties with COMMIT
    updated = store.get_artifacts_by_id(artifact_ids)
    for artifact in updated:
        artifact.custom_properties["tag"].string_value = "weekly"
    trips, _ = _round_trips(counter, lambda: store.put_artifacts(updated))
    assert trips == 2  # the stored nodes, then 100 UPDATEs and their properties with COMMIT
    execution_ids = store.put_executions([pb.Execution(type_id=trainer) for _ in range(100)])
    [context_id] = store.put_contexts([pb.Context(type_id=pipeline_type, name="p")])
    events = [pb.Event(type=pb.Event.INPUT, artifact_id=a, execution_id=e) for a, e in zip(artifact_ids, execution_ids)]
    trips, _ = _round_trips(counter, lambda: store.put_events(events))
    assert trips == 2
    trips, _ = _round_trips(counter, lambda: store.put_attributions_and_associations(
        [pb.Attribution(context_id=context_id, artifact_id=i) for i in artifact_ids],
        [pb.Association(context_id=context_id, execution_id=i) for i in execution_ids]))
    assert trips == 2
    assert [a.custom_properties["tag"].string_value for a in store.get_artifacts_by_id(artifact_ids[:3])] == [
        "weekly"] * 3
    assert len(store.get_artifacts_by_context(context_id)) == 100


def test_an_error_in_a_batched_write_is_reported_as_it_is_alone(served: Any) -> None:
    """A duplicate key shows only when the batched statements reach the server: the attempt is run again
    statement by statement, and the caller gets the error of its class, with nothing of the call written."""
    store, _, (model, trainer, _, _) = served
    [artifact_id] = store.put_artifacts([_artifact(model, "taken")])
    execution_ids = store.put_executions([pb.Execution(type_id=trainer), pb.Execution(type_id=trainer)])
    with pytest.raises(errors.AlreadyExistsError):
        store.put_artifacts([_artifact(model, "fresh"), _artifact(model, "taken")])
    assert [a.name for a in store.get_artifacts()] == ["taken"]
    stored = pb.Event(type=pb.Event.OUTPUT, artifact_id=artifact_id, execution_id=execution_ids[0])
    store.put_events([stored])
    fresh = pb.Event(type=pb.Event.OUTPUT, artifact_id=artifact_id, execution_id=execution_ids[1])
    with pytest.raises(errors.AlreadyExistsError):
        store.put_events([fresh, stored])
    assert [e.execution_id for e in store.get_events_by_artifact_ids([artifact_id])] == [execution_ids[0]]
    # The compound calls too, whose attempts run again from the records as given.
    with pytest.raises(errors.AlreadyExistsError):
        store.put_execution(pb.Execution(type_id=trainer), [(_artifact(model, "taken"), _event(pb.Event.OUTPUT))], [])
    edge = pb.Event(type=pb.Event.OUTPUT)
    with pytest.raises(errors.AlreadyExistsError):
        store.put_lineage_subgraph([pb.Execution(type_id=trainer)], [_artifact(model, "new"), _artifact(model, "taken")],
                                   [], [(0, 0, edge)])
    assert len(store.get_executions()) == 2 and [a.name for a in store.get_artifacts()] == ["taken"]

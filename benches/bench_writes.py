"""The write paths: put_artifacts in batches, put_events, and put_execution as a pipeline component publishes."""
from __future__ import annotations

import itertools
import random
from typing import Iterator, Tuple

import pytest

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

ROUNDS = 60


def _open(backend: str, tmp_path) -> metadata_store.MetadataStore:  # noqa: ANN001 - a pytest tmp_path
    config = pb.ConnectionConfig()
    if backend == "memory":
        config.fake_database.SetInParent()
    else:
        config.sqlite.filename_uri = str(tmp_path / "bench.sqlite")
        config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return metadata_store.MetadataStore(config)


@pytest.fixture(params=["memory", "file"])
def typed_store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Tuple[metadata_store.MetadataStore, dict]]:  # noqa: ANN001
    store = _open(request.param, tmp_path)
    artifact_type = pb.ArtifactType(name="Model")
    for key, kind in (("span", pb.INT), ("version", pb.INT), ("split_names", pb.STRING), ("score", pb.DOUBLE)):
        artifact_type.properties[key] = kind
    execution_type = pb.ExecutionType(name="Trainer")
    execution_type.properties["component_id"] = pb.STRING
    ids = {"artifact": store.put_artifact_type(artifact_type), "execution": store.put_execution_type(execution_type),
           "context": store.put_context_type(pb.ContextType(name="pipeline_run"))}
    yield store, ids


def _artifacts(type_id: int, count: int, rng: random.Random, names: Iterator[int]) -> list:
    out = []
    for _ in range(count):
        number = next(names)
        artifact = pb.Artifact(type_id=type_id, name=f"model-{number}", uri=f"/models/{number}", state=pb.Artifact.LIVE)
        artifact.properties["span"].int_value = number
        artifact.properties["version"].int_value = number % 7
        artifact.properties["split_names"].string_value = '["train", "eval"]'
        artifact.properties["score"].double_value = rng.random()
        artifact.custom_properties["tfx_version"].string_value = "1.15.0"
        out.append(artifact)
    return out


@pytest.mark.parametrize("batch", [1, 100])
def test_put_artifacts(benchmark, typed_store, batch: int) -> None:
    benchmark.group = f"put-artifacts-x{batch}"
    store, ids = typed_store
    rng, names = random.Random(17), itertools.count()
    benchmark.pedantic(store.put_artifacts, setup=lambda: ((_artifacts(ids["artifact"], batch, rng, names),), {}),
                       rounds=ROUNDS)


def test_put_events(benchmark, typed_store) -> None:
    """100 INPUT events from existing artifacts into a new execution per round."""
    benchmark.group = "put-events-x100"
    store, ids = typed_store
    artifact_ids = store.put_artifacts(_artifacts(ids["artifact"], 100, random.Random(17), itertools.count()))

    def setup() -> tuple:
        [execution_id] = store.put_executions([pb.Execution(type_id=ids["execution"])])
        events = []
        for artifact_id in artifact_ids:
            event = pb.Event(artifact_id=artifact_id, execution_id=execution_id, type=pb.Event.INPUT)
            event.path.steps.add().key = "examples"
            events.append(event)
        return (events,), {}

    benchmark.pedantic(store.put_events, setup=setup, rounds=ROUNDS)


def test_put_execution(benchmark, typed_store) -> None:
    """A component publishing: a COMPLETE execution, 1 input and 2 new outputs with events, 1 reused context."""
    benchmark.group = "put-execution"
    store, ids = typed_store
    rng, names = random.Random(17), itertools.count()
    [source] = store.put_artifacts(_artifacts(ids["artifact"], 1, rng, names))
    [input_artifact] = store.get_artifacts_by_id([source])
    run = pb.Context(type_id=ids["context"], name="run-000001")

    def setup() -> tuple:
        execution = pb.Execution(type_id=ids["execution"], name=f"trainer-{next(names)}",
                                 last_known_state=pb.Execution.COMPLETE)
        execution.properties["component_id"].string_value = "Trainer"
        pairs = [(input_artifact, pb.Event(type=pb.Event.INPUT))]
        pairs += [(artifact, pb.Event(type=pb.Event.OUTPUT)) for artifact in _artifacts(ids["artifact"], 2, rng, names)]
        return (execution, pairs, [run]), {"reuse_context_if_already_exist": True}

    benchmark.pedantic(store.put_execution, setup=setup, rounds=ROUNDS)

"""The row kernels, both twins: encoding node rows, framing bodies, and 1,000 bodies parsed into protos."""
from __future__ import annotations

import importlib
import random
from types import ModuleType
from typing import List

import pytest

from fastmlmd.engine.catalog import ARTIFACT
from fastmlmd.engine.nodes import wire_fields
from ml_metadata.proto import metadata_store_pb2 as pb
from ml_metadata.proto import metadata_store_service_pb2 as svc

COUNT = 1000


def _twins() -> list:
    params = [pytest.param("fastmlmd.engine._rowcore_py", id="python")]
    try:
        importlib.import_module("fastmlmd.engine._rowcore")
        params.append(pytest.param("fastmlmd.engine._rowcore", id="cython"))
    except ImportError:
        params.append(pytest.param("fastmlmd.engine._rowcore", id="cython",
                                   marks=pytest.mark.skip(reason="the Cython kernel is not compiled here")))
    return params


@pytest.fixture(params=_twins())
def impl(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(request.param)


def _rows() -> List[tuple]:
    """1,000 artifact rows shaped like the runner's dataset (4 properties, 2 custom), seed 17."""
    rng = random.Random(17)
    fields = wire_fields(ARTIFACT)
    rows = []
    for i in range(COUNT):
        props = {"span": (1, i), "version": (1, i % 7), "split_names": (3, '["train", "eval"]'),
                 "score": (2, rng.random())}
        custom = {"tfx_version": (3, "1.15.0"), "is_external": (1, 0)}
        rows.append((fields, i + 1, 10, f"/pipelines/pipeline-01/run-{i:06d}/Trainer/Model", 2,
                     f"run-{i:06d}.Trainer.Model", "Model", 1_700_000_000_000 + i, 1_700_000_000_000 + i, None,
                     props, custom))
    return rows


ROWS = _rows()


def _encode_all(impl: ModuleType) -> List[bytes]:
    return [impl.encode_node(*row) for row in ROWS]


def test_encode_node(benchmark, impl: ModuleType) -> None:
    benchmark.group = "rowcore-encode-node-x1000"
    bodies = benchmark(_encode_all, impl)
    assert pb.Artifact.FromString(bodies[0]).name == "run-000000.Trainer.Model"


def test_frame(benchmark, impl: ModuleType) -> None:
    benchmark.group = "rowcore-frame-x1000"
    bodies = _encode_all(impl)
    benchmark(impl.frame, bodies)


def _parse(impl: ModuleType, bodies: List[bytes]) -> list:
    return list(svc.GetArtifactsByIDResponse.FromString(impl.frame(bodies)).artifacts)


def test_parse_framed(benchmark, impl: ModuleType) -> None:
    benchmark.group = "protos-x1000"
    bodies = _encode_all(impl)
    assert len(benchmark(_parse, impl, bodies)) == COUNT


def _set_fields() -> list:
    out = []
    for (_, node_id, type_id, uri, state, name, type_name, create, update, _, props, custom) in ROWS:
        msg = pb.Artifact(id=node_id, type_id=type_id, uri=uri, state=state, name=name, type=type_name,
                          create_time_since_epoch=create, last_update_time_since_epoch=update)
        for target, values in ((msg.properties, props), (msg.custom_properties, custom)):
            for key, (kind, value) in values.items():
                if kind == 1:
                    target[key].int_value = value
                elif kind == 2:
                    target[key].double_value = value
                else:
                    target[key].string_value = value
        out.append(msg)
    return out


def test_set_fields_baseline(benchmark) -> None:
    """The same 1,000 protos built field by field from Python: what the framed parse replaces."""
    benchmark.group = "protos-x1000"
    assert len(benchmark(_set_fields)) == COUNT

"""The row kernels, both twins: encoding node rows, framing bodies, 1,000 bodies parsed into protos, and 1,000
serialized artifacts decoded into write records (against the field-by-field conversion it replaced)."""
from __future__ import annotations

import importlib
import random
from types import ModuleType
from typing import List

import pytest

from fastmlmd.engine.catalog import ARTIFACT
from fastmlmd.engine.nodes import wire_fields
from fastmlmd.engine.records import NodeRecord
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


# Decoding: the write path's proto -> record conversion -------------------------------------------------------
MESSAGES = _set_fields()  # the same 1,000 artifacts: 4 properties and 2 custom properties each
BODIES = [msg.SerializeToString(deterministic=True) for msg in MESSAGES]
_FIELDS = wire_fields(ARTIFACT)


def _decode_all(impl: ModuleType) -> list:
    fields = _FIELDS
    return [impl.decode_node(fields, body) for body in BODIES]


def test_decode_node(benchmark, impl: ModuleType) -> None:
    """The kernel alone: 1,000 serialized artifacts decoded into record values."""
    benchmark.group = "rowcore-decode-node-x1000"
    decoded = benchmark(_decode_all, impl)
    assert decoded[0][4] == "run-000000.Trainer.Model" and len(decoded[0][7]) == 4


def _records(impl: ModuleType) -> List[NodeRecord]:
    fields = _FIELDS
    return [NodeRecord(*impl.decode_node(fields, msg.SerializeToString(deterministic=True))) for msg in MESSAGES]


def test_node_records(benchmark, impl: ModuleType) -> None:
    """What `node_record` now does: serialize each message once, decode it, build the record."""
    benchmark.group = "rowcore-decode-node-x1000"
    assert len(benchmark(_records, impl)) == COUNT


_VALUE_KINDS = {"int_value": 1, "double_value": 2, "string_value": 3, "struct_value": 4, "proto_value": 5,
                "bool_value": 6}


def _field_by_field_properties(values, empty: List[str]) -> dict:
    out = {}
    for key, value in values:
        which = value.WhichOneof("value")
        if which is None:
            empty.append(key)
            continue
        kind = _VALUE_KINDS[which]
        if kind in (4, 5):
            out[key] = (kind, getattr(value, which).SerializeToString(deterministic=True))
        else:
            out[key] = (kind, getattr(value, which))
    return out


def _field_by_field_record(msg: pb.Artifact) -> NodeRecord:
    """The conversion `node_record` did before the decode kernel: every field read through the protobuf API."""
    empty: List[str] = []
    rec = NodeRecord(
        id=msg.id if msg.HasField("id") else None,
        type_id=msg.type_id if msg.HasField("type_id") else None,
        name=msg.name if msg.HasField("name") else None,
        external_id=msg.external_id if msg.HasField("external_id") else None,
        type_name=msg.type if msg.HasField("type") else None,
        properties=_field_by_field_properties(msg.properties.items(), empty),
        custom_properties=_field_by_field_properties(msg.custom_properties.items(), empty),
    )
    if msg.HasField("uri"):
        rec.uri = msg.uri
    if msg.HasField("state"):
        rec.state = msg.state
    rec.empty_values = tuple(empty)
    return rec


def test_field_by_field_baseline(benchmark) -> None:
    """The same 1,000 records read field by field through the protobuf API: what the decode replaces."""
    benchmark.group = "rowcore-decode-node-x1000"
    records = benchmark(lambda: [_field_by_field_record(msg) for msg in MESSAGES])
    assert records == _records(importlib.import_module("fastmlmd.engine._rowcore_py"))

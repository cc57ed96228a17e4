"""encode_nodes / encode_events: node and event rows merged with their property rows or path steps come out as
table rows whose bodies are the messages protobuf itself would write; both twins agree byte for byte."""
from __future__ import annotations

import base64
from types import ModuleType
from typing import List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from google.protobuf import struct_pb2

from fastmlmd.engine import _rowcore_py
from fastmlmd.engine.catalog import ARTIFACT, CONTEXT, EXECUTION
from fastmlmd.engine.nodes import wire_fields
from ml_metadata.proto import metadata_store_pb2 as pb

try:
    from fastmlmd.engine import _rowcore as compiled
except ImportError:  # pragma: no cover - pure-Python installs
    compiled = None

_STRUCT_TEXT = 4  # a kind the test's decode turns into a struct (PropertyType.STRUCT)


def _decode(row: tuple) -> tuple:
    """Stands in for the source's decoder: base64 text of a Struct -> its bytes; no value -> an error."""
    node_id, is_custom, name, kind, value = row
    if kind == _STRUCT_TEXT:
        return node_id, is_custom, name, 4, base64.b64decode(value)
    raise ValueError(f"node {node_id}: property {name!r} has no value")


def _struct(**fields: float) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(fields)
    return message


def test_artifact_rows_hold_the_columns_and_the_message(impl: ModuleType) -> None:
    struct = _struct(x=1.0)
    nodes = [(3, 10, "/a", 2, "a", "ext", 5, 6), (7, 10, None, None, None, None, 8, 9)]
    properties = [
        (1, 0, "gone", 1, 1),  # a node that is not read: skipped
        (3, 1, "b", 3, "s"),
        (3, 0, "p", 1, -4),
        (3, 0, "q", _STRUCT_TEXT, base64.b64encode(struct.SerializeToString()).decode()),
        (3, 1, "z", 6, 1),
    ]
    rows = impl.encode_nodes(wire_fields(ARTIFACT), nodes, properties, {10: "Model"}, _decode)
    assert [row[:-1] for row in rows] == [(3, 10, "/a", 2, "a", "ext", 5, 6), (7, 10, "", None, None, None, 8, 9)]
    expected = pb.Artifact(id=3, type_id=10, uri="/a", state=pb.Artifact.LIVE, name="a", type="Model",
                           external_id="ext", create_time_since_epoch=5, last_update_time_since_epoch=6)
    expected.properties["p"].int_value = -4
    expected.properties["q"].struct_value.CopyFrom(struct)
    expected.custom_properties["b"].string_value = "s"
    expected.custom_properties["z"].bool_value = True
    assert rows[0][-1] == expected.SerializeToString(deterministic=True)
    assert pb.Artifact.FromString(rows[1][-1]) == pb.Artifact(
        id=7, type_id=10, type="Model", create_time_since_epoch=8, last_update_time_since_epoch=9)


@pytest.mark.parametrize(("layout", "message", "columns"), [
    pytest.param(EXECUTION, pb.Execution, (1, 2, 3, "e", None, 4, 5), id="execution-has-state"),
    pytest.param(CONTEXT, pb.Context, (1, 2, "e", None, 4, 5), id="context-has-neither"),
])
def test_other_kinds_keep_their_columns(impl: ModuleType, layout, message, columns) -> None:
    rows = impl.encode_nodes(wire_fields(layout), [(1, 2, None, 3, "e", None, 4, 5)], [(1, 0, "k", 2, 0.5)], {}, _decode)
    assert rows[0][:-1] == columns
    parsed = message.FromString(rows[0][-1])
    assert (parsed.id, parsed.name, parsed.type, parsed.properties["k"].double_value) == (1, "e", "", 0.5)


def test_a_row_the_decoder_refuses_stops_the_batch(impl: ModuleType) -> None:
    with pytest.raises(ValueError, match="has no value"):
        impl.encode_nodes(wire_fields(CONTEXT), [(1, 2, None, None, "c", None, 0, 0)], [(1, 0, "k", 0, None)], {},
                          _decode)


def test_events_carry_their_paths(impl: ModuleType) -> None:
    events = [(1, 10, 20, 3, 100), (2, 11, 20, 4, None), (5, 12, 21, 1, 7)]
    steps = [(0, 1, 1, None), (1, 0, None, "input"), (1, 1, -2, None), (2, 0, None, None), (4, 0, None, "gone")]
    rows = impl.encode_events(events, steps)
    assert [row[:-1] for row in rows] == events
    first = pb.Event(artifact_id=10, execution_id=20, type=pb.Event.INPUT, milliseconds_since_epoch=100)
    first.path.steps.add().key = "input"
    first.path.steps.add().index = -2
    second = pb.Event(artifact_id=11, execution_id=20, type=pb.Event.OUTPUT)
    second.path.steps.add().key = ""
    third = pb.Event(artifact_id=12, execution_id=21, type=pb.Event.DECLARED_OUTPUT, milliseconds_since_epoch=7)
    assert [row[-1] for row in rows] == [m.SerializeToString(deterministic=True) for m in (first, second, third)]


_NAMES = st.sampled_from(["a", "b", "é", "z", "ab", ""])
_VALUES = st.one_of(st.tuples(st.just(1), st.integers(-(2**63), 2**63 - 1)),
                    st.tuples(st.just(2), st.floats(allow_nan=False)),
                    st.tuples(st.just(3), st.text(max_size=5)),
                    st.tuples(st.just(6), st.integers(0, 1)),
                    st.tuples(st.just(_STRUCT_TEXT), st.just(base64.b64encode(b"\x0a\x00").decode())))
_PROPERTY_ROWS = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 1), _NAMES, _VALUES), max_size=14)


@pytest.mark.skipif(compiled is None, reason="the Cython kernel is not compiled here")
@settings(max_examples=300, deadline=None)
@given(ids=st.lists(st.integers(1, 6), unique=True), rows=_PROPERTY_ROWS, shuffled=st.booleans())
def test_the_twins_agree_on_nodes(ids: List[int], rows: list, shuffled: bool) -> None:
    """In name order or not, with repeated names (the last one counts) and rows of nodes that are not read."""
    nodes = [(i, 10 + i % 2, None if i % 3 else f"/u{i}", i % 4 or None, f"n{i}", None, i, i + 1) for i in sorted(ids)]
    properties = sorted(((n, c, name, kind, value) for n, c, name, (kind, value) in rows),
                        key=(lambda r: r[0]) if shuffled else (lambda r: (r[0], r[2])))
    for layout in (ARTIFACT, EXECUTION, CONTEXT):
        theirs, ours = list(properties), list(properties)
        assert compiled.encode_nodes(wire_fields(layout), nodes, theirs, {10: "T"}, _decode) == \
            _rowcore_py.encode_nodes(wire_fields(layout), nodes, ours, {10: "T"}, _decode)


_STEPS = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 1), st.one_of(st.none(), st.integers(-5, 2**40)),
                            st.one_of(st.none(), st.text(max_size=4))), max_size=12)


@pytest.mark.skipif(compiled is None, reason="the Cython kernel is not compiled here")
@settings(max_examples=300, deadline=None)
@given(ids=st.lists(st.integers(1, 6), unique=True), steps=_STEPS)
def test_the_twins_agree_on_events(ids: List[int], steps: list) -> None:
    events = [(i, i + 10, i + 20, i % 8, None if i % 2 else i * 1000) for i in sorted(ids)]
    ordered = sorted(steps, key=lambda step: step[0])
    assert compiled.encode_events(events, ordered) == _rowcore_py.encode_events(events, ordered)

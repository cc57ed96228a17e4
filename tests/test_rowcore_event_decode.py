"""decode_event: a serialized Event decodes to the values the protobuf API reads from it, in both twins."""
from __future__ import annotations

from types import ModuleType
from typing import Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastmlmd.engine import _rowcore_py
from ml_metadata.proto import metadata_store_pb2 as pb

try:
    from fastmlmd.engine import _rowcore as compiled
except ImportError:  # pragma: no cover - pure-Python installs
    compiled = None

INT64 = st.integers(-(1 << 63), (1 << 63) - 1)


def _as_the_api_reads_it(event: pb.Event) -> Tuple[Optional[int], ...]:
    """What the bindings read through the protobuf API (the record decode_event stands for)."""
    return (event.artifact_id if event.HasField("artifact_id") else None,
            event.execution_id if event.HasField("execution_id") else None,
            (event.path.SerializeToString() or None) if event.HasField("path") else None,
            event.type if event.HasField("type") else None,
            event.milliseconds_since_epoch if event.HasField("milliseconds_since_epoch") else None)


@st.composite
def events(draw: st.DrawFn) -> pb.Event:
    event = pb.Event()
    for name, values in (("artifact_id", INT64), ("execution_id", INT64), ("milliseconds_since_epoch", INT64),
                         ("type", st.sampled_from(pb.Event.Type.values()))):
        if draw(st.booleans()):
            setattr(event, name, draw(values))
    if draw(st.booleans()):
        event.path.SetInParent()
        for step in draw(st.lists(st.one_of(st.integers(-5, 1 << 40), st.text(max_size=5)), max_size=4)):
            if isinstance(step, int):
                event.path.steps.add().index = step
            else:
                event.path.steps.add().key = step
    if draw(st.booleans()):
        event.system_metadata.type_url = draw(st.text(max_size=8))
    return event


def _twins() -> list:
    return [_rowcore_py, pytest.param(compiled, marks=pytest.mark.skipif(compiled is None, reason="not compiled"))]


@pytest.mark.parametrize("impl", _twins())
@settings(max_examples=300, deadline=None)
@given(event=events())
def test_event_decodes_as_the_api_reads_it(impl: ModuleType, event: pb.Event) -> None:
    assert impl.decode_event(event.SerializeToString()) == _as_the_api_reads_it(event)


@pytest.mark.parametrize("impl", _twins())
def test_unknown_event_type_is_unset(impl: ModuleType) -> None:
    # Type 99 is no Event.Type: protobuf parses it into the unknown fields, and HasField("type") is false.
    for data in (b"\x08\x05\x20\x63", b"\x20\x03\x20\x63", b"\x20\xff\xff\xff\xff\x0f"):
        event = pb.Event.FromString(data)
        assert impl.decode_event(event.SerializeToString()) == _as_the_api_reads_it(event)
        assert impl.decode_event(data) == _as_the_api_reads_it(event)


@pytest.mark.parametrize("impl", _twins())
def test_empty_path_is_none(impl: ModuleType) -> None:
    event = pb.Event(type=pb.Event.INPUT)
    event.path.SetInParent()
    assert impl.decode_event(event.SerializeToString()) == (None, None, None, pb.Event.INPUT, None)


@pytest.mark.parametrize("impl", _twins())
@pytest.mark.parametrize("data", [b"\x08", b"\x1a\x05ab", b"\x00\x01", b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"])
def test_malformed_event_raises(impl: ModuleType, data: bytes) -> None:
    with pytest.raises(ValueError):
        impl.decode_event(data)


@pytest.mark.skipif(compiled is None, reason="the Cython kernel is not compiled here")
@settings(max_examples=500, deadline=None)
@given(data=st.binary(max_size=40))
def test_twins_agree_on_any_bytes(data: bytes) -> None:
    outcomes = []
    for impl in (_rowcore_py, compiled):
        try:
            outcomes.append(impl.decode_event(data))
        except ValueError:
            outcomes.append("ValueError")
    assert outcomes[0] == outcomes[1]

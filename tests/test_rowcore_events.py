"""frame_events: stored event bodies joined back to back come out framed, split and in MLMD's orders."""
from __future__ import annotations

import random
from types import ModuleType
from typing import List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastmlmd.engine import _rowcore_py
from ml_metadata.proto import metadata_store_pb2 as pb
from ml_metadata.proto import metadata_store_service_pb2 as svc

try:
    from fastmlmd.engine import _rowcore as compiled
except ImportError:  # pragma: no cover - pure-Python installs
    compiled = None

# (id, artifact_id, execution_id, type, path keys, milliseconds)
Event = Tuple[int, int, int, int, Tuple[str, ...], Optional[int]]


def _body(impl: ModuleType, event: Event) -> bytes:
    _, artifact_id, execution_id, event_type, keys, milliseconds = event
    path = None
    if keys:
        message = pb.Event.Path()
        for key in keys:
            message.steps.add().key = key
        path = message.SerializeToString()
    return impl.encode_event(artifact_id, execution_id, path, event_type, milliseconds)


def _read(impl: ModuleType, events: List[Event], by_execution: bool) -> bytes:
    """What a read hands the kernel: the bodies joined in the rows' order, with the ids for the execution order."""
    ids = ",".join(str(event[0]) for event in events) if by_execution else None
    return impl.frame_events(b"".join(_body(impl, event) for event in events), len(events), ids)


def _expected(impl: ModuleType, events: List[Event], by_execution: bool) -> bytes:
    def key(event: Event) -> tuple:
        return (event[2], event[0]) if by_execution else (event[1], event[2], event[3])
    return impl.frame([_body(impl, event) for event in sorted(events, key=key)])


# Inserted as ids 1..6; execution 7's insertion order is not its artifact order.
EVENTS: List[Event] = [
    (1, 5, 7, 4, ("out",), 10),
    (2, 300, 7, 3, (), None),
    (3, 2, 7, 3, ("a" * 200,), 2**40),  # a path over 127 bytes: a two-byte length
    (4, 5, 1, 3, (), 0),
    (5, 2, 7, 2, ("x", "y"), 5),
    (6, 2**40, 2**33, 1, ("é\x00",), None),
]


@pytest.mark.parametrize(
    ("by_execution", "expected_ids"),
    [
        pytest.param(False, [5, 3, 4, 1, 2, 6], id="by-artifact-execution-type"),
        pytest.param(True, [4, 1, 2, 3, 5, 6], id="by-execution-then-id"),
    ],
)
def test_events_come_framed_in_mlmds_order(impl: ModuleType, by_execution: bool, expected_ids: List[int]) -> None:
    shuffled = EVENTS[:]
    random.Random(5).shuffle(shuffled)
    framed = _read(impl, shuffled, by_execution)
    id_of = {(e[1], e[2], e[3]): e[0] for e in EVENTS}
    got = svc.GetEventsByArtifactIDsResponse.FromString(framed).events
    assert [id_of[(e.artifact_id, e.execution_id, e.type)] for e in got] == expected_ids
    assert framed == _expected(impl, EVENTS, by_execution)


@pytest.mark.parametrize("by_execution", [False, True], ids=["by-artifact", "by-execution"])
def test_no_events(impl: ModuleType, by_execution: bool) -> None:
    assert impl.frame_events(b"", 0, "" if by_execution else None) == b""


@pytest.mark.parametrize("groups_in_order", [True, False], ids=["groups-in-order", "groups-out-of-order"])
def test_large_groups_sort_too(impl: ModuleType, groups_in_order: bool) -> None:
    # Over 64 events of one execution (sorted another way than the small groups), then groups out of order.
    events = [(1000 - i, i + 1, 1 if groups_in_order or i < 100 else 0, 3, (), i) for i in range(150)]
    random.Random(1).shuffle(events)
    if groups_in_order:
        events.sort(key=lambda event: event[2])
    for by_execution in (False, True):
        assert _read(impl, events, by_execution) == _expected(impl, events, by_execution)


@pytest.mark.parametrize(
    ("joined", "count", "ids"),
    [
        pytest.param(b"\x10\x01\x08\x01", 1, None, id="not-beginning-with-field-1"),
        pytest.param(b"\x08\x01\x10\x02", 2, None, id="fewer-events"),
        pytest.param(b"\x08\x01\x08\x02", 1, None, id="more-events"),
        pytest.param(b"\x08\x01\x10", 1, None, id="truncated-varint"),
        pytest.param(b"\x08\x01\x1a\x05ab", 1, None, id="truncated-length-delimited"),
        pytest.param(b"\x08" + b"\xff" * 10 + b"\x01" + b"\x00" * 10, 1, None, id="varint-over-10-bytes"),
        pytest.param(b"\x08\x01\x14", 1, None, id="end-group-at-top"),
        pytest.param(b"\x08\x01", 1, "", id="no-ids"),
        pytest.param(b"\x08\x01", 1, "1,2", id="more-ids"),
        pytest.param(b"\x08\x01", 1, "1,", id="trailing-comma"),
        pytest.param(b"\x08\x01\x08\x02", 2, "1,,2", id="empty-id"),
        pytest.param(b"\x08\x01", 1, "-1", id="negative-id"),
        pytest.param(b"\x08\x01", 1, "١", id="non-ascii-digit"),
        pytest.param(b"\x08\x01", 1, str(2**63), id="id-over-int64"),
        pytest.param(b"", -1, None, id="negative-count"),
    ],
)
def test_malformed_input_is_refused(impl: ModuleType, joined: bytes, count: int, ids: Optional[str]) -> None:
    with pytest.raises(ValueError):
        impl.frame_events(joined, count, ids)


def test_largest_id_is_read(impl: ModuleType) -> None:
    body = _body(impl, (0, 1, 2, 3, (), None))
    assert impl.frame_events(body * 2, 2, f"{2**63 - 1},0007") == impl.frame([body, body])


EVENT_ROWS = st.lists(
    st.tuples(st.integers(0, 2**63 - 1), st.integers(1, 2**63 - 1), st.integers(1, 2**63 - 1),
              st.integers(1, 7), st.lists(st.text(max_size=140), max_size=3).map(tuple),
              st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))),
    max_size=80,
    unique_by=(lambda e: e[0], lambda e: (e[1], e[2], e[3])),  # ids and identities are unique in a store
)


@pytest.mark.skipif(compiled is None, reason="the Cython kernel is not compiled here")
@settings(max_examples=300, deadline=None)
@given(events=EVENT_ROWS, by_execution=st.booleans())
def test_twins_agree(events: List[Event], by_execution: bool) -> None:
    expected = _expected(_rowcore_py, events, by_execution)
    assert _read(compiled, events, by_execution) == expected
    assert _read(_rowcore_py, events, by_execution) == expected


@pytest.mark.skipif(compiled is None, reason="the Cython kernel is not compiled here")
@settings(max_examples=300, deadline=None)
@given(joined=st.binary(max_size=40), count=st.integers(0, 4),
       ids=st.one_of(st.none(), st.text(alphabet="0123456789,-", max_size=12)))
def test_twins_agree_on_any_bytes(joined: bytes, count: int, ids: Optional[str]) -> None:
    outcomes = []
    for twin in (compiled, _rowcore_py):
        try:
            outcomes.append(twin.frame_events(joined, count, ids))
        except ValueError:
            outcomes.append(ValueError)
    assert outcomes[0] == outcomes[1]

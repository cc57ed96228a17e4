"""The row kernel: both twins encode exactly the bytes protobuf itself would parse back."""
from __future__ import annotations

from types import ModuleType

import os
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastmlmd.engine import _rowcore_py, rowcore
from fastmlmd.engine.backends.sqlite import SQLITE
from fastmlmd.engine.catalog import ARTIFACT, CONTEXT, EXECUTION
from fastmlmd.engine.nodes import wire_fields
from ml_metadata.proto import metadata_store_pb2 as pb

try:
    from fastmlmd.engine import _rowcore as compiled
except ImportError:  # pragma: no cover - pure-Python installs
    compiled = None

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
TEXT = st.text(max_size=20)
VALUES = st.one_of(
    st.tuples(st.just(1), INT64),
    st.tuples(st.just(2), st.floats(allow_nan=False)),
    st.tuples(st.just(3), TEXT),
    st.tuples(st.just(6), st.booleans()),
)
PROPS = st.dictionaries(TEXT, VALUES, max_size=4)


@pytest.mark.skipif(os.environ.get("FASTMLMD_REQUIRE_COMPILED") != "1" or os.environ.get("FASTMLMD_PURE_PYTHON") == "1",
                    reason="FASTMLMD_REQUIRE_COMPILED=1 is not set (CI sets it), or the pure-Python path was asked for")
def test_the_compiled_kernel_is_in_use_when_required() -> None:
    assert rowcore.IMPLEMENTATION == "cython"
    assert compiled is not None and rowcore.encode_node is compiled.encode_node


def _artifact_args(node_id, type_id, uri, state, name, ext, props, custom):
    return (wire_fields(ARTIFACT), node_id, type_id, uri, state, name, "Type", 5, 6, ext, props, custom)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        pytest.param(1, -1, pb.Value(int_value=-1), id="negative-int"),
        pytest.param(1, 2**63 - 1, pb.Value(int_value=2**63 - 1), id="max-int"),
        pytest.param(2, 0.1, pb.Value(double_value=0.1), id="double"),
        pytest.param(3, "a\x00'\"\\é", pb.Value(string_value="a\x00'\"\\é"), id="string-nul-quotes-unicode"),
        pytest.param(6, True, pb.Value(bool_value=True), id="bool"),
        pytest.param(6, False, pb.Value(bool_value=False), id="bool-false"),
    ],
)
def test_encode_value_parses_back(impl: ModuleType, kind: int, value: object, expected: pb.Value) -> None:
    assert pb.Value.FromString(impl.encode_value(kind, value)) == expected


def test_encode_node_is_the_artifact_message(impl: ModuleType) -> None:
    body = impl.encode_node(*_artifact_args(7, 10, "", 2, "n", "x", {"a": (1, 3)}, {"b": (3, "s")}))
    expected = pb.Artifact(id=7, type_id=10, uri="", state=pb.Artifact.LIVE, name="n", type="Type",
                           create_time_since_epoch=5, last_update_time_since_epoch=6, external_id="x")
    expected.properties["a"].int_value = 3
    expected.custom_properties["b"].string_value = "s"
    assert pb.Artifact.FromString(body) == expected
    # Fields come out in field-number order, as protobuf serialises them.
    assert body == expected.SerializeToString(deterministic=True)


@pytest.mark.parametrize(("layout", "message"), [(EXECUTION, pb.Execution), (CONTEXT, pb.Context)])
def test_encode_node_other_kinds(impl: ModuleType, layout, message) -> None:
    body = impl.encode_node(wire_fields(layout), 1, 2, None, None, "c", "T", 3, 4, None, {}, {})
    parsed = message.FromString(body)
    assert (parsed.id, parsed.type_id, parsed.name, parsed.type) == (1, 2, "c", "T")
    assert not parsed.HasField("external_id")


def test_encode_event_and_frame(impl: ModuleType) -> None:
    path = pb.Event.Path()
    path.steps.add().key = "k"
    body = impl.encode_event(1, 2, path.SerializeToString(), pb.Event.INPUT, 99)
    event = pb.Event.FromString(body)
    assert (event.artifact_id, event.execution_id, event.type, event.milliseconds_since_epoch) == (1, 2, 3, 99)
    assert event.path == path
    framed = impl.frame([body, body])
    from ml_metadata.proto import metadata_store_service_pb2 as svc

    assert len(svc.GetEventsByArtifactIDsResponse.FromString(framed).events) == 2


@pytest.mark.skipif(compiled is None, reason="the Cython kernel is not compiled here")
@settings(max_examples=300, deadline=None)
@given(node_id=st.integers(1, 2**62), type_id=st.integers(1, 2**31), uri=st.one_of(st.none(), TEXT),
       state=st.one_of(st.none(), st.integers(0, 6)), name=st.one_of(st.none(), TEXT),
       ext=st.one_of(st.none(), TEXT), props=PROPS, custom=PROPS)
def test_twins_agree(node_id, type_id, uri, state, name, ext, props, custom) -> None:
    args = _artifact_args(node_id, type_id, uri, state, name, ext, props, custom)
    assert compiled.encode_node(*args) == _rowcore_py.encode_node(*args)
    assert pb.Artifact.FromString(_rowcore_py.encode_node(*args)).id == node_id


ROW_VALUES = st.one_of(
    VALUES,
    st.tuples(st.just(2), st.sampled_from([float("nan"), -0.0, 0.0, float("-inf")])),
    st.tuples(st.sampled_from([4, 5]), st.binary(max_size=8)),
)


def _same_rows(left: list, right: list) -> bool:
    # repr: NaN != NaN, and -0.0 == 0.0, would hide a difference that the rows' bytes keep
    return repr(left) == repr(right) and [type(v) for r in left for v in r] == [type(v) for r in right for v in r]


@pytest.mark.skipif(compiled is None, reason="the Cython kernel is not compiled here")
@settings(max_examples=300, deadline=None)
@given(node_id=st.integers(1, 2**62), is_custom=st.sampled_from([0, 1]),
       props=st.dictionaries(TEXT, ROW_VALUES, max_size=6))
def test_property_row_twins_agree(node_id: int, is_custom: int, props: dict) -> None:
    assert _same_rows(compiled.property_rows(node_id, is_custom, props),
                      _rowcore_py.property_rows(node_id, is_custom, props))


@pytest.mark.parametrize("impl", [_rowcore_py] + ([compiled] if compiled else []), ids=lambda m: m.__name__)
def test_property_rows_carry_each_value_with_its_kind(impl: ModuleType) -> None:
    rows = impl.property_rows(9, 1, {"i": (1, 7), "d": (2, 0.5), "s": (3, "x"), "b": (6, True), "st": (4, b"\x01"),
                                     "p": (5, b"\x02"), "z": (2, -0.0)})
    assert rows == [
        (9, 1, "i", 1, 7),
        (9, 1, "d", 2, 0.5),
        (9, 1, "s", 3, "x"),
        (9, 1, "b", 6, 1),
        (9, 1, "st", 4, None),  # structs and protos are read from the body only
        (9, 1, "p", 5, None),
        (9, 1, "z", 2, -0.0),
    ]
    with pytest.raises(KeyError):
        impl.property_rows(9, 0, {"bad": (9, 1)})


@pytest.mark.parametrize("replace", [False, True])
def test_sqlite_puts_each_property_value_in_its_column(replace: bool) -> None:
    """Backend.insert_properties places the five-value rows' values by kind, as filters read them."""
    conn = sqlite3.connect(":memory:")
    cur = conn.cursor()
    cur.execute("CREATE TABLE p (node_id INTEGER, is_custom INTEGER, name TEXT, kind INTEGER, int_value INTEGER, "
                "double_value REAL, string_value TEXT, bool_value INTEGER, PRIMARY KEY (node_id, is_custom, name))")
    props = {"i": (1, 7), "d": (2, 0.5), "s": (3, "x"), "b": (6, False), "st": (4, b"\x01"), "z": (2, -0.0)}
    if replace:
        SQLITE.insert_properties(cur, "p", _rowcore_py.property_rows(9, 1, {"i": (3, "old")}), replace=False)
    SQLITE.insert_properties(cur, "p", _rowcore_py.property_rows(9, 1, props), replace=replace)
    assert cur.execute("SELECT name, kind, int_value, double_value, string_value, bool_value FROM p "
                       "ORDER BY rowid").fetchall()[-len(props):] == [
        ("i", 1, 7, None, None, None),
        ("d", 2, None, 0.5, None, None),
        ("s", 3, None, None, "x", None),
        ("b", 6, None, None, None, 0),
        ("st", 4, None, None, None, None),
        ("z", 2, None, -0.0, None, None),
    ]
    assert cur.execute("SELECT count(*) FROM p").fetchone()[0] == len(props)


def test_selector_honours_pure_python_switch() -> None:
    import os

    expected = "python" if os.environ.get("FASTMLMD_PURE_PYTHON") == "1" or compiled is None else "cython"
    assert rowcore.IMPLEMENTATION == expected

"""Plans shared by query shape (engine/plan_cache.py, grammar/shape.py) equal plans made from each text."""
from __future__ import annotations

import functools
from typing import Callable, List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastmlmd.engine import errors, planner
from fastmlmd.engine.backends import SQLITE
from fastmlmd.engine.catalog import TypeKind
from fastmlmd.engine.plan_cache import NOT_SHARED, PlanCache
from fastmlmd.grammar.shape import literal_shape

A, E, C = TypeKind.ARTIFACT, TypeKind.EXECUTION, TypeKind.CONTEXT
# The planner's compiler for SQLite (one plan cache per backend, whose scope is the node kind).
compile_for_sqlite = functools.partial(planner._compile_text, SQLITE)

# Templates: `{}` marks where a literal goes. Some shapes share, some cannot (negative numbers, values
# that change the plan), some fail for every value.
TEMPLATES: List[Tuple[TypeKind, str]] = [
    (E, "events_0.artifact_id = {} AND events_0.type = INPUT"),
    (A, "contexts_a.name = {} AND type = {}"),
    (A, "properties.span.int_value = {}"),
    (A, "custom_properties.`it's`.string_value = {} OR name = {}"),
    (A, "uri LIKE {}"),
    (A, "id IN ({}, {}, {})"),
    (A, "id IN({})"),
    (A, "id BETWEEN {} AND {}"),
    (A, "state = LIVE AND id > {}"),
    (A, "id = -{}"),
    (A, "id = - {}"),
    (A, "properties.x.double_value > {}"),
    (A, "{} = {}"),
    (A, "name = {} = {}"),
    (A, "state = {}"),
    (A, "name LIKE {} AND NOT (uri = {} OR id = {})"),
    (C, "parent_contexts_a.name = {} AND child_contexts_b.id != {}"),
    (C, "artifacts_a.uri = {} AND executions_b.last_known_state = RUNNING"),
    (E, "create_time_since_epoch >= {} AND last_update_time_since_epoch < {}"),
    (E, "properties.`1st`.int_value = {}\n AND name = {}"),
]

literals = st.one_of(
    st.integers(min_value=0, max_value=10**18 - 1).map(str),
    st.integers(min_value=10**18, max_value=2**64 + 5).map(str),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="'\\\r\n"),
            max_size=12).map(lambda s: f"'{s}'"),
    st.text(alphabet="ab%_\"1 ", max_size=6).map(lambda s: f"'{s}'"),
    st.sampled_from(["1.5", ".5", "1e3", "0x1F", "TRUE", "NULL", "r'raw'", "'''tri'''", "'a\\'b'", '"dq"',
                     "'-1'", "'41'", "''"]),
)


def _outcome(compile_: Callable[[TypeKind, str], Tuple[str, tuple]], kind: TypeKind, query: str) -> object:
    try:
        return compile_(kind, query)
    except errors.StatusError as exc:
        return type(exc).__name__, str(exc)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.sampled_from(TEMPLATES), st.lists(literals, min_size=3, max_size=3), st.randoms(use_true_random=False))
def test_shared_plans_equal_plans_of_each_text(template: Tuple[TypeKind, str], values: List[str], rnd) -> None:
    kind, text = template
    cache = PlanCache(compile_for_sqlite)  # type: ignore[arg-type]
    # Several texts of one template through one cache: the first teaches the shape, the rest reuse it.
    for _ in range(4):
        query = text.format(*values[:text.count("{}")])
        assert _outcome(cache.plan, kind, query) == _outcome(compile_for_sqlite, kind, query), query
        rnd.shuffle(values)


def _counting() -> Tuple[PlanCache, List[str]]:
    calls: List[str] = []

    def compile_text(kind: TypeKind, query: str) -> Tuple[planner.FilterSql, tuple]:
        calls.append(query)
        return compile_for_sqlite(kind, query)

    return PlanCache(compile_text), calls  # type: ignore[arg-type]


def test_a_shape_is_planned_once_then_bound() -> None:
    cache, calls = _counting()
    first = cache.plan(E, "events_0.artifact_id = 7 AND events_0.type = INPUT")
    assert len(calls) == 2  # the text, then the same query with other values to check the shape
    for artifact_id in (8, 9, 123456789012345678):
        sql, params = cache.plan(E, f"events_0.artifact_id = {artifact_id} AND events_0.type = INPUT")
        assert sql == first[0] and params == (artifact_id, 3) * 2  # the group's driver's, then its probe's
    assert len(calls) == 2


def test_strings_bind_as_written_and_quotes_keep_shapes_apart() -> None:
    cache, calls = _counting()
    cache.plan(A, "contexts_a.name = 'run-1' AND type = 'Trainer'")
    # The type test on the node's own row comes first, then the context group's driver and probe.
    assert cache.plan(A, "contexts_a.name = 'run 2 AND x' AND type = ''")[1] == ("", "run 2 AND x", "run 2 AND x")
    assert len(calls) == 2
    cache.plan(A, "contexts_a.name = \"run-1\" AND type = 'Trainer'")  # another shape: learned anew
    assert len(calls) == 4


def test_a_shape_whose_plan_depends_on_its_values_is_planned_per_text() -> None:
    cache, calls = _counting()
    assert cache.plan(A, "id = -5")[1] == (-5,)  # `-` and `5`: the literal's value is -5, not 5
    assert cache._by_shape[(A, literal_shape("id = -5").key)] is NOT_SHARED
    assert cache.plan(A, "id = -6")[1] == (-6,)
    assert calls[-1] == "id = -6"


def test_errors_are_not_cached() -> None:
    cache, calls = _counting()
    for _ in range(2):
        with pytest.raises(errors.InvalidArgumentError, match="Unrecognized name: nope"):
            cache.plan(A, "nope = 1")
    assert calls == ["nope = 1", "nope = 1"]


def test_the_caches_stay_bounded() -> None:
    cache = PlanCache(compile_for_sqlite, size=8)  # type: ignore[arg-type]
    for number in range(50):
        cache.plan(A, f"id = {number} AND name = 'n{number}'")
        cache.plan(A, f"{'(' * (number % 20)}id = 1{')' * (number % 20)}")
    assert len(cache._by_text) <= 8 and len(cache._by_shape) <= 8


@pytest.mark.parametrize("query", [
    "name = r'x'", "name = '''x'''", "name = 'a\\'b'", "id = 1e5", "id = 12345678901234567890", "name = 'x",
    "id = 1.5", "type = \"a\x00\"",
])
def test_literals_that_could_change_the_parse_are_not_generalised(query: str) -> None:
    shape = literal_shape(query)
    assert shape is None or shape.values == ()


def test_keys_keep_everything_but_plain_literals() -> None:
    first = literal_shape("properties.`a'1`.int_value IN (1, 22) AND name = 'x'")
    second = literal_shape("properties.`a'1`.int_value IN (3, 44) AND name = 'yy'")
    assert first is not None and second is not None
    assert first.key == second.key and first.values == (1, 22, "x") and second.values == (3, 44, "yy")
    assert literal_shape("events_0.id = 1").key != literal_shape("events_1.id = 1").key
    assert literal_shape("id IN (1)").key != literal_shape("id IN(1)").key

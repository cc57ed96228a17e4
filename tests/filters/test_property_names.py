"""Every property name a store can hold is reachable by a filter that back-quotes it (ours only).

The table (scenarios_filter_names.py) runs here on us and in the oracle run on ml-metadata 1.17.1. The
property tests draw names from all of Unicode, leaning towards the characters that break quoting (a
backquote, a backslash, quotes, line breaks, NUL, lone combining marks, spaces, non-BMP characters),
and check that both quoting functions read back through the parser and that a store holding the name,
as a declared and as a custom property, is found by a filter that quotes it.
"""
from __future__ import annotations

from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import filter_kit
from filter_kit import find
from scenario_kit import artifact, artifact_type, new_store
from scenarios_filter_names import CASES

from fastmlmd.grammar import parse, quote_name

# Both ways of writing a name must work: the product's (escapes every control character) and the
# tables' (escapes only what a back-quoted name cannot hold as it is).
QUOTERS = {"grammar": quote_name, "tables": filter_kit.quote_name}

_AWKWARD = ["`", "\\", "'", '"', "\n", "\r", "\r\n", "\x00", "\u0301", "\u20dd", " ", "\t", ".", "``",
            "\\`", "\U0001F600", "\U0010FFFF", "\u2028", "\ufeff", "A", "_"]
NAMES = st.lists(st.one_of(st.sampled_from(_AWKWARD), st.characters(blacklist_categories=("Cs",))),
                 max_size=12).map("".join)  # any code point but a lone surrogate, which no store can hold
_SETTINGS = settings(max_examples=200, deadline=None, derandomize=True,  # a fixed seed, as in STYLE 7
                     suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_name(case: Any) -> None:
    assert case.expected_for_us == case.scenario()


@pytest.mark.parametrize("quoter", list(QUOTERS.values()), ids=list(QUOTERS))
@_SETTINGS
@given(name=NAMES)
def test_quoted_name_reads_back(quoter: Callable[[str], str], name: str) -> None:
    path = parse(f"custom_properties.{quoter(name)}.string_value")
    assert path.parts == ("custom_properties", name, "string_value")  # type: ignore[union-attr]
    assert path.quoted == (False, True, False)  # type: ignore[union-attr]
    assert parse(path.text) == path  # the path as error messages show it reads back too


@_SETTINGS
@given(name=NAMES)
def test_store_finds_any_property_name(name: str) -> None:
    store = new_store()
    type_id = store.put_artifact_type(artifact_type("T", props={name: "INT"}))
    found, other = store.put_artifacts([
        artifact(type_id, properties={name: 1}, custom_properties={name: 2}),
        artifact(type_id, custom_properties={name + "~": 2}),  # a near miss must not match
    ])
    for quoter in QUOTERS.values():
        quoted = quoter(name)
        assert find(store, "artifact", f"properties.{quoted}.int_value = 1") == [found]
        assert find(store, "artifact", f"custom_properties.{quoted}.int_value = 2") == [found]
        assert find(store, "artifact", f"custom_properties.{quoted}.int_value IS NOT NULL") == [found]
    assert find(store, "artifact", f"custom_properties.{quote_name(name + '~')}.int_value = 2") == [other]


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        pytest.param("a`b", "`a\\`b`", id="backquote"),
        pytest.param("a\\b", "`a\\\\b`", id="backslash"),
        pytest.param("new\nline", "`new\\nline`", id="line-break"),
        pytest.param("\x00", "`\\x00`", id="nul"),
        pytest.param("", "``", id="empty"),
        pytest.param("my key", "`my key`", id="space-stays"),
        pytest.param("é\u0301", "`é\u0301`", id="non-ascii-stays"),
    ],
)
def test_quote_name_examples(name: str, quoted: str) -> None:
    assert quote_name(name) == quoted

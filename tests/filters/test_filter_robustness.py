"""Robustness (ours only): huge, deep or random queries end in a result or InvalidArgumentError.

Every query runs in a child interpreter under a generous timeout, so a hang, a stack overflow or
a crash of the process fails one test instead of stalling or killing the run. Each big query pins one
outcome: its answer, or INVALID (an InvalidArgumentError whose message starts with
"Invalid `filter_query`: ") where a limit is real and the query is refused on purpose. Random text may
end in either, but never in anything else.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from filter_kit import ALL_ARTIFACTS, INVALID

FILTERS = Path(__file__).resolve().parent
API = FILTERS.parent / "api"
TIMEOUT = 120  # seconds per child; a correct implementation needs well under one

# The child reads [[store, kind, query], ...] as JSON on stdin and prints one result per query.
_CHILD = r"""
import json, sys
import filter_store
from filter_kit import find

stores = {"shared": filter_store.shared, "props100": filter_store.props100}
built = {}
out = []
for store_name, kind, query in json.load(sys.stdin):
    if store_name not in built:
        built[store_name] = stores[store_name]()
    out.append(find(built[store_name], kind, query))
json.dump(out, sys.stdout)
"""


def run_queries(queries: list, store: str = "shared", kind: str = "artifact") -> list:
    """The result of each query, computed in a child interpreter that must finish in TIMEOUT s."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(FILTERS), str(API)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    payload = json.dumps([[store, kind, q] for q in queries])
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD], input=payload, capture_output=True,
                              text=True, timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"no answer within {TIMEOUT} s (first query: {queries[0][:200]!r}...)")
    assert proc.returncode == 0, (
        f"the child died (exit {proc.returncode}) after {time.monotonic() - started:.1f} s:\n"
        + proc.stderr[-3000:])
    return json.loads(proc.stdout)


NAMED_NOT_DS1 = [2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 15]


# One OR over 100 aliases or properties needs one SELECT joining over 100 tables: past SQLite's 64, a
# real limit, so it is refused (scenarios_filters.py, limit-* rows, compares these with MLMD).
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("NOT " * 5000 + "name = 'ds1'", [1], id="5000-nested-nots"),
        pytest.param("NOT " * 5001 + "name = 'ds1'", NAMED_NOT_DS1, id="5001-nested-nots"),
        pytest.param("NOT (" * 2000 + "name = 'ds1'" + ")" * 2000, [1], id="2000-not-parens"),
        pytest.param("(" * 5000 + "id = 1" + ")" * 5000, [1], id="5000-nested-parens"),
        pytest.param("(" * 5000 + "id" + ")" * 5000 + " = 1", [1], id="5000-parens-on-column"),
        pytest.param(" OR ".join(f"id = {i}" for i in range(1, 2001)), ALL_ARTIFACTS,
                     id="or-chain-2000"),
        pytest.param(" AND ".join(["id > 0"] * 2000), ALL_ARTIFACTS, id="and-chain-2000"),
        pytest.param("".join(f"(id = {i} OR " for i in range(3000)) + "FALSE" + ")" * 3000,
                     ALL_ARTIFACTS, id="right-nested-or-3000"),
        pytest.param("id = 1" + "".join(f" AND (id < {i} OR id = 1)" for i in range(2, 3002)),
                     [1], id="alternating-and-or-3000"),
        pytest.param("id IN (" + ", ".join(str(i) for i in range(1, 40001)) + ")", ALL_ARTIFACTS,
                     id="in-list-40000"),
        pytest.param("name = '" + "x" * 1_000_000 + "'", [], id="1mb-literal"),
        # SQLite refuses LIKE patterns over 50,000 bytes: refused, saying so.
        pytest.param("name LIKE '" + "%x" * 30_000 + "'", INVALID, id="60kb-like-pattern"),
        pytest.param(" AND ".join(f"contexts_c{i}.name = 'run1'" for i in range(100)), [1, 2, 7],
                     id="100-context-aliases"),
        pytest.param(" OR ".join(f"contexts_c{i}.name = 'run{i % 5}'" for i in range(100)), INVALID,
                     id="100-context-aliases-or"),
        pytest.param(" AND ".join(f"events_e{i}.type = INPUT" if i == 0 else
                                  f"events_e{i}.milliseconds_since_epoch > 0"
                                  for i in range(100)), [1, 2, 3, 4], id="100-event-aliases"),
        pytest.param(" AND ".join(f"properties.span.int_value > {-i}" for i in range(1, 101)),
                     [1, 2, 3, 4, 6, 14], id="100-references-one-property"),
    ],
)
def test_big_query_on_artifacts(query: str, expected: Any) -> None:
    [result] = run_queries([query])
    assert result == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(" AND ".join(f"custom_properties.p{i}.int_value = {i}" for i in range(100)),
                     [1], id="100-properties-and"),
        pytest.param(" OR ".join(f"custom_properties.p{i}.int_value = {i}" for i in range(100)),
                     INVALID, id="100-properties-or-all-joined"),
        pytest.param(" AND ".join(f"custom_properties.p{i}.int_value IS NOT NULL"
                                  for i in range(50)), [1, 2], id="50-properties-both"),
    ],
)
def test_many_property_references(query: str, expected: Any) -> None:
    [result] = run_queries([query], store="props100")
    assert result == expected


def test_100_aliases_on_contexts() -> None:
    query = " AND ".join(
        f"{prefix}_x{i}.name IS NOT NULL"
        for i, prefix in enumerate(["artifacts", "executions", "parent_contexts",
                                    "child_contexts"] * 25))
    [result] = run_queries([query], kind="context")
    assert result == [3]  # run1 alone has all four neighbourhoods


def test_empty_and_whitespace() -> None:
    blanks = [" ", "\t", "\n", "\r\n", " \t\n\x0b\x0c ", "\u3000", "\u00a0", "\u200b"]
    results = run_queries([""] + blanks)
    assert results[0] == ALL_ARTIFACTS
    for text, result in zip(blanks, results[1:]):
        assert result == INVALID, repr(text)


_VOCABULARY = [
    "name", "uri", "id", "state", "type", "external_id", "properties.span.int_value",
    "custom_properties.`my key`.string_value", "contexts_a.name", "events_b.type",
    "contexts_a", "properties", "`", "'", '"', "\\", "(", ")", ",", ".", "=", "!=", "<>", "<",
    ">=", "AND", "OR", "NOT", "LIKE", "IN", "BETWEEN", "IS", "NULL", "TRUE", "FALSE", "LIVE",
    "INPUT", "1", "-", "2.5", "1e3", "0x1f", "'ds1'", '"x"', "'%'", "--", "/*", "#", ";", "\x00",
    "é", "\U0001F642", " ", "\n",
]


def _random_texts(seed: int) -> list:
    rng = random.Random(seed)
    texts = []
    for _ in range(150):  # token soup: reaches the parser's and planner's deeper paths
        texts.append(" ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(1, 12))))
    for _ in range(150):  # the same soup without spaces
        texts.append("".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(1, 12))))
    for _ in range(100):  # random bytes, read as Latin-1 (every byte is a character)
        texts.append(bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))).decode("latin-1"))
    for _ in range(100):  # random code points, NUL included, surrogates excluded
        points = [rng.choice([0, rng.randrange(0x80), rng.randrange(0xD800),
                              rng.randrange(0xE000, 0x110000)]) for _ in range(rng.randint(1, 30))]
        texts.append("".join(chr(p) for p in points))
    return texts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_text_ends_in_result_or_invalid_argument(seed: int) -> None:
    texts = _random_texts(seed)
    for text, result in zip(texts, run_queries(texts)):
        if result and result[0] == "error":
            assert result == INVALID, repr(text)
        else:
            assert isinstance(result, list) and set(result) <= set(ALL_ARTIFACTS), repr(text)


def test_random_text_on_every_kind() -> None:
    texts = _random_texts(7)[:200]
    for kind in ("execution", "context"):
        for text, result in zip(texts, run_queries(texts, kind=kind)):
            if result and result[0] == "error":
                assert result == INVALID, (kind, repr(text))

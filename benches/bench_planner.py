"""The filter planner: AST to SQL cold (its cache cleared before each round) and cached.

`plan-cold` keeps the parse cache warm, so it times the planner alone; `plan-from-text` clears both caches,
the cost of a query text seen for the first time.
"""
from __future__ import annotations

import importlib

import pytest
from filter_queries import QUERIES

from fastmlmd.engine import planner
from fastmlmd.engine.backends.sqlite import SQLITE
from fastmlmd.engine.catalog import ARTIFACT, CONTEXT, EXECUTION
from fastmlmd.grammar import parse

# The module, not the function `fastmlmd.grammar.parse` that the package re-exports under the same name.
parse_module = importlib.import_module("fastmlmd.grammar.parse")

LAYOUTS = {"artifact": ARTIFACT, "execution": EXECUTION, "context": CONTEXT}
ROUNDS = 300


def _clear_all() -> None:
    planner.forget_plans()
    parse_module._parse_cached.cache_clear()


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_plan_cold(benchmark, name: str) -> None:
    benchmark.group = "plan-cold"
    kind, query = QUERIES[name]
    parse(query)
    benchmark.pedantic(planner.compile_filter, args=(LAYOUTS[kind], query, SQLITE),
                       setup=planner.forget_plans, rounds=ROUNDS, warmup_rounds=5)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_plan_from_text(benchmark, name: str) -> None:
    benchmark.group = "plan-from-text"
    kind, query = QUERIES[name]
    benchmark.pedantic(planner.compile_filter, args=(LAYOUTS[kind], query, SQLITE), setup=_clear_all,
                       rounds=ROUNDS, warmup_rounds=5)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_plan_cached(benchmark, name: str) -> None:
    benchmark.group = "plan-cached"
    kind, query = QUERIES[name]
    planner.compile_filter(LAYOUTS[kind], query, SQLITE)
    benchmark(planner.compile_filter, LAYOUTS[kind], query, SQLITE)

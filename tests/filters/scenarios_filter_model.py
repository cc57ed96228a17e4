"""The filter model (filter_model.py) against a real store: seeded random stores and queries.

Each row builds one random store and runs QUERIES random queries on it; it returns the queries
whose result differs from the model's, so the expected value is `[]`. Run by the oracle, the rows
check the *model* against ml-metadata 1.17.1 (which test_filter_hypothesis.py then trusts); run by
us, they are a fixed-seed companion of the hypothesis test.
"""
from __future__ import annotations

import random
from typing import Any

from filter_kit import find
from scenario_kit import Case

import filter_model

SEEDS = range(60)
QUERIES = 25


def disagreements(seed: int) -> Any:
    """`[[kind, scope, query, found, model], ...]` for the queries where the store and model differ."""
    draw = filter_model.RandomDraw(random.Random(seed))
    spec = filter_model.random_store(draw)
    store = filter_model.build(spec)
    out = []
    for _ in range(QUERIES):
        kind, scope, query, ast = filter_model.random_query(draw, spec)
        found = find(store, kind, query, scope)
        expected = filter_model.evaluate(spec, kind, ast, scope)
        if found != expected:
            out.append([kind, scope, query, found, expected])
    return out


CASES = [Case(f"model-seed-{seed}", lambda seed=seed: disagreements(seed), []) for seed in SEEDS]

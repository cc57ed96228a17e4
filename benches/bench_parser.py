"""The filter grammar: parsing representative queries cold (no cache) and through the cache."""
from __future__ import annotations

import pytest
from filter_queries import QUERIES

from fastmlmd.grammar import parse, parse_uncached


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_parse_cold(benchmark, name: str) -> None:
    benchmark.group = "parse-cold"
    benchmark(parse_uncached, QUERIES[name][1])


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_parse_cached(benchmark, name: str) -> None:
    benchmark.group = "parse-cached"
    query = QUERIES[name][1]
    parse(query)
    benchmark(parse, query)

"""Injection corpus (scenarios_filter_injection.py): hostile text finds exactly its node, changes nothing.

Every row compares a full dump of the store before and after its query; the last test also checks
that the whole corpus, run back to back, leaves the store as it was built.
"""
from __future__ import annotations

import pytest

import filter_store
from scenarios_filter_injection import CASES, injection_store


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_injection(case) -> None:
    assert case.expected_for_us == case.scenario()


def test_corpus_leaves_store_as_built() -> None:
    store = injection_store()
    for case in CASES:
        case.scenario()
    fresh = injection_store.__wrapped__()  # a second build of the same layout, never queried
    assert filter_store.dump(store, keep_times=False) == filter_store.dump(fresh, keep_times=False)

"""Our answers to every filter-query row of scenarios_filters.py (the table lives there).

Expected values are ml-metadata 1.17.1's, as confirmed by test_filters_against_oracle.py, except on
rows marked `oracle=False`, which expect what we answer on purpose (each says why), and rows with
`ours_why`, where MLMD's confirmed answer is `expected` and we answer `ours` on purpose.
"""
from __future__ import annotations

import pytest

from scenarios_filters import CASES


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_filter(case, each_backend: str) -> None:  # on SQLite, then on MySQL and PostgreSQL (tests/conftest.py)
    assert case.expected_for_us == case.scenario()


def test_table_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))

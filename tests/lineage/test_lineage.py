"""Runs the scenario table of scenarios_lineage.py on our implementation.

test_lineage_oracle.py checks the same table against ml-metadata 1.17.1.
"""
from __future__ import annotations

import pytest
import scenarios_lineage
from scenario_kit import Case

pytestmark = pytest.mark.usefixtures("each_backend")  # on SQLite, then on MySQL and PostgreSQL (tests/conftest.py)

@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in scenarios_lineage.CASES])
def test_lineage(case: Case) -> None:
    assert case.scenario() == case.expected

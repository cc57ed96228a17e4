"""Runs the scenario table of scenarios_call_order.py on our implementation.

Covers the elements of one call taking effect in list order: unique keys, a node given twice, and which
fault a call with several reports. test_against_oracle.py checks the same table against ml-metadata 1.17.1.
"""
from __future__ import annotations

import pytest
import scenarios_call_order
from scenario_kit import Case

pytestmark = pytest.mark.usefixtures("each_backend")  # on SQLite, then on MySQL and PostgreSQL (tests/conftest.py)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in scenarios_call_order.CASES])
def test_call_order(case: Case) -> None:
    assert case.scenario() == case.expected_for_us

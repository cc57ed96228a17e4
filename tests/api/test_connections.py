"""Runs the scenario table of scenarios_connections.py on our implementation.

Covers module surface, errors, store construction, SQLite files, downgrade_schema.
test_against_oracle.py checks the same table against ml-metadata 1.17.1.
"""
from __future__ import annotations

import pytest
import scenarios_connections
from scenario_kit import Case


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in scenarios_connections.CASES])
def test_connections(case: Case) -> None:
    assert case.scenario() == case.expected_for_us

"""Runs the scenario table of scenarios_events.py on our implementation.

Covers events: validation, uniqueness, paths, timestamps, getters.
test_against_oracle.py checks the same table against ml-metadata 1.17.1.
"""
from __future__ import annotations

import pytest
import scenarios_events
from scenario_kit import Case

pytestmark = pytest.mark.usefixtures("each_backend")  # on SQLite, then on MySQL and PostgreSQL (tests/conftest.py)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in scenarios_events.CASES])
def test_events(case: Case) -> None:
    assert case.scenario() == case.expected_for_us

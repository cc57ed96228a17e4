"""Runs the scenario table of scenarios_fidelity.py on our implementation.

Covers data fidelity: awkward strings, unicode, numbers, structs.
test_against_oracle.py checks the same table against ml-metadata 1.17.1.
"""
from __future__ import annotations

import pytest
import scenarios_fidelity
from scenario_kit import Case


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in scenarios_fidelity.CASES])
def test_fidelity(case: Case) -> None:
    assert case.scenario() == case.expected_for_us

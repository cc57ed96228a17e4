"""Runs the scenario table of scenarios_fidelity.py on our implementation.

Covers data fidelity: awkward strings, unicode, numbers, structs.
test_against_oracle.py checks the same table against ml-metadata 1.17.1.
"""
from __future__ import annotations

import pytest
import scenarios_fidelity
from scenario_kit import Case

# What the MySQL backend cannot hold yet (issue 12), by case: the tests expect them to fail there.
MYSQL_GAPS = {
    "long-strings": "a unique key holds names up to 700 characters (a key of their hash would lift it)",
    "infinity": "a DOUBLE column refuses infinities; the property row's value (for filters) would need another form",
}


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in scenarios_fidelity.CASES])
def test_fidelity(case: Case, each_backend: str, request: pytest.FixtureRequest) -> None:
    # on SQLite, then on MySQL (tests/conftest.py); a gap that closes fails here until it leaves MYSQL_GAPS
    if each_backend == "mysql" and case.id in MYSQL_GAPS:
        request.applymarker(pytest.mark.xfail(reason=MYSQL_GAPS[case.id], strict=True))
    assert case.scenario() == case.expected_for_us

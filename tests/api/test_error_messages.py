"""The message audit of the API scenario tables: every error starts the way MLMD's does.

For every row of tests/api/scenarios_*.py whose `expected` holds an error, the errors the row's `catch` /
`catch_msg` calls caught on ml-metadata 1.17.1 (recorded by oracle_runner.py) are compared, one by one,
with ours, by the rules of message_audit.py (shared with the filter, grammar and lineage tables).
`DELIBERATE` lists the rows where we knowingly do not start with MLMD's words, each with its reason; rows
with `ours_why` differ as that says.
"""
from __future__ import annotations

import importlib
from typing import Dict

import pytest
from message_audit import API_STABLE, check_row, has_error, unused_rules
from oracle_client import API_SCENARIOS, oracle_results
from scenario_kit import Case, run_recording

pytestmark = pytest.mark.oracle

# Rows (area/case id) whose messages do not start with MLMD's, on purpose.
DELIBERATE: Dict[str, str] = {
    "connections/mysql-unreachable-server":
        "MLMD's words, 'mysql_real_connect failed: errno: , error: ', leave the number and the error empty; ours "
        "fill them in",
    "connections/postgresql-unreachable-server":
        "MLMD's words, 'PostgreSQL metadata source error: connection pointer is NULL', say no more; ours start "
        "the same and give libpq's reason",
}


def _error_rows() -> list:
    rows = []
    for path in API_SCENARIOS:
        module = importlib.import_module(path.stem)
        area = path.stem[len("scenarios_"):]
        rows += [pytest.param(path.stem, case, id=f"{area}/{case.id}") for case in module.CASES
                 if case.oracle and has_error(case.expected)]
    return rows


@pytest.mark.parametrize(("module", "case"), _error_rows())
def test_message_starts_like_mlmds(module: str, case: Case) -> None:
    outcome = oracle_results(API_SCENARIOS)[module][case.id]
    assert outcome["status"] == "ok", outcome.get("error")
    _, ours = run_recording(case.scenario)
    check_row(f"{module[len('scenarios_'):]}/{case.id}", outcome["errors"], ours, DELIBERATE, why=case.ours_why)


def test_every_rule_is_used() -> None:
    """Each API rule matches some MLMD message of the tables, and each DELIBERATE row is an error row."""
    results = oracle_results(API_SCENARIOS)
    messages = [message for cases in results.values() for outcome in cases.values()
                for _, message in outcome.get("errors", ())]
    unused = unused_rules(API_STABLE, messages)
    assert not unused, f"STABLE rules that match no MLMD message of the tables: {unused}"
    rows = {param.id for param in _error_rows()}
    assert set(DELIBERATE) <= rows, f"DELIBERATE rows that are not error rows: {set(DELIBERATE) - rows}"

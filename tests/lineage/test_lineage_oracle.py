"""Differential check: the lineage scenario table must describe the real ml-metadata 1.17.1.

scenarios_lineage.py runs in one subprocess of the oracle interpreter (tests/api/oracle_client.py), with its
stores in memory, then on each loopback server;
each row then becomes one test comparing the real library's result with the row's `expected`, and each
error row one more comparing its messages with MLMD's (tests/api/message_audit.py).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import scenarios_lineage
from message_audit import check_row, has_error
from oracle_client import ORACLE_BACKENDS, check_case, oracle_results
from scenario_kit import Case, run_recording

pytestmark = pytest.mark.oracle

MODULE = Path(scenarios_lineage.__file__).resolve()


@pytest.mark.parametrize("backend", ORACLE_BACKENDS)
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in scenarios_lineage.CASES])
def test_lineage_matches_oracle(case: Case, backend: str) -> None:
    if not case.oracle:
        pytest.skip(f"intentional difference from ml-metadata 1.17.1: {case.why}")
    check_case(oracle_results([MODULE], backend)["scenarios_lineage"][case.id], case, backend,
               f"scenarios_lineage::{case.id}")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in scenarios_lineage.CASES
                                  if c.oracle and has_error(c.expected)])
def test_message_starts_like_mlmds(case: Case) -> None:
    """Each error starts (and points) like MLMD's, by the rules of tests/api/message_audit.py."""
    outcome = oracle_results([MODULE])["scenarios_lineage"][case.id]
    assert outcome["status"] == "ok", outcome.get("error")
    _, ours = run_recording(case.scenario)
    check_row(case.id, outcome["errors"], ours, {}, why=case.ours_why)

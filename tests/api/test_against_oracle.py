"""Differential check: every scenario table must describe the real ml-metadata 1.17.1.

All scenarios_*.py modules run in ONE subprocess of the oracle interpreter (oracle_client.py); each
table row then becomes one test that compares the real library's result with the row's `expected`. It runs with
the oracle's stores in memory, then on each loopback server (oracle_client.ORACLE_BACKENDS).
Rows marked `oracle=False` (intentional differences) are skipped with their reason.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from oracle_client import API_SCENARIOS, ORACLE_BACKENDS, check_case, oracle_results
from scenario_kit import Case

pytestmark = pytest.mark.oracle

HERE = Path(__file__).resolve().parent


def _rows() -> list:
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    rows = []
    for path in API_SCENARIOS:
        module = importlib.import_module(path.stem)
        area = path.stem[len("scenarios_"):]
        rows += [pytest.param(path.stem, case, id=f"{area}/{case.id}") for case in module.CASES]
    return rows


@pytest.mark.parametrize("backend", ORACLE_BACKENDS)
@pytest.mark.parametrize(("module", "case"), _rows())
def test_table_matches_oracle(module: str, case: Case, backend: str) -> None:
    if not case.oracle:
        pytest.skip(f"intentional difference from ml-metadata 1.17.1: {case.why}")
    check_case(oracle_results(API_SCENARIOS, backend)[module][case.id], case, backend, f"{module}::{case.id}")

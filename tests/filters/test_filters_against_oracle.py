"""The filter tables against the real ml-metadata 1.17.1: every expected value is the oracle's.

All scenario modules of this folder run in one subprocess of the oracle interpreter
(tests/api/oracle_client.py); each row then passes or fails on its own here. Rows marked
`oracle=False` are not compared; scenarios_filter_quirks.py instead checks that MLMD answers what
those rows say it does. scenarios_filter_model.py checks the in-Python model that the hypothesis
test relies on.

Run: FASTMLMD_ORACLE_PYTHON=/path/to/python3.11-with-ml-metadata \\
     .venv/bin/python -m pytest tests/filters -q -k oracle
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from oracle_client import check_case, oracle_results

FILTERS = Path(__file__).resolve().parent
# Order matters: the quirk rows import the first three modules, which the runner has loaded by then.
MODULES = ["scenarios_filters", "scenarios_filter_injection", "scenarios_filter_names",
           "scenarios_filter_quirks", "scenarios_filter_model"]


def _compared_rows() -> list:
    params = []
    for module in MODULES:
        for case in importlib.import_module(module).CASES:
            if case.oracle:
                params.append(pytest.param(module, case, id=f"{module}::{case.id}"))
    return params


@pytest.mark.oracle
@pytest.mark.parametrize(("module", "case"), _compared_rows())
def test_oracle_agrees(module: str, case: Any) -> None:
    check_case(oracle_results([FILTERS / f"{m}.py" for m in MODULES])[module][case.id], case)

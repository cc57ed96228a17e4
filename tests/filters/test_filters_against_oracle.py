"""The filter tables against the real ml-metadata 1.17.1: every expected value is the oracle's.

All scenario modules of this folder run in one subprocess of the oracle interpreter
(tests/api/oracle_runner.py); each row then passes or fails on its own here. Rows marked
`oracle=False` are not compared; scenarios_filter_quirks.py instead checks that MLMD answers what
those rows say it does. scenarios_filter_model.py checks the in-Python model that the hypothesis
test relies on.

Run: FASTMLMD_ORACLE_PYTHON=/path/to/python3.11-with-ml-metadata \\
     .venv/bin/python -m pytest tests/filters -q -k oracle
"""
from __future__ import annotations

import importlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

FILTERS = Path(__file__).resolve().parent
API = FILTERS.parent / "api"
REPO = FILTERS.parent.parent
ORACLE_PYTHON = os.environ.get("FASTMLMD_ORACLE_PYTHON", str(REPO / ".venv-oracle" / "bin" / "python"))
# Order matters: the quirk rows import the first two modules, which the runner has loaded by then.
MODULES = ["scenarios_filters", "scenarios_filter_injection", "scenarios_filter_quirks",
           "scenarios_filter_model"]


def _compared_rows() -> list:
    params = []
    for module in MODULES:
        for case in importlib.import_module(module).CASES:
            if case.oracle:
                params.append(pytest.param(module, case, id=f"{module}::{case.id}"))
    return params


@pytest.fixture(scope="module")
def oracle_results(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`{module: {case id: outcome}}` from one run of every module in the oracle interpreter."""
    if not Path(ORACLE_PYTHON).exists():
        pytest.skip(f"oracle interpreter {ORACLE_PYTHON} not found; run `make oracle` or set "
                    "FASTMLMD_ORACLE_PYTHON to a Python that has ml-metadata==1.17.1")
    workdir = tmp_path_factory.mktemp("oracle_filters")
    out = workdir / "results.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(FILTERS), str(API)]))
    proc = subprocess.run(
        [ORACLE_PYTHON, str(API / "oracle_runner.py"), str(out)]
        + [str(FILTERS / f"{module}.py") for module in MODULES],
        capture_output=True, text=True, timeout=900, env=env, cwd=workdir)
    if proc.returncode != 0 and "No module named 'ml_metadata'" in proc.stderr:
        pytest.skip(f"{ORACLE_PYTHON} has no ml-metadata 1.17.1")
    assert proc.returncode == 0, proc.stderr[-5000:]
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.oracle
@pytest.mark.parametrize(("module", "case"), _compared_rows())
def test_oracle_agrees(oracle_results: Any, module: str, case: Any) -> None:
    outcome = oracle_results[module][case.id]
    assert outcome["status"] == "ok", outcome.get("error")
    assert case.expected == outcome["value"]

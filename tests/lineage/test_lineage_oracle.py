"""Differential check: the lineage scenario table must describe the real ml-metadata 1.17.1.

scenarios_lineage.py runs in one subprocess of the oracle interpreter (tests/api/oracle_runner.py); each row
then becomes one test comparing the real library's result with the row's `expected`.

The interpreter comes from $FASTMLMD_ORACLE_PYTHON, by default <repo>/.venv-oracle/bin/python (`make
oracle` creates it). Without a usable interpreter every row is skipped and says why.
"""
from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
import scenarios_lineage
from scenario_kit import Case

pytestmark = pytest.mark.oracle

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RUNNER = REPO / "tests" / "api" / "oracle_runner.py"
RUN_TIMEOUT_SEC = 600

_PROBE = """
import importlib.util, json, ml_metadata
print(json.dumps([getattr(ml_metadata, "__version__", None),
                  importlib.util.find_spec("ml_metadata.metadata_store.pywrap") is not None]))
"""


def oracle_python() -> str:
    """The interpreter that has the real ml-metadata 1.17.1 installed."""
    return os.environ.get("FASTMLMD_ORACLE_PYTHON") or str(REPO / ".venv-oracle" / "bin" / "python")


def _clean_env() -> dict:
    # Keep our checkout's ml_metadata out of the oracle's import path.
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


@functools.lru_cache(maxsize=None)
def _oracle_run() -> tuple:
    """("ok", results) | ("skip", reason) | ("fail", reason); the subprocess runs once."""
    python = oracle_python()
    if not os.access(python, os.X_OK):
        return ("skip", f"oracle interpreter {python} not found; set FASTMLMD_ORACLE_PYTHON or run `make oracle`")
    probe = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, env=_clean_env(), timeout=120)
    if probe.returncode != 0:
        tail = probe.stderr.strip().splitlines()[-1:] or ["(no output)"]
        return ("skip", f"{python} cannot import ml_metadata: {tail[0]}")
    version, compiled = json.loads(probe.stdout.strip().splitlines()[-1])
    if version != "1.17.1" or not compiled:
        return ("skip", f"{python} has ml_metadata {version!r} (compiled={compiled}), not the real ml-metadata 1.17.1")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "results.json")
        run = subprocess.run([python, str(RUNNER), out, str(HERE / "scenarios_lineage.py")],
                             capture_output=True, text=True, env=_clean_env(), timeout=RUN_TIMEOUT_SEC)
        if run.returncode != 0 or not os.path.exists(out):
            tail = "\n".join(run.stderr.strip().splitlines()[-20:])
            return ("fail", f"oracle run exited with {run.returncode}:\n{tail}")
        with open(out, encoding="utf-8") as fh:
            return ("ok", json.load(fh)["scenarios_lineage"])


@pytest.fixture(scope="module")
def oracle_results() -> dict:
    status, payload = _oracle_run()
    if status == "skip":
        pytest.skip(payload)
    if status == "fail":
        pytest.fail(payload)
    return payload


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in scenarios_lineage.CASES])
def test_lineage_matches_oracle(oracle_results: dict, case: Case) -> None:
    if not case.oracle:
        pytest.skip(f"intentional difference from ml-metadata 1.17.1: {case.why}")
    got = oracle_results[case.id]
    if got["status"] == "crash":
        pytest.fail(f"scenario raised on ml-metadata 1.17.1:\n{got['error']}")
    assert got["value"] == json.loads(json.dumps(case.expected))

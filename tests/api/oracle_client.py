"""The pytest side of the differential runs: runs scenario modules in the oracle interpreter, once.

Every differential test (tests/api, tests/filters, tests/lineage) goes through `oracle_results`: it
finds the interpreter that has the real ml-metadata 1.17.1 ($FASTMLMD_ORACLE_PYTHON, by default
<repo>/.venv-oracle/bin/python, which `make oracle` creates), checks that it really is the compiled
1.17.1, runs the given scenario modules in one subprocess with oracle_runner.py, and returns
`{module: {case id: {"status", "value" | "error"}}}` — or skips, saying why, when there is no oracle.
"""
from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, Sequence, Tuple

import pytest

API = Path(__file__).resolve().parent
REPO = API.parents[1]
RUNNER = API / "oracle_runner.py"
# The API scenario tables; test_against_oracle.py and test_error_messages.py share their one oracle run.
API_SCENARIOS = sorted(API.glob("scenarios_*.py"))
RUN_TIMEOUT_SEC = 900

# Upstream ships a compiled pybind11 extension; our drop-in package does not.
_PROBE = """
import importlib.util, json, ml_metadata
from ml_metadata.proto import metadata_store_pb2
print(json.dumps([getattr(ml_metadata, "__version__", None),
                  importlib.util.find_spec("ml_metadata.metadata_store.pywrap") is not None]))
"""


def oracle_python() -> str:
    """The interpreter that has the real ml-metadata 1.17.1 installed."""
    return os.environ.get("FASTMLMD_ORACLE_PYTHON") or str(REPO / ".venv-oracle" / "bin" / "python")


def oracle_env(import_dirs: Sequence[str] = ()) -> Dict[str, str]:
    """The environment for the oracle interpreter: only `import_dirs` on its import path.

    Our checkout's ml_metadata must stay out of the oracle's import path.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    if import_dirs:
        env["PYTHONPATH"] = os.pathsep.join(import_dirs)
    return env


@functools.lru_cache(maxsize=None)
def probe() -> Tuple[str, str]:
    """("ok", interpreter) | ("skip", reason): is there an interpreter with the real ml-metadata 1.17.1?"""
    python = oracle_python()
    if not os.access(python, os.X_OK):
        return ("skip", f"oracle interpreter {python} not found; set FASTMLMD_ORACLE_PYTHON or run `make oracle`")
    found = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, env=oracle_env(()), timeout=120)
    if found.returncode != 0:
        tail = found.stderr.strip().splitlines()[-1:] or ["(no output)"]
        return ("skip", f"{python} cannot import ml_metadata: {tail[0]}")
    version, compiled = json.loads(found.stdout.strip().splitlines()[-1])
    if version != "1.17.1" or not compiled:
        return ("skip", f"{python} has ml_metadata {version!r} (compiled={compiled}), not the real ml-metadata 1.17.1")
    return ("ok", python)


def real_oracle_python() -> str:
    """The interpreter with the real, compiled ml-metadata 1.17.1; skips the calling test when there is none."""
    status, payload = probe()
    if status == "skip":
        pytest.skip(payload)
    return payload


@functools.lru_cache(maxsize=None)
def _run(module_paths: Tuple[str, ...]) -> Tuple[str, object]:
    """("ok", results) | ("skip", reason) | ("fail", reason); each set of modules runs once per session."""
    status, python = probe()
    if status == "skip":
        return (status, python)
    import_dirs = sorted({str(API)} | {str(Path(p).parent) for p in module_paths})
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "results.json")
        run = subprocess.run([python, str(RUNNER), out, *module_paths], capture_output=True, text=True,
                             env=oracle_env(import_dirs), timeout=RUN_TIMEOUT_SEC, cwd=tmp)
        if run.returncode != 0 or not os.path.exists(out):
            tail = "\n".join(run.stderr.strip().splitlines()[-20:])
            return ("fail", f"oracle run exited with {run.returncode}:\n{tail}")
        with open(out, encoding="utf-8") as fh:
            return ("ok", json.load(fh))


def oracle_results(module_paths: Sequence[Path]) -> dict:
    """The oracle's outcome for every case of these scenario modules; skips or fails the test as needed."""
    status, payload = _run(tuple(str(p) for p in module_paths))
    if status == "skip":
        pytest.skip(str(payload))
    if status == "fail":
        pytest.fail(str(payload))
    return payload  # type: ignore[return-value]


def check_case(outcome: dict, case: object) -> None:
    """Asserts that the oracle's outcome for one table row is the row's `expected`."""
    if outcome["status"] == "crash":
        pytest.fail(f"scenario raised on ml-metadata 1.17.1:\n{outcome['error']}")
    assert outcome["status"] == "ok", outcome.get("error")
    expected = case.expected  # type: ignore[attr-defined]
    try:
        expected = json.loads(json.dumps(expected))  # tuples become lists, as in the oracle's JSON
    except TypeError:
        pass  # a matcher such as AnyOf compares itself
    assert expected == outcome["value"]

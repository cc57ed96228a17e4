"""The pytest side of the differential runs: runs scenario modules in the oracle interpreter, once.

Every differential test (tests/api, tests/filters, tests/lineage) goes through `oracle_results`: it
finds the interpreter that has the real ml-metadata 1.17.1 ($FASTMLMD_ORACLE_PYTHON, by default
<repo>/.venv-oracle/bin/python, which `make oracle` creates), checks that it really is the compiled
1.17.1, runs the given scenario modules in one subprocess with oracle_runner.py, and returns
`{module: {case id: {"status", "value" | "error"}}}` — or skips, saying why, when there is no oracle.
Its stores are in memory, or on the MariaDB / PostgreSQL server (`backend`), each in a database of its own.
"""
from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import pytest
import server_differences
from google.protobuf import json_format

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


SERVERS = ("mysql", "postgresql")


def _run(module_paths: Tuple[str, ...], backend: str) -> Tuple[str, object]:
    """("ok", results) | ("skip", reason) | ("fail", reason); each set of modules runs once per session and backend."""
    return _run_in_memory(module_paths) if backend == "sqlite" else _run_on_servers(module_paths)[backend]


@functools.lru_cache(maxsize=None)
def _run_in_memory(module_paths: Tuple[str, ...]) -> Tuple[str, object]:
    return _run_once(module_paths, "sqlite")


@functools.lru_cache(maxsize=None)
def _run_on_servers(module_paths: Tuple[str, ...]) -> Dict[str, Tuple[str, object]]:
    """`_run_once` on every server at the same time: MLMD's calls there wait mostly on the servers' disks."""
    results: Dict[str, Tuple[str, object]] = {}

    def run(backend: str) -> None:
        try:
            results[backend] = _run_once(module_paths, backend)
        except pytest.skip.Exception as exc:  # server_stores.unavailable: no server, or no driver
            results[backend] = ("skip", str(exc))
        except BaseException as exc:  # noqa: BLE001 - reported by each test of that server
            results[backend] = ("fail", f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run, args=(backend,)) for backend in SERVERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _run_once(module_paths: Tuple[str, ...], backend: str) -> Tuple[str, object]:
    status, python = probe()
    if status == "skip":
        return (status, python)
    import_dirs = sorted({str(API)} | {str(Path(p).parent) for p in module_paths})
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "results.json")
        command = [python, str(RUNNER), out, *module_paths]
        if backend == "sqlite":
            run = subprocess.run(command, capture_output=True, text=True, env=oracle_env(import_dirs),
                                 timeout=RUN_TIMEOUT_SEC, cwd=tmp)
            returncode, stderr = run.returncode, run.stderr
        else:
            returncode, stderr = _run_on_server(command, oracle_env(import_dirs), tmp, backend)
        if returncode != 0 or not os.path.exists(out):
            tail = "\n".join(stderr.strip().splitlines()[-20:])
            return ("fail", f"oracle run exited with {returncode}:\n{tail}")
        with open(out, encoding="utf-8") as fh:
            return ("ok", json.load(fh))


def _run_on_server(command: List[str], env: Dict[str, str], tmp: str, backend: str) -> Tuple[int, str]:
    """Runs the oracle with its stores on `backend`'s server: each store it opens asks, through a pipe, for an
    empty database of its own there (server_stores.oracle_stores, dropped after the run)."""
    import server_stores  # only here: it needs our package and the server's driver

    stores = server_stores.oracle_stores(backend)
    requests_read, requests_write = os.pipe()
    replies_read, replies_write = os.pipe()
    env = {**env, "FASTMLMD_ORACLE_STORES": f"{requests_write},{replies_read}"}
    try:
        with open(os.path.join(tmp, "stderr"), "w+", encoding="utf-8") as stderr:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                    env=env, cwd=tmp, pass_fds=(requests_write, replies_read))
            os.close(requests_write)
            os.close(replies_read)
            watchdog = threading.Timer(RUN_TIMEOUT_SEC, proc.kill)
            watchdog.start()
            try:
                with os.fdopen(requests_read) as requests, os.fdopen(replies_write, "w") as replies:
                    for request in requests:  # ends when the oracle exits
                        config = stores.kept_config() if request.strip() == "kept" else stores.config()
                        replies.write(json.dumps(json_format.MessageToDict(config)) + "\n")
                        replies.flush()
                returncode = proc.wait()
            finally:
                watchdog.cancel()
            stderr.seek(0)
            return returncode, stderr.read()
    finally:
        stores.close()


def oracle_results(module_paths: Sequence[Path], backend: str = "sqlite") -> dict:
    """The oracle's outcome for every case of these scenario modules, with its stores on `backend` ("sqlite": in
    memory, or "mysql" / "postgresql": on the loopback server); skips or fails the test as needed."""
    status, payload = _run(tuple(str(p) for p in module_paths), backend)
    if status == "skip":
        pytest.skip(str(payload))
    if status == "fail":
        pytest.fail(str(payload))
    return payload  # type: ignore[return-value]


# The oracle's stores: in memory, then on each loopback server (tests marked `server`, as our own runs there are).
ORACLE_BACKENDS = ["sqlite", pytest.param("mysql", marks=pytest.mark.server),
                   pytest.param("postgresql", marks=pytest.mark.server)]


def check_case(outcome: dict, case: object, backend: str = "sqlite", row: str = "") -> None:
    """Asserts that the oracle's outcome for one table row (`row`: "module::case id") is the row's `expected`, or,
    on a server where MLMD is known to answer otherwise (server_differences.py), that it still does."""
    difference = server_differences.known().get((backend, row)) if backend != "sqlite" else None
    if outcome["status"] == "crash" and difference is None:
        pytest.fail(f"scenario raised on ml-metadata 1.17.1:\n{outcome['error']}")
    assert outcome["status"] in ("ok", "crash"), outcome.get("error")
    expected = case.expected  # type: ignore[attr-defined]
    try:
        expected = json.loads(json.dumps(expected))  # tuples become lists, as in the oracle's JSON
    except TypeError:
        pass  # a matcher such as AnyOf compares itself
    if difference is None:
        assert expected == outcome["value"]
        return
    if difference.may_be_stopped:
        assert outcome["status"] == "ok" and (outcome["value"] == expected
                                              or outcome["value"][:2] == ["error", "InternalError"]), difference.why
        return
    if difference.same_items:  # the server's order, which may happen to be SQLite's
        assert outcome["status"] == "ok" and _in_order(outcome["value"]) == _in_order(expected), (
            f"{difference.why}: not merely another order")
        return
    # A known difference, which may be an error the scenario does not catch ("crash"): it must still be there.
    assert outcome["status"] == "crash" or expected != outcome["value"], (
        f"ml-metadata 1.17.1 on {backend} now answers {row} as on SQLite: take it out of "
        "tests/api/server_differences.py")


def _in_order(value: object) -> object:
    """`value` with every list sorted (by its items' JSON), to compare answers whose orders differ."""
    if isinstance(value, list):
        return sorted((_in_order(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, dict):
        return {key: _in_order(item) for key, item in value.items()}
    return value

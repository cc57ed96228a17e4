"""Runs scenario tables in whatever interpreter executes this file and writes the results as JSON.

Usage: python oracle_runner.py OUT.json scenarios_a.py [scenarios_b.py ...]

With FASTMLMD_ORACLE_STORES set (by oracle_client.py), the stores are on a MySQL or PostgreSQL server.

test_against_oracle.py starts it with the real ml-metadata 1.17.1. Output:
`{"<module stem>": {"<case id>": {"status": "ok", "value": ..., "errors": [[class, message], ...]}
                                | {"status": "crash", "error": "<traceback>"}
                                | {"status": "skipped", "why": "..."}}}`.
Only the standard library and the scenario modules (which import only `ml_metadata`) are used.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import traceback
from typing import Any


def _load(path: str) -> tuple:
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return name, module


def _run_case(kit: Any, case: Any) -> dict:
    if not case.oracle:
        return {"status": "skipped", "why": case.why}
    try:
        result, caught = kit.run_recording(case.scenario)
    except BaseException:  # a crash of one case must not hide the others
        return {"status": "crash", "error": traceback.format_exc()}
    try:
        stable = json.loads(json.dumps(result)) == result
    except (TypeError, ValueError) as exc:
        return {"status": "crash", "error": f"result is not JSON-able: {exc}: {result!r}"}
    if not stable:
        return {"status": "crash", "error": f"result changes in a JSON round trip: {result!r}"}
    return {"status": "ok", "value": result, "errors": caught}


def _use_server_stores(kit: Any, channel: str) -> None:
    """Opens every store the scenarios make on a database server: each `new_store` asks the parent process
    (oracle_client.py) for the config of an empty database on it, through the pipes named by `channel`
    ("<requests fd>,<replies fd>"), as tests/conftest.py's `each_backend` does for our package."""
    from google.protobuf import json_format
    from ml_metadata.proto import metadata_store_pb2

    write_fd, read_fd = (int(fd) for fd in channel.split(","))
    requests, replies = os.fdopen(write_fd, "w"), os.fdopen(read_fd)

    def ask(kind: str) -> Any:
        requests.write(kind + "\n")
        requests.flush()
        return json_format.ParseDict(json.loads(replies.readline()), metadata_store_pb2.ConnectionConfig())

    kit.fake_config = lambda: ask("empty")
    kit.kept_config = lambda: ask("kept")


def main(argv: list) -> int:
    out_path, module_paths = argv[0], argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    kit = importlib.import_module("scenario_kit")  # the copy the scenario modules import, from that path
    modules = [_load(path) for path in module_paths]
    channel = os.environ.get("FASTMLMD_ORACLE_STORES")
    if channel:  # after the imports: a module that imported fake_config itself keeps the in-memory store, as ours does
        _use_server_stores(kit, channel)
    results = {}
    for name, module in modules:
        results[name] = {case.id: _run_case(kit, case) for case in module.CASES}
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(results, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

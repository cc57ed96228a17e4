"""Runs the hostile-argument sweep (hostile_kit.py) in whatever interpreter executes this file.

Usage: python hostile_runner.py OUT.jsonl memory|file [START]

Seeds a fresh store (in memory, or a file in a temporary folder), then makes every call of
`hostile_kit.plan()` from index START on, appending one JSON line per call as soon as it returns:
`{"index": i, "id": "<method>:<param>=<value>", "starting": true}` before the call and
`{"index": i, "id": ..., "outcome": "ok" | "<module>.<Class>", "message": "..."}` after it, and
`{"done": <number of calls>}` at the end. A call that kills the process leaves its "starting" line last;
the caller (test_hostile_sweep.py) records that call as a crash and starts again after it. Only the standard library and `ml_metadata`
are used, so the real ml-metadata 1.17.1 can run it.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile


def main(argv: list) -> int:
    out_path, where = argv[0], argv[1]
    start = int(argv[2]) if len(argv) > 2 else 0
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import hostile_kit
    from scenario_kit import mlmd, pb

    with tempfile.TemporaryDirectory() as tmp:
        config = pb.ConnectionConfig()
        if where == "file":
            config.sqlite.filename_uri = os.path.join(tmp, "hostile.db")
        else:
            config.fake_database.SetInParent()
        store = mlmd.metadata_store.MetadataStore(config)
        seed = hostile_kit.seed(store)
        calls = hostile_kit.plan(type(store))
        params = dict(hostile_kit.public_methods(type(store)))
        with open(out_path, "a", encoding="utf-8") as out:
            for index in range(start, len(calls)):
                call = calls[index]
                out.write(json.dumps({"index": index, "id": call.id, "starting": True}) + "\n")
                out.flush()  # on disk before the call, which may kill the process
                result, message = hostile_kit.run_call(store, call, seed, params[call.method])
                out.write(json.dumps({"index": index, "id": call.id, "outcome": result, "message": message}) + "\n")
                out.flush()
            out.write(json.dumps({"done": len(calls)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`python -m fastmlmd.bench.convert_bench`: converts a large store in MLMD's SQLite schema and reports the speed.

    python -m fastmlmd.bench.convert_bench --against .venv-oracle/bin/python --nodes 1000000

The source store is a TFX-like history (per pipeline run: one context, four executions, four artifacts with
properties, about seven events with two-step paths, their attributions and associations). The real
ml-metadata (`--against`) creates the empty store, so the schema is exactly its own; the rows are then written
by SQL in MLMD's layout (one executemany per table: the API would take an hour at this size), and MLMD reads a
sample of them back (nodes by id, events, a context's nodes), which ours must answer alike after the conversion.
Each conversion (by copy, then in place on a copy of the source) runs in a child process, which reports its time
and its own peak RSS (VmHWM). On a shared machine the CPU time (start-up included) is the steadier figure.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, Iterator, List, Tuple

NODES_PER_RUN = 9  # 1 context, 4 executions, 4 artifacts
_T0 = 1_700_000_000_000

_CREATE = """
import sys
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
config = pb.ConnectionConfig()
config.sqlite.filename_uri = sys.argv[1]
store = metadata_store.MetadataStore(config)
types = [store.put_artifact_type(pb.ArtifactType(name=n, properties={"span": pb.INT, "split_names": pb.STRING}))
         for n in ("Examples", "Schema", "Model", "ModelBlessing")]
types += [store.put_execution_type(pb.ExecutionType(name=n, properties={"component_id": pb.STRING}))
          for n in ("CsvExampleGen", "SchemaGen", "Trainer", "Evaluator")]
types.append(store.put_context_type(pb.ContextType(name="pipeline_run")))
print(" ".join(map(str, types)))
"""

# Reads MLMD answers on the source and ours on the converted store, as JSON text (the same code on both sides).
_SAMPLE = """
import json, sys
from google.protobuf import json_format
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
config = pb.ConnectionConfig()
config.sqlite.filename_uri = sys.argv[1]
store = metadata_store.MetadataStore(config)
ids = json.loads(sys.argv[2])
show = lambda items: [json_format.MessageToDict(m, preserving_proto_field_name=True) for m in items]
out = [show(store.get_artifacts_by_id(ids)), show(store.get_executions_by_id(ids)), show(store.get_contexts_by_id(ids)),
       show(store.get_events_by_execution_ids(ids)), show(store.get_events_by_artifact_ids(ids))]
out += [show(store.get_artifacts_by_context(i)) + show(store.get_executions_by_context(i)) for i in ids[:20]]
print(json.dumps(out))
"""


def fill(path: str, runs: int, types: List[int]) -> Tuple[int, int]:
    """Writes `runs` pipeline runs into the empty MLMD store at `path`, in MLMD's layout; returns (nodes, events)."""
    artifact_types, execution_types, run_type = types[:4], types[4:8], types[8]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    conn.execute("BEGIN")
    components = ("CsvExampleGen", "SchemaGen", "Trainer", "Evaluator")
    inputs = ((), (0,), (0, 1), (0, 2))  # which earlier outputs of the run each component reads

    def contexts() -> Iterator[tuple]:
        for r in range(runs):
            yield r + 1, run_type, f"run-{r:07d}", None, _T0 + r * 10, _T0 + r * 10

    def executions() -> Iterator[tuple]:
        for r in range(runs):
            for c in range(4):
                t = _T0 + r * 10 + c
                yield r * 4 + c + 1, execution_types[c], 3, f"run-{r:07d}.{components[c]}", None, t, t + 1

    def artifacts() -> Iterator[tuple]:
        for r in range(runs):
            for c in range(4):
                t = _T0 + r * 10 + c
                yield (r * 4 + c + 1, artifact_types[c], f"/pipelines/taxi/{components[c]}/{r}", 2, None, None, t, t)

    def artifact_properties() -> Iterator[tuple]:
        for r in range(runs):
            for c in range(4):
                a = r * 4 + c + 1
                yield a, "span", 0, r, None, None, None, None
                yield a, "split_names", 0, None, None, '["train", "eval"]', None, None
                yield a, "producer", 1, None, None, components[c], None, None

    def execution_properties() -> Iterator[tuple]:
        for r in range(runs):
            for c in range(4):
                e = r * 4 + c + 1
                yield e, "component_id", 0, None, None, components[c], None, None
                yield e, "tfx_version", 1, None, None, "1.15.0", None, None

    def events() -> Iterator[tuple]:
        event_id = 0
        for r in range(runs):
            for c in range(4):
                e, t = r * 4 + c + 1, _T0 + r * 10 + c
                for i in inputs[c]:
                    event_id += 1
                    yield event_id, r * 4 + i + 1, e, 3, t
                event_id += 1
                yield event_id, r * 4 + c + 1, e, 4, t

    def paths() -> Iterator[tuple]:
        event_id = 0
        for r in range(runs):
            for c in range(4):
                for i in (*inputs[c], c):
                    event_id += 1
                    yield event_id, 0, None, components[i].lower()
                    yield event_id, 1, 0, None

    conn.executemany("INSERT INTO Context (id, type_id, name, external_id, create_time_since_epoch, "
                     "last_update_time_since_epoch) VALUES (?, ?, ?, ?, ?, ?)", contexts())
    conn.executemany("INSERT INTO Execution (id, type_id, last_known_state, name, external_id, "
                     "create_time_since_epoch, last_update_time_since_epoch) VALUES (?, ?, ?, ?, ?, ?, ?)", executions())
    conn.executemany("INSERT INTO Artifact (id, type_id, uri, state, name, external_id, create_time_since_epoch, "
                     "last_update_time_since_epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", artifacts())
    property_columns = ("name, is_custom_property, int_value, double_value, string_value, proto_value, bool_value) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    conn.executemany(f"INSERT INTO ArtifactProperty (artifact_id, {property_columns}", artifact_properties())
    conn.executemany(f"INSERT INTO ExecutionProperty (execution_id, {property_columns}", execution_properties())
    conn.executemany("INSERT INTO Event (id, artifact_id, execution_id, type, milliseconds_since_epoch) "
                     "VALUES (?, ?, ?, ?, ?)", events())
    conn.executemany("INSERT INTO EventPath (event_id, is_index_step, step_index, step_key) VALUES (?, ?, ?, ?)",
                     paths())
    conn.executemany("INSERT INTO Attribution (context_id, artifact_id) VALUES (?, ?)",
                     ((r + 1, r * 4 + c + 1) for r in range(runs) for c in range(4)))
    conn.executemany("INSERT INTO Association (context_id, execution_id) VALUES (?, ?)",
                     ((r + 1, r * 4 + c + 1) for r in range(runs) for c in range(4)))
    # AUTOINCREMENT's counters, as MLMD's own inserts would have left them.
    for table in ("Context", "Execution", "Artifact", "Event", "Attribution", "Association"):
        conn.execute("UPDATE sqlite_sequence SET seq = (SELECT max(id) FROM \"%s\") WHERE name = ?" % table, (table,))
    conn.execute("COMMIT")
    event_count = conn.execute("SELECT count(*) FROM Event").fetchone()[0]
    conn.close()
    return runs * NODES_PER_RUN, event_count


_CONVERT = """
import json, sys, time
from fastmlmd.engine.backends.sqlite_mlmd_convert import tune_connection, convert_copy, convert_in_place
from ml_metadata._mlmd_stores import struct_type_from_json
import sqlite3
if sys.argv[1] == "copy":
    counts = convert_copy(sys.argv[2], sys.argv[3], struct_type_from_json)
else:
    conn = sqlite3.connect(sys.argv[2], isolation_level=None)
    tune_connection(conn)
    counts = convert_in_place(conn, struct_type_from_json)
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
# This process's own peak: ru_maxrss would also hold the parent's RSS at the fork (Linux carries it across exec),
# and the parent has just filled the source with a 256 MiB page cache.
try:
    with open("/proc/self/status") as status:
        peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak_kib = usage.ru_maxrss
print(json.dumps({"seconds": counts.seconds, "rows": counts.rows, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "peak_rss_mib": peak_kib / 1024}))
"""


def convert_in_child(mode: str, source: str, target: str) -> dict:
    """Runs one conversion in a child process; its report plus the child's wall time and peak RSS."""
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-c", _CONVERT, mode, source, target], capture_output=True, text=True,
                         check=True)
    wall = time.monotonic() - started
    out = json.loads(run.stdout.strip().splitlines()[-1])
    out["wall_seconds"] = wall
    return out


def sample(python: str, path: str, ids: List[int], env: dict) -> list:
    run = subprocess.run([python, "-c", _SAMPLE, path, json.dumps(ids)], capture_output=True, text=True, env=env,
                         check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastmlmd.bench.convert_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--against", required=True, help="the Python that has the real ml-metadata 1.17.1")
    parser.add_argument("--nodes", type=int, default=1_000_000, help="nodes in the source store (default 1M)")
    parser.add_argument("--dir", default=None, help="where the stores go (default: a temporary folder)")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    oracle_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    runs = max(1, args.nodes // NODES_PER_RUN)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        source = os.path.join(tmp, "mlmd.sqlite")
        made = subprocess.run([args.against, "-c", _CREATE, source], capture_output=True, text=True,
                              env=oracle_env, check=True)
        started = time.monotonic()
        nodes, events = fill(source, runs, [int(t) for t in made.stdout.split()])
        print(f"source: {nodes:,} nodes, {events:,} events, {os.path.getsize(source) / 2**20:,.0f} MiB, "
              f"written in {time.monotonic() - started:.1f}s")
        ids = sorted(random.Random(0).sample(range(1, runs * 4 + 1), 200))
        theirs = sample(args.against, source, ids, oracle_env)
        results: Dict[str, Any] = {"nodes": nodes, "events": events}
        for mode in ("copy", "in-place"):
            target = os.path.join(tmp, f"ours-{mode}.db")
            if mode == "in-place":
                shutil.copy(source, target)
            got = convert_in_child(mode, source if mode == "copy" else target, target)
            ours = sample(sys.executable, target, ids, dict(os.environ))
            got["sample_reads_equal"] = ours == theirs
            got["nodes_per_second"] = nodes / got["seconds"]
            results[mode] = got
            print(f"{mode}: {got['seconds']:.1f}s converting ({got['wall_seconds']:.1f}s with start-up, "
                  f"{got['cpu_seconds']:.1f}s of CPU: {nodes / got['cpu_seconds']:,.0f} nodes per CPU second), "
                  f"{got['nodes_per_second']:,.0f} nodes/s, peak RSS {got['peak_rss_mib']:.0f} MiB, "
                  f"{len(ids)}-id sample reads equal MLMD's: {got['sample_reads_equal']}")
            os.remove(target)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    return 0 if all(results[m]["sample_reads_equal"] for m in ("copy", "in-place")) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

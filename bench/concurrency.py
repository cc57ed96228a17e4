"""Several processes writing one store at once: does every writer keep making progress, and is every call kept?

    python -m fastmlmd.bench.concurrency --writers 4,16 --calls 100
    python -m fastmlmd.bench.concurrency --backend mysql --writers 16 --calls 200 --call put_execution

The store is a SQLite file (`--backend file`, the default) or a database on a MySQL/MariaDB or PostgreSQL
server (`--backend mysql|postgresql`; `--server`), which the command creates and drops. Each writer process
opens its own store and makes `--calls` calls, one at a time: `put_artifacts` of one artifact, or
`put_execution` of an execution with two output artifacts in a context of its own and one every writer
shares (the pipeline's hot call).

Per writer count the report gives the total time, the median, 99th percentile and slowest single call, the
longest time in which no writer finished a call (a stall of the whole store), how many calls
each writer had made when the first one finished (min-max: a starved writer shows as a low minimum), the
calls that raised, the acknowledged calls missing from the store (lost) and, for put_execution, the stored
executions without all of their artifacts, events, association and attributions or artifacts without their
execution (partial). It uses only the public `ml_metadata` API, so running this file by path under another
interpreter (`/path/to/mlmd-python bench/concurrency.py ...`) measures that library.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from typing import Any, Dict, List, Tuple

from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

if __package__:
    from fastmlmd.bench.workloads import SERVER_BACKENDS, drop_server_database, server_config
else:  # run by path under an interpreter that may not have fastmlmd
    from workloads import SERVER_BACKENDS, drop_server_database, server_config  # type: ignore[no-redef,import-not-found]

CALLS = ("put_artifacts", "put_execution")
OUTPUTS = 2  # artifacts per put_execution
SHARED_CONTEXT = "pipeline"


def _file_config(path: str) -> pb.ConnectionConfig:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return config


def _call(store: Any, call: str, types: Tuple[int, int, int], worker: int, i: int) -> List[int]:
    """One call of writer `worker`; the ids it returned."""
    artifact_type, execution_type, context_type = types
    if call == "put_artifacts":
        artifact = pb.Artifact(type_id=artifact_type, uri=f"w{worker}/{i}")
        artifact.custom_properties["i"].int_value = i
        return list(store.put_artifacts([artifact]))
    execution = pb.Execution(type_id=execution_type, name=f"w{worker}/{i}")
    execution.custom_properties["i"].int_value = i
    outputs = [(pb.Artifact(type_id=artifact_type, uri=f"w{worker}/{i}/{k}"), pb.Event(type=pb.Event.OUTPUT))
               for k in range(OUTPUTS)]
    contexts = [pb.Context(type_id=context_type, name=SHARED_CONTEXT),
                pb.Context(type_id=context_type, name=f"run{worker}")]
    execution_id, artifact_ids, _ = store.put_execution(execution, outputs, contexts,
                                                        reuse_context_if_already_exist=True)
    return [execution_id, *artifact_ids]


def _writer(config: bytes, call: str, types: Tuple[int, int, int], worker: int, calls: int, start: float,
            queue: "multiprocessing.Queue[dict]") -> None:
    store = metadata_store.MetadataStore(pb.ConnectionConfig.FromString(config))
    while time.time() < start:  # every writer starts together, after all have imported and connected
        time.sleep(0.001)
    latencies, ends, acknowledged, failed = [], [], [], []
    for i in range(calls):
        began = time.perf_counter()
        try:
            acknowledged.append(_call(store, call, types, worker, i))
        except errors.StatusError as exc:
            failed.append(f"{type(exc).__name__}: {exc}"[:300])
        latencies.append(time.perf_counter() - began)
        ends.append(time.time())
    queue.put({"worker": worker, "latencies": latencies, "ends": ends, "acknowledged": acknowledged,
               "failed": failed})


def _audit(store: Any, call: str, results: List[dict]) -> Tuple[int, int]:
    """(lost, partial): acknowledged calls not stored, and stored put_execution calls not whole."""
    acknowledged = [ids for r in results for ids in r["acknowledged"]]
    if call == "put_artifacts":
        stored = {a.id for a in store.get_artifacts()}
        return sum(1 for ids in acknowledged if not set(ids) <= stored), 0
    executions = {e.id: e for e in store.get_executions()}
    artifacts = {a.id: a for a in store.get_artifacts()}
    lost = sum(1 for ids in acknowledged if ids[0] not in executions or not set(ids[1:]) <= set(artifacts))
    outputs: Dict[int, List[int]] = {}
    for event in store.get_events_by_execution_ids(list(executions)):
        outputs.setdefault(event.execution_id, []).append(event.artifact_id)
    partial = 0
    for execution in executions.values():
        worker = execution.name.split("/")[0][1:]
        artifact_ids = sorted(outputs.get(execution.id, []))
        whole = [artifacts[a].uri for a in artifact_ids if a in artifacts] == [
            f"{execution.name}/{k}" for k in range(OUTPUTS)]
        whole = whole and sorted(c.name for c in store.get_contexts_by_execution(execution.id)) == sorted(
            [SHARED_CONTEXT, f"run{worker}"])
        for artifact_id in artifact_ids if whole else ():
            whole = whole and len(store.get_contexts_by_artifact(artifact_id)) == 2
        partial += not whole
    partial += len(artifacts) - OUTPUTS * len(executions) if len(artifacts) > OUTPUTS * len(executions) else 0
    return lost, partial


def run(writers: int, calls: int, config: pb.ConnectionConfig, call: str) -> dict:
    """One measurement: `writers` processes each making `calls` calls on the (new, empty) store of `config`."""
    store = metadata_store.MetadataStore(config)
    types = (store.put_artifact_type(pb.ArtifactType(name="Data")),
             store.put_execution_type(pb.ExecutionType(name="Trainer")),
             store.put_context_type(pb.ContextType(name="Run")))
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start = time.time() + 2.0 + 0.2 * writers
    procs = [ctx.Process(target=_writer, args=(config.SerializeToString(), call, types, w, calls, start, queue))
             for w in range(writers)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=1800) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    elapsed = max(0.0, time.time() - start)
    latencies = [lat for r in results for lat in r["latencies"]]
    first_done = min(r["ends"][-1] for r in results)
    progress = [sum(1 for end in r["ends"] if end <= first_done) for r in results]
    completions = sorted(end for r in results for end in r["ends"])
    # The longest time in which no writer finished a call: a stall of the whole store, not one writer's wait.
    stall = max((b - a for a, b in zip(completions, completions[1:])), default=0.0)
    lost, partial = _audit(store, call, results)
    failed = [message for r in results for message in r["failed"]]
    return {"writers": writers, "calls": writers * calls, "seconds": elapsed,
            "median_ms": statistics.median(latencies) * 1000, "max_ms": max(latencies) * 1000,
            "p99_ms": sorted(latencies)[int(0.99 * (len(latencies) - 1))] * 1000, "stall_ms": stall * 1000,
            "progress": (min(progress), max(progress)), "failed": failed, "lost": lost, "partial": partial}


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", default="4,16", help="comma-separated writer counts (default 4,16)")
    parser.add_argument("--calls", type=int, default=100, help="calls per writer (default 100)")
    parser.add_argument("--call", choices=CALLS, default="put_artifacts",
                        help="put_artifacts of one artifact (default) or put_execution (2 outputs, 2 contexts)")
    parser.add_argument("--backend", choices=("file", *SERVER_BACKENDS), default="file",
                        help="a SQLite file in a temporary directory (default), or a database on a server, "
                             "created and dropped by the command")
    parser.add_argument("--server", default="", metavar="HOST:PORT:USER",
                        help="the server of --backend mysql|postgresql (default: this machine's, "
                             "127.0.0.1:3306:root or 127.0.0.1:5432:postgres; passwords from MYSQL_PWD / PGPASSWORD)")
    args = parser.parse_args(argv)
    print(f"{args.backend}, {args.call}", flush=True)
    print(f"{'writers':>7} {'calls':>6} {'seconds':>8} {'median ms':>10} {'p99 ms':>7} {'max ms':>7} {'stall ms':>8} "
          f"{'progress':>9} "
          f"{'failed':>6} {'lost':>5} {'partial':>7}", flush=True)
    failures = 0
    with tempfile.TemporaryDirectory() as workdir:
        for writers in (int(w) for w in args.writers.split(",")):
            database = f"fastmlmd_concurrency_{os.getpid()}_{writers}"
            if args.backend == "file":
                config = _file_config(os.path.join(workdir, f"{database}.db"))
            else:
                config = server_config(args.backend, args.server, database)
            try:
                r = run(writers, args.calls, config, args.call)
            finally:
                if args.backend != "file":
                    drop_server_database(args.backend, args.server, database)
            print(f"{r['writers']:>7} {r['calls']:>6} {r['seconds']:>8.1f} {r['median_ms']:>10.2f} {r['p99_ms']:>7.0f} "
                  f"{r['max_ms']:>7.0f} {r['stall_ms']:>8.0f} {'%d-%d' % r['progress']:>9} {len(r['failed']):>6} {r['lost']:>5} "
                  f"{r['partial']:>7}", flush=True)
            for message in sorted(set(r["failed"]))[:5]:
                print(f"    failed: {message}", flush=True)
            failures += bool(r["failed"] or r["lost"] or r["partial"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

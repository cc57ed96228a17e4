"""`python -m fastmlmd.bench.served_load`: many client processes against one server, beside as many in-process.

    python -m fastmlmd.bench.served_load --clients 16 --calls 1000 --backend file

Each of `--clients` processes makes `--calls` calls, in rounds of four: put_execution (an execution, two
artifacts with OUTPUT events, the client's context, reused), then three reads of what it wrote
(get_artifacts_by_id, get_events_by_execution_ids, get_contexts_by_execution). They run twice on fresh
stores of the same kind: each process opening the store itself ("in-process"), then through one
`python -m fastmlmd.server` on 127.0.0.1 ("gRPC"). Per side: calls a second (all clients, wall clock from a
common start), p50 / p99 / max latency of each call, errors (any failed call) and lost writes (acknowledged
put_executions not found whole in the store afterwards); then gRPC's figures as ratios of in-process.

`--backend file` is a SQLite file; `--backend mysql` a fresh database on the MariaDB / MySQL server of
`--mysql` (host:port, user root, no password), dropped afterwards. The server extra (grpcio) is needed.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from fastmlmd.bench.meter import percentile
from fastmlmd.bench.served import start_server

OPS = ("put_execution", "get_artifacts_by_id", "get_events_by_execution_ids", "get_contexts_by_execution")
ClientResult = Dict[str, Any]  # latencies by op, errors, acknowledged writes


def _client(config: Any, index: int, calls: int, ready: Any, queue: Any) -> None:
    """One client process: `calls` calls on its own store object, timed one by one."""
    store = metadata_store.MetadataStore(config)
    model = store.get_artifact_type("Model").id
    train = store.get_execution_type("Train").id
    run = store.get_context_type("Run").id
    latencies: Dict[str, List[float]] = {op: [] for op in OPS}
    failures: List[str] = []
    written: List[Tuple[str, int, List[int]]] = []
    ready.wait()  # every client begins together, once all have imported and connected
    execution_id, artifact_ids = 0, [0]
    for n in range(calls):
        op = OPS[n % len(OPS)]
        name = f"c{index}-{n}"
        began = time.perf_counter()
        try:
            if op == "put_execution":
                pairs = [(pb.Artifact(type_id=model, uri=f"gs://{name}/{k}"), pb.Event(type=pb.Event.OUTPUT))
                         for k in range(2)]
                execution_id, artifact_ids, _ = store.put_execution(
                    pb.Execution(type_id=train, name=name), pairs, [pb.Context(type_id=run, name=f"run{index}")],
                    reuse_context_if_already_exist=True)
                written.append((name, execution_id, list(artifact_ids)))
            elif op == "get_artifacts_by_id":
                store.get_artifacts_by_id(artifact_ids)
            elif op == "get_events_by_execution_ids":
                store.get_events_by_execution_ids([execution_id])
            else:
                store.get_contexts_by_execution(execution_id)
        except errors.StatusError as exc:
            failures.append(f"{op}: {type(exc).__name__}: {exc.message}")
            continue
        latencies[op].append(time.perf_counter() - began)
    queue.put({"latencies": latencies, "failures": failures, "written": written})


def _lost_writes(config: pb.ConnectionConfig, written: List[Tuple[str, int, List[int]]]) -> int:
    """Acknowledged put_executions not stored whole: the execution, its two artifacts and their events."""
    store = metadata_store.MetadataStore(config)
    executions = {e.id: e.name for e in store.get_executions()}
    outputs: Dict[int, List[int]] = {}
    for event in store.get_events_by_execution_ids(list(executions)):
        outputs.setdefault(event.execution_id, []).append(event.artifact_id)
    return sum(1 for name, execution_id, artifact_ids in written
               if executions.get(execution_id) != name or sorted(outputs.get(execution_id, [])) != sorted(artifact_ids))


def _side(client_config: Any, store_config: pb.ConnectionConfig, clients: int, calls: int) -> Dict[str, Any]:
    """One measurement: the clients, started together, each making its calls; then the store is checked."""
    setup = metadata_store.MetadataStore(client_config)
    setup.put_artifact_type(pb.ArtifactType(name="Model"))
    setup.put_execution_type(pb.ExecutionType(name="Train"))
    setup.put_context_type(pb.ContextType(name="Run"))
    ctx = multiprocessing.get_context("spawn")
    queue, ready = ctx.Queue(), ctx.Barrier(clients + 1)
    procs = [ctx.Process(target=_client, args=(client_config, i, calls, ready, queue)) for i in range(clients)]
    for proc in procs:
        proc.start()
    ready.wait(timeout=600)
    start = time.perf_counter()
    results: List[ClientResult] = [queue.get(timeout=3600) for _ in procs]
    elapsed = time.perf_counter() - start
    for proc in procs:
        proc.join(timeout=60)
    latencies = {op: [lat for r in results for lat in r["latencies"][op]] for op in OPS}
    written = [w for r in results for w in r["written"]]
    return {"calls": sum(len(v) for v in latencies.values()), "seconds": elapsed, "latencies": latencies,
            "failures": [f for r in results for f in r["failures"]], "lost": _lost_writes(store_config, written)}


def _stats(samples: List[float]) -> Tuple[float, float, float]:
    """p50, p99 and max (nearest rank), in milliseconds; NaN when there are none."""
    if not samples:
        return float("nan"), float("nan"), float("nan")
    ordered = sorted(samples)
    return percentile(ordered, 0.5) * 1e3, percentile(ordered, 0.99) * 1e3, ordered[-1] * 1e3


class Stores:
    """Fresh stores of one backend: a SQLite file each, or a MySQL database each (dropped by `close`)."""

    def __init__(self, backend: str, workdir: str, mysql: str) -> None:
        self.backend, self.workdir = backend, workdir
        self.host, _, port = mysql.partition(":")
        self.port = int(port or 3306)
        self.made: List[str] = []

    def fresh(self, name: str) -> pb.ConnectionConfig:
        if self.backend == "file":
            return pb.ConnectionConfig(sqlite=pb.SqliteMetadataSourceConfig(
                filename_uri=os.path.join(self.workdir, f"{name}.db")))
        database = f"fastmlmd_load_{os.getpid()}_{uuid.uuid4().hex[:8]}_{name}"
        self.made.append(database)
        return pb.ConnectionConfig(mysql=pb.MySQLDatabaseConfig(host=self.host, port=self.port, user="root",
                                                                database=database))

    def close(self) -> None:
        if not self.made:
            return
        import pymysql

        admin = pymysql.connect(host=self.host, port=self.port, user="root", password="", autocommit=True)
        try:
            for database in self.made:
                admin.cursor().execute(f"DROP DATABASE IF EXISTS `{database}`")
        finally:
            admin.close()


def _report(results: Dict[str, Dict[str, Any]], clients: int, calls: int, backend: str) -> None:
    print(f"backend: {backend}; {clients} client processes x {calls} calls (1 put_execution : 3 reads); "
          f"{os.cpu_count()} CPUs")
    print(f"{'side':<11} {'call':<28} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for side, r in results.items():
        every = [lat for v in r["latencies"].values() for lat in v]
        for op, samples in [("all calls", every), *r["latencies"].items()]:
            p50, p99, most = _stats(samples)
            print(f"{side:<11} {op:<28} {p50:>8.2f} {p99:>8.2f} {most:>8.1f}")
        print(f"{side:<11} {r['calls']} calls in {r['seconds']:.1f}s = {r['calls'] / r['seconds']:.0f} calls/s; "
              f"errors {len(r['failures'])}; lost writes {r['lost']}")
        for failure in r["failures"][:5]:
            print(f"{'':<11} error: {failure}")
    if set(results) == {"in-process", "gRPC"}:
        local, served = results["in-process"], results["gRPC"]
        ratios = [f"calls/s {served['calls'] / served['seconds'] / (local['calls'] / local['seconds']):.2f}"]
        overall = {side: _stats([lat for v in r["latencies"].values() for lat in v]) for side, r in results.items()}
        for label, index in (("p50", 0), ("p99", 1), ("max", 2)):
            ratios.append(f"{label} {overall['gRPC'][index] / overall['in-process'][index]:.2f}")
        print("gRPC / in-process: " + ", ".join(ratios))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastmlmd.bench.served_load",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="client processes (default 16)")
    parser.add_argument("--calls", type=int, default=1000, help="calls per client (default 1000)")
    parser.add_argument("--backend", choices=("file", "mysql"), default="file")
    parser.add_argument("--mysql", default="127.0.0.1:3306", help="host:port of --backend mysql's server")
    parser.add_argument("--sides", default="in-process,gRPC", help="which sides to run (default both)")
    ns = parser.parse_args(argv)
    results: Dict[str, Dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as workdir:
        stores = Stores(ns.backend, workdir, ns.mysql)
        try:
            for side in ns.sides.split(","):
                config = stores.fresh(side.lower().replace("-", "_"))
                if side == "in-process":
                    results[side] = _side(config, config, ns.clients, ns.calls)
                elif side == "gRPC":
                    proc, port = start_server(pb.MetadataStoreServerConfig(connection_config=config), workdir)
                    try:
                        client = pb.MetadataStoreClientConfig(host="127.0.0.1", port=port)
                        results[side] = _side(client, config, ns.clients, ns.calls)
                    finally:
                        proc.terminate()
                        proc.wait(120)
                else:
                    parser.error(f"--sides: unknown side {side!r} (in-process, gRPC)")
        finally:
            stores.close()
    _report(results, ns.clients, ns.calls, ns.backend)
    return 0 if all(not r["failures"] and not r["lost"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

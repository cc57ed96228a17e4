"""`python -m fastmlmd.bench.served`: the cost of the gRPC path, call for call, against the same store in-process.

Measures put_execution (an execution, two artifacts with events, a context) and get_artifacts_by_id (one id,
and 100 ids) with one client, first on a store opened in this process, then through
`python -m fastmlmd.server` (a subprocess on 127.0.0.1) in front of the same kind of store. Prints the
median and p99 of each call and calls a second. Needs the server extra (grpcio).

Many clients at once: `python -m fastmlmd.bench.served_load` (bench/served_load.py).

(Not named grpc.py: bench/worker.py runs as a script, which puts bench/ first on sys.path, where a grpc.py
would shadow the grpc package.)
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Callable, Dict, List, Tuple

from google.protobuf import text_format

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

_LISTENING = re.compile(r"Server listening on [^:]+:(\d+)")


def _seed(store: metadata_store.MetadataStore, artifacts: int) -> Tuple[int, int, int, List[int]]:
    model = pb.ArtifactType(name="Model")
    model.properties["acc"] = pb.DOUBLE
    a_type = store.put_artifact_type(model)
    e_type = store.put_execution_type(pb.ExecutionType(name="Train"))
    c_type = store.put_context_type(pb.ContextType(name="Run"))
    ids: List[int] = []
    for start in range(0, artifacts, 500):
        batch = []
        for i in range(start, min(artifacts, start + 500)):
            a = pb.Artifact(type_id=a_type, uri=f"gs://bucket/{i}", name=f"a{i}")
            a.properties["acc"].double_value = i / artifacts
            a.custom_properties["note"].string_value = "seed"
            batch.append(a)
        ids.extend(store.put_artifacts(batch))
    return a_type, e_type, c_type, ids


def _timed(call: Callable[[], object], seconds: float, at_most: int) -> List[float]:
    samples: List[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and len(samples) < at_most:
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def measure(store: metadata_store.MetadataStore, seconds: float) -> Dict[str, List[float]]:
    a_type, e_type, c_type, ids = _seed(store, 2000)
    runs = [0]

    def put_execution() -> None:
        runs[0] += 1
        n = runs[0]
        pairs = [(pb.Artifact(type_id=a_type, uri=f"gs://out/{n}/{k}"), pb.Event(type=pb.Event.OUTPUT))
                 for k in range(2)]
        store.put_execution(pb.Execution(type_id=e_type, name=f"e{n}"), pairs,
                            [pb.Context(type_id=c_type, name=f"run{n % 50}")], reuse_context_if_already_exist=True)

    step = max(1, len(ids) // 100)
    hundred = ids[::step][:100]
    return {
        "put_execution": _timed(put_execution, seconds, 20000),
        "get_artifacts_by_id (1 id)": _timed(lambda: store.get_artifacts_by_id([ids[len(ids) // 2]]), seconds,
                                              50000),
        "get_artifacts_by_id (100 ids)": _timed(lambda: store.get_artifacts_by_id(hundred), seconds, 20000),
    }


def start_server(config: pb.MetadataStoreServerConfig, workdir: str) -> Tuple[subprocess.Popen, int]:
    """`python -m fastmlmd.server` in front of the config's store, on 127.0.0.1 and a free port: the process
    and its port. Its log is read to the end in the background, so the server never waits on a full pipe."""
    path = os.path.join(workdir, "server.pbtxt")
    with open(path, "w") as fh:
        fh.write(text_format.MessageToString(config))
    proc = subprocess.Popen([sys.executable, "-m", "fastmlmd.server", "--grpc_host=127.0.0.1", "--grpc_port=0",
                             f"--metadata_store_server_config_file={path}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        found = _LISTENING.search(line)
        if found:
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return proc, int(found.group(1))
    raise RuntimeError("the server did not start")


def _row(name: str, samples: List[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"{name:<32} {statistics.median(samples) * 1e6:>9.0f} {p99 * 1e6:>9.0f} "
            f"{len(samples) / sum(samples):>9.0f}")


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastmlmd.bench.served", description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("memory", "file"), default="file")
    parser.add_argument("--seconds", type=float, default=3.0, help="measured time per workload (default 3)")
    ns = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        served = pb.MetadataStoreServerConfig()
        if ns.backend == "memory":
            local = pb.ConnectionConfig(fake_database=pb.FakeDatabaseConfig())
            served.connection_config.fake_database.SetInParent()
        else:
            local = pb.ConnectionConfig(sqlite=pb.SqliteMetadataSourceConfig(
                filename_uri=os.path.join(workdir, "local.db")))
            served.connection_config.sqlite.filename_uri = os.path.join(workdir, "served.db")
        results = {"in-process": measure(metadata_store.MetadataStore(local), ns.seconds)}
        proc, port = start_server(served, workdir)
        try:
            client = metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host="127.0.0.1", port=port))
            results["gRPC"] = measure(client, ns.seconds)
        finally:
            proc.terminate()
            proc.wait(60)
    print(f"backend: {ns.backend}; one client; microseconds a call (median, p99) and calls a second")
    print(f"{'workload':<32} {'median':>9} {'p99':>9} {'calls/s':>9}")
    for side, rows in results.items():
        print(f"-- {side}")
        for name, samples in rows.items():
            print(_row(name, samples))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Several processes writing one SQLite file at once: does every writer keep making progress?

    python -m fastmlmd.bench.concurrency --writers 4,16 --calls 100

Each writer process opens its own store on the same file and puts one artifact per call; the report
gives, per writer count, the total time, the median and the slowest single call, and whether every
artifact was stored. It uses only the public `ml_metadata` API, so running this file by path under
another interpreter (`/path/to/mlmd-python bench/concurrency.py ...`) measures that library.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from typing import List, Tuple

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb


def _config(path: str) -> pb.ConnectionConfig:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return config


def _writer(path: str, type_id: int, worker: int, calls: int, start: float,
            queue: "multiprocessing.Queue[Tuple[int, List[float]]]") -> None:
    store = metadata_store.MetadataStore(_config(path))
    while time.time() < start:  # every writer starts together, after all have imported and connected
        time.sleep(0.001)
    latencies = []
    for i in range(calls):
        artifact = pb.Artifact(type_id=type_id, uri=f"w{worker}/{i}")
        artifact.custom_properties["i"].int_value = i
        began = time.perf_counter()
        store.put_artifacts([artifact])
        latencies.append(time.perf_counter() - began)
    queue.put((worker, latencies))


def run(writers: int, calls: int, workdir: str) -> dict:
    """One measurement: `writers` processes each making `calls` single-artifact puts on a fresh file."""
    path = os.path.join(workdir, f"concurrent-{writers}.db")
    type_id = metadata_store.MetadataStore(_config(path)).put_artifact_type(pb.ArtifactType(name="Data"))
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start = time.time() + 2.0 + 0.2 * writers
    procs = [ctx.Process(target=_writer, args=(path, type_id, w, calls, start, queue)) for w in range(writers)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    elapsed = max(0.0, time.time() - start)
    latencies = [lat for _, lats in results for lat in lats]
    stored = len(metadata_store.MetadataStore(_config(path)).get_artifacts())
    return {"writers": writers, "calls": writers * calls, "seconds": elapsed,
            "median_ms": statistics.median(latencies) * 1000, "max_ms": max(latencies) * 1000,
            "stored": stored, "lost": writers * calls - stored}


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", default="4,16", help="comma-separated writer counts (default 4,16)")
    parser.add_argument("--calls", type=int, default=100, help="puts per writer (default 100)")
    args = parser.parse_args(argv)
    print(f"{'writers':>7} {'calls':>6} {'seconds':>8} {'median ms':>10} {'max ms':>8} {'lost':>5}")
    with tempfile.TemporaryDirectory() as workdir:
        for writers in (int(w) for w in args.writers.split(",")):
            r = run(writers, args.calls, workdir)
            print(f"{r['writers']:>7} {r['calls']:>6} {r['seconds']:>8.1f} {r['median_ms']:>10.2f} "
                  f"{r['max_ms']:>8.0f} {r['lost']:>5}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

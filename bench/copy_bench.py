"""`python -m fastmlmd.bench.copy_bench`: `fastmlmd copy` of a large SQLite store into a server store, timed.

    python -m fastmlmd.bench.copy_bench --nodes 100000                       # into PostgreSQL
    python -m fastmlmd.bench.copy_bench --nodes 100000 --target mysql        # into MariaDB / MySQL
    python -m fastmlmd.bench.copy_bench --nodes 100000 --interrupt-at 0.4    # killed at 40%, then --resume

The source is a TFX-like history written through the public API (per pipeline run: one context, four
executions, four artifacts with properties, seven events with paths, their attributions and associations; nine
run contexts in ten are children of their block's first). The copy runs in a child process, as the console
script runs it (`fastmlmd.cli.main.main`), into a database this command creates and drops; the child reports
its own peak RSS (VmHWM). The copy is then checked record by record against the source (every listing, event,
link and parent the export reads), plus the getters the export does not use on a sample of ids.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from fastmlmd.bench.workloads import drop_server_database

NODES_PER_RUN = 9  # 1 context, 4 executions, 4 artifacts
RUNS_PER_CALL = 500
FAMILY = 10  # run contexts per parent: the block's first run is the parent of the other nine
SERVERS = {"postgresql": "postgres@127.0.0.1:5432", "mysql": "root@127.0.0.1:3306"}
_T0 = 1_700_000_000_000

# The child: the console script's entry point, then its own peak RSS (the parent's would be carried across exec
# into ru_maxrss, and the parent has just written the source).
_COPY = """
import json, sys, time
from fastmlmd.cli.main import main
started = time.monotonic()
status = main(sys.argv[1:])
seconds = time.monotonic() - started
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
with open("/proc/self/status") as status_file:
    peak_kib = next(int(line.split()[1]) for line in status_file if line.startswith("VmHWM:"))
print(json.dumps({"status": status, "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "peak_rss_mib": peak_kib / 1024}))
"""


def _open(url: str) -> metadata_store.MetadataStore:
    from fastmlmd.cli.store_url import parse_store
    return metadata_store.MetadataStore(parse_store(url, writable=True))


def fill(store: metadata_store.MetadataStore, runs: int) -> Tuple[int, int]:
    """Writes `runs` pipeline runs through the public API; returns (nodes, events)."""
    components = ("CsvExampleGen", "SchemaGen", "Trainer", "Evaluator")
    inputs = ((), (0,), (0, 1), (0, 2))  # which earlier outputs of the run each component reads
    artifact_types = []
    for name in ("Examples", "Schema", "Model", "ModelBlessing"):
        artifact_types.append(store.put_artifact_type(pb.ArtifactType(
            name=name, properties={"span": pb.INT, "split_names": pb.STRING})))
    execution_types = [store.put_execution_type(pb.ExecutionType(name=n, properties={"component_id": pb.STRING}))
                       for n in components]
    run_type = store.put_context_type(pb.ContextType(name="pipeline_run"))
    events = 0
    for first in range(0, runs, RUNS_PER_CALL):
        block = range(first, min(runs, first + RUNS_PER_CALL))
        context_ids = store.put_contexts([pb.Context(
            type_id=run_type, name=f"run-{r:07d}", custom_properties={"pipeline": pb.Value(string_value="taxi")})
            for r in block])
        artifacts, executions = [], []
        for r in block:
            for c, component in enumerate(components):
                artifact = pb.Artifact(type_id=artifact_types[c], uri=f"/pipelines/taxi/{component}/{r}",
                                       state=pb.Artifact.LIVE)
                artifact.properties["span"].int_value = r
                artifact.properties["split_names"].string_value = '["train", "eval"]'
                artifact.custom_properties["producer"].string_value = component
                artifacts.append(artifact)
                execution = pb.Execution(type_id=execution_types[c], name=f"run-{r:07d}.{component}",
                                         last_known_state=pb.Execution.COMPLETE)
                execution.properties["component_id"].string_value = component
                execution.custom_properties["tfx_version"].string_value = "1.15.0"
                executions.append(execution)
        artifact_ids = store.put_artifacts(artifacts)
        execution_ids = store.put_executions(executions)
        written = []
        for i, r in enumerate(block):
            for c, component in enumerate(components):
                for step, kind in [(j, pb.Event.INPUT) for j in inputs[c]] + [(c, pb.Event.OUTPUT)]:
                    event = pb.Event(artifact_id=artifact_ids[i * 4 + step], execution_id=execution_ids[i * 4 + c],
                                     type=kind, milliseconds_since_epoch=_T0 + r * 10 + c)
                    event.path.steps.add().key = components[step].lower()
                    event.path.steps.add().index = 0
                    written.append(event)
        store.put_events(written)
        events += len(written)
        store.put_attributions_and_associations(
            [pb.Attribution(context_id=context_ids[i], artifact_id=artifact_ids[i * 4 + c])
             for i in range(len(block)) for c in range(4)],
            [pb.Association(context_id=context_ids[i], execution_id=execution_ids[i * 4 + c])
             for i in range(len(block)) for c in range(4)])
        store.put_parent_contexts([pb.ParentContext(child_id=context_ids[i], parent_id=context_ids[i - r % FAMILY])
                                   for i, r in enumerate(block) if r % FAMILY])
    return runs * NODES_PER_RUN, events


def copy_in_child(source: str, target: str, *extra: str, stop_after: Optional[float] = None) -> Dict[str, Any]:
    """Runs `fastmlmd copy` in a child process; its report, or {"killed": seconds} when it was stopped."""
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-c", _COPY, "copy", source, target, *extra],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = child.communicate(timeout=stop_after)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)  # no clean-up at all: the hardest interruption
        child.communicate()
        return {"killed": time.monotonic() - started}
    if child.returncode != 0:
        raise RuntimeError(f"the copy failed ({child.returncode}): {err.strip()}")
    report = json.loads(out.strip().splitlines()[-1])
    report["wall_seconds"] = time.monotonic() - started
    return report


def _lines(store: metadata_store.MetadataStore) -> Iterator[str]:
    from fastmlmd.cli.records import store_records, to_line
    for kind, message in store_records(store):
        yield to_line(kind, message)


def same_store(source: metadata_store.MetadataStore, target: metadata_store.MetadataStore,
               sample_ids: List[int]) -> Tuple[bool, int]:
    """(equal, records compared): the export's reads record by record, then the other getters on `sample_ids`."""
    compared = 0
    for theirs, ours in zip(_lines(source), _lines(target)):
        compared += 1
        if theirs != ours:
            print(f"differs at record {compared}: {theirs.strip()} != {ours.strip()}")
            return False, compared
    if next(_lines(target), None) is None and compared:
        return False, compared
    for getter in ("get_artifacts_by_id", "get_executions_by_id", "get_contexts_by_id", "get_events_by_artifact_ids",
                   "get_events_by_execution_ids"):
        if getattr(source, getter)(sample_ids) != getattr(target, getter)(sample_ids):
            print(f"{getter} differs")
            return False, compared
    for node_id in sample_ids[:50]:
        for getter in ("get_contexts_by_artifact", "get_contexts_by_execution", "get_children_contexts_by_context",
                       "get_parent_contexts_by_context", "get_artifacts_by_context", "get_executions_by_context"):
            if getattr(source, getter)(node_id) != getattr(target, getter)(node_id):
                print(f"{getter}({node_id}) differs")
                return False, compared
    return True, compared


def _count(store: metadata_store.MetadataStore) -> int:
    return sum(1 for _ in _lines(store))


def _drop_database(target: str, server: str, database: str) -> None:
    user, address = server.split("@")
    drop_server_database(target, f"{address}:{user}", database)  # that function's HOST:PORT:USER


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastmlmd.bench.copy_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000, help="nodes in the source store (default 100k)")
    parser.add_argument("--target", choices=tuple(SERVERS), default="postgresql")
    parser.add_argument("--server", default="", metavar="USER@HOST:PORT",
                        help="the target's server (default: this machine's, postgres@127.0.0.1:5432 or "
                             "root@127.0.0.1:3306)")
    parser.add_argument("--interrupt-at", type=float, default=0.0, metavar="FRACTION",
                        help="kill the copy (SIGKILL) after this fraction of an uninterrupted copy's time, then "
                             "run it again with --resume (an uninterrupted copy runs first to time it)")
    parser.add_argument("--batch", type=int, default=0, help="fastmlmd copy --batch (default: its own)")
    parser.add_argument("--dir", default=None, help="where the source store goes (default: a temporary folder)")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    server = args.server or SERVERS[args.target]
    runs = max(1, args.nodes // NODES_PER_RUN)
    batch = ("--batch", str(args.batch)) if args.batch else ()
    results: Dict[str, Any] = {"target": args.target, "batch": args.batch or None}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        source = f"sqlite:///{os.path.join(tmp, 'source.db')}"
        started = time.monotonic()
        nodes, events = fill(_open(source), runs)
        results.update(nodes=nodes, events=events)
        size = sum(os.path.getsize(os.path.join(tmp, name)) for name in os.listdir(tmp))
        print(f"source: {nodes:,} nodes, {events:,} events, {size / 2**20:,.0f} MiB, written in "
              f"{time.monotonic() - started:.1f}s")
        sample_ids = sorted(random.Random(0).sample(range(1, runs * 4 + 1), min(200, runs * 4)))
        databases = []
        try:
            database = f"fastmlmd_copy_bench_{uuid.uuid4().hex[:8]}"
            databases.append(database)
            url = f"{args.target}://{server}/{database}"
            got = copy_in_child(source, url, *batch)
            got["nodes_per_second"] = nodes / got["seconds"]
            got["equal"], got["records"] = same_store(_open(source), _open(url), sample_ids)
            results["copy"] = got
            print(f"copy: {got['seconds']:.1f}s ({got['wall_seconds']:.1f}s with start-up, {got['cpu_seconds']:.1f}s "
                  f"of CPU), {got['nodes_per_second']:,.0f} nodes/s, peak RSS {got['peak_rss_mib']:.0f} MiB, "
                  f"{got['records']:,} records equal the source's: {got['equal']}")
            if args.interrupt_at:
                database = f"fastmlmd_copy_bench_{uuid.uuid4().hex[:8]}"
                databases.append(database)
                url = f"{args.target}://{server}/{database}"
                killed = copy_in_child(source, url, *batch, stop_after=got["wall_seconds"] * args.interrupt_at)
                target_store = _open(url)
                before = _count(target_store) if "killed" in killed else None
                resumed = copy_in_child(source, url, *batch, "--resume")
                resumed["killed_after_seconds"] = killed.get("killed")
                resumed["records_before_resume"] = before
                resumed["equal"], resumed["records"] = same_store(_open(source), target_store, sample_ids)
                results["resumed"] = resumed
                print(f"interrupted copy: killed after {killed.get('killed', 0):.1f}s holding {before} records; "
                      f"--resume took {resumed['seconds']:.1f}s, peak RSS {resumed['peak_rss_mib']:.0f} MiB, "
                      f"{resumed['records']:,} records equal the source's: {resumed['equal']}")
        finally:
            for database in databases:
                _drop_database(args.target, server, database)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    return 0 if all(results[k]["equal"] for k in ("copy", "resumed") if k in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
